"""Every override of a private part of nbclient or jupyter_client, in one module, each with its reason.

The course uses nbclient's and jupyter_client's public hooks where one exists: the per-cell time limit goes
through ``NotebookClient.timeout_func``, the kernel's session through traitlets' ``@default("session")``, the
forked kernel's process through a provisioner. What remains has no public hook; it is gathered here, as thin
overrides that hand over to the course's own classes (:mod:`course.grading.execution`,
:mod:`course.grading.sandbox`, :mod:`course.grading.forkserver`), which never override a private name
themselves (``tests/grading/test_private_api.py`` checks both).

:data:`RELIED_ON` lists each private part, the parameters relied on, why, and the version it was checked
against. :func:`check_private_api` compares them with the installed libraries: grading stops (fails closed,
with the fix) rather than run against a private method that moved; the test does the same in CI.
"""
import functools
import inspect
import re
from dataclasses import dataclass
from importlib.metadata import version

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbclient import NotebookClient
from nbclient.util import run_sync

from ..setup_check import GradingSetupError

#: The versions every entry of RELIED_ON was read in (.venv; pyproject.toml pins them).
CHECKED_AGAINST = {"nbclient": "0.11.0", "jupyter_client": "8.10.0"}


@dataclass(frozen=True)
class Reliance:
    """One private part of a library the course relies on."""

    owner: type
    name: str
    #: the parameters relied on, as :func:`shape` writes them; None: an attribute
    shape: object
    reason: str
    #: an attribute the library sets on its instances (looked for in its source), not on the class
    per_instance: bool = False

    @property
    def library(self):
        return self.owner.__module__.split(".")[0]

    def __str__(self):
        return f"{self.owner.__name__}.{self.name} ({self.library} {CHECKED_AGAINST[self.library]})"


RELIED_ON = (
    Reliance(NotebookClient, "_async_poll_for_reply",
             "self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive",
             "Overridden (NotebookClientOverrides): at a cell's timeout nbclient interrupts the kernel but does not "
             "wait for it, so a cell that ignores the interrupt blocks every later one; the course waits, then "
             "restarts and replays (execution.timeouts). No public hook runs at the timeout."),
    Reliance(NotebookClient, "_async_cleanup_kernel", "self",
             "Overridden: after a restart that failed, nbclient has already cleaned up (km is None) and its own "
             "cleanup, run again when the notebook ends, would fail on an assertion."),
    Reliance(NotebookClient, "_cleanup_kernel", "*args, **kwargs",
             "Overridden with the above: nbclient binds it (atexit, signals) to its own coroutine, not to ours."),
    Reliance(NotebookClient, "output", "self, outs, msg, display_id, cell_index",
             "Overridden (public name, internal behaviour): the output cap and the hand-over channel sit where "
             "nbclient appends an output; it relies on output_hook_stack and clear_before_next_output."),
    Reliance(NotebookClient, "clear_output", "self, outs, msg, cell_index",
             "Overridden: once a cell is capped, clearing must not remove the note."),
    Reliance(NotebookClient, "output_hook_stack", None,
             "Read: an output widget's hook takes the cell's outputs; the cap leaves them to it.", per_instance=True),
    Reliance(NotebookClient, "clear_before_next_output", None,
             "Read and reset: a pending clear_output(wait=True) must not remove the cap's note.", per_instance=True),
    Reliance(KernelManager, "_async_pre_start_kernel", "self, *, transport_encryption, **kw",
             "Overridden (KernelManagerOverrides): the sandbox sets the kernel's private folder and transport "
             "before jupyter_client writes the connection file, and wraps its command in bwrap after."),
    Reliance(KernelManager, "_async_launch_kernel", "self, kernel_cmd, **kw",
             "Overridden: the watchdog of the kernel's bounds starts once the process exists."),
    Reliance(KernelManager, "_async_cleanup_resources", "self, restart",
             "Overridden: the watchdog stops and the kernel's private folder (or fork slot) goes with the kernel."),
    Reliance(AsyncKernelManager, "cleanup_resources", "self, restart",
             "Rebound: AsyncKernelManager binds cleanup_resources to KernelManager's coroutine, not to a "
             "subclass's override of _async_cleanup_resources (nbclient calls cleanup_resources)."),
    Reliance(LocalProvisioner, "process", None,
             "Set (ProcessGivenProvisioner): a forked kernel's process comes from the fork server, not Popen; "
             "LocalProvisioner's poll, wait, signals and cleanup read process, pid and pgid."),
    Reliance(LocalProvisioner, "pid", None, "Set, with process."),
    Reliance(LocalProvisioner, "pgid", None, "Set, with process (None: signals go to the process itself)."),
)


def shape(function):
    """The parameters of ``function`` as the course relies on them: names and kinds, no annotations or defaults."""
    parts, keyword_only = [], False
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            parts.append("*" + parameter.name)
            keyword_only = True
        elif parameter.kind is parameter.KEYWORD_ONLY:
            if not keyword_only:
                parts.append("*")
                keyword_only = True
            parts.append(parameter.name)
        elif parameter.kind is parameter.VAR_KEYWORD:
            parts.append("**" + parameter.name)
        else:
            parts.append(parameter.name)
    return ", ".join(parts)


def found(reliance):
    """What the installed library has under that name: its shape, "attribute", or None when it is gone."""
    if reliance.per_instance:
        used = re.search(rf"\bself\.{reliance.name}\b", inspect.getsource(reliance.owner))
        return "attribute" if used else None
    if not hasattr(reliance.owner, reliance.name):
        return None
    value = getattr(reliance.owner, reliance.name)
    return "attribute" if reliance.shape is None else shape(value) if callable(value) else None


def changed():
    """The entries of RELIED_ON that the installed libraries no longer match."""
    return [r for r in RELIED_ON if found(r) != (r.shape if r.shape is not None else "attribute")]


@functools.lru_cache(maxsize=None)
def check_private_api():
    """GradingSetupError when an installed nbclient or jupyter_client no longer has what the course overrides."""
    moved = changed()
    if moved:
        installed = ", ".join(f"{name} {version(name)}" for name in CHECKED_AGAINST)
        raise GradingSetupError(
            "Grading stopped before any student was graded: the installed " + installed + " changed private "
            "parts the course's execution overrides (checked against " +
            ", ".join(f"{n} {v}" for n, v in CHECKED_AGAINST.items()) + "): " + "; ".join(map(str, moved)) +
            ".\n\nTo fix: install the versions pinned in pyproject.toml (`make setup`), or adapt "
            "course/grading/execution/private_api.py to the new versions and update CHECKED_AGAINST.")


# --- nbclient ---------------------------------------------------------------------------------------


class NotebookClientOverrides:
    """Put before nbgrader's Execute: hands nbclient's private steps to the client's own parts.

    The client provides ``wait_for_reply_or_stop(msg_id, cell, timeout, task_poll_output_msg,
    task_poll_kernel_alive)`` (a coroutine), ``output_cap`` (an :class:`~.outputs.OutputCap`) and ``handovers``
    (a :class:`~.handovers.HandoverChannel`).
    """

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        return await self.wait_for_reply_or_stop(msg_id, cell, timeout, task_poll_output_msg,
                                                 task_poll_kernel_alive)

    async def _async_cleanup_kernel(self):
        if self.km is None:  # a failed restart already cleaned up
            return
        await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    def output(self, outs, msg, display_id, cell_index):
        def keep(message):
            return super(NotebookClientOverrides, self).output(outs, message, display_id, cell_index)

        cap = self.output_cap
        if self.output_hook_stack[msg["parent_header"].get("msg_id")] or (cap.limit and self.handovers.carries(msg)):
            return keep(msg)  # an output widget's, or the judge's channel: never crowded out by the student's
        if self.clear_before_next_output and not cap.may_clear():
            self.clear_before_next_output = False  # keep the note (and what was kept)
        return cap.admit(outs, msg, keep)

    def clear_output(self, outs, msg, cell_index):
        if self.output_cap.capped and not self.output_hook_stack[msg["parent_header"].get("msg_id")]:
            return  # the note stays, and nothing past the cap is kept anyway
        super().clear_output(outs, msg, cell_index)
        if not msg["content"].get("wait"):
            self.output_cap.cleared()


# --- jupyter_client -----------------------------------------------------------------------------------


class KernelManagerOverrides(AsyncKernelManager):
    """jupyter_client's private start and cleanup steps, each handed to one method of the subclass:
    ``before_start(kw) -> kw``, ``command_for(kernel_cmd, kw) -> (command, kw)``, ``after_launch()``,
    ``before_cleanup()``, ``after_cleanup(restart)``.

    (A provisioner's ``pre_launch`` is jupyter_client's public point for wrapping a command, but it runs after
    the connection file is written, and the sandbox must choose the kernel's folder and transport first.)
    """

    async def _async_pre_start_kernel(self, **kw):
        kw = self.before_start(kw)
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        return self.command_for(kernel_cmd, kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self.after_launch()

    async def _async_cleanup_resources(self, restart=False):
        self.before_cleanup()
        await super()._async_cleanup_resources(restart=restart)
        self.after_cleanup(restart)

    cleanup_resources = _async_cleanup_resources


class ProcessGivenProvisioner(LocalProvisioner):
    """LocalProvisioner, with the kernel's process given by its kernel manager instead of started with Popen:
    ``km.launch_process(cmd, env)`` returns an object with Popen's ``pid``, ``poll``, ``wait``, ``send_signal``,
    ``kill``, ``terminate`` (and ``stdin``/``stdout``/``stderr`` None)."""

    async def launch_kernel(self, cmd, **kwargs):
        self.process = self.parent.launch_process(cmd, kwargs.get("env"))
        self.pid, self.pgid = self.process.pid, None
        return self.connection_info
