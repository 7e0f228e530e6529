"""The committed student releases: in sync with the sources, and free of answers."""
import filecmp
import io
import re
import subprocess
import sys
import tokenize

import nbformat
import pytest

import course_config
from course import assignments, pipeline

ASSIGNMENTS = assignments.names()
#: Graded answers that must not stand as literals in a release's code.
ANSWER_LITERALS = {
    "tp_convolution": {"numbers": {"9408", "147", "6.0"},
                       "sequences": ["1, 512, 8, 8", "512, 8, 8", "1, 64, 256, 256", "1, 256, 64, 64",
                                     "1, 512, 32, 32", "1, 512, 16, 16"]},
    "cnn_bases": {"numbers": {"61706"}, "sequences": []},
}


def release_notebook(assignment):
    return nbformat.read(course_config.ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_is_the_committed_release_what_nbgrader_generates_now(course_copy, assignment):
    fresh = pipeline.generate_release(course_copy, assignment)
    committed = course_config.ROOT / "release" / assignment
    comparison = filecmp.dircmp(fresh, committed)
    assert comparison.left_only == comparison.right_only == comparison.diff_files == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_the_release_hold_no_solution_no_hidden_test_and_no_graders(assignment):
    folder = course_config.ROOT / "release" / assignment
    assert not list(folder.glob("*.md")), "the MyST twin (with solutions) must not be released"
    for path in folder.rglob("*"):
        if path.suffix in (".ipynb", ".py", ".md", ".txt"):
            text = path.read_text()
            assert not re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)|END (SOLUTION|HIDDEN TESTS)", text)
            assert "graders" not in text


def numbers_in(cell):
    """The numbers a cell spells: Python's number tokens in code, digit runs in prose (French spacing ignored)."""
    if cell.cell_type == "code":
        return {tok.string for tok in tokenize.generate_tokens(io.StringIO(cell.source).readline)
                if tok.type == tokenize.NUMBER}
    return set(re.findall(r"\d+(?:\.\d+)?", cell.source.replace("\u202f", "").replace("\xa0", "")))


@pytest.mark.parametrize("cell_type", ["code", "markdown"])
@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a in ANSWER_LITERALS])
def test_does_no_cell_of_the_release_spell_a_graded_answer(assignment, cell_type):
    forbidden = ANSWER_LITERALS[assignment]
    for cell in release_notebook(assignment).cells:
        if cell.cell_type != cell_type:
            continue
        assert not numbers_in(cell) & forbidden["numbers"], cell.source
        flat = re.sub(r"\s+", " ", cell.source)
        assert not [s for s in forbidden["sequences"] if s in flat], cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_every_solution_cell_of_the_release_hold_the_french_stub(assignment):
    solutions = [c for c in release_notebook(assignment).cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions and all("VOTRE CODE ICI" in c.source for c in solutions if c.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_do_all_tests_fail_on_the_blank_release(assignment):
    """`nbgrader validate --invert`: every test cell must fail when nothing is answered."""
    notebook = course_config.ROOT / "release" / assignment / f"{assignment}.ipynb"
    result = subprocess.run([sys.executable, "-m", "nbgrader", "validate", "--invert", str(notebook)],
                            cwd=course_config.ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout


#: At least this many open questions, graded by hand, per assignment.
MIN_OPEN_QUESTIONS = {"tp_convolution": 5, "cnn_bases": 3}


def source_notebook(assignment):
    return nbformat.read(course_config.ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def open_questions(notebook):
    return [c for c in notebook.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
            and c.metadata["nbgrader"].get("solution")]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_the_release_ask_its_open_questions_with_points_and_an_empty_answer(assignment):
    questions = open_questions(release_notebook(assignment))
    assert len(questions) >= MIN_OPEN_QUESTIONS[assignment]
    for cell in questions:
        assert cell.metadata["nbgrader"]["points"] > 0
        assert cell.source.strip() == course_config.TEXT_STUB


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_each_open_question_of_the_source_carry_a_model_answer_and_a_rubric(assignment):
    questions = open_questions(source_notebook(assignment))
    assert len(questions) >= MIN_OPEN_QUESTIONS[assignment]
    for cell in questions:
        assert "### BEGIN SOLUTION" in cell.source and "BEGIN MARK SCHEME" in cell.source, cell.source[:80]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_no_rubric_nor_model_answer_reach_the_release(assignment):
    text = (course_config.ROOT / "release" / assignment / f"{assignment}.ipynb").read_text()
    assert "MARK SCHEME" not in text
    for cell in open_questions(source_notebook(assignment)):
        answer = re.search(r"### BEGIN SOLUTION\n(.*?)(===|### END SOLUTION)", cell.source, re.S).group(1)
        sentences = [s.strip() for s in re.split(r"[.\n]", answer) if len(s.strip()) > 30]
        assert sentences and not [s for s in sentences if s in text], sentences
