"""The writer's stand-in for execution: take the notebook a worker already executed.

``course grade`` executes submissions in parallel workers, then records each
one through nbgrader's own ``Autograde`` in a single process, the gradebook's
only writer. There, this preprocessor takes the place of execution: the rest
of nbgrader's pipeline (output limits, saving grades, late penalties, files,
permissions) is exactly what ``nbgrader autograde`` does.
"""
import os

import nbformat
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

NOT_EXECUTED = ("La correction automatique n'a pas pu exécuter ce notebook ; votre enseignant ou "
                "enseignante en est informé(e).")


class UseExecutedNotebook(NbGraderPreprocessor):
    """Replace the notebook by the one a worker executed (same sanitizing, same cells)."""

    executed_directory = Unicode(config=True, help="Where workers wrote <student>/<assignment>/<notebook>.ipynb.")

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        path = os.path.join(self.executed_directory, info["student"], info["assignment"], f"{info['notebook']}.ipynb")
        if os.path.exists(path):
            return nbformat.read(path, as_version=nbformat.NO_CONVERT), resources
        # The worker could not execute it: every code cell fails, so the student gets an entry with 0.
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [new_output("error", ename="NotExecuted", evalue=NOT_EXECUTED,
                                           traceback=[NOT_EXECUTED])]
        return nb, resources
