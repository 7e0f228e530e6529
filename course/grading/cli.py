"""``course grade ASSIGNMENT [--jobs N | --scheduler ADDRESS] [--student ID ...]``: grade a class in the course root."""
import argparse
import os
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course grade", description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("assignment")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count(),
                        help="parallel workers (default: the machine's cores)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="execute the submissions on this Dask scheduler's workers instead of --jobs local "
                             "processes (docs/scale.md)")
    parser.add_argument("--student", action="append", dest="students", metavar="ID",
                        help="grade only this student (repeatable)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: here)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    from course.__main__ import use_course_root

    use_course_root(args.root)
    from .runner import grade_class
    from .setup_check import GradingSetupError

    try:
        outcomes = grade_class(args.root, args.assignment, jobs=args.jobs, students=args.students,
                               progress=not args.no_progress, scheduler=args.scheduler)
    except GradingSetupError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug or a machine problem: its traceback, then its cause in one line
        import traceback

        from .runner import cause_of

        traceback.print_exc()
        print(f"ERROR: `course grade` stopped on an unexpected error: {cause_of(error)}.\nThe run report was not "
              "written; the students recorded before the error (none if it stopped in the pre-flight) keep their "
              "grades in the gradebook. Fix the cause and run the same command again.", file=sys.stderr)
        return 3
    write_class_report(args.root, args.assignment)
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def write_class_report(root, assignment):
    """The class at a glance (``course report``), after the grades are recorded; a failure here costs the page
    only, never the run."""
    from course.reporting.report import write_class_report as write

    try:
        print(f"Class report: {write(root, assignment)[0]}")
    except Exception as error:  # the grades are recorded: say so, and how to make the page again
        print(f"WARNING: the class report was not written ({type(error).__name__}: {error}); the grades are "
              f"recorded. Run `course report {assignment}` to write it.", file=sys.stderr)
