"""End to end through real nbgrader commands, in a temporary copy of the course."""
import sqlite3

import nbformat
import pytest

from course import assignments, pipeline, samples

pytestmark = pytest.mark.slow

CASES = [(assignment, sample) for assignment in assignments.names()
         for sample in samples.SAMPLES[assignment]]


@pytest.mark.parametrize("assignment, sample", CASES, ids=[f"{a}-{s.student}" for a, s in CASES])
def test_does_each_sample_get_exactly_its_expected_score(graded_course, assignment, sample):
    root, scores = graded_course(assignment)
    points = pipeline.max_scores(root, assignment)
    assert scores[sample.student] == samples.expected_scores(sample, points)


@pytest.mark.parametrize("assignment", assignments.names())
def test_does_the_reference_get_full_marks_and_the_blank_release_zero(graded_course, assignment):
    root, scores = graded_course(assignment)
    total = sum(pipeline.max_scores(root, assignment).values())
    assert sum(scores["reference"].values()) == total
    assert sum(scores["blank"].values()) == 0


def test_are_the_tp_convolution_points_those_of_the_contract(graded_course):
    root, _ = graded_course("tp_convolution")
    points = pipeline.max_scores(root, "tp_convolution")
    assert sum(points.values()) == 16
    per_solution = {}
    for grade_id, value in points.items():
        solution = next(s for s in ("prewitt", "vgg_layer30", "resnet_conv1", "eval_mode", "hooks", "plot_feature_maps")
                        if grade_id.startswith(f"test_{s}"))
        per_solution[solution] = per_solution.get(solution, 0) + value
    assert per_solution == {"prewitt": 3, "vgg_layer30": 3, "resnet_conv1": 3, "eval_mode": 2, "hooks": 3,
                            "plot_feature_maps": 2}


def _outputs(root, student, assignment):
    notebook = nbformat.read(root / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    return [(cell.metadata.get("nbgrader", {}).get("grade_id"), output)
            for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


@pytest.mark.parametrize("assignment", assignments.names())
def test_does_the_blank_release_run_every_cell_without_stopping(graded_course, assignment):
    root, _ = graded_course(assignment)
    notebook = nbformat.read(root / "autograded" / "blank" / assignment / f"{assignment}.ipynb", as_version=4)
    # Display-only cells tagged skip-execution are not run when grading (see test_grading_cost_tags.py).
    code_cells = [c for c in notebook.cells if c.cell_type == "code" and "skip-execution" not in c.metadata.get("tags", [])]
    assert code_cells and all(c.execution_count is not None for c in code_cells)


@pytest.mark.parametrize("assignment", assignments.names())
def test_does_the_reference_write_nothing_to_stderr(graded_course, assignment):
    root, _ = graded_course(assignment)
    assert [g for g, o in _outputs(root, "reference", assignment) if o.get("name") == "stderr"] == []


def test_does_a_dead_kernel_cost_only_the_cells_it_could_not_run(graded_course):
    root, scores = graded_course("tp_convolution")
    messages = [o.get("evalue", "") for g, o in _outputs(root, "hostile", "tp_convolution")
                if o.output_type == "error" and o.get("ename") == "KernelDied"]
    assert messages and "noyau Python s'est arrêté" in messages[0]
    assert scores["hostile"]["test_resnet_conv1_total"] == 1  # graded before the kernel died


def test_can_a_submission_neither_read_the_sources_nor_touch_the_gradebook(graded_course):
    root, _ = graded_course("tp_convolution")
    printed = "".join(o.get("text", "") for g, o in _outputs(root, "hostile", "tp_convolution")
                      if g == "prewitt" and o.output_type == "stream")
    listing, home = printed.rsplit(" ", 1)
    assert "gradebook.db" not in listing and "source" not in listing and "autograded" not in listing
    assert home.strip() == "/tmp"  # HOME is the sandbox's
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("select count(*) from submitted_assignment").fetchone()[0] == len(
            samples.SAMPLES["tp_convolution"])


def test_does_feedback_show_the_students_message_but_not_graders_code(graded_course):
    root, _ = graded_course("tp_convolution")
    pipeline.generate_feedback(root, "tp_convolution")
    html = (root / "feedback" / "one_mistake_per_part" / "tp_convolution" / "tp_convolution.html").read_text()
    assert "Que fait cette ReLU au tenseur que votre hook a gardé" in html
    assert "_hooked_outputs" not in html and "is_close" not in html and "9408" not in html
