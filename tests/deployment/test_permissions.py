"""Who reads what on a shared machine: an instructor and two students (Unix users made for the test) go through
release, fetch, submit, collect, autograde and feedback with the real nbgrader commands of the deployment, never
as root; then ``course doctor`` checks the course, finds planted problems, and the commands it prints fix them."""
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from course import pipeline
from course.deployment.permissions import exposure
from namespaces import run_without_user_namespaces
from unix_users import UnixUser, run_as, user_environment

ASSIGNMENT = "tp_convolution"


@dataclass
class Course:
    root: Path
    exchange: Path
    instructor: UnixUser
    students: list
    env: dict  # user name -> environment

    def run(self, user, command, cwd=None, check=True):
        return run_as(user, command, env=self.env[user.name], cwd=cwd or (self.root if user == self.instructor
                                                                          else user.home), check=check)

    def nbgrader(self, user, *args, check=True):
        return self.run(user, ["nbgrader", *args], check=check)

    def doctor(self):
        return self.run(self.instructor, ["course", "doctor"], check=False)

    def can_read(self, user, path):
        """Can ``user`` open ``path`` (a file) or list it (a folder)?"""
        probe = "import os, sys; p = sys.argv[1]; os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(1)"
        return self.run(user, ["python", "-c", probe, str(path)], check=False).returncode == 0


def use_exchange(user, exchange):
    """The user's own nbgrader setting (~/.jupyter wins over the environment's): this module's exchange, so that
    other tests of the deployment keep theirs."""
    folder = user.home / ".jupyter"
    folder.mkdir(exist_ok=True)
    (folder / "nbgrader_config.py").write_text(f"get_config().Exchange.root = {str(exchange)!r}\n")
    for path in (folder, folder / "nbgrader_config.py"):
        os.chown(path, user.uid, user.gid)


@pytest.fixture(scope="module")
def course(deployment, unix_users):
    """A course folder in the instructor's home, as cloned with the usual umask (755), released; both students
    fetched and submitted it, the instructor collected it."""
    instructor = unix_users.create("pins", groups=[deployment.instructors_group])
    students = [unix_users.create(f"pst{i}") for i in (1, 2)]
    exchange = deployment.site / "exchange-permissions"
    exchange.mkdir()
    exchange.chmod(0o1777)
    root = instructor.home / "cnn-course"
    pipeline.copy_course(root)
    subprocess.run(["chmod", "-R", "u=rwX,go=rX", root], check=True)
    subprocess.run(["chown", "-R", f"{instructor.uid}:{instructor.gid}", root], check=True)
    env = {}
    for user in (instructor, *students):
        use_exchange(user, exchange)
        env[user.name] = user_environment(user, [deployment.bin])
    course = Course(root, exchange, instructor, students, env)
    course.nbgrader(instructor, "generate_assignment", ASSIGNMENT)
    course.nbgrader(instructor, "release_assignment", ASSIGNMENT)
    for student in students:
        course.nbgrader(student, "fetch_assignment", ASSIGNMENT)
        course.nbgrader(student, "submit", ASSIGNMENT)
    course.nbgrader(instructor, "collect", ASSIGNMENT)
    return course


@pytest.fixture(scope="module")
def graded(course):
    """The same course after autograde, generate_feedback and release_feedback (instructor), fetch_feedback
    (each student)."""
    course.nbgrader(course.instructor, "autograde", ASSIGNMENT)
    course.nbgrader(course.instructor, "generate_feedback", ASSIGNMENT)
    course.nbgrader(course.instructor, "release_feedback", ASSIGNMENT)
    for student in course.students:
        course.nbgrader(student, "fetch_feedback", ASSIGNMENT)
    return course


def modes(folder):
    return {path: stat.S_IMODE(os.lstat(path).st_mode) for path in [folder, *Path(folder).rglob("*")]}


def test_are_collected_submissions_private_to_the_instructor(course):
    first, second = course.students
    submission = course.root / "submitted" / first.name / ASSIGNMENT
    assert {mode for path, mode in modes(submission).items() if path.is_dir()} == {0o700}
    assert {mode for path, mode in modes(submission).items() if path.is_file()} == {0o600}
    assert stat.S_IMODE((course.root / "submitted").stat().st_mode) == 0o700
    assert not course.can_read(second, submission)
    assert not course.can_read(second, submission / f"{ASSIGNMENT}.ipynb")
    renamed = course.run(second, ["mv", str(submission / f"{ASSIGNMENT}.ipynb"), str(submission / "x.ipynb")],
                         check=False)
    assert renamed.returncode != 0 and (submission / f"{ASSIGNMENT}.ipynb").is_file()


def test_does_grading_create_nothing_others_can_read(graded):
    first, second = graded.students
    for name in ("gradebook.db", "autograded", "feedback", "reports", "submitted"):
        assert not exposure(graded.root / name, groupshared=False), name
    for path in (graded.root / "gradebook.db", graded.root / "autograded" / first.name / ASSIGNMENT,
                 graded.root / "feedback" / first.name / ASSIGNMENT, graded.root / "reports"):
        assert not graded.can_read(second, path), path


def test_does_each_student_fetch_only_their_own_feedback(graded):
    first, second = graded.students
    for student in graded.students:
        [fetched] = (student.home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
        assert graded.can_read(student, fetched)
    released = graded.exchange / "cnn-pytorch" / "feedback"
    assert len(list(released.glob("*.html"))) == 2
    assert not graded.can_read(second, released)  # the names (secrets of each submission) cannot be listed
    assert not graded.can_read(second, graded.root / "feedback" / first.name)


def test_do_the_documented_commands_make_the_course_and_homes_private_and_doctor_clean(graded):
    student = graded.students[0]
    assert graded.can_read(student, graded.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")  # as cloned
    said = graded.doctor()
    assert said.returncode == 1
    fix = f"fix: chmod -R go-rwx {graded.root}"
    assert f"The course folder {graded.root} is open to others" in said.stdout and fix in said.stdout, said.stdout

    homes = " ".join(str(s.home) for s in graded.students)
    assert f"fix: chmod 700 {homes}   (as root; for new users: HOME_MODE 0700 in /etc/login.defs)" in said.stdout
    assert graded.can_read(graded.students[1], student.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    graded.run(graded.instructor, ["sh", "-c", "chmod -R go-rwx ~/cnn-course"])
    subprocess.run(["sh", "-c", f"chmod 700 {homes}"], check=True)  # as root, as doctor says

    assert not graded.can_read(graded.students[1], student.home / ASSIGNMENT / "feedback")

    for path in ("source", f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", "graders", "graders/tp_convolution.py",
                 "gradebook.db", "release"):
        assert not graded.can_read(student, graded.root / path), path
    said = graded.doctor()
    assert said.returncode == 0 and "No problem found." in said.stdout, said.stdout + said.stderr


def fixes(said):
    """The fix command of each problem doctor printed (errors and warnings; notes are not problems)."""
    blocks = re.split(r"\n(?=\S)", said)
    return [re.search(r"^\s+fix: (.+?)(?:   \(.*\))?$", block, re.MULTILINE).group(1) for block in blocks
            if block.startswith(("ERROR", "WARNING")) and "fix: " in block]


def test_does_doctor_find_each_planted_problem_and_print_the_command_that_fixes_it(graded):
    root, first = graded.root, graded.students[0]
    planted = {root: 0o755, root / "gradebook.db": 0o644, root / "submitted" / first.name / ASSIGNMENT: 0o777}
    for path, mode in planted.items():
        path.chmod(mode)
    said = graded.doctor()
    assert said.returncode == 1
    submission = root / "submitted" / first.name / ASSIGNMENT
    assert f"ERROR   [permissions] {root / 'submitted'} (the students' hand-ins): 1 entry is writable by others, " \
           f"e.g. {submission} (mode 777)" in said.stdout, said.stdout
    assert f"{root / 'gradebook.db'} (every student's grades): 1 entry is readable by others, e.g. " \
           f"{root / 'gradebook.db'} (mode 644)" in said.stdout
    assert f"The course folder {root} is open to others (mode 755)" in said.stdout
    commands = fixes(said.stdout)
    assert {f"chmod -R go-rwx {p}" for p in (root, root / "gradebook.db", root / "submitted")} <= set(commands)
    for command in commands:
        graded.run(graded.instructor, ["sh", "-c", command])
    said = graded.doctor()
    assert said.returncode == 0, said.stdout


def test_does_doctor_find_a_missing_exchange_and_one_of_the_wrong_mode(graded):
    planted = graded.exchange.parent / "exchange-planted"
    use_exchange(graded.instructor, planted)
    try:
        said = graded.doctor()
        assert said.returncode == 1
        assert f"ERROR   [exchange] The exchange {planted} does not exist" in said.stdout, said.stdout
        assert fixes(said.stdout) == [f"install -d -m 1777 {planted}"]
        subprocess.run(["sh", "-c", fixes(said.stdout)[0]], check=True)  # as root, as it says
        planted.chmod(0o755)
        said = graded.doctor()
        assert f"The exchange {planted} has mode 755; nbgrader requires every user to write into it" in said.stdout
        assert fixes(said.stdout) == [f"chmod 1777 {planted}"]
        subprocess.run(["sh", "-c", fixes(said.stdout)[0]], check=True)
        said = graded.doctor()
        assert said.returncode == 0 and f"{planted / 'cnn-pytorch'} does not exist yet" in said.stdout, said.stdout
    finally:
        use_exchange(graded.instructor, graded.exchange)
        shutil.rmtree(planted, ignore_errors=True)


def graded_state(root):
    with sqlite3.connect(root / "gradebook.db") as db:
        grades = db.execute("select * from grade").fetchall()
    return grades, sorted(map(str, (root / "autograded").rglob("*")))


def test_does_grading_stop_with_the_fix_where_user_namespaces_are_turned_off(graded):
    instructor = graded.instructor
    env = graded.env[instructor.name]
    before = graded_state(graded.root)
    wanted = ("User namespaces are turned off (user.max_user_namespaces = 0)",
              "sysctl -w user.max_user_namespaces=15000")

    doctor = run_without_user_namespaces(instructor, ["course", "doctor"], env=env, cwd=graded.root)
    assert doctor.returncode == 1 and all(words in doctor.stdout for words in wanted), doctor.stdout

    grade = run_without_user_namespaces(instructor, ["course", "grade", ASSIGNMENT, "--no-progress"], env=env,
                                        cwd=graded.root)
    assert grade.returncode == 2, grade.stdout + grade.stderr
    assert all(words in grade.stderr for words in wanted) and "nothing was recorded" in grade.stderr
    assert "Pre-flight" not in grade.stdout

    autograde = run_without_user_namespaces(instructor, ["nbgrader", "autograde", ASSIGNMENT, "--force"], env=env,
                                            cwd=graded.root)
    said = autograde.stdout + autograde.stderr
    assert autograde.returncode != 0 and all(words in said for words in wanted), said[-3000:]

    first = graded.students[0].name
    button = run_without_user_namespaces(instructor, ["python", "-c", FORMGRADER_BUTTON, first], env=env,
                                         cwd=graded.root)
    response = json.loads(button.stdout.strip().splitlines()[-1])
    assert not response["success"] and all(words in response["error"] for words in wanted), response
    assert graded_state(graded.root) == before


#: What the formgrader's autograde button does (nbgrader's API, in the server's process), as its response.
FORMGRADER_BUTTON = """
import json, sys
from nbgrader.apps import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader
app = NbGrader()
app.initialize([])
api = NbGraderAPI(coursedir=app.coursedir, config=app.config)
print(json.dumps(api.autograde("tp_convolution", sys.argv[1])))
"""
