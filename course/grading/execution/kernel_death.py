"""A dead kernel: the cell that killed it and every later code cell get a French error, and the notebook goes on.

nbclient raises DeadKernelError, and nbgrader would drop the whole submission. When the kernel manager says
why it killed the kernel (``km.limit_hit``, a ``(kind, detail_en, message_fr)`` tuple set by the sandbox's
watchdog), its kind and message are used.
"""
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from ..canonical import cell_ref
from ..incidents import record
from .cells import KERNEL_DIED_ENAME, describe, error_output

NBSP = "\u00a0"


class KernelDeath(LoggingConfigurable):
    """Marks the cells of a notebook whose kernel died, and records the incident."""

    killed_here_message = Unicode(
        "Le noyau Python s'est arrêté pendant l'exécution de cette cellule (mémoire épuisée, appel à os._exit, "
        "plantage d'une bibliothèque…). Les cellules suivantes n'ont pas pu être exécutées.",
        help="Error of the cell during which the kernel died (no bound of the sandbox named).",
    ).tag(config=True)
    not_run_message = Unicode(
        f"Cellule non exécutée{NBSP}: le noyau Python s'était arrêté plus haut dans le notebook.",
        help="Error of each code cell after the kernel died.",
    ).tag(config=True)
    incident = Unicode(
        "{cell} a arrêté le noyau Python (mémoire épuisée, appel à os._exit, plantage d'une bibliothèque…)"
        f"{NBSP}: les cellules suivantes n'ont pas pu être exécutées.",
        help="Feedback note for a dead kernel, no bound named ({cell}: « La cellule qui commence par… »).",
    ).tag(config=True)

    def mark(self, nb, cell, index, km, later_cells):
        """The kernel died while ``cell`` ran: mark it, stop ``later_cells``, record why."""
        limit = getattr(km, "limit_hit", None)
        if limit is not None:
            kind, detail, message = limit
        else:
            kind, message = "kernel_died", self.killed_here_message
            detail = "the kernel died while this cell ran (os._exit, crash, memory...)"
        self.log.warning("The kernel died in cell %d (%s); the later cells are marked as not run", index, kind)
        cell.outputs.append(error_output(KERNEL_DIED_ENAME, message))
        later_cells.stop(KERNEL_DIED_ENAME, self.not_run_message)
        later = sum(1 for c in nb.cells[index + 1:] if c.cell_type == "code")
        if limit is None:
            message = self.incident.format(cell=describe(cell))
        record(nb, kind, f"{detail}; {later} later code cells not run", message, cell_ref(cell, index))
