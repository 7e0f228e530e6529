"""Command line of the course tooling: ``python -m course <command> [args]``."""
import argparse
import importlib
import sys
from pathlib import Path

#: Each command is the ``main(argv)`` of a module, imported only when used
#: (so that ``data`` does not pay for importing torch).
COMMANDS = {
    "new": ("course.scaffold", "scaffold a working assignment: notebook, declaration, hand-over, check and tests"),
    "check": ("course.consistency", "check that each assignment is whole (test cells, checks, hand-overs, catalogues)"),
    "grade": ("course.grading.cli", "grade every submission of an assignment, in parallel (run in the course root)"),
    "rejudge": ("course.grading.rejudge", "judge the stored hand-overs again after a fix in graders (no execution; "
                                          "--dry-run lists the changes)"),
    "report": ("course.reporting.report", "the class at a glance: reports/<a>-class.html and its figures (PNG)"),
    "export": ("course.reporting.export_command", "grades for the LMS: Moodle's grade import, or one column per "
                                                  "question (CSV; a roster matches the students)"),
    "demo": ("course.demo", "generate releases, grade the sample submissions, print grades"),
    "release": ("course.release", "generate release/<a> with nbgrader; a failure keeps the committed one"),
    "solutions": ("course.solutions", "write the corrigé solutions/<a>/ (notebook and HTML) from the source"),
    "sync": ("course.notebooks", "regenerate each source .ipynb from its MyST twin (.md)"),
    "data": ("course.data", "make data/ and copy it into each assignment"),
    "doctor": ("course.deployment.doctor", "check a deployment (permissions, exchange, environments, sandbox, "
                                           "weights, configuration) and print the fix of each problem"),
    "weights": ("course.weights", "place and verify pretrained weights in the torch cache"),
}


def use_course_root(root):
    """Make the course folder's own ``course_config`` (and ``graders``) win over the copies installed in the
    environment: a console script's ``sys.path`` starts with its ``bin/`` folder, not with the folder it runs in,
    so on a shared environment (deploy/install.sh) the instructor's edits would otherwise be ignored."""
    root = str(Path(root).resolve())
    if (Path(root) / "course_config.py").is_file() and sys.path[:1] != [root]:
        sys.path.insert(0, root)


def main(argv=None):
    use_course_root(Path.cwd())
    parser = argparse.ArgumentParser(
        prog="course",
        usage="%(prog)s {" + ",".join(COMMANDS) + "} [args...]",
        description="Course tooling.",
        epilog="\n".join(f"  {name:10} {help}" for name, (_, help) in COMMANDS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=COMMANDS, help="see below; `<command> --help` for its options")
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    from .assignments import AssignmentError

    try:
        return module.main(args.args)
    except AssignmentError as error:  # a declaration (source/<a>/assignment.toml) that cannot be read
        print(f"ERROR: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
