"""Drive nbgrader on a course directory, as an instructor would type it.

Every step is a plain ``nbgrader`` command run in the course root (so its
``nbgrader_config.py`` applies), and the scores are read back through
nbgrader's own gradebook API.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

import course_config

from . import assignments, samples

#: What a course directory needs to generate and grade.
COURSE_FILES = ("course_config.py", "nbgrader_config.py", "source", "data", "graders", "handover")


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message ends with its log."""


def nbgrader(root, *args, log=None):
    """Run ``nbgrader <args>`` in ``root``; return its log (nbgrader logs to stderr)."""
    # (nbgrader finds `alembic` on its own: the course's configuration puts its environment on PATH.)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True, text=True)
    output = result.stdout + result.stderr
    if log is not None:
        with open(log, "a", encoding="utf-8") as stream:
            stream.write(f"$ nbgrader {' '.join(args)}\n{output}\n")
    if result.returncode != 0:
        raise NbgraderError(f"`nbgrader {' '.join(args)}` failed in {root}:\n{output[-4000:]}")
    return output


def copy_course(destination, root=course_config.ROOT):
    """A fresh course directory with the sources of ``root`` and nothing graded."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, destination / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return destination


def generate_release(root, assignment, log=None):
    nbgrader(root, "generate_assignment", assignment, "--force", log=log)
    return Path(root) / "release" / assignment


def write_submissions(root, assignment, chosen=None):
    """Hand in the sample submissions of ``assignment`` (course/samples.py, from the assignment's declaration in
    ``root``): the release folder with answers filled in."""
    root = Path(root)
    release = root / "release" / assignment
    release_nb = nbformat.read(release / f"{assignment}.ipynb", as_version=4)
    source_nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    written = []
    for sample in samples.samples_of(assignments.load(assignment, root)):
        if chosen is not None and sample.student not in chosen:
            continue
        folder = root / "submitted" / sample.student / assignment
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(release, folder)
        nbformat.write(samples.build_submission(sample, release_nb, source_nb), folder / f"{assignment}.ipynb")
        written.append(sample)
    return written


def autograde(root, assignment, log=None):
    return nbgrader(root, "autograde", assignment, "--force", log=log)


def generate_feedback(root, assignment, log=None):
    return nbgrader(root, "generate_feedback", assignment, "--force", log=log)


def export(root, log=None):
    nbgrader(root, "export", log=log)
    return Path(root) / "grades.csv"


def gradebook_url(root):
    """The gradebook of the course in ``root``, as nbgrader finds it there (course_config.py's GRADEBOOK_URL, else
    gradebook.db in the course root)."""
    from course.grading.gradebook import course_db_url
    from course.grading.runner import load_config

    umask = os.umask(0o077)  # applying the configuration sets the course's private umask: keep the caller's
    os.umask(umask)
    try:
        return course_db_url(root, load_config(root))
    finally:
        os.umask(umask)


def scores(root, assignment):
    """student -> {grade_id of each test cell: score} for every graded submission of ``assignment``
    (the autograded cells; open questions are graded by hand)."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        table = {}
        for submission in gradebook.assignment_submissions(assignment):
            cells = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell.cell_type == "code":
                        cells[grade.name] = float(grade.score)
            table[submission.student_id] = cells
        return table


def max_scores(root, assignment):
    """grade_id -> points of each test cell, as the gradebook knows them (open questions excluded)."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        return {cell.name: float(cell.max_score)
                for notebook in gradebook.find_assignment(assignment).notebooks
                for cell in notebook.grade_cells if cell.cell_type == "code"}


def open_question_points(root, assignment):
    """grade_id -> points of each open question (graded by hand), as the gradebook knows them."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        return {cell.name: float(cell.max_score)
                for notebook in gradebook.find_assignment(assignment).notebooks
                for cell in notebook.grade_cells if cell.cell_type == "markdown"}


def enter_manual_grades(root, assignment, student, points, comment=""):
    """What an instructor does in the formgrader, through nbgrader's API: the points (and a comment)
    of ``student``'s open questions, ``points`` mapping their grade_ids to a score."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        for grade_id, score in points.items():
            grade = gradebook.find_grade(grade_id, assignment, assignment, student)
            grade.manual_score = score
            grade.needs_manual_grade = False  # as the formgrader does when a score is entered
            if comment:
                gradebook.find_comment(grade_id, assignment, assignment, student).manual_comment = comment
        gradebook.db.commit()


def manual_scores(root, assignment):
    """student -> {grade_id of each open question: score} (0 until graded by hand)."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(root)) as gradebook:
        return {submission.student_id: {grade.name: float(grade.score or 0)
                                        for notebook in submission.notebooks for grade in notebook.grades
                                        if grade.cell.cell_type == "markdown"}
                for submission in gradebook.assignment_submissions(assignment)}
