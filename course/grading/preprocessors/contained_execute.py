"""Execute a submission so that whatever it does costs only its own points (replaces nbgrader's Execute).

nbgrader's Execute lets nbclient handle the faults of a submission, which costs far more than the faulty cell:
a cell the interrupt cannot stop makes every later cell time out, a dead kernel or an unanswered interrupt
makes nbgrader drop the whole submission, and a cell printing gigabytes fills the grader's memory. Here each
fault costs only the cells concerned, one class per concern (:mod:`course.grading.execution`):

- **cell timeout** (``timeout``) and **notebook budget** (``notebook_timeout``): the running cell is stopped
  (:mod:`~course.grading.execution.timeouts`: interrupt, else restart and replay the completed cells,
  :mod:`~course.grading.execution.restart`), the budget marks every later cell as not run
  (:mod:`~course.grading.execution.budget`);
- **outputs** (``output_limit``): capped while they arrive, the decisive ones kept
  (:mod:`~course.grading.execution.outputs`), a test cell's hand-overs to the judge exempt within their own
  bounds (:mod:`~course.grading.execution.handovers`);
- **dead kernel**: the cell that killed it and every later one get a French error, with the sandbox's reason
  when it killed the kernel for a bound (:mod:`~course.grading.execution.kernel_death`).

Every error added is French, names no path of the grading machine, and gives a test cell 0
(:mod:`~course.grading.execution.cells`); each fault is recorded as an incident (``course.grading.incidents``).
nbgrader's ``interrupt_on_timeout``, ``error_on_timeout`` and ``raise_on_iopub_timeout`` are not used: the
behaviour above replaces them. The overrides of nbclient's private methods this needs are all in
:mod:`course.grading.execution.private_api`.
"""
from queue import Empty
from time import monotonic

from nbclient.client import timestamp
from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

from ..execution.budget import NotebookBudget
from ..execution.cells import LaterCells, runs
from ..execution.channels import check_alive, collect_outputs
from ..execution.errors import CellStopped
from ..execution.handovers import HandoverChannel
from ..execution.kernel_death import KernelDeath
from ..execution.outputs import OutputCap
from ..execution.private_api import NotebookClientOverrides, check_private_api
from ..execution.restart import KernelRestart
from ..execution.timeouts import CellStopper, CellTimeout, RunningCell
from ..required import require

NOT_CONFIGURED = " None: not configured (grading refuses to start; course_config.configure_nbgrader sets it)."


class ContainedExecute(NotebookClientOverrides, Execute):
    """nbgrader's Execute, where a timeout, a flood of output or a dead kernel costs only the cells concerned."""

    timeout = Integer(
        None, allow_none=True,
        help="Wall time in seconds for one cell; 0: no limit." + NOT_CONFIGURED,
    ).tag(config=True)
    notebook_timeout = Integer(
        None, allow_none=True,
        help="Wall time in seconds for the whole notebook (kernel start and replays included); 0: no budget."
             + NOT_CONFIGURED,
    ).tag(config=True)
    interrupt_grace = Float(
        None, allow_none=True,
        help="After a timeout, seconds to wait for the interrupted kernel to answer before restarting it."
             + NOT_CONFIGURED,
    ).tag(config=True)
    output_limit = Integer(
        None, allow_none=True,
        help="Bytes of outputs kept per cell while it runs (the rest is dropped with a note); 0: no limit."
             + NOT_CONFIGURED,
    ).tag(config=True)

    # --- the notebook ----------------------------------------------------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        check_private_api()
        require(self, "timeout", "notebook_timeout", "interrupt_grace", "output_limit")
        self.budget = NotebookBudget(self.notebook_timeout, parent=self)
        self.later_cells = LaterCells()
        self.restart = KernelRestart(self, self.budget)
        self.stopper = CellStopper(self, CellTimeout(parent=self), self.budget, self.restart, self.later_cells)
        self.kernel_death = KernelDeath(parent=self)
        self.output_cap = OutputCap(self.output_limit, nb, parent=self)
        self.handovers = HandoverChannel()
        self.running = RunningCell()
        self.timeout_func = self.limit_for
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self.later_cells.stopped:
            self.later_cells.mark(cell)
            return cell, resources
        will_run = runs(cell, self.skip_cells_with_tag)
        if will_run and self.budget.spent():
            self.later_cells.stop(*self.budget.not_run())
            self.later_cells.mark(cell)
            self.budget.record_spent(self.nb, cell, index)
            return cell, resources
        self.begin_cell(cell, index)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.kernel_death.mark(self.nb, cell, index, self.km, self.later_cells)
            return cell, self.resources
        except CellStopped:
            return cell, self.resources
        if will_run and not self.running.timed_out:
            self.restart.completed(cell.source)
        return cell, resources

    # --- one cell ------------------------------------------------------------------------------------------

    def begin_cell(self, cell, index):
        self.running = RunningCell(cell, index)
        self.output_cap.start(cell, index)
        self.handovers.start(cell)

    def limit_for(self, cell):
        """nbclient's ``timeout_func``: the cell's own limit, within what is left of the notebook's budget."""
        own = self.timeout if self.timeout and self.timeout > 0 else None
        limit, self.running.limited_by_notebook = self.budget.bound(own)
        return limit

    async def wait_for_reply_or_stop(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        """The kernel's reply to the cell; past ``timeout``, the cell is stopped (:class:`CellStopper`)."""
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - monotonic())
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=wait))
            except Empty:
                task_poll_kernel_alive.cancel()
                await check_alive(self.kc, self.log)
                return await self.stopper.stop(self.running, msg_id, timeout, task_poll_output_msg)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if self.record_timing:
                cell["metadata"]["execution"]["shell.execute_reply"] = timestamp(msg)
            await collect_outputs(task_poll_output_msg, self.iopub_timeout, self.log)
            task_poll_kernel_alive.cancel()
            return msg
