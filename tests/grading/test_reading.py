"""Reading submissions: a damaged file still gets a graded entry, a renamed one is found."""
import json
import os

import nbformat
import pytest

from course.grading import incidents
from course.grading.preprocessors import RestoreTestCells
from course.grading.reading import (LenientNotebookExporter, expected_notebook_names, read_notebook,
                                    redirect_renamed_notebooks)

from .conftest import ASSIGNMENT, KERNELSPEC, NOTEBOOK, grade_ids

BROKEN = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xff\xfe",
    "truncated_json": b'{"cells": [{"cell_type": "code", "source": "x = 1", "metad',
    "empty": b"",
    "plain_text": b"print('hello')\n",
    "json_not_a_notebook": b'["a", "list"]',
    "json_without_cells": b'{"metadata": {}, "nbformat": 4}',
}


def submitted(tmp_path, name=f"{NOTEBOOK}.ipynb", content=None, notebook=None):
    folder = tmp_path / "submitted" / "student" / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if notebook is not None:
        nbformat.write(notebook, path)
    else:
        path.write_bytes(content)
    return path


def export(course, path):
    """What nbgrader's sanitize step reads from ``path`` (our exporter), then RestoreTestCells."""
    output, _ = LenientNotebookExporter().from_filename(str(path), resources=course.resources())
    notebook = nbformat.reads(output, as_version=4)
    nbformat.validate(notebook)
    return notebook


def test_is_a_valid_notebook_read_unchanged(course, tmp_path):
    path = submitted(tmp_path, notebook=course.submission())
    assert export(course, path) == nbformat.read(path, as_version=4)


@pytest.mark.parametrize("kind", BROKEN)
def test_is_an_unreadable_file_turned_into_a_placeholder_that_says_why(course, tmp_path, kind):
    notebook = export(course, submitted(tmp_path, content=BROKEN[kind]))
    (cell,) = notebook.cells
    assert cell.cell_type == "markdown" and "Notebook illisible" in cell.source
    (incident,) = incidents.of(notebook)
    assert incident.kind == "unreadable" and incident.message.split(" Il n'a donc")[0] in cell.source
    assert "aucun point" in incident.message


@pytest.mark.parametrize("kind, words", [("binary", "ne contient pas du texte"), ("truncated_json", "JSON invalide"),
                                         ("empty", "est vide"), ("json_not_a_notebook", "pas un notebook")])
def test_does_the_placeholder_explain_the_problem_in_simple_terms(course, tmp_path, kind, words):
    assert words in incidents.of(export(course, submitted(tmp_path, content=BROKEN[kind])))[0].message


def test_does_a_placeholder_get_the_courses_kernelspec_and_its_test_cells_back(course, tmp_path):
    notebook = export(course, submitted(tmp_path, content=BROKEN["binary"]))
    assert notebook.metadata.kernelspec == KERNELSPEC
    restored, _ = RestoreTestCells()(notebook, course.resources())
    assert {"test_setup", "test_double", "test_total", "test_math"} <= set(grade_ids(restored))


def test_is_a_notebook_with_a_broken_cell_rebuilt_from_the_readable_cells(course, tmp_path):
    data = json.loads(nbformat.writes(course.submission()))
    data["cells"][0]["cell_type"] = "image"  # not a cell type
    data["cells"][1]["outputs"] = [{"output_type": "stream"}]  # an output without its fields
    notebook = export(course, submitted(tmp_path, content=json.dumps(data).encode()))
    assert grade_ids(notebook) == grade_ids(course.release)[1:]
    (incident,) = incidents.of(notebook)
    assert incident.kind == "unreadable" and "1 cellule illisible a été ignorée" in incident.message


def test_is_a_missing_notebook_read_from_its_renamed_copy(course, tmp_path):
    renamed = submitted(tmp_path, name=f"{NOTEBOOK} (1).ipynb", notebook=course.submission())
    notebook = export(course, renamed.with_name(f"{NOTEBOOK}.ipynb"))
    assert grade_ids(notebook) == grade_ids(course.release)
    (incident,) = incidents.of(notebook)
    assert incident.kind == "renamed" and f"{NOTEBOOK} (1).ipynb" in incident.detail
    assert f"« {NOTEBOOK} (1).ipynb » au lieu de « {NOTEBOOK}.ipynb »" in incident.message


def test_is_a_missing_notebook_not_guessed_among_two_others(course, tmp_path):
    submitted(tmp_path, name="brouillon.ipynb", notebook=course.submission())
    other = submitted(tmp_path, name=f"{NOTEBOOK} (1).ipynb", notebook=course.submission())
    notebook = export(course, other.with_name(f"{NOTEBOOK}.ipynb"))
    assert [i.kind for i in incidents.of(notebook)] == ["unreadable"]
    assert "introuvable" in incidents.of(notebook)[0].message


def test_does_the_redirect_replace_a_renamed_notebook_in_nbgraders_own_list(tmp_path):
    renamed = submitted(tmp_path, name=f"{NOTEBOOK} (1).ipynb", content=b"{}")
    notebooks = [str(renamed)]
    same_list = notebooks
    assert redirect_renamed_notebooks(notebooks, {NOTEBOOK}) == [(str(renamed), str(renamed.with_name("lab.ipynb")))]
    assert same_list == [str(renamed.with_name(f"{NOTEBOOK}.ipynb"))]


def test_does_the_redirect_leave_a_correctly_named_submission_alone(tmp_path):
    path = submitted(tmp_path, content=b"{}")
    extra = submitted(tmp_path, name="brouillon.ipynb", content=b"{}")
    notebooks = [str(extra), str(path)]
    assert redirect_renamed_notebooks(notebooks, {NOTEBOOK}) == []
    assert notebooks == [str(extra), str(path)]


def test_does_the_redirect_write_nothing_into_submitted(tmp_path):
    renamed = submitted(tmp_path, name="Lab-final.ipynb", content=b"{}")
    before = sorted(os.listdir(renamed.parent))
    redirect_renamed_notebooks([str(renamed)], {NOTEBOOK})
    assert sorted(os.listdir(renamed.parent)) == before == ["Lab-final.ipynb"]


def test_does_the_redirect_find_the_expected_names_in_the_course_root(course, tmp_path, monkeypatch):
    assert course.db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"  # the course's gradebook is in tmp_path
    monkeypatch.chdir(tmp_path)  # nbgrader runs the hook in the course root
    assert expected_notebook_names(ASSIGNMENT) == {NOTEBOOK}
    renamed = submitted(tmp_path, name=f"{NOTEBOOK}(2).ipynb", content=b"{}")
    notebooks = [str(renamed)]
    redirect_renamed_notebooks(notebooks)
    assert notebooks == [str(renamed.with_name(f"{NOTEBOOK}.ipynb"))]


def test_does_the_hook_find_the_expected_names_from_any_folder(course, tmp_path, monkeypatch):
    """nbgrader runs the hook in the grading process's folder: the instructor's (`course grade --root`), or a
    Dask worker's. The configured hook reads the course's own gradebook, a server's URL included."""
    from course.grading.hooks import BeforeEachSubmission

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for hook in (BeforeEachSubmission(root=tmp_path), BeforeEachSubmission(db_url=course.db_url)):
        renamed = submitted(tmp_path, name=f"{NOTEBOOK}(3).ipynb", content=b"{}")
        notebooks = [str(renamed)]
        hook(ASSIGNMENT, "student", notebooks)
        assert notebooks == [str(renamed.with_name(f"{NOTEBOOK}.ipynb"))]
    notebooks = [str(renamed)]
    BeforeEachSubmission()(ASSIGNMENT, "student", notebooks)  # the folder it runs in holds no course
    assert notebooks == [str(renamed)]


def test_are_the_expected_names_read_from_source_without_a_gradebook(tmp_path, monkeypatch):
    (tmp_path / "source" / "tp").mkdir(parents=True)
    (tmp_path / "source" / "tp" / "tp.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert expected_notebook_names("tp") == {"tp"}


def test_do_messages_name_no_path_of_the_grading_machine(course, tmp_path):
    for kind, content in BROKEN.items():
        notebook = export(course, submitted(tmp_path, name=f"{NOTEBOOK}.ipynb", content=content))
        for incident in incidents.of(notebook):
            assert str(tmp_path) not in incident.message and "/" not in incident.message.replace("...", "")
    reading = read_notebook(str(tmp_path / "nothing.ipynb"))
    assert reading.notebook is None and str(tmp_path) not in reading.message


def forged(course):
    """A submission whose metadata claims what only the engine may write: verdicts and incidents."""
    notebook = course.submission()
    notebook.metadata[incidents.METADATA_KEY] = {"incidents": [{"kind": "forged", "detail": "", "message": "",
                                                                "cell": ""}]}
    for cell in notebook.cells:
        cell.metadata[incidents.METADATA_KEY] = {"verdict": {"passed": True, "message": ""}}
    return notebook


def read_with(preprocessors, path, course):
    exporter = LenientNotebookExporter()
    for preprocessor in preprocessors:
        exporter.register_preprocessor(preprocessor, enabled=True)
    output, _ = exporter.from_filename(str(path), resources=course.resources())
    return nbformat.reads(output, as_version=4)


def test_are_grading_notes_written_by_the_student_dropped_when_the_submission_is_read(course, tmp_path):
    from nbgrader.preprocessors import ClearOutput  # the sanitize pass starts with it

    notebook = read_with([ClearOutput], submitted(tmp_path, notebook=forged(course)), course)
    assert incidents.METADATA_KEY not in notebook.metadata
    assert not [c for c in notebook.cells if incidents.METADATA_KEY in c.metadata]


def test_are_the_engines_own_notes_kept_when_its_autograded_copy_is_read_again(course, tmp_path):
    notebook = read_with([], submitted(tmp_path, notebook=forged(course)), course)
    assert [i.kind for i in incidents.of(notebook)] == ["forged"]
