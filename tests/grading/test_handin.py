"""Only regular files are graded: links, pipes, sockets and devices handed in are never followed nor copied.

The copy step itself (``course.grading.handin``), the student's note and the
integrity findings, the course's real releases against the real bounds, and
``nbgrader collect`` through a real exchange (release, fetch, submit, then
links planted in the inbound submission, as a student on a hub can). The
notebook executions are in ``test_handin_grading.py`` (slow).
"""
import os
import signal
import socket
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

import course_config
from course import assignments
from course.grading import handin, incidents
from course.grading.integrity import flags
from course.grading.integrity.handin import scan_handin
from course.grading.preprocessors.note_dropped_files import NoteDroppedFiles
from course.grading.reading import read_notebook

NBSP = "\u00a0"
SECRET = b"SQLite format 3\x00 every student's grades"
BOUNDS = handin.Bounds(max_files=3, max_file_bytes=1000, max_total_bytes=1500)


@contextmanager
def deadline(seconds=20):
    """Fail instead of hanging (a FIFO opened for reading waits for a writer forever)."""
    def expired(*_):
        raise TimeoutError(f"still running after {seconds} s: something waited on a pipe or a device")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def unix_socket(path):
    """A socket file at ``path`` (bound relative to its folder: socket paths are short)."""
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path.name)
    finally:
        os.chdir(here)


def plant(folder, course):
    """Everything a hostile hand-in can hold besides regular files, pointing at ``course``'s secrets."""
    (course / "source").mkdir(parents=True, exist_ok=True)
    if not (course / "gradebook.db").exists():
        (course / "gradebook.db").write_bytes(SECRET)
    if not (course / "source" / "solution.py").exists():
        (course / "source" / "solution.py").write_text("ANSWER = 42\n")
    os.symlink(os.path.relpath(course / "gradebook.db", folder), folder / "gradebook.db")
    os.symlink(course / "gradebook.db", folder / "absolute.db")
    os.symlink(course / "source", folder / "source_link")
    os.symlink("nowhere/at/all", folder / "dangling")
    os.symlink("/dev/zero", folder / "zero")
    os.mkfifo(folder / "pipe")
    unix_socket(folder / "sock")
    return {"gradebook.db", "absolute.db", "source_link", "dangling", "zero", "pipe", "sock"}


def entries(folder):
    """path -> kind ("file", "directory", "symlink", "fifo"...) of everything under ``folder``, never following."""
    found = {}
    for current, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(current) / name
            found[str(path.relative_to(folder))] = handin.kind_of(os.lstat(path).st_mode)
    return found


def contents(folder):
    return b"".join(p.read_bytes() for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink())


# --- the copy step --------------------------------------------------------------------------


def test_is_a_link_to_the_gradebook_never_copied(tmp_path):
    source, target = tmp_path / "submitted", tmp_path / "autograded"
    source.mkdir()
    planted = plant(source, tmp_path / "course")
    (source / "helpers.py").write_text("def add(values):\n    return sum(values)\n")
    with deadline():
        dropped = handin.copy_regular_files(source, target, BOUNDS, notebooks=False)
    assert entries(target) == {"helpers.py": "file"}
    assert SECRET not in contents(target) and b"ANSWER" not in contents(target)
    assert {item.path for item in dropped} == planted
    assert {item.path: item.kind for item in dropped} == {
        "gradebook.db": "symlink", "absolute.db": "symlink", "source_link": "symlink", "dangling": "symlink",
        "zero": "symlink", "pipe": "fifo", "sock": "socket"}
    assert all(item.reason == handin.SPECIAL for item in dropped)
    assert set(entries(source)) >= planted  # the hand-in itself is never changed


def test_are_files_beyond_the_bounds_dropped_in_name_order(tmp_path):
    source = tmp_path / "submitted"
    (source / "data").mkdir(parents=True)
    (source / "big.bin").write_bytes(b"x" * 1001)
    (source / "a.txt").write_bytes(b"a" * 600)
    (source / "b.txt").write_bytes(b"b" * 600)
    (source / "c.txt").write_bytes(b"c" * 600)  # over the total (1800 > 1500)
    (source / "data" / "d.txt").write_bytes(b"d")
    (source / "data" / "e.txt").write_bytes(b"e")  # the fourth file
    (source / "lab.ipynb").write_bytes(b"{}" * 2000)  # notebooks: their own bound only
    found = handin.survey(source, BOUNDS)
    assert [path for path, _ in found.files] == ["a.txt", "b.txt", "lab.ipynb", "data/d.txt"]
    assert [(item.path, item.reason) for item in found.dropped] == [
        ("big.bin", handin.TOO_LARGE), ("c.txt", handin.OVER_TOTAL), ("data/e.txt", handin.TOO_MANY)]
    handin.copy_regular_files(source, tmp_path / "out", BOUNDS, notebooks=False)
    assert entries(tmp_path / "out") == {"a.txt": "file", "b.txt": "file", "data": "directory",
                                         "data/d.txt": "file"}


def test_does_a_folder_with_too_many_entries_stop_the_look(tmp_path, monkeypatch):
    monkeypatch.setattr(handin, "MAX_ENTRIES", 5)
    for index in range(8):
        (tmp_path / f"f{index}.txt").write_text("x")
    found = handin.survey(tmp_path, BOUNDS)
    assert found.cut and len(found.files) == 3
    assert found.dropped[-1] == handin.Dropped(handin.CUT, "other", handin.TOO_MANY)


def test_is_a_file_swapped_for_a_link_after_the_look_refused(tmp_path):
    source = tmp_path / "submitted"
    source.mkdir()
    (tmp_path / "gradebook.db").write_bytes(SECRET)
    (source / "notes.txt").write_text("mes notes")
    (source / "sub").mkdir()
    (source / "sub" / "x.txt").write_text("x")
    found = handin.survey(source, BOUNDS)
    assert [path for path, _ in found.files] == ["notes.txt", "sub/x.txt"]
    # between the look and the copy, the student swaps a file and a folder for links
    (source / "notes.txt").unlink()
    os.symlink(tmp_path / "gradebook.db", source / "notes.txt")
    (source / "sub" / "x.txt").unlink()
    (source / "sub").rmdir()
    os.symlink(tmp_path, source / "sub")
    root = os.open(source, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert handin._copy_one(root, "notes.txt", str(tmp_path / "out" / "notes.txt"), 1000) == \
            ("symlink", handin.SPECIAL)
        assert handin._copy_one(root, "sub/gradebook.db", str(tmp_path / "out" / "g"), 1000) == \
            ("directory", handin.VANISHED)
    finally:
        os.close(root)
    assert not (tmp_path / "out" / "notes.txt").exists()


def test_is_a_notebook_that_is_a_link_read_as_not_handed_in(tmp_path):
    solution = tmp_path / "source" / "lab.ipynb"
    solution.parent.mkdir()
    nbformat.write(new_notebook(), solution)
    folder = tmp_path / "submitted"
    folder.mkdir()
    os.symlink(os.path.relpath(solution, folder), folder / "lab.ipynb")
    os.mkfifo(folder / "pipe.ipynb")
    reading = read_notebook(str(folder / "lab.ipynb"))
    assert reading.notebook is None and "symbolic link" in reading.detail
    assert f"«{NBSP}lab.ipynb{NBSP}»" in reading.message and "lien symbolique" in reading.message
    with deadline():
        assert read_notebook(str(folder / "pipe.ipynb")).notebook is None


def test_do_the_releases_fit_the_course_bounds():
    bounds = handin.Bounds(course_config.HANDIN_MAX_FILES, course_config.HANDIN_MAX_FILE_BYTES,
                           course_config.HANDIN_MAX_TOTAL_BYTES)
    assert course_config.HANDIN_MAX_TOTAL_BYTES <= course_config.WORKDIR_LIMIT_BYTES
    for assignment in assignments.names():
        found = handin.survey(course_config.ROOT / "release" / assignment, bounds)
        assert found.dropped == [] and len(found.files) >= 2, assignment  # the notebook and cat.jpg


# --- the student's note and the instructor's report ------------------------------------------------


def _submission(tmp_path, assignment="lab"):
    folder = tmp_path / "submitted" / "student" / assignment
    folder.mkdir(parents=True)
    return folder


def test_does_the_feedback_note_name_each_dropped_file_in_french(tmp_path):
    folder = _submission(tmp_path)
    plant(folder, tmp_path / "course")
    (folder / "big.bin").write_bytes(b"x" * 2000)
    os.symlink("../../../source/lab.ipynb", folder / "lab.ipynb")  # the reader's own incident says this one
    nb = new_notebook()
    resources = {"metadata": {"path": str(folder)}, "nbgrader": {"assignment": "lab", "notebook": "lab"}}
    config = {"HandinBounds": {"max_file_bytes": 1000}}
    from traitlets.config import Config

    nb, _ = NoteDroppedFiles(config=Config(config)).preprocess(nb, resources)
    [incident] = incidents.of(nb)
    assert incident.kind == "dropped_files"
    message = incident.message
    assert message.startswith(f"Certains fichiers de votre rendu n'ont pas été pris en compte{NBSP}:")
    for path, why in (("gradebook.db", "lien symbolique"), ("pipe", "tube nommé"),
                      ("big.bin", f"trop volumineux{NBSP}:")):
        assert f"«{NBSP}{path}{NBSP}» ({why}" in message
    assert "lab.ipynb" not in message
    assert " :" not in message and "« " not in message and " »" not in message  # no breakable space there
    assert "every student's grades" not in message and str(tmp_path) not in message


def test_are_dropped_entries_flagged_without_their_target(tmp_path):
    folder = _submission(tmp_path)
    planted = plant(folder, tmp_path / "course")
    (folder / "big.bin").write_bytes(b"x" * 2000)
    findings = scan_handin(folder, BOUNDS)
    special = {f.where: f.evidence for f in findings if f.flag == flags.SPECIAL_FILES}
    assert set(special) == {f"file {path}" for path in planted}
    assert "symbolic link" in special["file gradebook.db"] and "named pipe" in special["file pipe"]
    assert [f.where for f in findings if f.flag == flags.HANDIN_BOUNDS] == ["file big.bin"]
    for finding in findings:
        assert "->" not in finding.evidence and str(tmp_path) not in finding.evidence
        assert "course" not in finding.evidence and "nowhere" not in finding.evidence


def test_does_autograde_report_what_collect_left_in_the_exchange(tmp_path):
    folder = _submission(tmp_path)
    (folder / "helpers.py").write_text("x = 1\n")
    handin.write_manifest(folder, [handin.Dropped("gradebook.db", "symlink", handin.SPECIAL)])
    assert Path(handin.manifest_path(folder)).parent == folder.parent  # beside the hand-in, not in it
    assert [f.where for f in scan_handin(folder)] == ["file gradebook.db"]
    handin.write_manifest(folder, [])
    assert not Path(handin.manifest_path(folder)).exists() and scan_handin(folder) == []


def test_is_a_folder_that_was_not_handed_in_left_alone(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    os.symlink("/dev/zero", folder / "zero")
    nb, _ = NoteDroppedFiles().preprocess(new_notebook(), {"metadata": {"path": str(folder)},
                                                           "nbgrader": {"assignment": "lab", "notebook": "lab"}})
    assert incidents.of(nb) == []


# --- nbgrader collect through a real exchange ---------------------------------------------------


ASSIGNMENT = "mini"


def nbgrader(cwd, *args, timeout=300):
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output[-3000:]}"
    return output


def mini_source():
    from nbformat.v4 import new_code_cell

    cell = new_code_cell("### BEGIN SOLUTION\ntotal = 6\n### END SOLUTION")
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "task": False,
                                 "grade_id": "total", "schema_version": 3}
    test = new_code_cell("assert total == 6")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "task": False,
                                 "grade_id": "test_total", "schema_version": 3, "points": 1}
    return new_notebook(metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                                 "name": "python3"}}, cells=[cell, test])


def release_and_submit(course_copy, tmp_path):
    """The mini assignment released into an exchange of its own, fetched and submitted: (options naming the
    exchange, the hand-in in the exchange's inbound)."""
    exchange, cache, home = tmp_path / "exchange", tmp_path / "cache", tmp_path / "student"
    for folder in (exchange, cache, home):
        folder.mkdir()
    os.chmod(exchange, 0o777)
    where = [f"--Exchange.root={exchange}", f"--Exchange.cache={cache}"]
    (course_copy / "source" / ASSIGNMENT).mkdir()
    nbformat.write(mini_source(), course_copy / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course_copy / "source" / ASSIGNMENT / "data.txt").write_text("1 2 3\n")
    nbgrader(course_copy, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course_copy, "release_assignment", ASSIGNMENT, *where)
    student = [f"--course={course_config.COURSE_ID}", *where]
    nbgrader(home, "fetch_assignment", ASSIGNMENT, *student)
    nbgrader(home, "submit", ASSIGNMENT, *student)
    [inbound] = (exchange / course_config.COURSE_ID / "inbound").iterdir()
    return where, inbound


def modes_under(folder):
    """{mode of each folder}, {mode of each file} under ``folder`` (itself included)."""
    paths = [folder, *folder.rglob("*")]
    return ({stat.S_IMODE(p.stat().st_mode) for p in paths if p.is_dir()},
            {stat.S_IMODE(p.stat().st_mode) for p in paths if p.is_file()})


def test_does_collect_copy_links_planted_in_the_exchange_as_nothing(course_copy, tmp_path):
    where, inbound = release_and_submit(course_copy, tmp_path)
    planted = plant(inbound, course_copy)  # links to the instructor's gradebook and sources, a pipe, a socket
    before = entries(inbound)

    with deadline(300):
        log = nbgrader(course_copy, "collect", ASSIGNMENT, *where)

    student_id = inbound.name.split("+")[0]
    submitted = course_copy / "submitted" / student_id / ASSIGNMENT
    assert set(entries(submitted).values()) == {"file"}
    assert {f"{ASSIGNMENT}.ipynb", "data.txt", "timestamp.txt"} <= set(entries(submitted))
    assert not planted & set(entries(submitted))
    assert b"SQLite format 3" not in contents(submitted) and b"ANSWER" not in contents(submitted)
    assert entries(inbound) == before  # the exchange is left as it was
    assert modes_under(submitted) == ({0o700}, {0o600})  # in the exchange, the hand-in's folder is 777
    assert "not collected" in log
    # autograde reports them: to the instructor (integrity) and, in French, to the student
    assert {f.where for f in scan_handin(submitted)} == {f"file {path}" for path in planted}
    nb, _ = NoteDroppedFiles().preprocess(new_notebook(), {
        "metadata": {"path": str(submitted)}, "nbgrader": {"assignment": ASSIGNMENT, "notebook": ASSIGNMENT}})
    assert f"«{NBSP}gradebook.db{NBSP}» (lien symbolique)" in incidents.of(nb)[0].message


def test_does_collect_share_a_submission_with_the_group_only_when_the_course_is_groupshared(course_copy, tmp_path):
    where, inbound = release_and_submit(course_copy, tmp_path)
    nbgrader(course_copy, "collect", ASSIGNMENT, "--CourseDirectory.groupshared=True", *where)
    submitted = course_copy / "submitted" / inbound.name.split("+")[0] / ASSIGNMENT
    assert modes_under(submitted) == ({0o2770}, {0o660})
    assert stat.S_IMODE(submitted.parent.stat().st_mode) == 0o2770
