"""A class of hostile submissions graded by `course grade`, then given feedback by `nbgrader generate_feedback`.

Every entry of tests/support/hostile_submissions.py (fake graders and handover modules, packages handed in,
monkeypatches, always-equal answers, silenced errors, forged scores, hand-overs and metadata, leaks, killed
kernels) is handed in beside the reference solution and the blank release. One class run, then: each gets
exactly its points, the integrity report names what it tried, and no feedback shows a grading secret.
"""
import csv
import html
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from class_submissions import After
from hostile_submissions import ASSIGNMENT, CONTROLS, FORGERY_MARK, HOSTILE, NOTEBOOK, POINTS, write_hostile_class

from course import pipeline
from course.grading.feedback.secret_text import blocks, significant
from course.grading.preprocessors.judge_handovers import VERDICT_ERROR
from course.samples import BLANK, REFERENCE

pytestmark = pytest.mark.slow

ENTRIES = HOSTILE + CONTROLS
STUDENTS = [e.student for e in ENTRIES]
#: A variable of the instructor's environment: it must reach neither the kernel's outputs nor the feedback.
TOKEN_NAME, TOKEN = "COURSE_GRADING_TOKEN", "jeton-9f8e7d6c5b4a-secret"
#: What the feedback must never give: expected values of graded answers.
EXPECTED_VALUES = ("(1, 512, 8, 8)", "512, 8, 8", "9408", "147", "254, 254")
FRENCH = re.compile(r"[éèêàçù]|\b(est|doit|pas|les|une?|des|au|lieu|affiche)\b")
STYLE_OR_SCRIPT = re.compile(r"<(style|script)\b.*?</\1>", re.S | re.I)
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]*")
TAG = re.compile(r"<[^>]*>")


def _nbgrader():
    venv_nbgrader = Path(sys.executable).parent / "nbgrader"
    return [str(venv_nbgrader)] if venv_nbgrader.exists() else [sys.executable, "-m", "nbgrader"]


def _run(command, root, env, timeout):
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


class Graded:
    """The course after the run: scores, integrity rows, autograded notebooks and feedback pages."""

    def __init__(self, root, grade_run, feedback_run, secret_bin):
        self.root, self.grade_run, self.feedback_run, self.secret_bin = root, grade_run, feedback_run, secret_bin
        self.scores = pipeline.scores(root, ASSIGNMENT)
        self.max_points = pipeline.max_scores(root, ASSIGNMENT)
        self.flags = defaultdict(set)
        with open(root / "reports" / f"{ASSIGNMENT}-integrity.csv", newline="", encoding="utf-8") as stream:
            self.integrity_rows = list(csv.DictReader(stream))
        for row in self.integrity_rows:
            self.flags[row["student"]].add(row["flag"])
        self._pages = {}

    def autograded(self, student):
        return nbformat.read(self.root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)

    def submitted_code(self, student):
        notebook = nbformat.read(self.root / "submitted" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
        return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")

    def feedback_html(self, student):
        if student not in self._pages:
            path = self.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
            self._pages[student] = path.read_text(encoding="utf-8")
        return self._pages[student]

    def feedback_text(self, student):
        """What the page says: no CSS, no script, no embedded image, no tags, entities decoded."""
        page = DATA_URI.sub(" ", STYLE_OR_SCRIPT.sub(" ", self.feedback_html(student)))
        return html.unescape(TAG.sub("\n", page))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = pipeline.copy_course(tmp_path_factory.mktemp("hostile-class") / "course")
    pipeline.generate_release(root, ASSIGNMENT)
    write_hostile_class(root)
    secret_bin = root / "outils-enseignant" / "bin"  # a PATH entry under the course root, as instructors have
    secret_bin.mkdir(parents=True)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(secret_bin), str(Path(sys.executable).parent), env.get("PATH", "")])
    env[TOKEN_NAME] = TOKEN
    grade_run = _run([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--jobs", "2", "--no-progress"], root,
                     env, timeout=1800)
    feedback_run = _run([*_nbgrader(), "generate_feedback", ASSIGNMENT, "--force"], root, env, timeout=900)
    return Graded(root, grade_run, feedback_run, secret_bin)


def _entry_ids():
    return [e.student for e in ENTRIES]


# --- the run --------------------------------------------------------------------------------------


def test_did_the_class_run_and_its_feedback_reach_every_student(graded):
    assert graded.grade_run.returncode in (0, 1), graded.grade_run.stderr[-4000:]
    assert graded.feedback_run.returncode == 0, graded.feedback_run.stderr[-4000:]
    assert set(graded.scores) == set(STUDENTS)
    for student in STUDENTS:
        assert (graded.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file(), student


def test_are_the_gradebooks_points_those_of_the_catalogue(graded):
    assert graded.max_points == POINTS


# --- grades ---------------------------------------------------------------------------------------


def _test_cell_report(notebook, grade_ids):
    """What the autograded notebook shows of the given test cells: verdict and outputs, for the failure message."""
    lines = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in grade_ids:
            lines.append(f"  {grade_id}: verdict {cell.metadata.get('course_grading', {}).get('verdict')}")
            for output in cell.get("outputs", []):
                text = output.get("text") or output.get("evalue") or str(output.get("data", ""))[:300]
                lines.append(f"    {output.get('output_type')}: {str(text)[:300]!r}")
    return "\n".join(lines)


@pytest.mark.parametrize("entry", ENTRIES, ids=_entry_ids())
def test_does_each_submission_get_exactly_its_points(graded, entry):
    expected = entry.expected(graded.max_points)
    actual = graded.scores.get(entry.student)
    assert actual is not None, f"{entry.student} was not graded"
    wrong = {g for g in expected if actual.get(g) != expected[g]}
    assert not wrong, (f"{entry.student} ({entry.attack}): "
                       + ", ".join(f"{g} got {actual.get(g)} instead of {expected[g]}" for g in sorted(wrong))
                       + "\n" + _test_cell_report(graded.autograded(entry.student), wrong))


# --- integrity report -----------------------------------------------------------------------------


@pytest.mark.parametrize("entry", HOSTILE, ids=[e.student for e in HOSTILE])
def test_does_the_integrity_report_name_each_expected_flag(graded, entry):
    missing = entry.flags - graded.flags[entry.student]
    assert not missing, f"{entry.student}: {sorted(missing)} not reported (reported: {sorted(graded.flags[entry.student])})"


def test_is_the_reference_never_flagged(graded):
    assert not [row for row in graded.integrity_rows if row["student"] in ("reference", "blank")]


# --- feedback: nothing of the grading's secrets ------------------------------------------------------


def _hidden_test_lines(root):
    source = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    lines = set()
    for cell in source.cells:
        for block in blocks(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            lines.update(significant(line) for line in block.splitlines() if len(significant(line)) >= 12)
    assert lines, "the source notebook should have hidden tests"
    return lines


def _is_message_line(line):
    """A line that is only (part of) a string literal: a French message continued, which a verdict may quote."""
    return re.match(r"""\s*[rRfFbB]{0,2}["']""", line) is not None


def _graders_lines(root):
    lines = set()
    for path in sorted((root / "graders").glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(significant(line)) >= 20 and not _is_message_line(line):
                lines.add(significant(line))
    assert lines
    return lines


def _public(graded, student):
    """Text the student may see anyway: the release's cells and the student's own code."""
    release = nbformat.read(graded.root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return significant("\n".join(c.source for c in release.cells) + "\n" + graded.submitted_code(student))


def _leaks(graded, secret_lines):
    found = {}
    for student in STUDENTS:
        text, public = significant(graded.feedback_text(student)), _public(graded, student)
        shown = sorted(line for line in secret_lines if line in text and line not in public)
        if shown:
            found[student] = shown[:5]
    return found


def _outputs_text(notebook):
    return "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", []))


def test_did_the_leaking_submissions_really_print_the_secrets(graded):
    """The instructor's copy keeps what the kernel printed: the feedback checks below are not vacuous."""
    hidden = _outputs_text(graded.autograded("leak_hidden_tests_hook"))
    assert "hand_over.prewitt_kernel(kernel2)" in hidden and "def _figure(" in hidden
    source = _outputs_text(graded.autograded("leak_graders_source"))
    assert "def encode(" in source and "/opt/course/graders" in source
    environment = _outputs_text(graded.autograded("leak_environment"))
    assert str(graded.secret_bin) in environment and sys.prefix in environment


def test_does_no_feedback_show_a_line_of_the_hidden_tests(graded):
    assert not _leaks(graded, _hidden_test_lines(graded.root))


def test_does_no_feedback_show_a_line_of_graders_code(graded):
    assert not _leaks(graded, _graders_lines(graded.root))


def test_does_no_feedback_show_a_path_or_value_of_the_grading_machine(graded):
    root = graded.root
    secrets = {str(root), os.path.realpath(root), sys.prefix, os.path.realpath(sys.prefix), "/tmp/pytest",
               "/opt/course/graders", str(graded.secret_bin), TOKEN}
    secrets |= {entry for entry in os.environ.get("PATH", "").split(os.pathsep)
                if entry.startswith((str(root), sys.prefix)) and len(entry) >= 12}
    found = {student: sorted(s for s in secrets if s in graded.feedback_html(student)) for student in STUDENTS}
    assert not {student: shown for student, shown in found.items() if shown}


def test_does_no_feedback_show_a_traceback(graded):
    assert not [student for student in STUDENTS if "Traceback" in graded.feedback_text(student)]


def _value_pattern(value):
    return re.compile(rf"(?<![\d.]){re.escape(value)}(?!\d)")


def _answers_without_prints(entry):
    """Does the student's code leave out every print of the values (the reference prints its own answers)?"""
    return all(isinstance(entry.answers.get(g), str) and not isinstance(entry.answers.get(g), After)
               and entry.answers.get(g) != REFERENCE for g in ("prewitt", "vgg_layer30", "resnet_conv1", "hooks"))


def test_does_no_verdict_give_away_an_expected_value(graded):
    found = []
    for student in STUDENTS:
        for cell in graded.autograded(student).cells:
            message = str(cell.metadata.get("course_grading", {}).get("verdict", {}).get("message", ""))
            found += [(student, value, message) for value in EXPECTED_VALUES if _value_pattern(value).search(message)]
    assert not found


def test_does_no_feedback_of_a_wrong_answer_give_away_an_expected_value(graded):
    checked = [e.student for e in ENTRIES if _answers_without_prints(e)]
    assert "blank" in checked and "patch_allclose_wrong" in checked
    found = {student: [v for v in EXPECTED_VALUES if _value_pattern(v).search(graded.feedback_text(student))]
             for student in checked}
    assert not {student: values for student, values in found.items() if values}


# --- feedback: French, with the verdicts -------------------------------------------------------------


def test_is_every_feedback_in_french(graded):
    assert not [s for s in STUDENTS if '<html lang="fr"' not in graded.feedback_html(s)]


def _normalized(text):
    return " ".join(text.split())


@pytest.mark.parametrize("student", STUDENTS)
def test_does_the_feedback_show_the_french_message_of_each_failed_test(graded, student):
    failed = []
    for cell in graded.autograded(student).cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        verdict = cell.metadata.get("course_grading", {}).get("verdict")
        if nbgrader.get("grade") and not nbgrader.get("solution") and verdict and not verdict.get("passed"):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            failed.append((nbgrader["grade_id"], str(verdict.get("message", "")), errors[-1].ename if errors else ""))
    text = _normalized(graded.feedback_text(student))
    for grade_id, message, ename in failed:
        assert message.strip(), grade_id
        if ename in (VERDICT_ERROR, "AssertionError"):  # the judge's verdict or a visible test's message
            assert FRENCH.search(message), f"{grade_id}: {message!r}"
        first_line = _normalized(message.splitlines()[0])
        assert first_line in text, f"{grade_id}: verdict {first_line!r} not in the feedback"


def test_are_forged_verdicts_incidents_and_labels_ignored(graded):
    notebook = graded.autograded("metadata_forgery_wrong")
    assert FORGERY_MARK not in str(notebook.metadata.get("course_grading", {}))
    assert not [i for i, cell in enumerate(notebook.cells) if FORGERY_MARK in str(cell.metadata.get("course_grading"))]
    assert FORGERY_MARK not in graded.feedback_html("metadata_forgery_wrong")


def test_is_the_restoration_of_tampered_test_cells_recorded(graded):
    kinds = {i.get("kind") for i in graded.autograded("hidden_part_deleted_wrong").metadata
             .get("course_grading", {}).get("incidents", [])}
    assert "restored_test_cell" in kinds
