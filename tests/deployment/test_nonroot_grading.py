"""Grading by an unprivileged instructor, with the course anywhere: a home folder, /srv, /tmp.

CI runs as root, who writes into read-only files and remounts with whatever flags it likes: these tests grade as
an instructor made for the test, in the shared environment of deploy/install.sh, each location with another
entry point (`course grade`, plain `nbgrader autograde`, the formgrader's button). Each grades the reference
solution (full marks) and the blank release (0).
"""
import json
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


@pytest.fixture(scope="module")
def instructor(deployment, unix_users):
    return unix_users.create("grd", groups=[deployment.instructors_group])


@pytest.fixture(scope="module")
def prepared(deployment, instructor):
    """A course released by the instructor (in the shared environment) with two submissions handed in."""
    folder = Path(tempfile.mkdtemp(prefix="cnn-prepared-", dir="/var/tmp"))
    try:
        root = pipeline.copy_course(folder / "course")
        give(folder, instructor)
        env = user_environment(instructor, [deployment.bin])
        run_as(instructor, ["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], env=env, cwd=root)
        pipeline.write_submissions(root, ASSIGNMENT, chosen=STUDENTS)
        give(root, instructor)
        yield root
    finally:
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
    """student -> autograded points, as recorded in the gradebook."""
    return {student: sum(cells.values()) for student, cells in pipeline.scores(root, ASSIGNMENT).items()}


def expected(root):
    return {"reference": sum(pipeline.max_scores(root, ASSIGNMENT).values()), "blank": 0.0}


def test_can_an_instructor_grade_a_class_in_their_home_folder(deployment, instructor, prepared):
    folder = instructor.home / "cours"
    folder.mkdir()
    root = place(prepared, folder, instructor)
    # Copies keep their mode: the pre-flight's copy of a solution kept read-only must still get its answers.
    (root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").chmod(0o444)
    env = user_environment(instructor, [deployment.bin])
    run_as(instructor, ["course", "grade", ASSIGNMENT, "--jobs", "2", "--no-progress"], env=env, cwd=root)
    assert totals(root) == expected(root)


#: What the formgrader's "autograde" button runs: nbgrader's API, in-process, in the course root.
FORMGRADER_AUTOGRADE = f"""
import json
from traitlets.config.loader import PyFileConfigLoader
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
print(json.dumps(api.autograde("{ASSIGNMENT}", "blank")))
"""


def test_can_an_instructor_grade_with_plain_nbgrader_and_the_formgrader_in_srv(deployment, instructor, prepared,
                                                                                 unix_users):
    folder = Path("/srv") / f"{unix_users.prefix}-course"
    folder.mkdir(parents=True)
    try:
        root = place(prepared, folder, instructor)
        for package in ("graders", "handover"):  # as on a hub: the environment's, graders for instructors only
            shutil.rmtree(root / package)
        env = user_environment(instructor, [deployment.bin])
        run_as(instructor, ["nbgrader", "autograde", ASSIGNMENT, "--student", "reference"], env=env, cwd=root)
        pressed = run_as(instructor, ["python", "-c", FORMGRADER_AUTOGRADE], env=env, cwd=root)
        result = json.loads(pressed.stdout.strip().splitlines()[-1])
        assert result["success"], result.get("error", "") + result.get("log", "")
        assert totals(root) == expected(root)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_can_an_instructor_grade_a_class_under_tmp_with_the_environment_there_too(deployment, instructor, prepared):
    folder = Path(tempfile.mkdtemp(prefix="cnn-course-", dir="/tmp"))
    try:
        root = place(prepared, folder, instructor)
        # The environment reached through /tmp: each forked kernel gets a fresh /tmp that must carry it over,
        # remounted read-only, which a user namespace allows only with the mount's locked flags kept.
        (folder / "env").symlink_to(deployment.env)
        env = user_environment(instructor, [folder / "env" / "bin"])
        run_as(instructor, ["python", "-m", "course", "grade", ASSIGNMENT, "--jobs", "2", "--no-progress"],
               env=env, cwd=root)
        assert totals(root) == expected(root)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
