"""An assignment made by `course new` is graded at once, end to end, by the engine as it is.

In a copy of the course: `course new`, the commands of `make release` (sync, data, release), the scaffold's own
unit tests, then a small class (the solution, the blank release, each wrong answer of the catalogue, each right
alternative) graded by plain `nbgrader autograde` and by `course grade` (pre-flight included).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import course
import course_config
from course import assignments, pipeline

pytestmark = pytest.mark.slow

NAME = "tp_moyenne"
REPOSITORY = Path(course.__file__).resolve().parents[1]


def course_command(root, *args):
    """``python -m course ARGS`` typed in the course root (the course tooling under test first on the path)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-m", "course", *args], cwd=root, capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"course {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def new_course(tmp_path_factory):
    """A course copy with the new assignment, its release generated and its sample class handed in."""
    root = pipeline.copy_course(tmp_path_factory.mktemp("new-assignment") / "course")
    course_command(root, "new", NAME, "--title", "TP — La moyenne glissante")
    for command in (["sync"], ["data"], ["release"]):  # what `make release` runs
        course_command(root, *command)
    written = pipeline.write_submissions(root, NAME)
    return root, written


def expected_scores(root, student):
    """What the declaration says each student of the class must get, test cell by test cell."""
    declared = assignments.load(NAME, root)
    points = pipeline.max_scores(root, NAME)
    if student == "blank":
        return {test: 0.0 for test in points}
    lost = declared.wrong[int(student.rsplit("_", 1)[1]) - 1].loses if student.startswith("wrong_answer_") else {}
    return {test: value - lost.get(test, 0) for test, value in points.items()}


def test_is_the_new_assignment_released_without_its_solutions_or_declaration(new_course):
    root, _ = new_course
    release = root / "release" / NAME
    assert sorted(p.name for p in release.iterdir()) == [f"{NAME}.ipynb"]
    text = (release / f"{NAME}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "x[t:t + k].mean()" not in text and "hand_over" not in text
    assert assignments.names(root)[-1] == NAME


def test_do_the_scaffolds_own_unit_tests_pass(new_course):
    root, _ = new_course
    shutil.copytree(course_config.ROOT / "tests" / "support", root / "tests" / "support")
    shutil.copy(course_config.ROOT / "tests" / "graders" / "conftest.py", root / "tests" / "graders")
    shutil.copy(course_config.ROOT / "pyproject.toml", root)
    env = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             f"tests/graders/test_{NAME}.py"], cwd=root, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"(?m)^7 passed", result.stdout), result.stdout


def test_does_the_class_get_the_catalogues_points_with_plain_nbgrader_then_course_grade(new_course):
    root, written = new_course
    assert [s.student for s in written] == ["reference", "blank", "wrong_answer_1", "wrong_answer_2", "right_answer_1"]
    expected = {s.student: expected_scores(root, s.student) for s in written}
    assert sum(expected["reference"].values()) == sum(expected["right_answer_1"].values()) == 2
    assert all(sum(expected[f"wrong_answer_{n}"].values()) == 0 for n in (1, 2))

    pipeline.autograde(root, NAME)
    assert pipeline.scores(root, NAME) == expected

    said = course_command(root, "grade", NAME, "--jobs", "2")
    assert "2 known wrong answer(s)" in said and "5 graded, 0 graded with problems, 0 failed" in said
    assert pipeline.scores(root, NAME) == expected
