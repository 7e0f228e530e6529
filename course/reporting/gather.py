"""The class's numbers for one assignment, from nbgrader's gradebook and the autograded notebooks.

The gradebook (through nbgrader's API) gives every score: each student's total, each question's points,
what still waits for a human. The autograded notebooks give what the gradebook does not keep: the judge's
message of each failed test (``JudgeHandovers`` writes it in the test cell's metadata and as its error output;
plain nbgrader asserts leave only the error) and the incidents of the run (:mod:`course.grading.incidents`).
The integrity flags come from the integrity report's CSV (``reports/<a>-integrity.csv``), the record the
instructor reviews.
"""
import csv
import glob
import json
import logging
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from course.grading.incidents import METADATA_KEY

log = logging.getLogger(__name__)

#: The wrong answers listed per test, most frequent first.
TOP_WRONG_ANSWERS = 5
#: A message is shown up to this many characters (a student's own exception text can be long).
MESSAGE_CHARACTERS = 300
NO_MESSAGE = "(the test failed without a message)"
NO_NOTEBOOK = "(no autograded notebook to read the message from)"


class ReportError(RuntimeError):
    """The report cannot be made (no gradebook, unknown assignment): the message names the fix."""


@dataclass
class Question:
    """One graded cell of the assignment, across the class."""

    notebook: str
    name: str
    autograded: bool  # a test cell scored by the autograder; else graded by hand (open answer, task, code read)
    max_score: float
    scores: list = field(default_factory=list)  # of the submissions where it is graded
    awaiting: int = 0  # submissions where it still needs a human
    wrong_answers: list = field(default_factory=list)  # (message, how many submissions), most frequent first

    @property
    def graded(self):
        return len(self.scores)

    @property
    def full_marks(self):
        return sum(1 for score in self.scores if score >= self.max_score)

    @property
    def lost_points(self):
        """Graded submissions that did not get every point of this question."""
        return self.graded - self.full_marks

    @property
    def success_rate(self):
        """The share of the points the graded submissions got (None while none is graded)."""
        if not self.scores or not self.max_score:
            return None
        return sum(self.scores) / (len(self.scores) * self.max_score)


@dataclass
class ClassNumbers:
    assignment: str
    max_score: float
    totals: dict  # student -> points (autograded and by hand, as nbgrader adds them up)
    questions: list
    incidents: Counter  # kind -> submissions with it
    incident_details: dict  # kind -> an example detail (English)
    incident_students: list  # students whose submission had at least one incident
    flags: Counter  # flag -> students flagged so
    flagged_students: int
    integrity_csv: str  # where the flags were read, "" when there is no integrity report yet
    not_graded: list  # handed in (submitted/) but without a submission in the gradebook
    awaiting_students: list  # students with at least one answer to grade by hand

    @property
    def submissions(self):
        return len(self.totals)

    @property
    def awaiting_answers(self):
        return sum(question.awaiting for question in self.questions)


def open_gradebook(coursedir):
    """nbgrader's gradebook at the course's ``db_url``; a SQLite file that does not exist is refused (nbgrader
    would create an empty one)."""
    from nbgrader.api import Gradebook

    from course.grading.gradebook import require_gradebook
    from course.grading.setup_check import GradingSetupError

    url = coursedir.db_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        raise ReportError(f"No gradebook at {url[len('sqlite:///'):]}: run this in the course root (or pass "
                          "--root), after `nbgrader generate_assignment` and grading.")
    try:
        require_gradebook(url, consequence="Nothing was read.")  # a server: up, and it takes the credentials
    except GradingSetupError as error:
        raise ReportError(str(error)) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's warnings about nbgrader's own models
        return Gradebook(url, coursedir.course_id)


def find_assignment(gradebook, assignment):
    from nbgrader.api import MissingEntry

    try:
        return gradebook.find_assignment(assignment)
    except MissingEntry:
        known = ", ".join(a.name for a in gradebook.assignments) or "none"
        raise ReportError(f"The gradebook does not know the assignment '{assignment}' (it knows: {known}): "
                          f"run `nbgrader generate_assignment {assignment}` and grade it first.") from None


def questions_of(assignment):
    """Every graded cell (grade cells, then task cells, notebook by notebook), as empty Questions."""
    found = []
    for notebook in assignment.notebooks:
        answers = {cell.name for cell in notebook.solution_cells}
        for cell in notebook.grade_cells:
            autograded = cell.cell_type == "code" and cell.name not in answers
            found.append(Question(notebook.name, cell.name, autograded, float(cell.max_score)))
        found.extend(Question(notebook.name, cell.name, False, float(cell.max_score)) for cell in notebook.task_cells)
    return found


def _one_line(text):
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_CHARACTERS else text[:MESSAGE_CHARACTERS - 1] + "…"


def failure_message(cell):
    """Why a test cell lost points: the judge's verdict, else the cell's last error (plain nbgrader asserts)."""
    verdict = (cell.get("metadata", {}).get(METADATA_KEY) or {}).get("verdict")
    if isinstance(verdict, dict) and verdict.get("message"):
        return _one_line(verdict["message"])
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if not errors:
        return NO_MESSAGE
    name, value = str(errors[-1].get("ename", "")), str(errors[-1].get("evalue", ""))
    return _one_line(f"{name}: {value}" if value else name) or NO_MESSAGE


def read_autograded(coursedir, student, assignment, notebook):
    """The autograded notebook as plain JSON (no validation: only metadata and outputs are read), or None."""
    path = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment)) / f"{notebook}.ipynb"
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except (OSError, ValueError) as error:
        log.warning("Class report: cannot read %s (%s)", path, error)
        return None


def cells_by_grade_id(notebook_json):
    return {cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"): cell
            for cell in (notebook_json or {}).get("cells", []) if isinstance(cell, dict)}


def incidents_of(notebook_json):
    entries = ((notebook_json or {}).get("metadata", {}).get(METADATA_KEY) or {}).get("incidents") or []
    return [entry for entry in entries if isinstance(entry, dict) and entry.get("kind")]


def read_flags(reports_dir, assignment):
    """flag -> students flagged so, and the CSV read ("" when the integrity report is not written yet)."""
    path = Path(reports_dir) / f"{assignment}-integrity.csv"
    if not path.is_file():
        return Counter(), 0, ""
    with open(path, newline="", encoding="utf-8") as stream:
        pairs = {(row.get("student", ""), row.get("flag", "")) for row in csv.DictReader(stream)}
    return Counter(flag for _, flag in pairs), len({student for student, _ in pairs}), str(path)


def handed_in(coursedir, assignment):
    """Students with a folder of this assignment in submitted/."""
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    return {Path(path).parent.name for path in glob.glob(pattern) if os.path.isdir(path)}


class Tally:
    """What the submissions add up to, question by question, read while the gradebook is open."""

    def __init__(self, coursedir, assignment, questions):
        self.coursedir, self.assignment = coursedir, assignment
        self.by_key = {(q.notebook, q.name): q for q in questions}
        self.wrong = {key: Counter() for key in self.by_key}
        self.totals, self.awaiting, self.incidents, self.details, self.troubled = {}, set(), Counter(), {}, []

    def add_submission(self, submission):
        student, kinds = submission.student_id, set()
        self.totals[student] = float(submission.score)
        for submitted in submission.notebooks:
            notebook_json = read_autograded(self.coursedir, student, self.assignment, submitted.name)
            self.add_grades(student, submitted, cells_by_grade_id(notebook_json))
            for entry in incidents_of(notebook_json):
                kinds.add(entry["kind"])
                self.details.setdefault(entry["kind"], str(entry.get("detail", "")))
        self.incidents.update(kinds)
        if kinds:
            self.troubled.append(student)

    def add_grades(self, student, submitted, cells):
        for grade in submitted.grades:
            key = (submitted.name, grade.name)
            question = self.by_key.get(key)
            if question is None:
                continue
            if grade.needs_manual_grade:  # nbgrader's own word for "waits for a human"
                question.awaiting += 1
                self.awaiting.add(student)
                continue
            question.scores.append(float(grade.score))
            if question.autograded and float(grade.score) < question.max_score:
                cell = cells.get(grade.name)
                self.wrong[key][failure_message(cell) if cell else NO_NOTEBOOK] += 1

    def wrong_answers(self):
        for key, counter in self.wrong.items():
            self.by_key[key].wrong_answers = counter.most_common(TOP_WRONG_ANSWERS)


def gather(coursedir, assignment):
    """The :class:`ClassNumbers` of ``assignment`` in the course of ``coursedir`` (nbgrader's CourseDirectory)."""
    with open_gradebook(coursedir) as gradebook:
        found = find_assignment(gradebook, assignment)
        questions = questions_of(found)
        tally = Tally(coursedir, assignment, questions)
        for submission in gradebook.assignment_submissions(assignment):
            tally.add_submission(submission)
        max_score = float(found.max_score)
    tally.wrong_answers()
    flags, flagged, integrity_csv = read_flags(Path(coursedir.root) / "reports", assignment)
    return ClassNumbers(assignment=assignment, max_score=max_score, totals=tally.totals, questions=questions,
                        incidents=tally.incidents, incident_details=tally.details, incident_students=tally.troubled,
                        flags=flags, flagged_students=flagged, integrity_csv=integrity_csv,
                        not_graded=sorted(handed_in(coursedir, assignment) - set(tally.totals)),
                        awaiting_students=sorted(tally.awaiting))
