"""A class where every fault sits beside healthy submissions, graded by `course grade` in the real sandbox.

Each faulty submission gets the grade stated in tests/support/class_submissions.py (what ran keeps
its points), the healthy ones are unaffected, the run report names each fault for the instructor,
and the student's notebook says in French what happened.
"""
import nbformat
import pytest
from class_submissions import ASSIGNMENT, FAULTS, HEALTHY, write_class

from course import pipeline
from course.grading import incidents
from course.grading.runner import grade_class

pytestmark = pytest.mark.slow

HEALTHY_HERE = [e for e in HEALTHY if e.student in ("reference", "same_kernel", "blank", "alt_expand_pow")]
ENTRIES = HEALTHY_HERE + list(FAULTS)
#: The incident each fault must leave in the run report.
INCIDENT_OF_FAULT = {"duplicated_cell": "duplicate_grade_id", "test_cells_tampered": "restored_test_cell",
                     "renamed": "renamed", "invalid_json": "unreadable", "unknown_kernelspec": "unknown_kernelspec",
                     "infinite_loop": "cell_timeout", "huge_output": "output_capped", "kernel_death": "kernel_died",
                     "disk_fill": "disk_limit", "memory_bomb": "memory_limit"}


@pytest.fixture(scope="module")
def faulty_class(tmp_path_factory):
    root = pipeline.copy_course(tmp_path_factory.mktemp("faulty-class"))
    pipeline.generate_release(root, ASSIGNMENT)
    with open(root / "nbgrader_config.py", "a") as config:  # the endless loop should cost seconds, not minutes
        config.write("\nget_config().ContainedExecute.timeout = 20  # noqa: F821\n")
    write_class(root, ENTRIES)
    outcomes = grade_class(root, ASSIGNMENT, jobs=2, progress=False, log=lambda *a: None)
    return root, {o.student: o for o in outcomes}, pipeline.scores(root, ASSIGNMENT)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.student for e in ENTRIES])
def test_does_each_submission_get_its_fair_grade(faulty_class, entry):
    _, _, scores = faulty_class
    assert scores[entry.student] == entry.expected


def test_does_the_run_report_list_every_submission(faulty_class):
    root, outcomes, _ = faulty_class
    assert set(outcomes) == {e.student for e in ENTRIES}
    lines = (root / "reports" / f"{ASSIGNMENT}-run.csv").read_text().splitlines()
    assert len(lines) == len(ENTRIES) + 1


@pytest.mark.parametrize("entry", FAULTS, ids=[e.fault for e in FAULTS])
def test_is_each_fault_named_for_the_instructor(faulty_class, entry):
    _, outcomes, _ = faulty_class
    outcome = outcomes[entry.student]
    assert outcome.status == "graded with problems"
    assert INCIDENT_OF_FAULT[entry.fault] in outcome.reason


@pytest.mark.parametrize("entry", HEALTHY_HERE, ids=[e.student for e in HEALTHY_HERE])
def test_is_a_healthy_submission_graded_without_problems(faulty_class, entry):
    _, outcomes, _ = faulty_class
    assert outcomes[entry.student].status == "graded" and outcomes[entry.student].reason == ""


@pytest.mark.parametrize("fault, words", [("memory_bomb", "mémoire autorisée"), ("disk_fill", "écrire plus de fichiers"),
                                          ("infinite_loop", "secondes")])
def test_does_the_students_notebook_name_the_bound_in_french(faulty_class, fault, words):
    root, _, _ = faulty_class
    notebook = nbformat.read(root / "autograded" / f"fault_{fault}" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert any(words in incident.message for incident in incidents.of(notebook))
    assert words in notebook.cells[0].source  # the announcement at the top of the feedback
