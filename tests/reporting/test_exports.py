"""Grades for the LMS: the exports against a roster with missing and extra students, through `course export`
and through plain `nbgrader export --exporter=...` in the course root."""
import csv
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from course import pipeline
from small_class import ANSWERS, ASSIGNMENT

pytestmark = pytest.mark.slow

#: The LMS's class: triple_b has no e-mail there, ghost never handed in; blank, patcher, crasher are missing.
ROSTER = ("Student ID,Email address,ID number,First name,Last name\n"
          "reference,ref@example.org,1001,Ada,Lovelace\n"
          "triple_a,ta@example.org,1002,Tom,Triple\n"
          "triple_b,,1003,Tess,Triple\n"
          "ghost,ghost@example.org,1004,Gus,Ghost\n")
NOT_IN_ROSTER = ("blank", "patcher", "crasher")


@pytest.fixture(scope="module")
def roster(small_class):
    path = small_class.root / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def totals(small_class):
    with Gradebook(f"sqlite:///{small_class.root / 'gradebook.db'}") as gradebook:
        return {s.student_id: float(s.score) for s in gradebook.assignment_submissions(ASSIGNMENT)}


def course_export(root, *args):
    return subprocess.run([sys.executable, "-m", "course", "export", ASSIGNMENT, *args], cwd=root,
                          capture_output=True, text=True)


def rows(path):
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_does_the_moodle_export_hold_exactly_the_matched_roster_students(small_class, roster, totals):
    result = course_export(small_class.root, "--format", "moodle", "--roster", str(roster), "--to", "moodle.csv")
    assert result.returncode == 1, result.stderr  # written, but some students could not be matched
    assert rows(small_class.root / "moodle.csv") == [
        ["Email address", "First name", "Last name", ASSIGNMENT],
        ["ref@example.org", "Ada", "Lovelace", f"{totals['reference']:g}"],
        ["ta@example.org", "Tom", "Triple", f"{totals['triple_a']:g}"],
        ["ghost@example.org", "Gus", "Ghost", "-"],
    ]


def test_is_every_unmatched_student_reported_in_english(small_class, roster):
    result = course_export(small_class.root, "--format", "moodle", "--roster", str(roster), "--to", "moodle.csv")
    unmatched = [line for line in result.stderr.splitlines() if line.startswith("UNMATCHED: ")]
    for student in NOT_IN_ROSTER:
        assert any(line.startswith(f"UNMATCHED: {student} is in the gradebook but not in the roster")
                   and "handed in mini" in line for line in unmatched), student
    assert any("triple_b has no email in the roster: left out" in line for line in unmatched)
    assert any("ghost (in the roster) has no submission of mini" in line for line in unmatched)
    assert len(unmatched) == 5 and "5 student(s) could not be matched" in result.stdout


def test_can_moodle_match_on_the_id_number_instead(small_class, roster, totals):
    result = course_export(small_class.root, "--format", "moodle", "--roster", str(roster), "--match", "id_number",
                           "--to", "moodle-id.csv")
    written = rows(small_class.root / "moodle-id.csv")
    assert written[0][0] == "ID number" and [row[0] for row in written[1:]] == ["1001", "1002", "1003", "1004"]
    assert written[3][3] == f"{totals['triple_b']:g}" and "triple_b has no" not in result.stderr


def test_does_the_questions_export_give_each_cell_and_the_total_from_the_gradebook(small_class, roster, totals):
    result = course_export(small_class.root, "--format", "questions", "--roster", str(roster))
    assert result.returncode == 1, result.stderr
    header, *table = rows(small_class.root / "reports" / f"{ASSIGNMENT}-questions.csv")
    assert header == ["student_id", "email", "first_name", "last_name", "test_double", "test_total",
                      "test_values", "explain", "total"]
    by_student = {row[0]: dict(zip(header, row)) for row in table}
    assert set(by_student) == set(ANSWERS) | {"ghost"}  # the gradebook's students, and the roster's
    assert by_student["ghost"]["total"] == "" and by_student["reference"]["email"] == "ref@example.org"
    with Gradebook(f"sqlite:///{small_class.root / 'gradebook.db'}") as gradebook:
        for student in ANSWERS:
            for name in ("test_double", "test_total", "test_values", "explain"):
                score = gradebook.find_grade(name, ASSIGNMENT, ASSIGNMENT, student).score
                assert float(by_student[student][name]) == score, (student, name)
            assert float(by_student[student]["total"]) == totals[student]


def test_does_plain_nbgrader_export_use_the_plugins_from_the_course_root(small_class, roster, totals):
    log = pipeline.nbgrader(small_class.root, "export", "--exporter=course.reporting.exports.MoodleExport",
                            f"--MoodleExport.roster={roster}", "--to=nbgrader-moodle.csv", f"--assignment={ASSIGNMENT}")
    assert rows(small_class.root / "nbgrader-moodle.csv")[1] == ["ref@example.org", "Ada", "Lovelace",
                                                                 f"{totals['reference']:g}"]
    assert "WARNING" in log and "blank is in the gradebook but not in the roster" in log
    pipeline.nbgrader(small_class.root, "export", "--exporter=course.reporting.exports.QuestionsExport",
                      "--to=nbgrader-questions.csv")
    assert len(rows(small_class.root / "nbgrader-questions.csv")) == 1 + len(ANSWERS)


def test_is_a_moodle_export_without_a_roster_refused(small_class):
    result = course_export(small_class.root, "--format", "moodle")
    assert result.returncode == 2 and "needs a roster" in result.stderr
