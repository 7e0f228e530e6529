"""What the gradebook says a notebook's nbgrader cells are (shared by the sanitize preprocessors).

nbgrader records every cell of the instructor's notebook that carries an id
(given, solution, test and task cells) when the assignment is generated. A
submission's own metadata can be edited by the student; this module rebuilds
it from that record, so the gradebook is the only authority on what a cell is
and what it is worth.
"""
from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import SCHEMA_VERSION


@dataclass(frozen=True)
class SourceCell:
    """One cell of the instructor's notebook, as the gradebook knows it."""

    grade_id: str
    cell_type: str
    source: str
    checksum: str
    locked: bool
    grade: bool
    solution: bool
    task: bool
    points: float

    def metadata(self):
        """The cell's nbgrader metadata, as nbgrader writes it in the student release."""
        meta = {
            "grade": self.grade,
            "grade_id": self.grade_id,
            "locked": self.locked,
            "schema_version": SCHEMA_VERSION,
            "solution": self.solution,
            "task": self.task,
            "cell_type": self.cell_type,
        }
        if self.grade or self.task:
            meta["points"] = self.points
        if self.checksum:
            meta["checksum"] = self.checksum
        return meta


def source_cells(resources):
    """The instructor's cells of the notebook being converted, in notebook order (grade_id -> SourceCell).

    ``resources`` is the one nbgrader gives every preprocessor. A notebook the
    gradebook does not know yields an empty mapping.
    """
    info = resources["nbgrader"]
    with Gradebook(info["db_url"]) as gradebook:
        try:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry:
            return {}
        grades = {cell.name: cell for cell in notebook.grade_cells}
        tasks = {cell.name: cell for cell in notebook.task_cells}
        solutions = {cell.name for cell in notebook.solution_cells}
        cells = {}
        # nbgrader saves the source cells in notebook order (SaveCells), and its
        # own add_missing_cells relies on that order too.
        for cell in notebook.source_cells:
            graded = grades.get(cell.name) or tasks.get(cell.name)
            cells[cell.name] = SourceCell(
                grade_id=cell.name,
                cell_type=cell.cell_type,
                source=cell.source or "",
                checksum=cell.checksum or "",
                locked=bool(cell.locked),
                grade=cell.name in grades,
                solution=cell.name in solutions,
                task=cell.name in tasks,
                points=float(graded.max_score) if graded is not None else 0.0,
            )
        return cells


def grade_id_of(cell):
    """The grade_id a cell claims, or None when it claims none (or its metadata is not even a mapping)."""
    meta = cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    if not isinstance(meta, dict):
        return None
    grade_id = meta.get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def cell_ref(cell, index):
    """How incidents name a cell: its grade_id, else its position."""
    return grade_id_of(cell) or f"cell {index}"
