"""Grading by an unprivileged instructor, with the course anywhere: a home folder, /srv, /tmp.

CI runs as root, for whom a read-only file is writable and a remount keeps whatever flags it likes: these tests
grade as an instructor made for the test, in the shared environment of deploy/install.sh.
"""
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from course import pipeline
from unix_users import run_as, user_environment

ASSIGNMENT = "tp_convolution"
#: The reference solution (full marks) and the blank release (0): what a class run must tell apart.
STUDENTS = ("reference", "blank")
FULL_MARKS = 16.0


@pytest.fixture(scope="module")
def instructor(deployment, unix_users):
    return unix_users.create("grd", groups=[deployment.instructors_group])


@pytest.fixture(scope="module")
def prepared(deployment, instructor):
    """A course released by the instructor (in the shared environment) with two submissions handed in."""
    folder = Path(tempfile.mkdtemp(prefix="cnn-prepared-", dir="/var/tmp"))
    root = pipeline.copy_course(folder / "course")
    give(folder, instructor)
    env = user_environment(instructor, [deployment.bin])
    run_as(instructor, ["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], env=env, cwd=root)
    pipeline.write_submissions(root, ASSIGNMENT, chosen=STUDENTS)
    give(root, instructor)
    yield root
    shutil.rmtree(folder, ignore_errors=True)


def give(path, user):
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(path)], check=True)


def place(prepared, folder, instructor):
    """A copy of the prepared course in ``folder``, owned by the instructor."""
    root = Path(folder) / "course"
    shutil.copytree(prepared, root, symlinks=True)
    give(folder, instructor)
    return root


def totals(root):
    scores = pipeline.scores(root, ASSIGNMENT)
    return {student: sum(cells.values()) for student, cells in scores.items()}


def test_can_an_instructor_grade_a_class_in_their_home_folder(deployment, instructor, prepared):
    folder = instructor.home / "cours"
    folder.mkdir()
    root = place(prepared, folder, instructor)
    env = user_environment(instructor, [deployment.bin])
    run = run_as(instructor, ["course", "grade", ASSIGNMENT, "--jobs", "2", "--no-progress"], env=env, cwd=root,
                 check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert totals(root) == {"reference": FULL_MARKS, "blank": 0.0}


def test_can_an_instructor_grade_with_plain_nbgrader_in_srv(deployment, instructor, prepared, unix_users):
    folder = Path("/srv") / f"{unix_users.prefix}-course"
    folder.mkdir()
    try:
        root = place(prepared, folder, instructor)
        env = user_environment(instructor, [deployment.bin])
        run = run_as(instructor, ["nbgrader", "autograde", ASSIGNMENT, "--force"], env=env, cwd=root, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        assert totals(root) == {"reference": FULL_MARKS, "blank": 0.0}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_can_an_instructor_grade_a_class_under_tmp_with_the_environment_there_too(deployment, instructor, prepared):
    folder = Path(tempfile.mkdtemp(prefix="cnn-course-", dir="/tmp"))
    try:
        root = place(prepared, folder, instructor)
        # The environment reached through /tmp: each kernel's fresh /tmp must carry it over, read-only.
        env_link = folder / "env"
        env_link.symlink_to(deployment.env)
        env = user_environment(instructor, [env_link / "bin"])
        run = run_as(instructor, ["python", "-m", "course", "grade", ASSIGNMENT, "--jobs", "2", "--no-progress"],
                     env=env, cwd=root, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
        assert totals(root) == {"reference": FULL_MARKS, "blank": 0.0}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
