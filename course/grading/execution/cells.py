"""What the execution writes into a cell: French errors nbgrader grades 0, and the cells left unrun.

Every error added here is a plain nbformat error (ename, evalue, traceback) whose text is French, names no
path of the grading machine, and makes nbgrader give a test cell 0 (``nbgrader.utils.determine_grade``).
"""
from nbformat.v4 import new_output

#: The ``ename`` of each error the execution adds (the instructor's run report and the tests read them).
TIMEOUT_ENAME = "CellTimeout"
NOTEBOOK_TIMEOUT_ENAME = "NotebookTimeout"
KERNEL_DIED_ENAME = "KernelDied"


def describe(cell):
    """The cell as the student can find it: by its first line."""
    line = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if len(line) > 60:
        line = line[:57] + "…"
    return f"La cellule qui commence par « {line} »" if line else "Une cellule"


def describe_inside(cell):
    """:func:`describe`, within a sentence (« la cellule qui commence par… »)."""
    text = describe(cell)
    return text[0].lower() + text[1:]


def error_output(ename, message):
    return new_output("error", ename=ename, evalue=message, traceback=[message])


def runs(cell, skip_tag):
    """Would nbclient send this code cell to the kernel? (not blank, not tagged to be skipped)"""
    return bool(cell.source.strip()) and skip_tag not in cell.metadata.get("tags", [])


class LaterCells:
    """Once the notebook cannot go on, every later code cell gets the same French error instead of running."""

    def __init__(self):
        self.error = None  # (ename, message)

    @property
    def stopped(self):
        return self.error is not None

    def stop(self, ename, message):
        self.error = (ename, message)

    def mark(self, cell):
        cell.outputs = [error_output(*self.error)]
