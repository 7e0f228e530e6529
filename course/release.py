"""Generate the student releases with nbgrader, never losing the committed one.

``nbgrader generate_assignment --force`` deletes ``release/<a>`` before it
writes the new one: if generation fails, the committed release is gone. Here
it is kept aside and put back when nbgrader fails.
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import course_config

from . import assignments
from .pipeline import NbgraderError, nbgrader


def generate(assignment, root=course_config.ROOT):
    release = Path(root) / "release" / assignment
    with tempfile.TemporaryDirectory() as backup:
        kept = Path(backup) / assignment
        if release.exists():
            shutil.copytree(release, kept)
        try:
            nbgrader(root, "generate_assignment", assignment, "--force")
        except NbgraderError:
            if kept.exists():
                shutil.rmtree(release, ignore_errors=True)
                shutil.copytree(kept, release)
            raise


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course release", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment of source/, in teaching order")
    args = parser.parse_args(argv)
    for assignment in args.assignments or assignments.names():
        try:
            generate(assignment)
        except NbgraderError as error:
            print(f"ERROR: {error}\nThe committed release/{assignment} was kept.", file=sys.stderr)
            return 1
        print(f"{assignment}: release/{assignment} generated")
    return 0
