"""``course report ASSIGNMENT [--root DIR]``: the class at a glance, reports/<a>-class.html and its figures.

The page (for the instructor, in English): the distribution of totals, the success of each question
(autograded and graded by hand), the most frequent wrong answers per test (the judge's messages, grouped and
counted), incidents and integrity flags counted, and the manual grading left. Each figure is also written as a
PNG beside it (``<a>-class-totals.png``, ``<a>-class-questions.png``). It reads nbgrader's gradebook with the
course's configuration, so it works after ``course grade`` and after plain ``nbgrader autograde``.
"""
import argparse
import sys
from pathlib import Path

from .course_directory import load_nbgrader_app
from .figures import FIGURES
from .gather import ReportError, gather
from .page import render_html, shown

CAPTIONS = {"totals": "Distribution of the totals", "questions": "Success per question"}


def write_class_report(root, assignment, reports_dir=None):
    """Write the page and its PNGs (default: ``<root>/reports``); return the page's path and the PNGs' paths."""
    coursedir = load_nbgrader_app(root).coursedir
    numbers = gather(coursedir, assignment)
    reports = Path(reports_dir or Path(coursedir.root) / "reports")
    reports.mkdir(parents=True, exist_ok=True)
    figures, written = [], []
    for name, draw in FIGURES.items():
        png, path = draw(numbers), reports / f"{assignment}-class-{name}.png"
        path.write_bytes(png)
        figures.append(shown(png, CAPTIONS[name], path.name))
        written.append(path)
    page = reports / f"{assignment}-class.html"
    page.write_text(render_html(numbers, figures), encoding="utf-8")
    return page, written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course report", description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("assignment")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: here)")
    args = parser.parse_args(argv)
    from course.__main__ import use_course_root

    use_course_root(args.root)
    try:
        page, pngs = write_class_report(args.root, args.assignment)
    except ReportError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    print(f"Class report: {page}\nFigures: {', '.join(str(p) for p in pngs)}")
    return 0
