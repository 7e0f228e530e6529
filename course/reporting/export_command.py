"""``course export ASSIGNMENT --format moodle|questions [--roster FILE] [--to FILE]``: grades for the LMS.

The same nbgrader export plugins as ``nbgrader export --exporter=course.reporting.exports.MoodleExport``
(or ``QuestionsExport``), run on the course's gradebook as nbgrader configures it. Every student the export
could not match (missing from the roster, or without a submission) is printed on stderr, and the exit status
is then 1: the file is written, but check those students before importing it.

The roster (a CSV, required for Moodle): student_id (nbgrader's id), email and/or id_number (the LMS
account's), first_name and last_name (optional).
"""
import argparse
import logging
import sys
import warnings
from pathlib import Path

from .course_directory import load_nbgrader_app
from .gather import ReportError, open_gradebook
from .roster import RosterError

FORMATS = {"moodle": "MoodleExport", "questions": "QuestionsExport"}
DEFAULT_FILES = {"moodle": "{a}-moodle.csv", "questions": "{a}-questions.csv"}


def export(root, assignment, format, roster=None, to=None, match="email"):
    """Write the export; (the file written, the problems found: English lines)."""
    from . import exports

    app = load_nbgrader_app(root)
    destination = Path(to or Path(app.coursedir.root) / "reports" / DEFAULT_FILES[format].format(a=assignment))
    destination.parent.mkdir(parents=True, exist_ok=True)
    plugin = getattr(exports, FORMATS[format])(parent=app, to=str(destination), assignment=[assignment],
                                               roster=str(roster or ""))
    if format == "moodle":
        plugin.match = match
    app.log_level = logging.ERROR  # the problems are returned, and printed once by main
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's warnings about nbgrader's own models
        with open_gradebook(app.coursedir) as gradebook:
            plugin.export(gradebook)
    return destination, list(plugin.problems)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course export", description=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--format", choices=FORMATS, required=True,
                        help="moodle: Moodle's grade import (needs --roster); questions: one column per graded cell")
    parser.add_argument("--roster", type=Path, help="the class list (CSV), see above")
    parser.add_argument("--match", choices=("email", "id_number"), default="email",
                        help="the roster column Moodle matches students on (default: email)")
    parser.add_argument("--to", type=Path, help="the file to write (default: reports/<a>-<format>.csv)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: here)")
    args = parser.parse_args(argv)
    from course.__main__ import use_course_root

    use_course_root(args.root)
    try:
        written, problems = export(args.root, args.assignment, args.format, args.roster, args.to, args.match)
    except (ReportError, RosterError, ValueError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"UNMATCHED: {problem}", file=sys.stderr)
    print(f"Export ({args.format}): {written}"
          + (f"\n{len(problems)} student(s) could not be matched (above): check them before importing."
             if problems else "\nEvery student matched."))
    return 1 if problems else 0
