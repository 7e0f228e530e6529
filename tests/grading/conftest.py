"""A small nbgrader assignment in a throw-away gradebook, for the grading engine's unit tests.

``course.release`` is what nbgrader hands to students (solutions cleared,
hidden tests removed, checksums computed); the gradebook knows the source
cells, as after ``nbgrader generate_assignment``.
"""
import copy
import os
import shutil
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput, ClearSolutions,
                                    ComputeChecksums, LockCells, SaveAutoGrades, SaveCells)

from course.grading.preprocessors import SANITIZE

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
ASSIGNMENT, NOTEBOOK, STUDENT = "lab", "lab", "student"


def nbgrader_cell(kind, source, grade_id, grade=False, solution=False, locked=False, task=False, points=None):
    cell = (new_code_cell if kind == "code" else new_markdown_cell)(source)
    meta = {"grade": grade, "solution": solution, "locked": locked, "task": task, "grade_id": grade_id,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def source_notebook():
    """The instructor's notebook: given, solution, test, manually graded and task cells."""
    return new_notebook(metadata={"kernelspec": dict(KERNELSPEC)}, cells=[
        new_markdown_cell("# Un petit TP"),
        nbgrader_cell("code", "import math\nvalues = [1, 2, 3]", "setup", locked=True),
        nbgrader_cell("code", "assert len(values) == 3", "test_setup", grade=True, locked=True, points=1),
        nbgrader_cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      "double", solution=True),
        nbgrader_cell("code", "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2\n"
                              "### END HIDDEN TESTS", "test_double", grade=True, locked=True, points=2),
        nbgrader_cell("code", "### BEGIN SOLUTION\ntotal = sum(values)\n### END SOLUTION", "total", solution=True),
        nbgrader_cell("code", "assert total == 6", "test_total", grade=True, locked=True, points=1),
        nbgrader_cell("code", "assert math.pi > 3", "test_math", grade=True, locked=True, points=1),
        new_markdown_cell("Expliquez votre calcul de `total`."),
        nbgrader_cell("markdown", "### BEGIN SOLUTION\nLa somme des valeurs.\n### END SOLUTION", "explain",
                      grade=True, solution=True, points=1),
        nbgrader_cell("markdown", "Commentez la lisibilité de votre code.", "style", task=True, locked=True, points=1),
    ])


class Course:
    """The assignment: its gradebook, its release, and the resources nbgrader gives preprocessors."""

    def __init__(self, folder):
        self.db_url = f"sqlite:///{folder / 'gradebook.db'}"
        with Gradebook(self.db_url) as gradebook:
            gradebook.add_assignment(ASSIGNMENT)
        notebook = source_notebook()
        self.source = copy.deepcopy(notebook)
        for preprocessor in (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums, SaveCells,
                             ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata):
            notebook, _ = preprocessor()(notebook, self.resources())
        self.release = notebook

    def copy(self, folder):
        """The same course with a gradebook of its own in ``folder``."""
        other = copy.copy(self)
        shutil.copy(self.db_url[len("sqlite:///"):], folder / "gradebook.db")
        other.db_url = f"sqlite:///{folder / 'gradebook.db'}"
        return other

    def resources(self):
        return {"nbgrader": {"db_url": self.db_url, "assignment": ASSIGNMENT, "notebook": NOTEBOOK,
                             "student": STUDENT}, "metadata": {"path": "."}}

    def submission(self):
        """A fresh copy of the release, as a student would hand it in untouched."""
        return copy.deepcopy(self.release)

    def sanitize(self, notebook):
        """nbgrader autograde's sanitize step with the course's preprocessors, validated after each (as nbconvert)."""
        resources = self.resources()
        for preprocessor in SANITIZE:
            notebook, resources = preprocessor()(notebook, resources)
            nbformat.validate(notebook, relax_add_props=True)
        return notebook

    def save_grades(self, notebook):
        """Run nbgrader's SaveAutoGrades on an executed notebook: {grade_id: auto_score}."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling
            with Gradebook(self.db_url) as gradebook:
                gradebook.update_or_create_student(STUDENT)
                gradebook.update_or_create_submission(ASSIGNMENT, STUDENT)
            SaveAutoGrades()(notebook, self.resources())
        with Gradebook(self.db_url) as gradebook:
            return {grade.name: grade.auto_score
                    for grade in gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, STUDENT).grades}


@pytest.fixture(scope="session")
def course_template(tmp_path_factory):
    # A new gradebook runs `alembic` from PATH: this environment's, activated or not.
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), path])
    try:
        return Course(tmp_path_factory.mktemp("gradebook"))
    finally:
        os.environ["PATH"] = path


@pytest.fixture
def course(course_template, tmp_path):
    """The small assignment, with a fresh gradebook for this test."""
    return course_template.copy(tmp_path)


def grade_ids(notebook):
    return [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]


def cell_with(notebook, grade_id):
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
