"""The course on a real JupyterHub, deployed and used as docs/hub.md says, by Unix users (never root).

The hub (deploy/jupyterhub_config.py, DummyAuthenticator with a password, local processes, npm's
configurable-http-proxy) serves an instructor and three students: one hands in the instructor's solution, one
the blank release, one the graders' catalogue of known mistakes (course/samples.py). The class is graded three
ways, each of which must give exactly the catalogue's points: `course grade` (the guide's command), plain
`nbgrader autograde`, and the formgrader's API in the instructor's server, reached through the hub with a token.
"""
import json
import shlex

import nbformat
import pytest

from course import samples
from course_hub import REPORTS, REPOSITORY

ASSIGNMENT = "tp_convolution"
#: Which sample each student hands in, in the order of the hub's students.
SAMPLES = ("reference", "blank", "one_mistake_per_part")
WRITE_NOTEBOOK = ("import pathlib, sys; path = pathlib.Path.home() / {0!r} / ({0!r} + '.ipynb'); "
                  "path.write_text(sys.stdin.read(), encoding='utf-8')").format(ASSIGNMENT)
SCORES = ("import json; from course import pipeline; print(json.dumps(pipeline.scores('.', {!r})))"
          .format(ASSIGNMENT))


def sample(name):
    return next(s for s in samples.SAMPLES[ASSIGNMENT] if s.student == name)


def notebook(folder):
    return nbformat.read(REPOSITORY / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def expected_scores(hub):
    points = samples.test_points(notebook("source"))
    return {student.name: samples.expected_scores(sample(name), points)
            for student, name in zip(hub.students, SAMPLES)}


def scores(hub):
    result = hub.python_as(hub.instructor, SCORES, cwd=hub.values["COURSE_DIR"])
    return json.loads(result.stdout.strip().splitlines()[-1])


def formgrader_autograde(hub, student):
    path = f"/user/{hub.instructor.name}/formgrader/api/submission/{ASSIGNMENT}/{student.name}/autograde"
    return hub.api("POST", path, {})


def fetched_feedback(hub, student):
    """name -> text of the feedback files in the student's own folder, as the student reads them."""
    code = ("import json, pathlib; folder = pathlib.Path.home() / {0!r} / 'feedback'; "
            "print(json.dumps({{str(p.relative_to(folder)): p.read_text(errors='replace') "
            "for p in sorted(folder.rglob('*.html'))}}))").format(ASSIGNMENT)
    return json.loads(hub.python_as(student, code).stdout)


def attempts(hub, user, reads=(), writes=(), lists=()):
    """path -> "allowed" or the error's name, for each read, write (a new file in the folder) or listing."""
    code = f"""
import json, os
outcome = {{}}
def attempt(key, action):
    try:
        action()
        outcome[key] = "allowed"
    except OSError as error:
        outcome[key] = type(error).__name__
for path in {list(map(str, reads))!r}:
    attempt("read " + path, lambda: open(path, "rb").read(1))
for path in {list(map(str, writes))!r}:
    attempt("write " + path, lambda: open(os.path.join(path, "planted.txt"), "w").write("x"))
for path in {list(map(str, lists))!r}:
    attempt("list " + path, lambda: os.listdir(path))
print(json.dumps(outcome))
"""
    return json.loads(hub.python_as(user, code).stdout)


@pytest.fixture(scope="module")
def graded_class(course_hub):
    """The whole term on the hub, recorded for the tests below: students' work, three gradings, feedback."""
    hub = course_hub
    record = {"courses": {}, "formgrader": {}, "scores": {}, "feedback": {}}
    for user in (hub.instructor, *hub.students):
        record["courses"][user.name] = hub.request("GET", f"/user/{user.name}/courses")  # Assignment List's
        record["formgrader"][user.name] = hub.request("GET", f"/user/{user.name}/formgrader/api/status")
    release, source = notebook("release"), notebook("source")

    def hand_in(student, name):
        hub.as_user(student, "student fetch")
        answered = samples.build_submission(sample(name), release, source)
        hub.python_as(student, WRITE_NOTEBOOK, stdin=nbformat.writes(answered))
        hub.as_user(student, "student submit")

    for student, name in zip(hub.students, SAMPLES):  # (at the same time, they only wait for the 2 cores)
        hub.timed(f"{name} hands in", hand_in, student, name)

    # The guide's grading (collect, then course grade), then the two other ways, each recorded on its own.
    try:
        hub.timed("collect and course grade", hub.as_user, hub.instructor, "instructor grade")
        record["course grade"] = None
    except AssertionError as error:
        record["course grade"] = str(error)
    record["scores"]["course grade"] = scores(hub)
    # Plain nbgrader for two students, the formgrader's Autograde button for the third (one mistake per part):
    # each student is graded two ways, each way is checked, and the run stays short.
    mistaken = hub.students[SAMPLES.index("one_mistake_per_part")]
    cd = f"cd {shlex.quote(str(hub.values['COURSE_DIR']))} && "
    hub.timed("nbgrader autograde", hub.run_as_instructor,
              cd + f"nbgrader autograde {ASSIGNMENT} --force --CourseDirectory.student_id_exclude={mistaken.name}")
    graded = scores(hub)
    record["scores"]["nbgrader autograde"] = {s.name: graded.get(s.name) for s in hub.students if s != mistaken}
    record["formgrader autograde"] = hub.timed("formgrader", formgrader_autograde, hub, mistaken)
    record["scores"]["formgrader"] = {mistaken.name: scores(hub).get(mistaken.name)}

    hub.timed("feedback", hub.as_user, hub.instructor, "instructor feedback")
    for student in hub.students:
        hub.as_user(student, "student feedback")
        record["feedback"][student.name] = fetched_feedback(hub, student)
    record["timings"] = hub.timings
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "record.json").write_text(json.dumps(record, indent=1, default=str))
    return record


def test_does_every_user_get_a_working_server_from_the_guide(course_hub):
    assert course_hub.guide.unmarked == 0, "every ```sh block of docs/hub.md must say who runs it (<!-- e2e: -->)"
    root = course_hub.api("GET", f"/user/{course_hub.instructor.name}/api/contents/")
    assert {"source", "release", "nbgrader_config.py"} <= {entry["name"] for entry in root["content"]}


def test_does_the_students_assignment_list_list_the_course(graded_class, course_hub):
    for student in course_hub.students:
        status, answer = graded_class["courses"][student.name]
        assert status == 200 and answer == {"success": True, "value": ["cnn-pytorch"]}, answer


def test_has_only_the_instructor_a_formgrader(graded_class, course_hub):
    assert graded_class["formgrader"][course_hub.instructor.name] == (200, {"status": True})
    for student in course_hub.students:
        assert graded_class["formgrader"][student.name][0] == 404


@pytest.mark.parametrize("route", ["nbgrader autograde", "formgrader", "course grade"])
def test_does_each_way_of_grading_give_exactly_the_catalogues_points(graded_class, course_hub, route):
    if route == "course grade":
        assert graded_class["course grade"] is None, graded_class["course grade"]
    if route == "formgrader":
        assert graded_class["formgrader autograde"]["success"], graded_class["formgrader autograde"]
    expected = expected_scores(course_hub)
    graded = graded_class["scores"][route]
    assert graded == {name: expected[name] for name in graded}
    assert len(graded) == (len(expected) if route == "course grade" else len(expected) - 1 if route ==
                           "nbgrader autograde" else 1)


def test_does_each_student_fetch_only_their_own_feedback(graded_class, course_hub):
    own = {}
    for student in course_hub.students:
        feedback = graded_class["feedback"][student.name]
        assert len(feedback) == 1, feedback.keys()
        [(path, text)] = feedback.items()
        assert path.endswith(f"/{ASSIGNMENT}.html")
        own[student.name] = text
    read = ("import pathlib, sys; print(pathlib.Path('feedback', sys.argv[1], {0!r}, {0!r} + '.html')"
            ".read_text(errors='replace'), end='')").format(ASSIGNMENT)
    for student in course_hub.students:
        generated = course_hub.run_as_instructor(
            f"cd {shlex.quote(str(course_hub.values['COURSE_DIR']))} && python -c {shlex.quote(read)} "
            f"{student.name}").stdout
        assert own[student.name] == generated
    assert len(set(own.values())) == len(own)


def test_can_students_read_neither_the_course_nor_each_others_work(graded_class, course_hub):
    hub = course_hub
    course = hub.values["COURSE_DIR"]
    reader, other = hub.students[1], hub.students[0]
    [env_graders] = hub.deployment.env.glob(f"lib/python3*/site-packages/graders/{ASSIGNMENT}.py")
    reads = [course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", course / "graders" / f"{ASSIGNMENT}.py",
             course / "gradebook.db", env_graders,
             course / "submitted" / other.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
             course / "autograded" / other.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
             course / "feedback" / other.name / ASSIGNMENT / f"{ASSIGNMENT}.html",
             other.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]
    lists = [course, other.home, hub.deployment.exchange / "cnn-pytorch" / "inbound"]
    outcome = attempts(hub, reader, reads=reads, lists=lists)
    assert {key: value for key, value in outcome.items() if value == "allowed"} == {}


def test_can_students_not_write_into_collected_submissions(graded_class, course_hub):
    hub = course_hub
    course = hub.values["COURSE_DIR"]
    writer, other = hub.students[2], hub.students[0]
    writes = [course / "submitted" / other.name / ASSIGNMENT, course / "submitted" / writer.name / ASSIGNMENT,
              course / "submitted"]
    outcome = attempts(hub, writer, writes=writes)
    assert {key: value for key, value in outcome.items() if value == "allowed"} == {}
