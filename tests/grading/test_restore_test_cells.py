"""RestoreTestCells: a graded cell the student deleted comes back where it was, hidden tests included."""
import pytest
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells

from course.grading import incidents

from .conftest import cell_with, grade_ids


def without(notebook, *removed):
    notebook.cells = [cell for cell in notebook.cells
                      if cell.metadata.get("nbgrader", {}).get("grade_id") not in removed]
    return notebook


def test_is_a_deleted_test_cell_put_back_right_after_its_solution_cell(course):
    notebook = course.sanitize(without(course.submission(), "test_total"))
    assert grade_ids(notebook) == grade_ids(course.release)


def test_does_a_restored_test_cell_hold_the_hidden_tests_and_a_french_note(course):
    notebook = course.sanitize(without(course.submission(), "test_double"))
    source = cell_with(notebook, "test_double").source
    first_line, rest = source.split("\n", 1)
    assert first_line.startswith("# ") and "manquait" in first_line and "remise à sa place" in first_line
    assert rest == cell_with(course.source, "test_double").source  # with its hidden tests


def test_does_a_restored_test_cell_carry_the_gradebooks_metadata(course):
    notebook = course.sanitize(without(course.submission(), "test_double"))
    meta = cell_with(notebook, "test_double").metadata["nbgrader"]
    assert (meta["grade"], meta["locked"], meta["solution"], meta["points"]) == (True, True, False, 2)


def test_is_a_test_cell_after_a_locked_given_cell_restored_where_nbgrader_crashes(course):
    with pytest.raises(KeyError):  # nbgrader's own add_missing_cells: the given cell is not in its index
        OverwriteCells(add_missing_cells=True)(without(course.submission(), "test_setup"), course.resources())
    notebook = course.sanitize(without(course.submission(), "test_setup"))
    assert grade_ids(notebook) == grade_ids(course.release)


def test_are_consecutive_deleted_cells_restored_in_source_order(course):
    notebook = course.sanitize(without(course.submission(), "test_total", "test_math", "double", "test_double"))
    assert [g for g in grade_ids(notebook) if g] == ["setup", "test_setup", "test_double", "total", "test_total",
                                                     "test_math", "explain", "style"]


def test_is_a_test_cell_restored_at_the_top_when_nothing_before_it_remains(course):
    notebook = course.submission()
    notebook.cells = [cell for cell in notebook.cells if "nbgrader" not in cell.metadata]
    notebook = course.sanitize(notebook)
    assert [g for g in grade_ids(notebook)[:6]] == ["test_setup", "test_double", "test_total", "test_math",
                                                    "explain", "style"]


def test_is_a_deleted_manually_graded_answer_restored_as_unanswered(course):
    notebook = course.sanitize(without(course.submission(), "explain"))
    answer = cell_with(notebook, "explain")
    assert answer.cell_type == "markdown" and "manquait" in answer.source
    assert utils.determine_grade(answer) == (0, 1.0)  # 0 points, no manual grading needed


def test_is_a_deleted_task_cell_restored(course):
    notebook = course.sanitize(without(course.submission(), "style"))
    assert cell_with(notebook, "style").metadata["nbgrader"]["task"] is True
    assert grade_ids(notebook) == grade_ids(course.release)


def test_is_each_restored_cell_reported_in_french(course):
    notebook = course.sanitize(without(course.submission(), "test_total", "explain"))
    restored = [i for i in incidents.of(notebook) if i.kind == "restored_test_cell"]
    assert [i.cell for i in restored] == ["test_total", "explain"]
    assert "« test_total »" in restored[0].message and "manquait" in restored[0].message
    assert "aucun point" in restored[1].message


def test_does_a_complete_submission_get_nothing_added(course):
    notebook = course.sanitize(course.submission())
    assert grade_ids(notebook) == grade_ids(course.release)
    assert incidents.of(notebook) == []


def test_is_an_edited_test_cell_restored_by_nbgraders_overwrite_cells(course):
    notebook = course.submission()
    cell_with(notebook, "test_double").source = "pass  # plus de test"
    notebook = course.sanitize(notebook)
    assert cell_with(notebook, "test_double").source == cell_with(course.source, "test_double").source


def test_is_a_test_cell_turned_into_markdown_restored_as_code(course):
    notebook = course.submission()
    test = cell_with(notebook, "test_total")
    test.cell_type, test.source = "markdown", "rien à tester"
    del test["outputs"], test["execution_count"]
    notebook = course.sanitize(notebook)
    restored = cell_with(notebook, "test_total")
    assert restored.cell_type == "code" and restored.source == "assert total == 6"


def test_does_a_restored_test_cell_score_like_any_test_cell(course):
    notebook = course.sanitize(without(course.submission(), "test_math"))
    test = cell_with(notebook, "test_math")
    assert utils.determine_grade(test) == (1.0, 1.0)
    test.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=[])]
    assert utils.determine_grade(test) == (0, 1.0)
