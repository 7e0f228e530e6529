"""A hostile hand-in through real ``nbgrader autograde`` and ``generate_feedback``: only regular files are graded.

One run grades two submissions of a small assignment in a copy of the
course, with tighter hand-in bounds (set in the copy's ``course_config.py``):

- ``hostile``: a correct notebook, a helper module it imports, and beside them
  links to the course's ``gradebook.db`` (relative) and ``course_config.py``
  (absolute), a folder link to ``source/``, a link to ``/dev/zero``, a dangling
  link, a FIFO, a socket, too many files, a too large file and files beyond
  the total. Its code tries to read and print each of them;
- ``linked_notebook``: its notebook is a link to the instructor's solution.
"""
import csv
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from course import pipeline
from course.grading import incidents
from small_assignment import declare_assert_graded, nbgrader_cell, small_notebook

from course.grading.runner import grade_class

from .test_handin import NBSP, deadline, entries, plant

pytestmark = pytest.mark.slow

ASSIGNMENT = "mini"
#: Tighter bounds (course_config.HANDIN_*), for nbgrader's commands and for `course grade` in this process.
BOUNDS = {"max_files": 20, "max_file_bytes": 2**20, "max_total_bytes": 2 * 2**20}
SNOOP = """
import os
seen = {}
for name in ("gradebook.db", "absolute.db", "course_config.py", "source_link/mini/mini.ipynb", "zero",
             "dangling", "pipe", "sock", "big.bin", "chunk3.bin", "many/f19.txt"):
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
        seen[name] = os.read(fd, 300)
        os.close(fd)
    except OSError as error:
        seen[name] = type(error).__name__
print(seen)
"""


def source_notebook():
    return small_notebook(
        new_markdown_cell("# Mini TP"),
        nbgrader_cell("values = [1, 2, 3]", "setup", locked=True),
        nbgrader_cell("### BEGIN SOLUTION\ntotal = sum(values)\n### END SOLUTION", "total", solution=True),
        nbgrader_cell("assert total == 6", "test_total", grade=True, locked=True, points=2),
        nbgrader_cell("### BEGIN SOLUTION\nlargest = max(values)\n### END SOLUTION", "largest", solution=True),
        nbgrader_cell("assert largest == 3", "test_largest", grade=True, locked=True, points=1),
    )


def nbgrader(root, *args, timeout=600):
    """Real nbgrader in ``root``; a run that hangs (on a pipe, on /dev/zero) fails the test after ``timeout``."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True, text=True,
                            timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output[-4000:]}"
    return output


def hostile_folder(folder, release, root):
    folder.mkdir(parents=True)
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "total":
            cell.source = "from helpers import add\ntotal = add(values)"
        elif grade_id == "largest":
            cell.source = "largest = max(values)"
    notebook.cells.append(new_code_cell(SNOOP))
    nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    (folder / "helpers.py").write_text("def add(values):\n    return sum(values)\n")
    plant(folder, root)  # gradebook.db (relative), absolute.db, source_link, dangling, zero, pipe, sock
    os.symlink(root / "course_config.py", folder / "course_config.py")
    (folder / "big.bin").write_bytes(b"B" * (2**20 + 1))
    for index in (1, 2, 3):
        (folder / f"chunk{index}.bin").write_bytes(b"C" * (9 * 2**20 // 10))
    (folder / "many").mkdir()
    for index in range(30):
        (folder / "many" / f"f{index:02}.txt").write_text(str(index))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = pipeline.copy_course(tmp_path_factory.mktemp("course"))
    with open(root / "nbgrader_config.py", "a") as config:
        config.writelines(f"get_config().HandinBounds.{name} = {value}  # noqa: F821\n"
                          for name, value in BOUNDS.items())

    declare_assert_graded(root, ASSIGNMENT)
    (root / "source" / ASSIGNMENT).mkdir(exist_ok=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    release = nbformat.read(pipeline.generate_release(root, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    hostile_folder(root / "submitted" / "hostile" / ASSIGNMENT, release, root)
    linked = root / "submitted" / "linked_notebook" / ASSIGNMENT
    linked.mkdir(parents=True)
    os.symlink(f"../../../source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", linked / f"{ASSIGNMENT}.ipynb")
    before = entries(root / "submitted")
    log = nbgrader(root, "autograde", ASSIGNMENT, "--force")
    log += nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    return root, before, log


SECRETS = (b"SQLite format 3", b"def configure_nbgrader", b"BEGIN SOLUTION", b"sum(values)\n### END")


def _bytes(folder):
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


@pytest.mark.parametrize("stage", ["autograded", "feedback"])
def test_are_autograded_and_feedback_free_of_links_and_of_their_targets(graded, stage):
    root, _, _ = graded
    for student in ("hostile", "linked_notebook"):
        folder = root / stage / student / ASSIGNMENT
        assert set(entries(folder).values()) <= {"file", "directory"}, entries(folder)
        assert not {"gradebook.db", "absolute.db", "course_config.py", "source_link", "zero", "pipe", "sock",
                    "dangling", "big.bin", "chunk3.bin"} & set(entries(folder))
        for secret in SECRETS:
            assert secret not in _bytes(folder), (student, secret)


def test_are_the_regular_files_within_bounds_graded_and_the_points_intact(graded):
    root, _, _ = graded
    folder = root / "autograded" / "hostile" / ASSIGNMENT
    copied = sorted(path for path in entries(folder) if path.startswith("many/"))
    assert {"helpers.py", "chunk1.bin", "chunk2.bin"} <= set(entries(folder))
    assert len(copied) == 20 - 3 and copied[0] == "many/f00.txt"  # 20 files: helpers, two chunks, 17 of many/
    scores = pipeline.scores(root, ASSIGNMENT)
    assert scores["hostile"] == {"test_total": 2.0, "test_largest": 1.0}  # helpers.py was there for its import
    assert scores["linked_notebook"] == {"test_total": 0.0, "test_largest": 0.0}


def test_did_the_snooping_code_find_nothing(graded):
    root, _, _ = graded
    notebook = nbformat.read(root / "autograded" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []))
    assert "'gradebook.db': 'FileNotFoundError'" in printed and "'pipe': 'FileNotFoundError'" in printed
    assert "SQLite" not in printed and "configure_nbgrader" not in printed


def test_does_the_integrity_report_name_each_dropped_entry(graded):
    root, _, _ = graded
    with open(root / "reports" / f"{ASSIGNMENT}-integrity.csv", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if row["flag"] in ("special_files", "handin_bounds")]
    special = {row["where"] for row in rows if row["student"] == "hostile" and row["flag"] == "special_files"}
    assert special == {f"file {name}" for name in ("gradebook.db", "absolute.db", "course_config.py", "source_link",
                                                    "zero", "dangling", "pipe", "sock")}
    bounds = {row["where"] for row in rows if row["student"] == "hostile" and row["flag"] == "handin_bounds"}
    assert {"file big.bin", "file chunk3.bin", "file many/f29.txt"} <= bounds and "file many/f00.txt" not in bounds
    assert {(row["where"], row["flag"]) for row in rows if row["student"] == "linked_notebook"} == {
        (f"file {ASSIGNMENT}.ipynb", "special_files")}
    for row in rows:
        assert "->" not in row["evidence"] and str(root) not in row["evidence"]


def test_does_the_feedback_say_in_french_which_files_were_not_graded(graded):
    root, _, _ = graded
    page = (root / "feedback" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    page = page.replace("&nbsp;", NBSP).replace("&#39;", "'")
    assert f"n'ont pas été pris en compte{NBSP}:" in page
    for name, why in (("gradebook.db", "lien symbolique"), ("pipe", "tube nommé"), ("big.bin", "trop volumineux")):
        assert f"«{NBSP}{name}{NBSP}» ({why}" in page
    linked = (root / "feedback" / "linked_notebook" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "lien symbolique" in linked.replace("&nbsp;", NBSP) and "considéré comme non rendu" in linked
    graded_notebook = nbformat.read(root / "autograded" / "linked_notebook" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                                    as_version=4)
    assert incidents.of(graded_notebook)[0].kind == "unreadable"


@pytest.fixture(scope="module")
def class_graded(graded):
    """The same class graded again by `course grade` (workers, one writer)."""
    root, _, _ = graded
    with deadline(900):
        outcomes = grade_class(root, ASSIGNMENT, jobs=1, progress=False, log=lambda *a: None)
    return root, {o.student: o for o in outcomes}


def test_does_course_grade_copy_regular_files_only_too(class_graded):
    root, outcomes = class_graded
    assert outcomes["hostile"].points == 3 and outcomes["linked_notebook"].points == 0
    assert "dropped_files" in outcomes["hostile"].reason and "unreadable" in outcomes["linked_notebook"].reason
    for student in ("hostile", "linked_notebook"):
        folder = root / "autograded" / student / ASSIGNMENT
        assert set(entries(folder).values()) <= {"file", "directory"}, entries(folder)
        for secret in SECRETS:
            assert secret not in _bytes(folder), (student, secret)
    with open(root / "reports" / f"{ASSIGNMENT}-integrity.csv", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert ("hostile", "special_files", "file gradebook.db") in {(r["student"], r["flag"], r["where"]) for r in rows}


def test_is_the_submitted_folder_left_as_it_was_handed_in(graded):
    root, before, log = graded
    assert entries(root / "submitted") == before
    assert "Not copied from" in log and "HANDIN_" in log
