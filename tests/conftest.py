"""Shared fixtures: a graded copy of the course, made once per session and assignment."""
import os
import shutil

import pytest

from course import assignments, pipeline


@pytest.fixture(autouse=True)
def _keep_umask():
    """Loading the course's configuration in-process sets a private umask (course_config.configure_nbgrader):
    each test starts with the session's, whatever ran before."""
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    os.umask(umask)


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """assignment -> (course dir, scores) after the sample submissions went through nbgrader."""
    cache = {}

    def grade(assignment):
        if assignment not in cache:
            root = pipeline.copy_course(tmp_path_factory.mktemp(f"course-{assignment}"))
            pipeline.generate_release(root, assignment)
            pipeline.write_submissions(root, assignment)
            pipeline.autograde(root, assignment)
            cache[assignment] = root, pipeline.scores(root, assignment)
        return cache[assignment]

    return grade


@pytest.fixture
def course_copy(tmp_path):
    """A fresh copy of the course sources, nothing generated or graded."""
    return pipeline.copy_course(tmp_path / "course")


def pytest_report_header(config):
    return f"course assignments: {', '.join(assignments.names())}; bwrap: {shutil.which('bwrap')}"



@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (tests/support/postgres_server.py), stopped at the end."""
    from postgres_server import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()
