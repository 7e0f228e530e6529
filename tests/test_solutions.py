"""The corrigé (`course solutions`): every solution and explanation, no hidden test, rubric or hand-over."""
import re

import nbformat
import pytest

import course_config
from course import assignments, corrige, solutions
from course.__main__ import main as course_main

ASSIGNMENTS = assignments.names()


def source_notebook(assignment, root=course_config.ROOT):
    return nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def flat(text):
    return re.sub(r"\s+", " ", text).strip()


def solution_lines(cell):
    """The lines between the solution delimiters of a source cell, the mark scheme excluded."""
    lines, inside = [], False
    answer = solutions.without_region(cell.source, solutions.MARK_SCHEME)
    for line in answer.splitlines():
        if "BEGIN SOLUTION" in line:
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def pair(request):
    assignment = request.param
    return assignment, source_notebook(assignment), solutions.build(assignment)


def test_does_the_corrige_hold_every_solution_line_of_the_source(pair):
    assignment, source, corrige_nb = pair
    text = "\n".join(cell.source for cell in corrige_nb.cells)
    solution_cells = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solution_cells
    for cell in solution_cells:
        lines = solution_lines(cell)
        assert lines, cell.source[:80]
        assert [line for line in lines if line not in text] == [], cell.metadata["nbgrader"]["grade_id"]


def test_does_the_corrige_hold_every_corrige_only_explanation(pair):
    assignment, source, corrige_nb = pair
    explanations = [c.source for c in source.cells if corrige.is_corrige(c)]
    assert explanations, f"{assignment} has no corrigé-only cell"
    shown = [c.source for c in corrige_nb.cells]
    assert [e for e in explanations if e not in shown] == []


def test_does_the_corrige_hold_no_hidden_test_no_rubric_no_handover_no_marker(pair):
    assignment, source, corrige_nb = pair
    text = nbformat.writes(corrige_nb)
    for forbidden in ("HIDDEN TESTS", "MARK SCHEME", "BEGIN SOLUTION", "END SOLUTION", "handover", "hand_over"):
        assert forbidden not in text, forbidden
    for cell in source.cells:
        scheme = re.search(r"=== BEGIN MARK SCHEME ===\n(.*?)\n=== END MARK SCHEME ===", cell.source, re.S)
        if scheme:  # the rubric's own lines, not only its markers
            assert [line for line in scheme.group(1).splitlines() if line.strip() and line.strip() in text] == []


def test_does_the_corrige_carry_no_grading_metadata_and_no_output(pair):
    assignment, source, corrige_nb = pair
    assert "nbgrader" not in corrige_nb.metadata and "jupytext" not in corrige_nb.metadata
    for cell in corrige_nb.cells:
        assert "nbgrader" not in cell.metadata
        assert not set(cell.metadata.get("tags", [])) & set(solutions.DROPPED_TAGS)
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_does_course_solutions_write_the_notebook_and_its_html(course_copy):
    folder = solutions.write("cnn_bases", root=course_copy)
    assert folder == course_copy / "solutions" / "cnn_bases"
    notebook = nbformat.read(folder / "cnn_bases.ipynb", as_version=4)
    html = (folder / "cnn_bases.html").read_text(encoding="utf-8")
    assert (folder / "cat.jpg").is_file()
    assert "lenet_n_params = sum(" in "".join(c.source for c in notebook.cells)
    assert "Réponse modèle" in html and "MARK SCHEME" not in html and "handover" not in html


def test_is_solutions_a_command_of_the_course_cli(capsys):
    with pytest.raises(SystemExit):
        course_main(["solutions", "--help"])
    assert "corrigé" in capsys.readouterr().out


def test_does_course_solutions_refuse_a_source_whose_markdown_twin_differs(course_copy, capsys):
    markdown = course_copy / "source" / "cnn_bases" / "cnn_bases.md"
    markdown.write_text(markdown.read_text(encoding="utf-8").replace("Exercice 1", "Exercice un", 1), encoding="utf-8")
    with pytest.raises(solutions.CorrigeError, match="course sync"):
        solutions.build("cnn_bases", root=course_copy)


def test_does_a_hand_over_outside_the_hidden_tests_stop_the_corrige(course_copy):
    path = course_copy / "source" / "cnn_bases" / "cnn_bases.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1].source += "\nfrom handover import cnn_bases"
    nbformat.write(notebook, path)
    (course_copy / "source" / "cnn_bases" / "cnn_bases.md").unlink()
    with pytest.raises(solutions.CorrigeError, match="hidden test"):
        solutions.build("cnn_bases", root=course_copy)


def test_does_the_release_refuse_a_graded_cell_tagged_corrige():
    notebook = source_notebook("cnn_bases")
    graded = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade"))
    graded.metadata["tags"] = [corrige.CORRIGE_TAG]
    with pytest.raises(corrige.CorrigeTagError, match="cannot be corrigé-only"):
        corrige.DropCorrigeCells().preprocess(notebook, {})


def test_does_the_release_drop_exactly_the_corrige_cells():
    notebook = source_notebook("tp_convolution")
    before = len(notebook.cells)
    tagged = sum(corrige.is_corrige(c) for c in notebook.cells)
    kept, _ = corrige.DropCorrigeCells().preprocess(notebook, {})
    assert tagged and len(kept.cells) == before - tagged and not any(corrige.is_corrige(c) for c in kept.cells)
