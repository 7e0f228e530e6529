"""`course report` on a class graded by plain `nbgrader autograde`: its numbers are the gradebook's."""
import csv
import shutil
import subprocess
import sys
from collections import Counter

import pytest
from nbgrader.api import Gradebook
from PIL import Image

from small_class import ANSWERS, ASSIGNMENT, AWAITING, BY_HAND, DOUBLE_MESSAGE
from course.reporting.course_directory import load_nbgrader_app
from course.reporting.gather import NO_MESSAGE, ReportError, failure_message, gather
from course.reporting.report import write_class_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def numbers(small_class):
    return gather(load_nbgrader_app(small_class.root).coursedir, ASSIGNMENT)


@pytest.fixture(scope="module")
def gradebook_grades(small_class):
    """(student, grade_id) -> (score, needs a human), read through nbgrader's API one grade at a time."""
    grades = {}
    with Gradebook(f"sqlite:///{small_class.root / 'gradebook.db'}") as gradebook:
        for student in ANSWERS:
            for name in ("test_double", "test_total", "test_values", "explain"):
                grade = gradebook.find_grade(name, ASSIGNMENT, ASSIGNMENT, student)
                grades[student, name] = (float(grade.score), bool(grade.needs_manual_grade))
    return grades


def test_is_every_student_total_the_gradebooks(numbers, small_class):
    with Gradebook(f"sqlite:///{small_class.root / 'gradebook.db'}") as gradebook:
        expected = {s.student_id: float(s.score) for s in gradebook.assignment_submissions(ASSIGNMENT)}
    assert numbers.totals == expected and set(expected) == set(ANSWERS)
    assert numbers.max_score == 6.0 and numbers.totals["reference"] == 6.0


def test_is_each_questions_success_the_share_of_points_in_the_gradebook(numbers, gradebook_grades):
    questions = {q.name: q for q in numbers.questions}
    assert [q.name for q in numbers.questions] == ["test_double", "test_total", "test_values", "explain"]
    assert [q.autograded for q in numbers.questions] == [True, True, True, False]
    for name, question in questions.items():
        graded = [score for (student, grade_id), (score, waits) in gradebook_grades.items()
                  if grade_id == name and not waits]
        assert sorted(question.scores) == sorted(graded), name
        assert question.success_rate == pytest.approx(sum(graded) / (len(graded) * question.max_score)), name
    assert questions["test_double"].full_marks == 3  # reference, patcher, crasher (its kernel died later)


def test_is_the_manual_grading_left_what_nbgrader_says_needs_a_human(numbers, gradebook_grades):
    waiting = sorted(student for (student, name), (_, waits) in gradebook_grades.items() if waits)
    assert waiting == AWAITING == numbers.awaiting_students
    assert numbers.awaiting_answers == 2
    explain = next(q for q in numbers.questions if q.name == "explain")
    assert explain.awaiting == 2 and BY_HAND["reference"] in explain.scores and BY_HAND["triple_a"] in explain.scores


def test_are_the_wrong_answers_the_tests_messages_grouped_and_counted(numbers):
    wrong = dict(next(q for q in numbers.questions if q.name == "test_double").wrong_answers)
    assert wrong[DOUBLE_MESSAGE] == 2  # triple_a and triple_b, one line
    assert wrong == {DOUBLE_MESSAGE: 2, "NotImplementedError": 1}  # and blank's stub


def test_are_incidents_and_flags_counted_per_student(numbers, small_class):
    assert numbers.incidents["kernel_died"] == 1 and numbers.incident_students == ["crasher"]
    with open(small_class.root / "reports" / f"{ASSIGNMENT}-integrity.csv", encoding="utf-8") as stream:
        pairs = {(row["student"], row["flag"]) for row in csv.DictReader(stream)}
    assert numbers.flags == Counter(flag for _, flag in pairs)
    assert ("patcher", "sys_modules") in pairs and numbers.flagged_students == len({s for s, _ in pairs})


def test_does_the_page_show_the_numbers_with_valid_figures_beside_it(small_class):
    page, figures = write_class_report(small_class.root, ASSIGNMENT)
    html = page.read_text(encoding="utf-8")
    assert page == small_class.root / "reports" / f"{ASSIGNMENT}-class.html"
    assert "double(3) devrait valoir 6" in html and "Manual grading left: <strong>2 answers</strong>" in html
    assert "kernel_died" in html and "sys_modules" in html
    assert [p.name for p in figures] == [f"{ASSIGNMENT}-class-totals.png", f"{ASSIGNMENT}-class-questions.png"]
    for path in figures:
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG" and image.size[0] > 300 and image.size[1] > 200
        assert html.count("data:image/png;base64,") == 2


def test_does_course_report_write_the_page_from_the_course_root(small_class):
    page = small_class.root / "reports" / f"{ASSIGNMENT}-class.html"
    page.unlink(missing_ok=True)
    result = subprocess.run([sys.executable, "-m", "course", "report", ASSIGNMENT], cwd=small_class.root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert str(page) in result.stdout and page.is_file()


def test_does_an_unknown_assignment_stop_with_the_fix(small_class):
    with pytest.raises(ReportError, match="generate_assignment nothing"):
        gather(load_nbgrader_app(small_class.root).coursedir, "nothing")


def test_is_a_missing_gradebook_refused_rather_than_created(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("")
    with pytest.raises(ReportError, match="No gradebook"):
        gather(load_nbgrader_app(tmp_path).coursedir, ASSIGNMENT)
    assert not (tmp_path / "gradebook.db").exists()


@pytest.mark.parametrize("cell, message", [
    ({"metadata": {"course_grading": {"verdict": {"passed": False, "message": "Forme  attendue\n(3, 4)"}}},
      "outputs": [{"output_type": "error", "ename": "Réponse incorrecte", "evalue": "x"}]}, "Forme attendue (3, 4)"),
    ({"outputs": [{"output_type": "error", "ename": "AssertionError", "evalue": ""}]}, "AssertionError"),
    ({"outputs": []}, NO_MESSAGE),
])
def test_is_a_failed_tests_message_the_judges_verdict_else_its_error(cell, message):
    assert failure_message(cell) == message


def test_does_course_grade_end_by_writing_the_class_report(small_class, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(small_class.root, root, symlinks=True)
    page = root / "reports" / f"{ASSIGNMENT}-class.html"
    page.unlink(missing_ok=True)
    result = subprocess.run([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--jobs", "1", "--no-progress"],
                            cwd=root, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert f"Class report: {page}" in result.stdout and "Class report: mini" in page.read_text(encoding="utf-8")


def test_is_the_gradebook_the_one_the_configuration_names(small_class, numbers, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(small_class.root, root, symlinks=True)
    elsewhere = tmp_path / "site" / "grades.sqlite"
    elsewhere.parent.mkdir()
    (root / "gradebook.db").rename(elsewhere)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"get_config().CourseDirectory.db_url = 'sqlite:///{elsewhere}'  # noqa: F821\n")
    assert gather(load_nbgrader_app(root).coursedir, ASSIGNMENT).totals == numbers.totals
