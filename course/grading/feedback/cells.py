"""What the feedback preprocessors need to know about a cell of an autograded notebook.

- its kind: a graded *test* cell (code, ``grade`` without ``solution``: graded
  automatically), a manually graded *answer* (``grade`` and ``solution``) or a
  *task*;
- its verdict, written during autograding in
  ``cell.metadata["course_grading"]["verdict"]`` as
  ``{"passed": bool, "message": "<French message>"}`` (absent: the cell was not
  graded, or not run);
- the annotations the feedback preprocessors leave for the template, in
  ``cell.metadata["course_feedback"]``.
"""
from nbgrader import utils

from ..incidents import METADATA_KEY as GRADING_KEY

#: Cell metadata key of what the feedback preprocessors annotate (read by the French template).
FEEDBACK_KEY = "course_feedback"


def is_test_cell(cell):
    """A cell nbgrader grades automatically: a code grade cell that is not a student's answer."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def is_manual_cell(cell):
    """A student's answer graded by hand (written or code free-response), or a task."""
    return (utils.is_grade(cell) and utils.is_solution(cell)) or utils.is_task(cell)


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def verdict(cell):
    """``{"passed": bool, "message": str}`` from autograding, or None when the cell was not graded or not run."""
    found = cell.metadata.get(GRADING_KEY, {}).get("verdict")
    if not isinstance(found, dict) or not isinstance(found.get("passed"), bool):
        return None
    return {"passed": found["passed"], "message": str(found.get("message") or "")}


def annotations(cell):
    """The feedback annotations of a cell (created empty on first use)."""
    return cell.metadata.setdefault(FEEDBACK_KEY, {})


def points(value):
    """A score the French way: ``1``, ``1,5``, ``0,33``."""
    if value is None:
        return "–"
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")
