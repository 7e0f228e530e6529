"""Each environment problem stops grading before any student, with a message that names it and its fix."""
import sqlite3
import subprocess
import sys

from course import pipeline

MISSING = "/nonexistent/cnn-course/bin/python"


def submissions(root):
    with sqlite3.connect(root / "gradebook.db") as db:
        return db.execute("select count(*) from submitted_assignment").fetchone()[0]


def test_does_grading_name_a_course_environment_that_was_not_found(course_copy):
    pipeline.generate_release(course_copy, "cnn_bases")
    pipeline.write_submissions(course_copy, "cnn_bases", ["reference"])
    config = course_copy / "course_config.py"
    config.write_text(config.read_text().replace("GRADING_PYTHON = None", f"GRADING_PYTHON = {MISSING!r}"))
    for command in (["course", "grade", "cnn_bases", "--no-progress"], ["nbgrader", "autograde", "cnn_bases"]):
        result = subprocess.run([sys.executable, "-m", *command], cwd=course_copy, capture_output=True, text=True,
                                timeout=900)
        said = result.stdout + result.stderr
        assert result.returncode != 0, said[-3000:]
        assert f"the course environment was not found (the grading Python {MISSING} does not exist" in said, said
        assert "set GRADING_PYTHON in course_config.py to the Python of the course environment" in said
    assert submissions(course_copy) == 0
    assert not (course_copy / "autograded").exists()
