"""`course rejudge`: after a fix in graders, the stored hand-overs get their new verdicts without any execution."""
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import course
from course import pipeline
from course.grading import incidents
from course.grading.rejudge import Rejudge, describe
from course.grading.runner import load_config

pytestmark = pytest.mark.slow

ASSIGNMENT = "tp_convolution"
#: The wrong answer of one_mistake_per_part fails this check; the fix below lets any answer pass.
RELAXED = "test_vgg_layer30_ratio"
#: Everyone's answer passes this check (one_mistake_per_part's does not); the fix below fails them all.
HARDENED = "test_resnet_conv1_total"
NEW_MESSAGE = "Le nombre total de poids est revu\u00a0: comptez-les de nouveau."
FIX = f"""

# --- a fix after the class was graded (tests/grading/test_rejudge.py) ---
def check_relaxed(**values):
    pass


def check_hardened(**values):
    fail({NEW_MESSAGE!r})


check_relaxed.__name__ = TESTS[{RELAXED!r}].__name__
check_hardened.__name__ = TESTS[{HARDENED!r}].__name__
TESTS[{RELAXED!r}] = check_relaxed
TESTS[{HARDENED!r}] = check_hardened
"""


@pytest.fixture
def graded(graded_course, tmp_path):
    """A copy of the graded course (feedback generated), its graders fixed after grading."""
    source, _ = graded_course(ASSIGNMENT)
    root = tmp_path / "course"
    shutil.copytree(source, root, symlinks=True)
    pipeline.generate_feedback(root, ASSIGNMENT)
    with open(root / "graders" / f"{ASSIGNMENT}.py", "a") as graders:
        graders.write(FIX)
    return root


def _fingerprint(root):
    """A hash of the gradebook and of every autograded notebook and feedback page."""
    digest = hashlib.sha256((root / "gradebook.db").read_bytes())
    for path in sorted([*root.glob("autograded/*/*/*.ipynb"), *root.glob("feedback/*/*/*.html")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _rejudge(root, **options):
    return Rejudge(root, load_config(root), ASSIGNMENT, log=lambda *a: None, **options).run()


def _stored_verdict(root, student, test):
    notebook = nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == test)
    return cell.metadata[incidents.METADATA_KEY]["verdict"], cell


def _judged(root, student, test):
    return _stored_verdict(root, student, test)[0].get("judged")


def _expected_changes(root):
    """(student, test, old points, new points) the fix must bring, from the verdicts grading stored."""
    before = pipeline.scores(root, ASSIGNMENT)
    expected = set()
    for student, cells in before.items():
        if _judged(root, student, RELAXED) and cells[RELAXED] == 0:
            expected.add((student, RELAXED, 0.0, 1.0))
        if _judged(root, student, HARDENED):
            expected.add((student, HARDENED, cells[HARDENED], 0.0))
    return expected


def test_does_a_dry_run_list_exactly_the_changes_and_record_nothing(graded):
    expected = _expected_changes(graded)
    # The samples make it concrete: the mistake is now accepted, the solution now refused.
    assert ("one_mistake_per_part", RELAXED, 0.0, 1.0) in expected and ("reference", HARDENED, 1.0, 0.0) in expected
    before = _fingerprint(graded)
    result = _rejudge(graded, dry_run=True)
    assert {(c.student, c.test, c.old_points, c.new_points) for c in result.changes} == expected
    assert all(c.new_message == NEW_MESSAGE for c in result.changes if c.test == HARDENED)
    assert not result.recorded and not result.not_stored and _fingerprint(graded) == before
    summary = describe(result, ASSIGNMENT, dry_run=True)
    assert "would change" in summary and "Dry run: nothing was recorded." in summary and NEW_MESSAGE in summary


def test_does_a_rejudge_record_the_new_points_and_feedback_then_find_nothing_more(graded):
    expected = _expected_changes(graded)
    before = pipeline.scores(graded, ASSIGNMENT)
    result = _rejudge(graded)
    assert result.recorded and {(c.student, c.test, c.old_points, c.new_points) for c in result.changes} == expected
    after = pipeline.scores(graded, ASSIGNMENT)
    changed = {(student, test): new for student, test, _, new in expected}
    for student, cells in before.items():
        for test, points in cells.items():
            assert after[student][test] == changed.get((student, test), points), (student, test)
    verdict, cell = _stored_verdict(graded, "reference", HARDENED)
    assert verdict["message"] == NEW_MESSAGE and cell.outputs[-1]["evalue"] == NEW_MESSAGE
    assert NEW_MESSAGE in (graded / "feedback" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert set(result.feedback) == {student for student, *_ in expected}
    again = _rejudge(graded)
    assert again.changes == [] and again.not_stored == []


def test_is_a_test_cell_without_a_stored_hand_over_reported_and_left_alone(graded):
    path = graded / "autograded" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:  # as an older run left it: the verdict without its hand-overs
        cell.metadata.get(incidents.METADATA_KEY, {}).get("verdict", {}).pop("handovers", None)
    path.chmod(0o644)
    nbformat.write(notebook, path)
    result = _rejudge(graded, dry_run=True)
    assert ("reference", ASSIGNMENT, HARDENED) in result.not_stored
    assert not any(c.student == "reference" for c in result.changes)
    assert "Not judged again" in describe(result, ASSIGNMENT, dry_run=True)


def test_does_a_fix_that_breaks_graders_stop_before_anything_is_recorded(graded):
    with open(graded / "graders" / f"{ASSIGNMENT}.py", "a") as graders:
        graders.write(f"\ndel TESTS[{RELAXED!r}]\n")
    before = _fingerprint(graded)
    code = str(Path(course.__file__).resolve().parents[1])  # this checkout's course package
    run = subprocess.run([sys.executable, "-m", "course", "rejudge", ASSIGNMENT], cwd=graded, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=code))
    assert run.returncode == 2 and RELAXED in run.stderr and "To fix" in run.stderr
    assert _fingerprint(graded) == before
