"""Corrigé-only cells: explanations that answer a graded question, kept out of the students' release.

An author tags such a cell ``corrige`` in the source (in the MyST twin: ``+++ {"tags": ["corrige"]}``).
The release drops it (:class:`DropCorrigeCells`, one of ``GenerateAssignment.preprocessors``); the corrigé
(``course solutions``) keeps it. Only plain cells may carry the tag: a graded, solution or locked cell of
nbgrader belongs to the gradebook, and dropping it from the release would lose points.
"""
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

#: The cell tag of corrigé-only content.
CORRIGE_TAG = "corrige"


def is_corrige(cell, tag=CORRIGE_TAG):
    return tag in cell.metadata.get("tags", [])


def is_nbgrader_cell(cell):
    nbgrader = cell.metadata.get("nbgrader", {})
    return any(nbgrader.get(key) for key in ("grade", "solution", "locked", "task"))


class CorrigeTagError(ValueError):
    """An nbgrader cell carries the corrigé tag: the author must choose one or the other."""


class DropCorrigeCells(NbGraderPreprocessor):
    """Removes the cells tagged ``corrige`` from a generated release."""

    tag = Unicode(CORRIGE_TAG, help="The cell tag of the content only the corrigé carries.").tag(config=True)

    def preprocess(self, nb, resources):
        misplaced = [index for index, cell in enumerate(nb.cells) if is_corrige(cell, self.tag)
                     and is_nbgrader_cell(cell)]
        if misplaced:
            raise CorrigeTagError(f"cells {misplaced} are nbgrader cells tagged {self.tag!r}: a graded, solution or "
                                  f"locked cell cannot be corrigé-only; remove the tag or move the text to its own cell")
        nb.cells = [cell for cell in nb.cells if not is_corrige(cell, self.tag)]
        return nb, resources
