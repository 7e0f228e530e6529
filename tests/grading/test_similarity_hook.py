"""Similar submissions through real ``nbgrader autograde``: the course's post-convert hook writes the section.

A small assignment (``mini``, quick to run) in a temporary copy of the course: one original answer, its
disguised near-copy, two honest answers written differently and two students who kept the stub, graded in one
nbgrader run with the course's configuration. The setting in nbgrader_config.py reaches the hook.
"""
import csv

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from course import pipeline
from small_assignment import declare_assert_graded, nbgrader_cell, small_notebook

pytestmark = pytest.mark.slow

ASSIGNMENT = "mini"
LIMITS = ("--ContainedExecute.timeout=10",)
POINTS = {"test_summary": 2}


def source_notebook():
    return small_notebook(
        new_markdown_cell("# Mini TP : résumer une série"),
        nbgrader_cell("values = [4, 1, 3, 1, 5, 9, 2, 6]", "setup", locked=True),
        nbgrader_cell("def summary(values):\n    ### BEGIN SOLUTION\n    ordered = sorted(values)\n"
                      "    middle = len(ordered) // 2\n    median = (ordered[middle - 1] + ordered[middle]) / 2 "
                      "if len(ordered) % 2 == 0 else ordered[middle]\n    return min(values), median, max(values)\n"
                      "    ### END SOLUTION", "summary", solution=True),
        nbgrader_cell("assert summary(values) == (1, 3.5, 9)\nassert summary([2, 7, 5]) == (2, 5, 7)", "test_summary",
                      grade=True, locked=True, points=2),
    )


ORIGINAL = """def summary(values):
    lowest, highest = values[0], values[0]
    for value in values[1:]:
        if value < lowest:
            lowest = value
        if value > highest:
            highest = value
    ranked = list(values)
    ranked.sort()
    half, odd = divmod(len(ranked), 2)
    centre = ranked[half] if odd else (ranked[half - 1] + ranked[half]) / 2
    return lowest, centre, highest
"""
NEAR_COPY = """# résumé d'une liste
def summary(values):

    mini, maxi = values[0], values[0]  # on part du premier
    for v in values[1:]:
        if v < mini:
            mini = v

        if v > maxi:
            maxi = v
    triee = list(values)
    triee.sort()

    h, impair = divmod(len(triee), 2)
    milieu = triee[h] if impair else (triee[h - 1] + triee[h]) / 2
    return mini, milieu, maxi
"""
HONEST = ("""def summary(values):
    import statistics
    return min(values), statistics.median(values), max(values)
""", """def summary(values):
    s = sorted(values)
    n = len(s)
    if n % 2:
        return s[0], s[n // 2], s[-1]
    return s[0], (s[n // 2 - 1] + s[n // 2]) / 2, s[-1]
""")
STUDENTS = {"original": ORIGINAL, "near_copy": NEAR_COPY, "honest_1": HONEST[0], "honest_2": HONEST[1],
            "stub_1": None, "stub_2": None}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = pipeline.copy_course(tmp_path_factory.mktemp("course"))
    declare_assert_graded(root, ASSIGNMENT)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write("get_config().SimilarSubmissions.common_share = 0.5  # noqa: F821\n")
    (root / "source" / ASSIGNMENT).mkdir(exist_ok=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    release = nbformat.read(pipeline.generate_release(root, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student, answer in STUDENTS.items():
        notebook = nbformat.from_dict(release)
        if answer is not None:
            cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "summary")
            cell.source = answer
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    log = pipeline.nbgrader(root, "autograde", ASSIGNMENT, "--force", *LIMITS)
    return root, log


def test_does_the_hook_pair_the_near_copy_and_nobody_else(graded):
    root, log = graded
    with open(root / "reports" / f"{ASSIGNMENT}-integrity-pairs.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["student"], row["other_student"]) for row in rows] == [("near_copy", "original")], log
    assert float(rows[0]["similarity"]) > 0.9
    page = (root / "reports" / f"{ASSIGNMENT}-integrity.html").read_text(encoding="utf-8")
    assert "near_copy and original" in page and "of 6 submissions were compared" in page
    assert "more than 50% of the submissions" in page  # nbgrader_config.py's setting reached the hook


def test_are_the_grades_untouched_by_the_pairing(graded):
    root, _ = graded
    scores = pipeline.scores(root, ASSIGNMENT)
    assert {student: scores[student] for student in STUDENTS} == {
        student: POINTS if answer is not None else {"test_summary": 0.0} for student, answer in STUDENTS.items()}
