"""`course grade --scheduler`: a class graded on a real Dask cluster (a `dask scheduler` and two one-thread
`dask worker` processes started from the command line on loopback) gets the points of local workers, and
survives the faults of a cluster: a worker killed mid-run, a task that kills workers, a lost scheduler, a worker
of another course, a second run of the same assignment."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import pytest
from local_dask import CHECKOUT, LocalCluster, executing

from course import pipeline, samples
from course.grading.rejudge import Rejudge
from course.grading.replay import NOT_EXECUTED
from course.grading.runner import grade_class, load_config
from course.grading.setup_check import GradingSetupError

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ASSIGNMENT = "tp_convolution"
SAMPLES = sorted(s.student for s in samples.SAMPLES[ASSIGNMENT])
STUDENTS = sorted([*SAMPLES, "renamed"])
quiet = lambda *args: None  # noqa: E731


def hand_in_class(root):
    """The samples, and the reference's notebook handed in under another name (found from the gradebook, on a
    worker that runs outside the course's folder)."""
    pipeline.write_submissions(root, ASSIGNMENT)
    renamed = shutil.copytree(root / "submitted" / "reference", root / "submitted" / "renamed")
    (renamed / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").rename(renamed / ASSIGNMENT / f"{ASSIGNMENT} (1).ipynb")


@pytest.fixture(scope="module")
def handed_in(tmp_path_factory):
    """The course with its release and the class handed in, never graded: copy it before use."""
    root = pipeline.copy_course(tmp_path_factory.mktemp("class") / "course")
    pipeline.generate_release(root, ASSIGNMENT)
    hand_in_class(root)
    return root


@pytest.fixture(scope="module")
def local_points(handed_in, tmp_path_factory):
    """The class's points with `course grade --jobs 2` (local worker processes)."""
    root = shutil.copytree(handed_in, tmp_path_factory.mktemp("local") / "course")
    grade_class(root, ASSIGNMENT, jobs=2, progress=False, log=quiet)
    points = pipeline.scores(root, ASSIGNMENT)
    assert points["renamed"] == points["reference"]
    return points


@pytest.fixture
def a_class(handed_in, tmp_path):
    return shutil.copytree(handed_in, tmp_path / "course")


def start_grading(root, address, output):
    """`course grade ASSIGNMENT --scheduler ADDRESS`, as an instructor types it, in its own process."""
    return subprocess.Popen([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--scheduler", address, "--root",
                             str(root), "--no-progress"], stdout=output, stderr=subprocess.STDOUT,
                            env=dict(os.environ, PYTHONPATH=str(CHECKOUT)))


def kill_the_worker_executing(cluster, fragment, timeout=300):
    """SIGKILL the worker process (its nanny starts a new one) once it executes a task whose key has
    ``fragment``; that key."""
    with cluster.client() as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid, keys in client.run(executing, on_error="ignore").values():
                for key in keys:
                    if fragment in key:
                        os.kill(pid, signal.SIGKILL)
                        return key
            time.sleep(0.2)
    raise AssertionError(f"no worker executed a task of {fragment} within {timeout} s")


def recorded(root):
    with sqlite3.connect(root / "gradebook.db") as db:
        return [row[0] for row in db.execute("select student_id from submitted_assignment")]


def run_report(root):
    import csv

    with open(root / "reports" / f"{ASSIGNMENT}-run.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_do_plain_nbgrader_local_workers_and_the_cluster_on_postgresql_give_identical_points(
        graded_course, local_points, postgres, handed_in, tmp_path, monkeypatch):
    """The same class three ways: `nbgrader autograde` on SQLite, `course grade --jobs 2` on SQLite, and `course
    grade --scheduler` into a PostgreSQL gradebook, as the instructor types it in the course root."""
    _, plain_points = graded_course(ASSIGNMENT)
    root = pipeline.copy_course(tmp_path / "course")
    postgres.point_course_at(root, postgres.database(), monkeypatch, tmp_path)
    pipeline.generate_release(root, ASSIGNMENT)
    hand_in_class(root)
    with LocalCluster(tmp_path / "dask") as cluster, open(tmp_path / "grade.log", "w") as output:
        run = subprocess.Popen([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--scheduler", cluster.address,
                                "--no-progress"], cwd=root, stdout=output, stderr=subprocess.STDOUT,
                               env=dict(os.environ, PYTHONPATH=str(CHECKOUT)))
        assert run.wait(1200) == 0, (tmp_path / "grade.log").read_text()
    assert not (root / "gradebook.db").exists()  # the grades went to the server
    assert sorted(plain_points) == SAMPLES  # nbgrader's own run: the samples
    assert {student: local_points[student] for student in SAMPLES} == plain_points
    assert pipeline.scores(root, ASSIGNMENT) == local_points
    said = (tmp_path / "grade.log").read_text()
    assert "Dask worker(s) of tcp://127.0.0.1:" in said and "dashboard: http://127.0.0.1:" in said, said
    assert "Submissions per worker: tcp://127.0.0.1:" in said, said
    assert sorted(row["student"] for row in run_report(root)) == STUDENTS
    for student in STUDENTS:  # the executed notebooks came back, with the files handed in
        autograded = root / "autograded" / student / ASSIGNMENT
        assert sorted(p.name for p in autograded.iterdir()) == ["cat.jpg", "tp_convolution.ipynb"]


def test_does_a_worker_killed_mid_run_lose_nothing_and_record_nothing_twice(a_class, local_points, tmp_path):
    with LocalCluster(tmp_path / "dask") as cluster, open(tmp_path / "grade.log", "w") as output:
        run = start_grading(a_class, cluster.address, output)
        killed = kill_the_worker_executing(cluster, "-class-")
        # While it runs, a second run of the same assignment is refused, and so is a rejudge.
        with pytest.raises(GradingSetupError, match="Another grading run of 'tp_convolution' is in progress"):
            grade_class(a_class, ASSIGNMENT, jobs=1, progress=False, log=quiet)
        with pytest.raises(GradingSetupError, match="Another grading run"):
            Rejudge(a_class, load_config(a_class), ASSIGNMENT).run()
        assert run.wait(600) in (0, 1), (tmp_path / "grade.log").read_text()
    rows = run_report(a_class)
    assert sorted(row["student"] for row in rows) == STUDENTS  # each once
    assert not [row for row in rows if row["status"] == "failed"], (killed, rows)
    assert sorted(recorded(a_class)) == STUDENTS
    assert pipeline.scores(a_class, ASSIGNMENT) == local_points


def test_is_a_submission_that_kills_its_workers_recorded_as_failed_not_retried_forever(a_class, tmp_path):
    # allowed-failures 1: Dask runs it again once after a worker died running it, and gives up when the second
    # worker dies too.
    settings = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    with LocalCluster(tmp_path / "dask", scheduler_env=settings) as cluster, \
            open(tmp_path / "grade.log", "w") as output:
        run = start_grading(a_class, cluster.address, output)
        for _ in range(2):
            kill_the_worker_executing(cluster, "-class-blank")
        assert run.wait(600) == 1, (tmp_path / "grade.log").read_text()
    rows = {row["student"]: row for row in run_report(a_class)}
    assert sorted(rows) == STUDENTS and sorted(recorded(a_class)) == STUDENTS
    assert rows["blank"]["status"] == "failed" and "KilledWorker" in rows["blank"]["reason"]
    assert [row for student, row in rows.items() if student != "blank" and row["status"] == "failed"] == []
    notebook = nbformat.read(a_class / "autograded" / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    said = [output.get("evalue") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert said and set(said) == {NOT_EXECUTED}  # the student's French message


def test_does_a_lost_scheduler_stop_the_run_with_a_message_and_keep_what_was_recorded(a_class, tmp_path):
    with LocalCluster(tmp_path / "dask") as cluster, open(tmp_path / "grade.log", "w") as output:
        run = start_grading(a_class, cluster.address, output)
        deadline = time.monotonic() + 600
        while not recorded(a_class) and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
        before = recorded(a_class)
        cluster.kill_scheduler()
        code = run.wait(300)
    said = (tmp_path / "grade.log").read_text()
    assert before and code == 2, said
    assert "The Dask scheduler at tcp://127.0.0.1:" in said and "was lost during the run" in said
    assert "Traceback" not in said  # one sentence, not distributed's reconnection traceback
    assert set(before) <= set(recorded(a_class))
    assert not (a_class / "reports" / f"{ASSIGNMENT}-run.csv").exists()


def test_does_a_worker_of_another_course_refuse_to_grade_saying_what_differs(a_class, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(CHECKOUT / "course", other / "course", ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "course" / "grading" / "sandbox.py", "a") as stream:
        stream.write("# another version of the engine\n")
    with LocalCluster(tmp_path / "dask", workers=0) as cluster:
        cluster.add_worker("other", pythonpath=str(other))
        cluster.wait_for_workers(1)
        with pytest.raises(GradingSetupError, match=r"refuses to grade tp_convolution: it does not run the same "
                                                    r"course.*course/grading/sandbox\.py"):
            grade_class(a_class, ASSIGNMENT, progress=False, log=quiet, scheduler=cluster.address)
    assert recorded(a_class) == []
