"""A class graded into a real PostgreSQL gradebook: the points of plain nbgrader on SQLite, manual grading during the
run, and every course command reading the server.

The course copy points at the server as docs/scale.md says (GRADEBOOK_URL without a password in its
course_config.py, the password in a private pgpass file), and everything runs as the instructor types it: `nbgrader
generate_assignment`, `course grade --jobs 2`, `course rejudge`, `course report`, `course export`, `nbgrader
generate_feedback` and `nbgrader export`, each a command started in the course root.
"""
import csv
import json
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings

import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from course import pipeline, samples

pytestmark = [pytest.mark.slow, pytest.mark.cluster]
ASSIGNMENT = "tp_convolution"


def course_command(root, *args, timeout=1800):
    return subprocess.run([sys.executable, "-m", "course", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout)


def recorded_students(gradebook):
    """Students whose every autograded cell has its score in the gradebook (the writer is done with them)."""
    gradebook.db.commit()  # a new transaction: see what the writer committed since
    return {submission.student_id for submission in gradebook.assignment_submissions(ASSIGNMENT)
            if all(grade.auto_score is not None for notebook in submission.notebooks
                   for grade in notebook.grades if grade.cell.cell_type == "code")}


def enter_manual_grades(gradebook, student, points, comment):
    """What the formgrader writes when an instructor grades ``student``'s open questions (nbgrader's API)."""
    for grade_id, score in points.items():
        grade = gradebook.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gradebook.find_comment(grade_id, ASSIGNMENT, ASSIGNMENT, student).manual_comment = comment
    gradebook.db.commit()


def grade_by_hand_during_the_run(points, url, run):
    """While ``run`` (a `course grade` process) records the class, give each recorded student's open questions
    (``points``: grade_id -> maximum) half their points, as an instructor in the formgrader would. ``url``: the
    gradebook as another role than the course's, through one connection, so the run's own load can be counted
    apart. What was entered, and how many students were recorded when each entry was made."""
    entered, recorded_then = {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(url) as gradebook:
            while run.poll() is None:
                for student in sorted(recorded_students(gradebook) - set(entered)):
                    if run.poll() is not None:
                        break
                    recorded_then.append(len(recorded_students(gradebook)))
                    given = {grade_id: maximum / 2 for grade_id, maximum in points.items()}
                    enter_manual_grades(gradebook, student, given, f"Relu pendant la correction de {student}.")
                    entered[student] = given
                time.sleep(0.2)
    return entered, recorded_then


@pytest.fixture(scope="module")
def class_on_postgres(graded_course, postgres, tmp_path_factory):
    """The samples graded by `course grade --jobs 2` into PostgreSQL, with manual grades entered during the run."""
    sqlite = graded_course(ASSIGNMENT)  # first: its scores are read with the course's own configuration
    folder = tmp_path_factory.mktemp("pg-class")
    database = postgres.database()
    with pytest.MonkeyPatch.context() as monkeypatch:
        root = pipeline.copy_course(folder / "course")
        url = postgres.point_course_at(root, database, monkeypatch, folder)
        pipeline.generate_release(root, ASSIGNMENT)
        pipeline.write_submissions(root, ASSIGNMENT)
        points = pipeline.open_question_points(root, ASSIGNMENT)
        before = postgres.load(database)
        run = subprocess.Popen([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--jobs", "2", "--no-progress"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        entered, recorded_then = grade_by_hand_during_the_run(points, postgres.admin_url(database), run)
        output = run.communicate(timeout=1800)[0]
        load = {key: value - before[key] for key, value in postgres.load(database).items()}
        load["connections (any role)"] -= 1  # the manual grading's own
        yield {"root": root, "url": url, "database": database, "run": run, "output": output, "entered": entered,
               "recorded_then": recorded_then, "load": load, "sqlite": sqlite}


def test_does_course_grade_on_postgresql_give_the_points_of_plain_nbgrader_on_sqlite(class_on_postgres):
    run = class_on_postgres["run"]
    assert run.returncode == 0, class_on_postgres["output"]
    sqlite_root, sqlite_scores = class_on_postgres["sqlite"]
    assert (sqlite_root / "gradebook.db").is_file() and not (class_on_postgres["root"] / "gradebook.db").exists()
    assert set(sqlite_scores) == {sample.student for sample in samples.SAMPLES[ASSIGNMENT]}
    assert pipeline.scores(class_on_postgres["root"], ASSIGNMENT) == sqlite_scores


def test_does_manual_grading_during_the_run_lose_nothing(class_on_postgres):
    entered, recorded_then = class_on_postgres["entered"], class_on_postgres["recorded_then"]
    everyone = len(samples.SAMPLES[ASSIGNMENT])
    # Grades were entered while the writer still had students to record, and it recorded them after.
    assert entered and min(recorded_then) < everyone, recorded_then
    manual = pipeline.manual_scores(class_on_postgres["root"], ASSIGNMENT)
    assert {student: manual[student] for student in entered} == entered
    with Gradebook(class_on_postgres["url"]) as gradebook:
        for student in entered:
            comments = [comment.manual_comment for notebook in gradebook.find_submission(ASSIGNMENT, student).notebooks
                        for comment in notebook.comments if comment.manual_comment]
            assert comments and all(student in comment for comment in comments)
    with Gradebook(class_on_postgres["url"]) as gradebook:
        assert len(recorded_students(gradebook)) == everyone


def test_do_rejudge_report_and_export_read_the_postgresql_gradebook(class_on_postgres):
    root = class_on_postgres["root"]
    rejudged = course_command(root, "rejudge", ASSIGNMENT, "--dry-run")
    assert rejudged.returncode == 0, rejudged.stderr
    assert f"{len(samples.SAMPLES[ASSIGNMENT])} student" in rejudged.stdout, rejudged.stdout
    report = course_command(root, "report", ASSIGNMENT)
    assert report.returncode == 0, report.stderr
    page = (root / "reports" / f"{ASSIGNMENT}-class.html").read_text(encoding="utf-8")
    assert "reference" in page or str(len(samples.SAMPLES[ASSIGNMENT])) in page
    exported = course_command(root, "export", ASSIGNMENT, "--format", "questions")
    assert exported.returncode == 0, exported.stderr
    with open(root / "reports" / f"{ASSIGNMENT}-questions.csv", newline="", encoding="utf-8") as stream:
        rows = {row["student_id"]: row for row in csv.DictReader(stream)}
    scores = pipeline.scores(root, ASSIGNMENT)
    assert set(rows) == set(scores)
    for student, cells in scores.items():
        assert {grade_id: float(rows[student][grade_id]) for grade_id in cells} == cells


def test_do_plain_nbgraders_feedback_and_export_read_the_postgresql_gradebook(class_on_postgres):
    root = class_on_postgres["root"]
    pipeline.generate_feedback(root, ASSIGNMENT)
    assert {p.parent.parent.name for p in (root / "feedback").glob(f"*/{ASSIGNMENT}/*.html")} == set(
        pipeline.scores(root, ASSIGNMENT))
    with open(pipeline.export(root), newline="", encoding="utf-8") as stream:
        rows = {row["student_id"]: row for row in csv.DictReader(stream)}
    manual = pipeline.manual_scores(root, ASSIGNMENT)
    for student, cells in pipeline.scores(root, ASSIGNMENT).items():
        assert float(rows[student]["raw_score"]) == pytest.approx(sum(cells.values()) + sum(manual[student].values()))


def test_what_load_does_a_graded_submission_put_on_postgresql(class_on_postgres):
    """Not a bound: the numbers docs/scale.md quotes, printed (`pytest -s`), and sane."""
    load, students = class_on_postgres["load"], len(samples.SAMPLES[ASSIGNMENT])
    per_submission = {key: value / students for key, value in load.items()}
    print(f"\nPostgreSQL load of `course grade --jobs 2`, per submission: {per_submission}")
    assert 0 < per_submission["commits"] and 0 < per_submission["statements"]


@pytest.fixture
def formgrader(class_on_postgres):
    """The instructor's Jupyter server with nbgrader's formgrader, in the course root (its configuration, so its
    gradebook is the server's); (base URL, token)."""
    from postgres_server import free_port

    port, token = free_port(), secrets.token_hex(16)
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root",
                               "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}"],
                              cwd=class_on_postgres["root"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while formgrader_api(base, token, "GET", "/formgrader/api/status")[0] != 200:
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()[-3000:]
            time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=60)


def formgrader_api(base, token, method, path, body=None):
    """(status, JSON answer) of the formgrader's REST API, as its page calls it."""
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": f"token {token}"},
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, ConnectionError):
        return 0, None


def test_does_the_formgrader_grade_by_hand_into_the_postgresql_gradebook(class_on_postgres, formgrader):
    base, token = formgrader
    student = "blank"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(class_on_postgres["url"]) as gradebook:
            questions = {grade.name: (grade.id, float(grade.max_score)) for notebook in
                         gradebook.find_submission(ASSIGNMENT, student).notebooks for grade in notebook.grades
                         if grade.cell.cell_type == "markdown"}
            comment_ids = {comment.name: comment.id for notebook in
                           gradebook.find_submission(ASSIGNMENT, student).notebooks for comment in notebook.comments}
    assert questions
    for grade_id, (row, maximum) in questions.items():
        assert formgrader_api(base, token, "PUT", f"/formgrader/api/grade/{row}", {"manual_score": maximum})[0] == 200
        assert formgrader_api(base, token, "PUT", f"/formgrader/api/comment/{comment_ids[grade_id]}",
                              {"manual_comment": "Vu dans le formgrader."})[0] == 200
    assert pipeline.manual_scores(class_on_postgres["root"], ASSIGNMENT)[student] == {
        grade_id: maximum for grade_id, (_, maximum) in questions.items()}
    status, listed = formgrader_api(base, token, "GET", f"/formgrader/api/submission/{ASSIGNMENT}/{student}")
    assert status == 200 and listed["score"] == pytest.approx(
        sum(pipeline.scores(class_on_postgres["root"], ASSIGNMENT)[student].values())
        + sum(maximum for _, maximum in questions.values()))


def test_does_a_server_lost_mid_run_stop_the_run_and_keep_what_was_recorded(tmp_path, monkeypatch):
    from postgres_server import PostgresServer

    server = PostgresServer().start()  # its own: this test stops it
    try:
        root = pipeline.copy_course(tmp_path / "course")
        url = server.point_course_at(root, server.database(), monkeypatch, tmp_path)
        pipeline.generate_release(root, ASSIGNMENT)
        pipeline.write_submissions(root, ASSIGNMENT)
        run = subprocess.Popen([sys.executable, "-m", "course", "grade", ASSIGNMENT, "--jobs", "2", "--no-progress"],
                               cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 900
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            with Gradebook(url) as gradebook:
                while not recorded_students(gradebook) and run.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.2)
                before = recorded_students(gradebook)
        server.pause()
        output = run.communicate(timeout=900)[0]
        assert before and run.returncode == 2, output
        assert "The gradebook (postgresql+psycopg://course_grader@127.0.0.1:" in output, output
        assert "It went away during the run, which stopped there" in output and "Traceback" not in output, output
        assert not (root / "reports" / f"{ASSIGNMENT}-run.csv").exists()
        server.resume()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            with Gradebook(url) as gradebook:
                assert before <= recorded_students(gradebook)
    finally:
        server.stop()
