"""A cell past its limit: interrupt it; if the kernel does not answer, restart it and replay the earlier cells.

The kernel is interrupted; if it answers within ``interrupt_grace`` seconds the cell gets a French error and
execution goes on in the same kernel. Otherwise the kernel is restarted, the code cells that completed before
are replayed silently (:mod:`.restart`), the cell gets the French error and execution goes on: earlier cells
keep their outputs, so their points. When the notebook's budget (:mod:`.budget`) set the limit, there is nothing
left to go on with: the kernel is killed instead and the later cells are marked as not run.

nbclient's own answer (``interrupt_on_timeout``, ``error_on_timeout``) does not wait for the kernel: when the
interrupt does not work (the code catches KeyboardInterrupt, ignores SIGINT, sits in C code) the next cells
queue behind the running one and time out in turn.
"""
from dataclasses import dataclass

from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from ..canonical import cell_ref
from ..french import seconds
from ..incidents import record
from .cells import TIMEOUT_ENAME, describe, error_output
from .channels import collect_outputs, reply_within
from .errors import CellStopped, KernelGone

NBSP = "\u00a0"


class CellTimeout(LoggingConfigurable):
    """A cell's own limit (``timeout``, seconds of wall time per cell): what the student reads when it is reached."""

    stopped_message = Unicode(
        f"Cette cellule a été arrêtée{NBSP}: elle s'exécutait encore au bout de {{limit}}, la durée maximale "
        "accordée à une cellule par la correction automatique. Vérifiez qu'elle ne contient pas de boucle sans fin "
        "(une condition d'arrêt jamais atteinte) ni de calcul beaucoup plus long que nécessaire.",
        help="Error of a cell stopped at its time limit ({limit}).",
    ).tag(config=True)
    restarted_message = Unicode(
        f" Le noyau Python ne répondait plus{NBSP}: il a été redémarré et les cellules précédentes ont été "
        "réexécutées avant de passer à la suite.",
        help="Added to that error when the kernel had to be restarted (starts with a space).",
    ).tag(config=True)
    not_restored_message = Unicode(
        f"Cellule non exécutée{NBSP}: après l'arrêt d'une cellule trop longue plus haut, le noyau Python a été "
        "redémarré, mais les cellules précédentes n'ont pas pu être réexécutées à temps.",
        help="Error of each later code cell when the restarted kernel could not replay the earlier cells.",
    ).tag(config=True)
    incident = Unicode(
        f"{{cell}} a été arrêtée au bout de {{limit}}, la durée maximale d'une cellule{NBSP}; la suite du notebook "
        "a été exécutée. Cherchez une boucle sans fin ou un calcul trop long.",
        help="Feedback note for a cell stopped at its time limit ({cell}: « La cellule qui commence par… »; "
             "{limit}).",
    ).tag(config=True)

    def stopped(self, timeout):
        return TIMEOUT_ENAME, self.stopped_message.format(limit=seconds(timeout))

    def not_restored(self):
        return TIMEOUT_ENAME, self.not_restored_message

    def record(self, nb, cell, index, timeout, detail):
        record(nb, "cell_timeout", detail, self.incident.format(cell=describe(cell), limit=seconds(timeout)),
               cell_ref(cell, index))


@dataclass
class RunningCell:
    """The code cell being executed, and whether a limit stopped it."""

    cell: object = None
    index: int = -1
    #: the limit that applies was the notebook budget's, not the cell's own
    limited_by_notebook: bool = False
    timed_out: bool = False


class CellStopper:
    """Stops the running cell at its limit: interrupt, else restart and replay (or kill, past the budget).

    ``client``: the notebook client (``km``, ``kc``, ``nb``, ``log``, ``interrupt_grace``, ``iopub_timeout``).
    """

    def __init__(self, client, cell_timeout, budget, restart, later_cells):
        self.client = client
        self.cell_timeout = cell_timeout
        self.budget = budget
        self.restart = restart
        self.later_cells = later_cells

    async def stop(self, running, msg_id, timeout, task_poll_output_msg):
        """The cell's reply when the interrupt worked; else CellStopped (the cell is marked, the kernel replaced
        or killed); DeadKernelError when the sandbox killed the kernel for a bound meanwhile."""
        client, cell = self.client, running.cell
        by_notebook = running.limited_by_notebook
        ename, message = self.budget.stopped() if by_notebook else self.cell_timeout.stopped(timeout)
        limit_en = self.budget.limit_en if by_notebook else f"the cell limit of {timeout} s"
        client.log.warning("Cell %d reached %s: interrupting the kernel", running.index, limit_en)
        running.timed_out = True
        reply = await self._interrupt(msg_id, task_poll_output_msg)
        ref = cell_ref(cell, running.index)
        if reply is not None:
            return await self._interrupted(running, reply, ename, message, timeout,
                                           f"{ref} reached {limit_en}; interrupted", task_poll_output_msg)
        # The kernel did not answer: it is of no more use.
        task_poll_output_msg.cancel()
        no_answer = f"{ref} reached {limit_en}; the kernel did not answer the interrupt within " \
                    f"{client.interrupt_grace} s"
        if by_notebook:
            cell.outputs.append(error_output(ename, message))
            await self.restart.kill()
            self._record(running, timeout, no_answer + " and was killed")
            raise CellStopped()
        cell.outputs.append(error_output(ename, message + self.cell_timeout.restarted_message))
        await self._restart(running, timeout, no_answer)
        raise CellStopped()

    async def _interrupt(self, msg_id, task_poll_output_msg):
        """The kernel's reply once interrupted, or None when it does not answer within the grace."""
        client = self.client
        try:
            await ensure_async(client.km.interrupt_kernel())
            return await reply_within(client.kc, msg_id, client.interrupt_grace)
        except KernelGone:
            if getattr(client.km, "limit_hit", None) is not None:
                task_poll_output_msg.cancel()
                raise DeadKernelError("Kernel died") from None
            client.log.warning("The kernel died when interrupted")
        except Exception:
            client.log.warning("Could not interrupt the kernel", exc_info=True)
        return None

    async def _interrupted(self, running, reply, ename, message, timeout, detail, task_poll_output_msg):
        """Same kernel, same state: the cell's KeyboardInterrupt becomes our error."""
        client, cell = self.client, running.cell
        await collect_outputs(task_poll_output_msg, client.iopub_timeout, client.log)
        cell.outputs = [o for o in cell.outputs
                        if not (o.get("output_type") == "error" and o.get("ename") == "KeyboardInterrupt")]
        cell.outputs.append(error_output(ename, message))
        self._record(running, timeout, detail)
        content = {"status": "error", "ename": ename, "evalue": message, "traceback": [message],
                   "execution_count": reply.get("content", {}).get("execution_count")}
        return {**reply, "content": content}

    async def _restart(self, running, timeout, no_answer):
        restored = await self.restart.restart_and_replay()
        detail = f"{no_answer}: restarted, {len(self.restart.sources)} earlier code cells replayed"
        if not restored:
            detail += " (replay failed: the later cells were not run)"
            self.later_cells.stop(*self.cell_timeout.not_restored())
            await self.restart.kill()
        self._record(running, timeout, detail)

    def _record(self, running, timeout, detail):
        nb = self.client.nb
        if running.limited_by_notebook:
            self.later_cells.stop(*self.budget.not_run())
            self.budget.record_stopped(nb, running.cell, running.index, detail)
        else:
            self.cell_timeout.record(nb, running.cell, running.index, timeout, detail)
