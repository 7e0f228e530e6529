"""The notebook's budget: wall time for the whole notebook, kernel start and replays included.

Each cell may run at most what is left; when it runs out, the running cell is stopped (as a cell past its own
limit, :mod:`.timeouts`) and every later code cell is marked as not run.
"""
from time import monotonic

from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from ..canonical import cell_ref
from ..french import seconds
from ..incidents import record
from .cells import NOTEBOOK_TIMEOUT_ENAME, describe_inside

NBSP = "\u00a0"


class NotebookBudget(LoggingConfigurable):
    """``total`` seconds of wall time from :meth:`start` (0: no budget), and what the student reads when they run
    out."""

    stopped_message = Unicode(
        f"Cette cellule a été arrêtée{NBSP}: l'exécution du notebook a dépassé {{limit}} au total, la durée "
        "maximale accordée à un notebook par la correction automatique. Les cellules suivantes n'ont pas été "
        f"exécutées. Vérifiez qu'aucune cellule ne fait de calcul beaucoup plus long que nécessaire{NBSP}: le "
        "notebook entier doit pouvoir s'exécuter du début à la fin bien en dessous de cette durée.",
        help="Error of the cell running when the budget ran out ({limit}: the budget).",
    ).tag(config=True)
    not_run_message = Unicode(
        f"Cellule non exécutée{NBSP}: le notebook avait déjà atteint sa durée maximale d'exécution ({{limit}} au "
        "total).",
        help="Error of each code cell after the budget ran out ({limit}: the budget).",
    ).tag(config=True)
    stopped_incident = Unicode(
        f"Le notebook a dépassé sa durée maximale d'exécution ({{limit}} au total){NBSP}: {{cell}} a été arrêtée "
        "et les cellules suivantes n'ont pas été exécutées. Cherchez les calculs trop longs.",
        help="Feedback note when the budget stopped a running cell ({limit}; {cell}: « la cellule qui commence "
             "par… »).",
    ).tag(config=True)
    spent_incident = Unicode(
        f"Le notebook a atteint sa durée maximale d'exécution ({{limit}} au total){NBSP}: les cellules restantes "
        "n'ont pas été exécutées.",
        help="Feedback note when the budget ran out between two cells ({limit}).",
    ).tag(config=True)

    def __init__(self, total, **kwargs):
        super().__init__(**kwargs)
        self.total = total
        self.started = monotonic()

    # --- the clock ----------------------------------------------------------------------

    def start(self):
        self.started = monotonic()

    def remaining(self):
        """Seconds left, or None without a budget."""
        if not self.total:
            return None
        return self.total - (monotonic() - self.started)

    def spent(self):
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def bound(self, timeout):
        """(the wait for one cell whose own limit is ``timeout`` (None: none), whether the budget set it)."""
        remaining = self.remaining()
        if remaining is None:
            return timeout, False
        if timeout is None or remaining < timeout:
            return max(remaining, 0.01), True
        return timeout, False

    def left_for(self, timeout):
        """The wait for a replayed cell: ``timeout`` within the budget; 0 when the budget is spent."""
        remaining = self.remaining()
        if remaining is None:
            return timeout
        if remaining <= 0:
            return 0
        return remaining if timeout is None else min(timeout, remaining)

    # --- what the student reads -------------------------------------------------------------

    @property
    def limit_fr(self):
        return seconds(self.total)

    @property
    def limit_en(self):
        return f"the notebook's {self.total} s budget"

    def stopped(self):
        """The error of the cell the budget stopped."""
        return NOTEBOOK_TIMEOUT_ENAME, self.stopped_message.format(limit=self.limit_fr)

    def not_run(self):
        """The error of every code cell after it."""
        return NOTEBOOK_TIMEOUT_ENAME, self.not_run_message.format(limit=self.limit_fr)

    def record_stopped(self, nb, cell, index, detail):
        record(nb, "notebook_timeout", detail + "; the later cells were not run",
               self.stopped_incident.format(limit=self.limit_fr, cell=describe_inside(cell)), cell_ref(cell, index))

    def record_spent(self, nb, cell, index):
        record(nb, "notebook_timeout",
               f"the notebook used its {self.total} s budget before cell {index}; this cell and the later ones "
               "were not run", self.spent_incident.format(limit=self.limit_fr), cell_ref(cell, index))
