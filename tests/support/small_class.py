"""A small class graded by plain ``nbgrader autograde`` in a copy of the course, for the reports and exports.

The assignment ``mini`` (asserts, declared so: no graders check) has three tests and an open question graded
by hand. Six students: the solution, the blank release, two with the same wrong ``double`` (the visible
assert's message, twice), one that reads ``sys.modules`` (an integrity flag) and one whose
kernel dies (an incident). Two open answers are then graded by hand, as in the formgrader.
"""
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from course import pipeline
from small_assignment import declare_assert_graded, nbgrader_cell, small_notebook

ASSIGNMENT = "mini"
WRONG_DOUBLE = "def double(x):\n    return 3 * x"
ANSWERS = {
    "reference": {"double": "def double(x):\n    return 2 * x", "total": "total = sum(values)", "explain": "La somme."},
    "blank": {},
    "triple_a": {"double": WRONG_DOUBLE, "total": "total = sum(values)", "explain": "Je ne sais pas."},
    "triple_b": {"double": WRONG_DOUBLE, "total": "total = 6", "explain": "Parce que."},
    "patcher": {"double": "import sys\n_ = sys.modules.get('os')\ndef double(x):\n    return x + x",
                "total": "total = sum(values)", "explain": "Une somme."},
    "crasher": {"double": "def double(x):\n    return 2 * x", "total": "import os\nos._exit(1)"},
}
#: What a human gives the open question; triple_b's and patcher's answers wait (blank ones get 0 from nbgrader).
BY_HAND = {"reference": 2.0, "triple_a": 0.5}
AWAITING = ["patcher", "triple_b"]
DOUBLE_MESSAGE = "AssertionError: double(3) devrait valoir 6"


def source_notebook():
    return small_notebook(
        new_markdown_cell("# Mini TP"),
        nbgrader_cell("values = [1, 2, 3]", "setup", locked=True),
        nbgrader_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "double",
                      solution=True),
        nbgrader_cell("assert double(3) == 6, 'double(3) devrait valoir 6'", "test_double", grade=True, locked=True,
                      points=2),
        nbgrader_cell("### BEGIN SOLUTION\ntotal = sum(values)\n### END SOLUTION", "total", solution=True),
        nbgrader_cell("assert total == 6\n### BEGIN HIDDEN TESTS\nassert total == sum(values)\n### END HIDDEN TESTS",
                      "test_total", grade=True, locked=True, points=1),
        nbgrader_cell("assert total > 0", "test_values", grade=True, locked=True, points=1),
        new_markdown_cell("Expliquez votre calcul de `total`."),
        open_question("### BEGIN SOLUTION\nLa somme des valeurs.\n### END SOLUTION", "explain", points=2),
    )


def open_question(source, grade_id, points):
    """A markdown answer graded by hand."""
    cell = new_markdown_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "task": False,
                                 "grade_id": grade_id, "schema_version": 3, "points": points}
    return cell


def answered(release, answers):
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


@dataclass
class SmallClass:
    root: Path
    log: str


@pytest.fixture(scope="session")
def small_class(tmp_path_factory):
    root = pipeline.copy_course(tmp_path_factory.mktemp("course"))
    declare_assert_graded(root, ASSIGNMENT)
    (root / "source" / ASSIGNMENT).mkdir(exist_ok=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    release = nbformat.read(pipeline.generate_release(root, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student, answers in ANSWERS.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(answered(release, answers), folder / f"{ASSIGNMENT}.ipynb")
    log = pipeline.autograde(root, ASSIGNMENT)
    for student, score in BY_HAND.items():
        pipeline.enter_manual_grades(root, ASSIGNMENT, student, {"explain": score})
    return SmallClass(root, log)
