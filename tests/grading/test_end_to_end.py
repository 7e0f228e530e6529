"""Broken submissions through real ``nbgrader autograde``, in a temporary copy of the course.

A small assignment (``mini``, five points, quick to run) is added to the
copy, and one class of broken submissions is graded in a single nbgrader run
with the course's configuration (sandbox, preprocessors, exporter, hook).
Only the time limits are shortened on the command line.
"""
import hashlib
import shutil

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from course import pipeline
from course.grading import incidents
from small_assignment import declare_assert_graded, nbgrader_cell, small_notebook

pytestmark = pytest.mark.slow

ASSIGNMENT = "mini"
LIMITS = ("--ContainedExecute.timeout=3", "--ContainedExecute.interrupt_grace=3",
          "--ContainedExecute.output_limit=64000")


def source_notebook():
    return small_notebook(
        new_markdown_cell("# Mini TP"),
        nbgrader_cell("import math\nvalues = [1, 2, 3]", "setup", locked=True),
        nbgrader_cell("assert len(values) == 3", "test_setup", grade=True, locked=True, points=1),
        nbgrader_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "double",
                      solution=True),
        nbgrader_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2\n### END HIDDEN TESTS",
                      "test_double", grade=True, locked=True, points=2),
        nbgrader_cell("### BEGIN SOLUTION\ntotal = sum(values)\n### END SOLUTION", "total", solution=True),
        nbgrader_cell("assert total == 6", "test_total", grade=True, locked=True, points=1),
        nbgrader_cell("assert math.pi > 3", "test_math", grade=True, locked=True, points=1),
    )


DOUBLE = "def double(x):\n    return 2 * x"
TOTAL = "total = sum(values)"


def _find(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _answered(release, double=DOUBLE, total=TOTAL):
    notebook = nbformat.from_dict(release)
    notebook.cells[_find(notebook, "double")].source = double
    notebook.cells[_find(notebook, "total")].source = total
    return notebook


def _copied_cells(release):
    notebook = _answered(release)
    stub = nbformat.from_dict(release.cells[_find(release, "double")])
    stub.id = "stubcopy"
    notebook.cells.insert(_find(notebook, "double"), stub)  # the stub stays first, the answer is a copy
    fake = nbformat.from_dict(notebook.cells[_find(notebook, "test_double")])
    fake.id, fake.source = "fakecopy", "assert True"
    notebook.cells.insert(_find(notebook, "test_double") + 1, fake)
    return notebook


def _deleted_tests(release):
    notebook = _answered(release)
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") not in ("test_setup", "test_double")]
    return notebook


def _edited_test(release):
    notebook = _answered(release, double="def double(x):\n    return x + 2")  # right on 2, wrong elsewhere
    notebook.cells[_find(notebook, "test_double")].source = "pass"
    return notebook


def _raised_points(release):
    notebook = _answered(release)
    notebook.cells[_find(notebook, "test_total")].metadata["nbgrader"]["points"] = 100
    notebook.cells[_find(notebook, "total")].metadata["nbgrader"].update(grade=True, points=50)
    return notebook


#: student -> (what they hand in: a notebook, or bytes written as is, and under which file name; expected scores)
POINTS = {"test_setup": 1, "test_double": 2, "test_total": 1, "test_math": 1}
STUDENTS = {
    "reference": (lambda r: _answered(r), None, POINTS),
    "blank": (lambda r: r, None, dict.fromkeys(POINTS, 0.0) | {"test_setup": 1, "test_math": 1}),
    "binary_file": (lambda r: b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x00", None, dict.fromkeys(POINTS, 0.0)),
    "truncated_json": (lambda r: nbformat.writes(_answered(r)).encode()[:700], None, dict.fromkeys(POINTS, 0.0)),
    "renamed": (lambda r: _answered(r), f"{ASSIGNMENT} (1).ipynb", POINTS),
    "copied_cells": (_copied_cells, None, POINTS),
    "deleted_tests": (_deleted_tests, None, POINTS),
    "edited_test": (_edited_test, None, POINTS | {"test_double": 0.0}),
    "raised_points": (_raised_points, None, POINTS),
    "endless_loop": (lambda r: _answered(r, total="while True:\n    pass\ntotal = sum(values)"), None,
                     POINTS | {"test_total": 0.0}),
    "stubborn_loop": (lambda r: _answered(r, double="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                    "def double(x):\n    return 2 * x\nwhile True:\n    pass"),
                      None, POINTS | {"test_double": 0.0}),
    "flood": (lambda r: _answered(r, total="for i in range(100_000):\n    print('x' * 99)\ntotal = sum(values)"),
              None, POINTS),
    "killed_kernel": (lambda r: _answered(r, total="import os\nos._exit(1)"), None,
                      POINTS | {"test_total": 0.0, "test_math": 0.0}),
}


def _digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """(course root, scores, log, digest of submitted/ before grading) after one nbgrader autograde run."""
    root = pipeline.copy_course(tmp_path_factory.mktemp("course"))
    declare_assert_graded(root, ASSIGNMENT)
    (root / "source" / ASSIGNMENT).mkdir(exist_ok=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    release = nbformat.read(pipeline.generate_release(root, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student, (make, name, _) in STUDENTS.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        handed_in = make(release)
        path = folder / (name or f"{ASSIGNMENT}.ipynb")
        if isinstance(handed_in, bytes):
            path.write_bytes(handed_in)
        else:
            nbformat.write(handed_in, path)
    before = _digest(root / "submitted")
    log = pipeline.nbgrader(root, "autograde", ASSIGNMENT, "--force", *LIMITS)
    return root, pipeline.scores(root, ASSIGNMENT), log, before


def autograded(root, student):
    return nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


@pytest.mark.parametrize("student", STUDENTS)
def test_does_each_submission_keep_exactly_the_points_of_what_ran(graded, student):
    _, scores, _, _ = graded
    assert scores[student] == {name: float(value) for name, value in STUDENTS[student][2].items()}


def test_is_every_submission_out_of_the_gradebooks_points_whatever_it_claims(graded):
    root, _, _, _ = graded
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        totals = {s.student_id: s.max_score for s in gradebook.assignment_submissions(ASSIGNMENT)}
    assert totals == dict.fromkeys(STUDENTS, 5.0)


def test_does_one_run_grade_the_whole_class_without_an_error(graded):
    _, _, log, _ = graded
    assert "[ERROR]" not in log.replace("Kernel died while waiting for execute reply", "")
    assert "Skipping unknown notebook" not in log


def test_does_grading_leave_submitted_untouched(graded):
    root, _, _, before = graded
    assert _digest(root / "submitted") == before


def test_is_a_renamed_notebook_graded_under_its_expected_name(graded):
    root, _, _, _ = graded
    notebook = autograded(root, "renamed")
    assert [i.kind for i in incidents.of(notebook)] == ["renamed"]
    assert f"« {ASSIGNMENT} (1).ipynb »" in notebook.cells[0].source


def test_does_an_unreadable_submission_get_feedback_that_says_why(graded):
    root, _, _, _ = graded
    pipeline.generate_feedback(root, ASSIGNMENT)
    html = (root / "feedback" / "binary_file" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Remarques de la correction automatique" in html and "ne contient pas du texte" in html
    assert str(root) not in html


def test_does_the_feedback_open_with_the_french_incident_list(graded):
    root, _, _, _ = graded
    for student, kinds in (("endless_loop", ["cell_timeout"]), ("stubborn_loop", ["cell_timeout"]),
                           ("killed_kernel", ["kernel_died"]), ("flood", ["output_capped"]),
                           ("copied_cells", ["duplicate_grade_id", "duplicate_grade_id"]),
                           ("deleted_tests", ["restored_test_cell", "restored_test_cell"]),
                           ("truncated_json", ["unreadable"] + ["restored_test_cell"] * 4)):
        notebook = autograded(root, student)
        assert [i.kind for i in incidents.of(notebook)] == kinds, student
        first = notebook.cells[0]
        assert first.source.startswith("## Remarques de la correction automatique") and "nbgrader" not in first.metadata
    assert incidents.of(autograded(root, "reference")) == []
    assert autograded(root, "reference").cells[0].source == "# Mini TP"


def test_do_restored_and_overwritten_test_cells_run_the_hidden_tests(graded):
    root, _, _, _ = graded
    for student in ("deleted_tests", "edited_test"):
        notebook = autograded(root, student)
        assert "### BEGIN HIDDEN TESTS" in notebook.cells[_find(notebook, "test_double")].source
    edited = autograded(root, "edited_test")
    assert edited.cells[_find(edited, "test_double")].outputs[0].ename == "AssertionError"


def test_is_a_flood_of_output_kept_small_in_the_autograded_notebook(graded):
    root, _, _, _ = graded
    assert (root / "autograded" / "flood" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").stat().st_size < 200_000


@pytest.fixture
def real_course(tmp_path):
    root = pipeline.copy_course(tmp_path / "course")
    pipeline.generate_release(root, "tp_convolution")
    pipeline.write_submissions(root, "tp_convolution", chosen={"reference"})
    folder = root / "submitted" / "reference" / "tp_convolution"
    shutil.move(folder / "tp_convolution.ipynb", folder / "tp_convolution (1).ipynb")
    garbage = root / "submitted" / "garbage" / "tp_convolution"
    shutil.copytree(folder, garbage)
    (garbage / "tp_convolution (1).ipynb").unlink()
    (garbage / "tp_convolution.ipynb").write_bytes(b"\x00\x01 not a notebook")
    return root


def test_does_the_real_assignment_grade_a_renamed_reference_fully_and_garbage_as_zero(real_course):
    pipeline.autograde(real_course, "tp_convolution")
    scores = pipeline.scores(real_course, "tp_convolution")
    total = sum(pipeline.max_scores(real_course, "tp_convolution").values())
    assert sum(scores["reference"].values()) == total
    assert set(scores["garbage"]) == set(scores["reference"]) and sum(scores["garbage"].values()) == 0
