"""Execute a submission, and grade it fairly even when its kernel dies.

nbgrader's ``Execute`` lets a ``DeadKernelError`` escape, and nbgrader then
drops the whole autograded output of that student. Here the cell that killed
the kernel and every code cell after it get an error output that explains
what happened (in French, for the student's feedback): the tests that ran
before keep their points, the rest score 0, and the batch goes on.
"""
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

KILLED_HERE = (
    "Le noyau Python s'est arrêté pendant l'exécution de cette cellule "
    "(mémoire épuisée, appel à os._exit, plantage d'une bibliothèque…). "
    "Les cellules suivantes n'ont pas pu être exécutées."
)
NOT_RUN = "Cellule non exécutée : le noyau Python s'était arrêté plus haut dans le notebook."


class SurviveKernelDeath(Execute):
    """nbgrader's Execute, where a dead kernel costs only the cells it could not run."""

    def preprocess(self, nb, resources=None, km=None):
        self._dead = False
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            if not self._dead:
                raise  # the kernel died outside any cell (e.g. at start): nothing to grade fairly
            self.log.warning("The kernel died during execution; the cells after it were marked as not run.")
            return self.nb, self.resources

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            # The error ends nbconvert's loop over the cells: mark this cell and
            # the ones it will not reach, then let preprocess() return the notebook.
            self._dead = True
            self._mark(cell, KILLED_HERE)
            for later in self.nb.cells[index + 1:]:
                self._mark(later, NOT_RUN)
            raise

    @staticmethod
    def _mark(cell, message):
        if cell.cell_type == "code":
            cell.outputs = [new_output("error", ename="KernelDied", evalue=message, traceback=[message])]
        return cell
