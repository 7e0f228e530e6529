"""The class list the instructor gives (a CSV file), to match nbgrader's students with the LMS's accounts.

Columns (a header row; names are case-insensitive, spaces count as underscores, in any order, others ignored):

- ``student_id`` (required): the student's nbgrader id, i.e. their folder in ``submitted/`` (on a JupyterHub,
  their user name);
- ``email``: the e-mail address of their LMS account (Moodle's participants export calls it "Email address",
  accepted too);
- ``id_number``: the "ID number" of their LMS account (Moodle's "ID number");
- ``first_name``, ``last_name`` (optional): copied into the export, for a human reading it.

The column the export matches on (``email`` or ``id_number``) must be there. A student may appear once.
"""
import csv
from dataclasses import dataclass
from pathlib import Path

ALIASES = {"email_address": "email", "idnumber": "id_number", "first": "first_name", "last": "last_name",
           "firstname": "first_name", "lastname": "last_name"}
FIELDS = ("student_id", "email", "id_number", "first_name", "last_name")


class RosterError(ValueError):
    """The roster cannot be used as given: the message says what to change."""


@dataclass(frozen=True)
class Student:
    student_id: str
    email: str = ""
    id_number: str = ""
    first_name: str = ""
    last_name: str = ""


def column_name(header):
    name = "_".join(str(header).strip().lower().replace("-", " ").split())
    return ALIASES.get(name, name)


def read_roster(path, required=("student_id",)):
    """student_id -> :class:`Student`, in the file's order; RosterError when a required column is missing,
    a student_id is empty or appears twice."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:  # a spreadsheet's BOM, if any
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"Cannot read the roster {path}: {error}") from None
    if not rows:
        raise RosterError(f"The roster {path} is empty: it needs a header row (student_id, email, id_number...).")
    columns = [column_name(header) for header in rows[0]]
    missing = [name for name in required if name not in columns]
    if missing:
        raise RosterError(f"The roster {path} has no column {', '.join(missing)} (its columns: "
                          f"{', '.join(rows[0])}): see `course export --help` for the columns it needs.")
    return _students(path, columns, rows[1:])


def _students(path, columns, rows):
    found = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {name: cell.strip() for name, cell in zip(columns, row) if name in FIELDS}
        student = Student(**values)
        if not student.student_id:
            raise RosterError(f"The roster {path}, line {line}, has no student_id: give each row the student's "
                              "nbgrader id (their folder in submitted/).")
        if student.student_id in found:
            raise RosterError(f"The roster {path} lists the student '{student.student_id}' twice (line {line}).")
        found[student.student_id] = student
    return found
