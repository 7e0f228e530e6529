"""Execute a submission so that whatever it does costs only its own points (replaces nbgrader's Execute).

nbgrader's Execute lets nbclient handle the faults of a submission, which
costs far more than the faulty cell:

- a cell that runs too long is interrupted, but nbclient does not wait for
  the kernel to answer: when the interrupt does not work (the code catches
  KeyboardInterrupt, ignores SIGINT, sits in C code) the next cells are queued
  behind the still-running one and all time out in turn, or nbclient raises
  and nbgrader drops the whole submission;
- a dead kernel (DeadKernelError) ends the notebook with an exception, and
  nbgrader drops the whole submission;
- outputs are kept whole in memory while a cell runs, so a cell printing
  gigabytes fills the grader's memory.

Here:

- **cell timeout** (``timeout``, seconds of wall time per cell): the kernel is
  interrupted; if it answers within ``interrupt_grace`` seconds the cell gets
  a French error and execution goes on in the same kernel. Otherwise the
  kernel is restarted, the code cells that completed before are replayed
  silently (outputs discarded) to rebuild the state, the cell gets the French
  error and execution goes on. Earlier cells keep their outputs, so their
  points. (A timed-out cell is never replayed: it would time out again.)
- **notebook budget** (``notebook_timeout``, seconds of wall time for the whole
  notebook, kernel start and replays included): each cell may run at most the
  budget left; when it runs out, the running cell is stopped as above and
  every later code cell is marked as not run.
- **outputs** (``output_limit`` bytes kept per cell): enforced while the
  outputs arrive; the rest is dropped, with one French note. The cell's error
  (and its first stderr stream or result, when none was kept before) is still
  kept in a shortened form, so capping never changes a test cell's grade.
- **dead kernel**: the cell that killed it and every later code cell get a
  French error; when the kernel manager says why it killed the kernel
  (``km.limit_hit``, a ``(kind, detail_en, message_fr)`` tuple set by the
  sandbox watchdog), its kind and message are used.

Every error output added here is a plain nbformat error (ename, evalue,
traceback) whose text is French, names no path of the grading machine, and
makes nbgrader give a test cell 0 (``nbgrader.utils.determine_grade``). Each
fault is recorded as an incident (``course.grading.incidents``).

nbgrader's own ``interrupt_on_timeout``, ``error_on_timeout`` and
``raise_on_iopub_timeout`` options are not used: the behaviour above replaces
them.
"""
import asyncio
from queue import Empty
from time import monotonic

from nbclient.client import timestamp
from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade
from traitlets import Float, Integer

from handover import MIME_TYPE

from ..incidents import record
from ..canonical import cell_ref
from ..french import seconds, size

#: A test cell's hand-overs to the judge are kept whatever the student printed, within these bounds.
HANDOVERS_PER_CELL = 4
HANDOVER_LIMIT_BYTES = 4 * 2**20

TIMEOUT_ENAME = "CellTimeout"
NOTEBOOK_TIMEOUT_ENAME = "NotebookTimeout"
KERNEL_DIED_ENAME = "KernelDied"

KILLED_HERE = (
    "Le noyau Python s'est arrêté pendant l'exécution de cette cellule "
    "(mémoire épuisée, appel à os._exit, plantage d'une bibliothèque…). "
    "Les cellules suivantes n'ont pas pu être exécutées."
)
NOT_RUN = "Cellule non exécutée : le noyau Python s'était arrêté plus haut dans le notebook."
CELL_TIMEOUT = (
    "Cette cellule a été arrêtée : elle s'exécutait encore au bout de {limit}, la durée maximale "
    "accordée à une cellule par la correction automatique. Vérifiez qu'elle ne contient pas de boucle "
    "sans fin (une condition d'arrêt jamais atteinte) ni de calcul beaucoup plus long que nécessaire."
)
RESTARTED = (
    " Le noyau Python ne répondait plus : il a été redémarré et les cellules précédentes ont été "
    "réexécutées avant de passer à la suite."
)
NOTEBOOK_TIMEOUT = (
    "Cette cellule a été arrêtée : l'exécution du notebook a dépassé {limit} au total, la durée "
    "maximale accordée à un notebook par la correction automatique. Les cellules suivantes n'ont pas été "
    "exécutées. Vérifiez qu'aucune cellule ne fait de calcul beaucoup plus long que nécessaire : le notebook "
    "entier doit pouvoir s'exécuter du début à la fin bien en dessous de cette durée."
)
NOT_RUN_NOTEBOOK = (
    "Cellule non exécutée : le notebook avait déjà atteint sa durée maximale d'exécution ({limit} au total)."
)
NOT_RESTORED = (
    "Cellule non exécutée : après l'arrêt d'une cellule trop longue plus haut, le noyau Python a été "
    "redémarré, mais les cellules précédentes n'ont pas pu être réexécutées à temps."
)
OUTPUT_CAPPED = (
    "[Sortie tronquée] Cette cellule a affiché plus de {limit} : la suite de son affichage a été supprimée "
    "par la correction automatique (son exécution, elle, a continué normalement). Évitez d'afficher de très "
    "grandes quantités de données, par exemple un print dans une longue boucle ou un grand tableau en entier : "
    "affichez plutôt sa forme ou un extrait."
)
#: Outputs kept past the cap (errors, first stderr or result) are shortened to this many characters.
SHORT = 1000


class _CellStopped(Exception):
    """The running cell was stopped and marked: nbclient must not process it any further."""


class _KernelGone(Exception):
    """The kernel died while we were waiting for it."""


def describe(cell):
    """The cell as the student can find it: by its first line."""
    line = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if len(line) > 60:
        line = line[:57] + "…"
    return f"La cellule qui commence par « {line} »" if line else "Une cellule"


def error_output(ename, message):
    return new_output("error", ename=ename, evalue=message, traceback=[message])


def _text_size(text):
    return len(text.encode("utf-8", "replace")) if isinstance(text, str) else len(str(text))


def _message_size(msg):
    content = msg.get("content", {})
    kind = msg.get("msg_type")
    if kind == "stream":
        return _text_size(content.get("text", ""))
    if kind in ("display_data", "execute_result", "update_display_data"):
        data = content.get("data") or {}
        return sum(_text_size(value) for value in data.values())
    if kind == "error":
        return _text_size(content.get("evalue", "")) + sum(_text_size(line) for line in content.get("traceback", []))
    return 0


def _decisive(msg):
    """Would nbgrader grade a test cell on this output? (errors, stderr and results decide its score)"""
    kind = msg.get("msg_type")
    return kind in ("error", "execute_result") or (kind == "stream" and msg["content"].get("name") == "stderr")


def _shorten(text, limit=SHORT):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _shortened(msg):
    """A copy of a decisive message small enough to keep past the cap, graded the same way."""
    content = dict(msg["content"])
    kind = msg["msg_type"]
    if kind == "error":
        content["evalue"] = _shorten(content.get("evalue", ""))
        content["traceback"] = [_shorten(line) for line in content.get("traceback", [])[-20:]]
    elif kind == "stream":
        content["text"] = _shorten(content.get("text", ""))
    else:  # execute_result: nbgrader reads a partial grade from text/plain only
        content["data"] = {"text/plain": _shorten((content.get("data") or {}).get("text/plain", ""))}
        content["metadata"] = {}
    return {**msg, "content": content}


class ContainedExecute(Execute):
    """nbgrader's Execute, where a timeout, a flood of output or a dead kernel costs only the cells concerned."""

    notebook_timeout = Integer(
        None, allow_none=True,
        help="Wall time in seconds for the whole notebook (kernel start and replays included); None: no budget.",
    ).tag(config=True)

    interrupt_grace = Float(
        10.0,
        help="After a timeout, seconds to wait for the interrupted kernel to answer before restarting it.",
    ).tag(config=True)

    output_limit = Integer(
        2**20, allow_none=True,
        help="Bytes of outputs kept per cell while it runs (the rest is dropped with a note); None: no limit.",
    ).tag(config=True)

    # --- the notebook -------------------------------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        self._started = monotonic()
        self._stopped = None  # (ename, message) for every later code cell
        self._replay = []  # sources of the code cells that ran to completion, in order
        self._begin_cell(None, -1)
        return super().preprocess(nb, resources, km)

    def _remaining(self):
        if not self.notebook_timeout:
            return None
        return self.notebook_timeout - (monotonic() - self._started)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = self._remaining()
        if cell is None or remaining is None:
            return timeout
        if timeout is None or remaining < timeout:
            self._limited_by_notebook = True
            return max(remaining, 0.01)
        self._limited_by_notebook = False
        return timeout

    # --- one cell -----------------------------------------------------------------

    def _begin_cell(self, cell, index):
        self._cell, self._index = cell, index
        self._timed_out = False
        self._limited_by_notebook = False
        self._kept = 0
        self._capped = False
        self._decided = False
        self._handed_over = 0

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is not None:
            cell.outputs = [error_output(*self._stopped)]
            return cell, resources
        runs = bool(cell.source.strip()) and self.skip_cells_with_tag not in cell.metadata.get("tags", [])
        remaining = self._remaining()
        if runs and remaining is not None and remaining <= 0:
            message = NOT_RUN_NOTEBOOK.format(limit=seconds(self.notebook_timeout))
            self._stopped = (NOTEBOOK_TIMEOUT_ENAME, message)
            cell.outputs = [error_output(*self._stopped)]
            record(self.nb, "notebook_timeout",
                   f"the notebook used its {self.notebook_timeout} s budget before cell {index}; "
                   "this cell and the later ones were not run",
                   f"Le notebook a atteint sa durée maximale d'exécution ({seconds(self.notebook_timeout)} au "
                   "total) : les cellules restantes n'ont pas été exécutées.", cell_ref(cell, index))
            return cell, resources
        self._begin_cell(cell, index)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_died(cell, index)
            return cell, self.resources
        except _CellStopped:
            return cell, self.resources
        if runs and not self._timed_out:
            self._replay.append(cell.source)
        return cell, resources

    def _kernel_died(self, cell, index):
        limit = getattr(self.km, "limit_hit", None)
        if limit is not None:
            kind, detail, message = limit
        else:
            kind, message = "kernel_died", KILLED_HERE
            detail = "the kernel died while this cell ran (os._exit, crash, memory...)"
        self.log.warning("The kernel died in cell %d (%s); the later cells are marked as not run", index, kind)
        cell.outputs.append(error_output(KERNEL_DIED_ENAME, message))
        self._stopped = (KERNEL_DIED_ENAME, NOT_RUN)
        later = sum(1 for c in self.nb.cells[index + 1:] if c.cell_type == "code")
        if limit is None:
            message = (f"{describe(cell)} a arrêté le noyau Python (mémoire épuisée, appel à os._exit, plantage "
                       "d'une bibliothèque…) : les cellules suivantes n'ont pas pu être exécutées.")
        record(self.nb, kind, f"{detail}; {later} later code cells not run", message, cell_ref(cell, index))

    # --- waiting for a cell, and stopping it ---------------------------------------

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - monotonic())
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=wait))
            except Empty:
                task_poll_kernel_alive.cancel()
                await self._async_check_alive()
                return await self._async_stop_cell(msg_id, cell, timeout, task_poll_output_msg)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if self.record_timing:
                cell["metadata"]["execution"]["shell.execute_reply"] = timestamp(msg)
            await self._async_collect_outputs(task_poll_output_msg)
            task_poll_kernel_alive.cancel()
            return msg

    async def _async_collect_outputs(self, task_poll_output_msg):
        """Wait for the outputs of a cell that has replied; keep what came if they are slow."""
        try:
            await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
        except (asyncio.TimeoutError, Empty):
            self.log.warning("Timeout waiting for IOPub output; the cell keeps the outputs received so far")

    async def _async_reply_within(self, msg_id, timeout):
        """The kernel's reply to ``msg_id`` if it comes within ``timeout`` seconds, else None."""
        deadline = monotonic() + timeout
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return None
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(remaining, 0.5)))
            except Empty:
                if not await ensure_async(self.kc.is_alive()):
                    raise _KernelGone from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    async def _async_stop_cell(self, msg_id, cell, timeout, task_poll_output_msg):
        notebook = self._limited_by_notebook
        if notebook:
            ename, message = NOTEBOOK_TIMEOUT_ENAME, NOTEBOOK_TIMEOUT.format(limit=seconds(self.notebook_timeout))
            limit_en = f"the notebook's {self.notebook_timeout} s budget"
        else:
            ename, message = TIMEOUT_ENAME, CELL_TIMEOUT.format(limit=seconds(timeout))
            limit_en = f"the cell limit of {timeout} s"
        self.log.warning("Cell %d reached %s: interrupting the kernel", self._index, limit_en)
        self._timed_out = True
        reply = None
        try:
            await ensure_async(self.km.interrupt_kernel())
            reply = await self._async_reply_within(msg_id, self.interrupt_grace)
        except _KernelGone:
            if getattr(self.km, "limit_hit", None) is not None:
                task_poll_output_msg.cancel()
                raise DeadKernelError("Kernel died") from None
            self.log.warning("The kernel died when interrupted")
        except Exception:
            self.log.warning("Could not interrupt the kernel", exc_info=True)
        ref = cell_ref(cell, self._index)

        if reply is not None:
            # Interrupted: same kernel, same state; the cell's KeyboardInterrupt becomes our error.
            await self._async_collect_outputs(task_poll_output_msg)
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "error" and o.get("ename") == "KeyboardInterrupt")]
            cell.outputs.append(error_output(ename, message))
            self._record_timeout(cell, notebook, timeout, f"{ref} reached {limit_en}; interrupted")
            content = {"status": "error", "ename": ename, "evalue": message, "traceback": [message],
                       "execution_count": reply.get("content", {}).get("execution_count")}
            return {**reply, "content": content}

        # The kernel did not answer: it is of no more use.
        task_poll_output_msg.cancel()
        if notebook:
            cell.outputs.append(error_output(ename, message))
            await self._async_kill_kernel()
            self._record_timeout(cell, notebook, timeout, f"{ref} reached {limit_en}; the kernel did not answer the "
                                                  f"interrupt within {self.interrupt_grace} s and was killed")
            raise _CellStopped()
        cell.outputs.append(error_output(ename, message + RESTARTED))
        restored = await self._async_restart_and_replay()
        detail = (f"{ref} reached {limit_en}; the kernel did not answer the interrupt within "
                  f"{self.interrupt_grace} s: restarted, {len(self._replay)} earlier code cells replayed")
        if not restored:
            detail += " (replay failed: the later cells were not run)"
            self._stopped = (TIMEOUT_ENAME, NOT_RESTORED)
            await self._async_kill_kernel()
        self._record_timeout(cell, notebook, timeout, detail)
        raise _CellStopped()

    def _record_timeout(self, cell, notebook, timeout, detail):
        if notebook:
            self._stopped = (NOTEBOOK_TIMEOUT_ENAME, NOT_RUN_NOTEBOOK.format(limit=seconds(self.notebook_timeout)))
            record(self.nb, "notebook_timeout", detail + "; the later cells were not run",
                   f"Le notebook a dépassé sa durée maximale d'exécution ({seconds(self.notebook_timeout)} au "
                   f"total) : {describe(cell)[0].lower()}{describe(cell)[1:]} a été arrêtée et les cellules "
                   "suivantes n'ont pas été exécutées. Cherchez les calculs trop longs.",
                   cell_ref(cell, self._index))
        else:
            record(self.nb, "cell_timeout", detail,
                   f"{describe(cell)} a été arrêtée au bout de {seconds(timeout)}, la durée maximale d'une "
                   "cellule ; la suite du notebook a été exécutée. Cherchez une boucle sans fin ou un calcul "
                   "trop long.", cell_ref(cell, self._index))

    # --- restarting the kernel --------------------------------------------------------

    async def _async_kill_kernel(self):
        try:
            await ensure_async(self.km.shutdown_kernel(now=True))
        except Exception:
            self.log.warning("Could not kill the kernel", exc_info=True)

    async def _async_restart_and_replay(self):
        """A fresh kernel in the state the completed cells left: True on success."""
        try:
            await ensure_async(self.kc.stop_channels())
        except Exception:
            self.log.debug("Could not stop the old kernel client", exc_info=True)
        try:
            try:
                await ensure_async(self.km.restart_kernel(now=True))
            except Exception:
                self.log.warning("restart_kernel failed; shutting down and starting a kernel", exc_info=True)
                await self._async_kill_kernel()
                await self.async_start_new_kernel()
            await self.async_start_new_kernel_client()
        except Exception:
            self.log.error("Could not restart the kernel", exc_info=True)
            return False
        for source in self._replay:
            timeout = self.timeout if self.timeout and self.timeout > 0 else None
            remaining = self._remaining()
            if remaining is not None:
                if remaining <= 0:
                    return False
                timeout = remaining if timeout is None else min(timeout, remaining)
            if not await self._async_run_silently(source, timeout):
                return False
        return True

    async def _async_run_silently(self, source, timeout):
        """Run code in the kernel, discarding its outputs: True if it completed (even with an error)."""
        msg_id = await ensure_async(self.kc.execute(source, store_history=True, allow_stdin=False,
                                                    stop_on_error=False))
        drain = asyncio.ensure_future(self._async_drain_iopub(msg_id))
        try:
            reply = await self._async_reply_within(msg_id, timeout if timeout is not None else float("inf"))
        except _KernelGone:
            reply = None
        if reply is None:
            drain.cancel()
            self.log.warning("A replayed cell did not complete in time")
            return False
        try:
            await asyncio.wait_for(drain, self.iopub_timeout)
        except (asyncio.TimeoutError, Empty):
            pass
        return True

    async def _async_drain_iopub(self, msg_id):
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                return

    async def _async_cleanup_kernel(self):
        if self.km is None:  # a failed restart already cleaned up
            return
        await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    # --- outputs ------------------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        parent = msg["parent_header"].get("msg_id")
        if self.output_limit is None or self.output_hook_stack[parent]:
            return super().output(outs, msg, display_id, cell_index)
        if self._is_handover(msg):  # the grader's channel: never crowded out by what the student printed
            return super().output(outs, msg, display_id, cell_index)
        if self.clear_before_next_output:
            if self._capped:
                self.clear_before_next_output = False  # keep the note (and what was kept)
            else:
                self._kept = 0
        needed = _message_size(msg)
        if not self._capped and self._kept + needed <= self.output_limit:
            return self._keep(outs, msg, display_id, cell_index, needed)
        if not self._capped:
            room = self.output_limit - self._kept
            if msg["msg_type"] == "stream" and room > 0:
                head = msg["content"]["text"].encode("utf-8", "replace")[:room].decode("utf-8", "ignore")
                self._keep(outs, {**msg, "content": {**msg["content"], "text": head}}, display_id, cell_index, room)
                msg = None if not _decisive(msg) or self._decided else msg
            self._cap(outs)
        if msg is not None and _decisive(msg) and (msg["msg_type"] == "error" or not self._decided):
            return self._keep(outs, _shortened(msg), display_id, cell_index, 0)
        return None

    def _is_handover(self, msg):
        """A hand-over of a test cell, within its own bound (more would be the student's doing)."""
        if msg["msg_type"] != "display_data" or MIME_TYPE not in msg["content"].get("data", {}):
            return False
        cell = self._cell
        if cell is None or not is_grade(cell) or self._handed_over >= HANDOVERS_PER_CELL:
            return False
        if _message_size(msg) > HANDOVER_LIMIT_BYTES:
            return False
        self._handed_over += 1
        return True

    def _keep(self, outs, msg, display_id, cell_index, needed):
        out = super().output(outs, msg, display_id, cell_index)
        self._kept += needed
        if out is not None and _decisive(msg):
            self._decided = True
        return out

    def _cap(self, outs):
        self._capped = True
        note = OUTPUT_CAPPED.format(limit=size(self.output_limit))
        outs.append(new_output("display_data", data={"text/plain": note}))
        cell = self._cell
        ref = cell_ref(cell, self._index) if cell is not None else f"cell {self._index}"
        self.log.warning("%s printed more than %d bytes; the rest of its output was dropped", ref, self.output_limit)
        record(self.nb, "output_capped",
               f"{ref} printed more than {self.output_limit} bytes of output; the rest was dropped",
               f"{describe(cell) if cell is not None else 'Une cellule'} a affiché plus de "
               f"{size(self.output_limit)} : seul le début de son affichage a été gardé. Évitez d'afficher "
               "de très grandes quantités de données.", ref)

    def clear_output(self, outs, msg, cell_index):
        if self._capped and not self.output_hook_stack[msg["parent_header"].get("msg_id")]:
            return  # the note stays, and nothing past the cap is kept anyway
        super().clear_output(outs, msg, cell_index)
        if not msg["content"].get("wait"):
            self._kept = 0
