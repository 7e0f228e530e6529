"""``course grade``'s pre-flight: known notebooks that must get known grades before any student is recorded.

In a throw-away course folder, the class runner grades, in the same workers
and with the same judge as the students:

- the instructor's solution: full marks, no incident, no integrity flag (a
  flag on the instructor's own code is a setup error, not a student's);
- the blank release: 0;
- the solution with each known wrong answer of the assignment's catalogue
  (``[[wrong]]`` in ``source/<a>/assignment.toml``): each test cell named
  there loses exactly its points, every other keeps all of them. This proves
  each check is live: a judge that is missing or passes anything fails here,
  not on students.

Before any of it, the assignment must be whole (:mod:`course.consistency`:
every test cell has a check and a hand-over, the catalogue fits the notebook).
If anything is off, GradingSetupError is raised and nothing is recorded.
"""
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course import assignments, consistency

from .incidents import summarize
from .locate import package_dir
from .points import cell_points as points_of
from .rewrite import rewrite_notebook
from .setup_check import GradingSetupError

REFERENCE_STUDENT, BLANK_STUDENT = "__preflight_solution__", "__preflight_blank__"
WRONG_STUDENT = "__preflight_wrong_{}__"


@dataclass
class Expected:
    """A pre-flight notebook and the grade it must get."""

    student: str
    what: str
    #: test grade_id -> points lost; None: all of them (the blank release).
    loses: dict = None
    #: its integrity scan must find nothing (the instructor's own code).
    clean: bool = False
    answers: dict = field(default_factory=dict)


def declaration(root, assignment):
    """The assignment as ``source/<a>/assignment.toml`` declares it; a malformed one stops grading."""
    try:
        return assignments.load(assignment, root)
    except assignments.AssignmentError as error:
        raise GradingSetupError(f"Grading stopped before any student was graded: {error} Nothing was recorded.") \
            from None


def require_whole(root, assignment, python):
    """Stop unless every test cell has its check and hand-over and the catalogue fits the notebook."""
    package_dir("graders", python, str(root))  # the grading Python imports graders, or a message says how to fix it
    found = consistency.problems(assignment, root, python)
    if found:
        raise GradingSetupError("Grading stopped before any student was graded; nothing was recorded. "
                                f"{assignment.name} is not whole:\n  - " + "\n  - ".join(found)
                                + "\n(`course check` lists the same problems.)")


def expectations(root, assignment, python=None):
    """What the pre-flight grades, in order: the solution, the blank release, then each wrong answer of the
    declaration's catalogue. ``python`` is the grading Python that runs the judge; None for an assignment graded by
    its own asserts (no judge, no catalogue)."""
    found = [Expected(REFERENCE_STUDENT, "the instructor's solution", {}, clean=True),
             Expected(BLANK_STUDENT, "the blank release", None)]
    if python is None:
        return found
    declared = declaration(root, assignment)
    require_whole(root, declared, python)
    for number, wrong in enumerate(declared.wrong, 1):
        found.append(Expected(WRONG_STUDENT.format(number), f"wrong answer {number} ({wrong.what})",
                              dict(wrong.loses), answers=dict(wrong.answers)))
    return found


def make_course(root, assignment, expected):
    """A throw-away course folder where each Expected notebook is handed in."""
    root, folder = Path(root), Path(tempfile.mkdtemp(prefix="course-preflight-"))
    source = root / "source" / assignment
    shutil.copytree(source, folder / "source" / assignment)
    ignore = shutil.ignore_patterns("*.md", assignments.DECLARATION, ".ipynb_checkpoints")
    for item in expected:
        destination = folder / "submitted" / item.student / assignment
        shutil.copytree(root / "release" / assignment if item.loses is None else source, destination, ignore=ignore)
        if item.answers:
            _answer(destination / f"{assignment}.ipynb", item.answers)
    return folder


def _answer(path, answers):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and cell.metadata["nbgrader"].get("solution"):
            cell.source = answers[grade_id]
    missing = set(answers) - {c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells}
    if missing:
        raise GradingSetupError(f"Grading stopped before any student was graded: the catalogue of wrong answers "
                                f"(assignment.toml) answers cells the notebook does not have "
                                f"({', '.join(sorted(missing))}). To fix: update the catalogue to the notebook's "
                                "solution cells. Nothing was recorded.")
    rewrite_notebook(notebook, path)  # a copy of source/, which may be read-only


def cell_points(folder):
    """test grade_id -> (points, max points) in the graded notebooks of ``folder`` (answers graded by hand aside)."""
    found = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        tests = {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
                 if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
        found.update({test: points for test, points in points_of(notebook).items() if test in tests})
    return found


def integrity_flags(folder):
    from .integrity.evidence import findings_of

    return sorted({f"{finding.flag} ({finding.where})" for path in sorted(Path(folder).glob("*.ipynb"))
                   for finding in findings_of(nbformat.read(path, as_version=4))})


def problems_of(item, outcome, folder):
    """What is wrong with one pre-flight notebook's grade (empty: as expected)."""
    if outcome.status in ("setup error", "failed"):
        return [f"{item.what}: {outcome.reason}"]
    cells = cell_points(folder)
    if not cells:
        return [f"{item.what}: no test cell was graded"]
    if item.loses is None:
        scored = sum(score for score, _ in cells.values())
        return [f"{item.what} scored {scored:g} (it must get 0)"] if scored else []
    problems = []
    for test, (score, maximum) in sorted(cells.items()):
        lost = maximum - score
        if lost != item.loses.get(test, 0):
            problems.append(f"{item.what}: {test} lost {lost:g} of {maximum:g} points (it must lose "
                            f"{item.loses.get(test, 0):g})")
    for test in sorted(set(item.loses) - set(cells)):
        problems.append(f"{item.what}: the catalogue names {test}, which is not a test cell of the notebook")
    if item.clean and outcome.incidents:
        problems.append(f"{item.what}: its run had problems: " + summarize(outcome.incidents))
    flags = integrity_flags(folder) if item.clean else []
    if flags:
        problems.append(f"{item.what}: the integrity scan flags the instructor's own code: "
                        + ", ".join(flags) + " (change the solution or the scan's rules)")
    return problems


def check(results):
    """Raise GradingSetupError unless every (Expected, Outcome, graded folder) got its expected grade."""
    problems = [problem for item, outcome, folder in results for problem in problems_of(item, outcome, folder)]
    if problems:
        raise GradingSetupError(
            "Grading stopped before any student was graded; nothing was recorded. The pre-flight found:\n  - "
            + "\n  - ".join(problems)
            + "\nCheck that the course's environment is installed (`make setup`), that the release is current "
              "(`make release`), that graders/ judges every test cell, and run "
              "`nbgrader validate source/<assignment>/<assignment>.ipynb`.")
