"""NormalizeCellMetadata: the gradebook, not the submission, says what each cell is and is worth."""
import copy
import uuid

import pytest
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds

from course.grading import incidents
from course.grading.preprocessors import NormalizeCellMetadata

from .conftest import cell_with, grade_ids


def copy_after(notebook, grade_id, source=None):
    """Duplicate a cell (metadata included) right after itself, as Jupyter's copy/paste does."""
    index = grade_ids(notebook).index(grade_id)
    duplicate = copy.deepcopy(notebook.cells[index])
    duplicate.id = uuid.uuid4().hex[:8]
    if source is not None:
        duplicate.source = source
    notebook.cells.insert(index + 1, duplicate)
    return notebook


def test_is_a_copied_solution_cell_graded_as_an_ordinary_cell(course):
    notebook = course.sanitize(copy_after(course.submission(), "double", "def double(x):\n    return 2 * x"))
    first, copied = notebook.cells[3], notebook.cells[4]
    assert first.metadata["nbgrader"]["grade_id"] == "double"
    assert "nbgrader" not in copied.metadata and copied.source == "def double(x):\n    return 2 * x"


def test_does_the_first_occurrence_of_a_copied_cell_keep_its_grade_id(course):
    notebook = course.submission()
    cell_with(notebook, "total").source = "total = sum(values)"
    notebook = course.sanitize(copy_after(notebook, "total", "total = 0"))
    assert cell_with(notebook, "total").source == "total = sum(values)"
    assert grade_ids(notebook).count("total") == 1


def test_is_a_copied_test_cell_graded_once(course):
    notebook = course.sanitize(copy_after(course.submission(), "test_total", "assert True"))
    assert grade_ids(notebook).count("test_total") == 1
    assert sum(1 for cell in notebook.cells if cell.source == "assert True") == 1


def test_is_each_copy_reported_in_french_for_the_student(course):
    notebook = course.sanitize(copy_after(copy_after(course.submission(), "double"), "test_total"))
    reported = [i for i in incidents.of(notebook) if i.kind == "duplicate_grade_id"]
    assert [i.cell for i in reported] == ["double", "test_total"]
    assert "plusieurs cellules « double »" in reported[0].message and "copiée" in reported[0].message


def test_does_nbgraders_own_deduplication_abort_where_ours_does_not(course):
    """nbgrader issue #1083: DeduplicateIds leaves `nbgrader: {}`, which CheckCellMetadata takes for an old format."""
    theirs = copy_after(course.submission(), "double")
    DeduplicateIds()(theirs, course.resources())
    with pytest.raises(SchemaTooOldError):
        MetadataValidator().validate_nb(theirs)
    ours = copy_after(course.submission(), "double")
    NormalizeCellMetadata()(ours, course.resources())
    CheckCellMetadata()(ours, course.resources())


def test_does_a_student_gain_nothing_by_raising_the_points_of_a_test_cell(course):
    notebook = course.submission()
    cell_with(notebook, "test_total").metadata["nbgrader"]["points"] = 100
    NormalizeCellMetadata()(notebook, course.resources())
    assert cell_with(notebook, "test_total").metadata["nbgrader"]["points"] == 1


def without_checksum(cell):
    """nbgrader metadata but the checksum (which the gradebook gives, as nbgrader's OverwriteCells does)."""
    return {k: v for k, v in cell.metadata["nbgrader"].items() if k != "checksum"}


def test_does_a_student_gain_nothing_by_changing_a_cells_flags(course):
    notebook = course.submission()
    cell_with(notebook, "test_double").metadata["nbgrader"].update(grade=False, locked=False, solution=True)
    cell_with(notebook, "total").metadata["nbgrader"].update(grade=True, points=50)
    NormalizeCellMetadata()(notebook, course.resources())
    for grade_id in ("test_double", "total"):
        assert without_checksum(cell_with(notebook, grade_id)) == without_checksum(cell_with(course.release, grade_id))


def test_is_an_untouched_submissions_metadata_what_nbgrader_wrote(course):
    notebook = course.submission()
    NormalizeCellMetadata()(notebook, course.resources())
    assert [without_checksum(c) for c in notebook.cells if "nbgrader" in c.metadata] == [
        without_checksum(c) for c in course.release.cells if "nbgrader" in c.metadata]


def test_is_an_unknown_grade_id_turned_into_an_ordinary_cell(course):
    notebook = course.submission()
    stranger = copy.deepcopy(cell_with(notebook, "test_math"))
    stranger.id = uuid.uuid4().hex[:8]
    stranger.metadata["nbgrader"]["grade_id"] = "test_from_another_course"
    notebook.cells.append(stranger)
    notebook = course.sanitize(notebook)
    assert "nbgrader" not in notebook.cells[-1].metadata


@pytest.mark.parametrize("metadata", [{}, "abc", ["grade"], {"grade_id": 3, "grade": True}, {"grade": True}],
                         ids=["empty", "text", "list", "id-not-text", "no-id"])
def test_is_malformed_metadata_removed_instead_of_aborting_the_batch(course, metadata):
    notebook = course.submission()
    notebook.cells[0].metadata["nbgrader"] = metadata
    notebook = course.sanitize(notebook)
    assert "nbgrader" not in notebook.cells[0].metadata
    assert grade_ids(notebook) == grade_ids(course.release)


def test_does_a_test_cell_tagged_skip_execution_by_the_student_still_run(course):
    notebook = course.submission()
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata["tags"] = ["skip-execution", "mine"]
    notebook = course.sanitize(notebook)
    tagged = [cell.metadata.get("tags") for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    assert tagged and all(tags == ["mine"] for tags in tagged)
