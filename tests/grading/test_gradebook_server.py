"""The gradebook on a real PostgreSQL server: a worker's private copy, and a server that cannot be reached.

The server is started by the tests on 127.0.0.1 (tests/support/postgres_server.py); a course points at it as
docs/scale.md says (GRADEBOOK_URL without a password, the password in a private pgpass file).
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from sqlalchemy import text
from sqlalchemy.exc import SAWarning

from course import pipeline
from course.deployment.doctor import Settings, check_gradebook
from course.grading import configuration
from course.grading.gradebook import worker_gradebook
from course.grading.runner import grade_class
from course.grading.setup_check import GradingSetupError

pytestmark = pytest.mark.cluster


@pytest.fixture(autouse=True)
def _alembic_reachable(monkeypatch):
    """nbgrader runs `alembic` from PATH when it creates a gradebook (the course's configuration puts the
    environment's tools there; these tests open gradebooks without it)."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _fill(url):
    """Two assignments, two students, a graded submission: what a course's gradebook holds after some grading."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(url, "cnn-pytorch") as gradebook:
            for name in ("lab", "other"):
                gradebook.add_assignment(name)
                gradebook.add_notebook(name, name)
                gradebook.add_grade_cell("test_a", name, name, max_score=2, cell_type="code")
                gradebook.add_solution_cell("answer", name, name)
                gradebook.add_source_cell("test_a", name, name, cell_type="code", locked=True, source="assert 1")
            gradebook.add_student("alice", first_name="Alice")
            gradebook.add_student("bob")
            gradebook.add_submission("lab", "alice")
            grade = gradebook.find_grade("test_a", "lab", "lab", "alice")
            grade.auto_score = 2
            gradebook.db.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def gradebook_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gradebook.db'}"
    server = request.getfixturevalue("postgres")
    return server.url(server.database())


def test_does_a_workers_gradebook_hold_the_assignment_definition_and_no_grade(gradebook_url, tmp_path):
    _fill(gradebook_url)
    (tmp_path / "worker").mkdir()
    copy = worker_gradebook(gradebook_url, "lab", tmp_path / "worker" / "gradebook.db")
    with sqlite3.connect(copy) as db:
        assert db.execute("select name from assignment").fetchall() == [("lab",)]
        assert db.execute("select name from notebook").fetchall() == [("lab",)]
        assert sorted(db.execute("select name, type from base_cell").fetchall()) == [
            ("answer", "SolutionCell"), ("test_a", "GradeCell")]
        assert db.execute("select max_score from grade_cells").fetchall() == [(2.0,)]
        assert db.execute("select source from source_cell").fetchall() == [("assert 1",)]
        assert sorted(db.execute("select id, first_name from student").fetchall()) == [("alice", "Alice"),
                                                                                     ("bob", None)]
        assert db.execute("select count(*) from submitted_assignment").fetchone() == (0,)
        assert db.execute("select count(*) from grade").fetchone() == (0,)
    with Gradebook(f"sqlite:///{copy}", "cnn-pytorch") as gradebook:  # nbgrader reads it as its own
        assert [cell.name for cell in gradebook.find_notebook("lab", "lab").grade_cells] == ["test_a"]


@pytest.mark.parametrize("fault", ["server down", "wrong password", "no database"])
def test_does_an_unreachable_gradebook_stop_grading_before_anything_with_the_fix(fault, postgres, course_copy,
                                                                                monkeypatch, tmp_path):
    database = postgres.database()
    url = postgres.point_course_at(course_copy, database, monkeypatch, tmp_path)
    said = {"server down": ("does not answer", "pg_isready"),
            "wrong password": ("refused the password", "~/.pgpass"),
            "no database": ("has no database", "createdb")}[fault]
    if fault == "server down":
        monkeypatch.setattr("course_config.GRADEBOOK_URL", postgres.url(database, password=None, port=1))
    elif fault == "wrong password":
        (tmp_path / "pgpass").write_text("*:*:*:*:not-the-password\n")
    else:
        monkeypatch.setattr("course_config.GRADEBOOK_URL", url.replace(database, "no_such_gradebook"))
        (tmp_path / "pgpass").write_text(f"*:*:*:*:{postgres.password}\n")
    with pytest.raises(GradingSetupError) as refused:
        grade_class(course_copy, "tp_convolution", jobs=1, progress=False, log=lambda *a: None)
    message = str(refused.value)
    assert all(words in message for words in said) and "nothing was recorded" in message
    assert postgres.password not in message
    with postgres.superuser() as admin:  # nothing written: nbgrader did not even create its tables
        assert admin.execute("SELECT count(*) FROM pg_stat_database WHERE datname = %s", (database,)).fetchone()[0]
    with Gradebook(postgres.url(database)) as gradebook:
        assert gradebook.students == [] and gradebook.assignments == []
    assert not (course_copy / "autograded").exists()


def test_does_the_configuration_refuse_a_password_written_in_course_config(tmp_path):
    written = tmp_path / "course_config.py"
    url = "postgresql+psycopg://grader:s3cret-pw@db.example.org/cnn"
    written.write_text(f"GRADEBOOK_URL = {url!r}\n")
    course = types.SimpleNamespace(GRADEBOOK_URL=url, __file__=str(written))
    with pytest.raises(GradingSetupError, match="~/.pgpass") as refused:
        configuration.gradebook(types.SimpleNamespace(CourseDirectory=types.SimpleNamespace()), course)
    assert "s3cret-pw" not in str(refused.value)


def test_does_a_url_without_password_reach_nbgraders_course_directory(tmp_path):
    from traitlets.config import Config

    course = types.SimpleNamespace(GRADEBOOK_URL="postgresql+psycopg://grader@db.example.org/cnn",
                                   __file__=str(tmp_path / "course_config.py"))
    config = Config()
    configuration.gradebook(config, course)
    assert config.CourseDirectory.db_url == "postgresql+psycopg://grader@db.example.org/cnn"
    course.GRADEBOOK_URL = None
    config = Config()
    configuration.gradebook(config, course)
    assert "db_url" not in config.CourseDirectory  # nbgrader's default: gradebook.db in the course root


def test_does_course_doctor_say_what_it_checks_on_a_gradebook_server(postgres, tmp_path, monkeypatch):
    database = postgres.database()
    url = postgres.url(database)
    _fill(url)
    found = check_gradebook(Settings(python="python", db_url=url), tmp_path)
    assert [f.level for f in found] == ["note"] and "not checked" in found[0].what
    assert postgres.password not in found[0].what
    with Gradebook(url) as gradebook:  # the owner opens one table to every role of the server
        gradebook.db.execute(text("GRANT SELECT ON grade TO PUBLIC"))
        gradebook.db.commit()
    found = check_gradebook(Settings(python="python", db_url=url), tmp_path)
    assert any(f.level == "error" and "grade" in f.what and "REVOKE" in f.fix for f in found)
    down = check_gradebook(Settings(python="python", db_url=postgres.url(database, port=1)), tmp_path)
    assert any(f.level == "error" and "does not answer" in f.what for f in down)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text("*:*:*:*:x\n")
    pgpass.chmod(0o644)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert any(f.level == "error" and "chmod 600" in f.fix for f in check_gradebook(Settings(python="python",
                                                                                             db_url=url), tmp_path))


def test_do_plain_nbgrader_rejudge_and_report_stop_with_the_fix_on_a_server_that_does_not_answer(course_copy):
    """The same refusal everywhere, before anything is removed or recorded (plain nbgrader: the setup check of
    course/grading/gate.py, which runs before nbgrader's --force removes an earlier autograded copy)."""
    with open(course_copy / "course_config.py", "a", encoding="utf-8") as stream:
        stream.write('\nGRADEBOOK_URL = "postgresql+psycopg://grader@127.0.0.1:1/gradebook"\n')
    handed_in = course_copy / "submitted" / "alice" / "tp_convolution"
    handed_in.mkdir(parents=True)
    shutil.copy(course_copy / "source" / "tp_convolution" / "tp_convolution.ipynb", handed_in)
    with pytest.raises(pipeline.NbgraderError, match="does not answer") as refused:
        pipeline.autograde(course_copy, "tp_convolution")
    assert "pg_isready -h 127.0.0.1 -p 1" in str(refused.value) and "nothing was recorded" in str(refused.value)
    assert not (course_copy / "autograded").exists()
    for command in (["rejudge", "tp_convolution"], ["report", "tp_convolution"]):
        result = subprocess.run([sys.executable, "-m", "course", *command], cwd=course_copy, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 2 and "does not answer" in result.stderr and "pg_isready" in result.stderr, (
            command, result.returncode, result.stderr[-2000:])
