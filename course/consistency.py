"""Is an assignment whole? Its pieces are tied by names, and this is the one place that checks them all.

An assignment's pieces name each other by strings: a hidden test cell of
``source/<a>/<a>.ipynb`` (its ``grade_id``) is judged by the check that
``graders.<a>.TESTS`` maps it to, ``check_<name>``, which reads what
``handover.<a>.<name>`` hands over, and the cell's hidden part must call that
very function. The declaration's catalogues (``assignment.toml``) name solution
cells, test cells and points. :func:`problems` lists, in English, every broken
link with its fix. It runs in ``course grade``'s pre-flight
(:mod:`course.grading.preflight`), in ``course check [NAME]``, and in a test on
every assignment.

``graders`` and ``handover`` are inspected in the grading Python, from the course
root (as the judge imports them), never in this process: the Python running
nbgrader may lack torch, and an instructor's process need not import checks.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from . import assignments as declared

#: Run by the grading Python in the course root: what graders.<a> and handover.<a> define, as JSON.
PROBE = textwrap.dedent("""\
    import importlib, inspect, json, sys
    name, found = sys.argv[1], {}
    try:
        tests = importlib.import_module("graders." + name).TESTS
        found["graders"] = {"tests": {str(test): getattr(check, "__name__", None) if callable(check) else None
                                      for test, check in dict(tests).items()}}
    except BaseException as error:
        found["graders"] = {"error": type(error).__name__ + ": " + str(error)}
    try:
        module = importlib.import_module("handover." + name)
        found["handover"] = {"functions": sorted(key for key, value in vars(module).items()
                                                 if inspect.isfunction(value) and value.__module__ == module.__name__)}
    except BaseException as error:
        found["handover"] = {"error": type(error).__name__ + ": " + str(error)}
    print(json.dumps(found))
""")
PROBE_TIMEOUT_SECONDS = 300


@dataclass
class Cells:
    """What the notebook says: its test cells (grade_id -> points, and the hand-overs its hidden part calls) and
    its solution code cells."""

    tests: dict = field(default_factory=dict)
    handed_over: dict = field(default_factory=dict)
    solutions: set = field(default_factory=set)


def notebook_cells(assignment):
    """The :class:`Cells` of ``source/<a>/<a>.ipynb`` (only the autograded ones: open questions are graded by hand)."""
    import nbformat

    notebook = nbformat.read(assignment.notebook, as_version=4)
    cells = Cells()
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or "grade_id" not in meta:
            continue
        if meta.get("solution"):
            cells.solutions.add(meta["grade_id"])
        elif meta.get("grade"):
            cells.tests[meta["grade_id"]] = float(meta.get("points", 0))
            cells.handed_over[meta["grade_id"]] = hand_overs(cell.source, assignment.name)
    return cells


def hand_overs(source, name):
    """The functions of ``handover.<name>`` that the hidden part of a test cell calls."""
    hidden = "\n".join(re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", source, flags=re.S))
    aliases = {f"handover.{name}"}
    aliases.update(alias or name for alias in re.findall(rf"from\s+handover\s+import\s+{name}\b(?:\s+as\s+(\w+))?",
                                                         hidden))
    aliases.update(re.findall(rf"import\s+handover\.{name}\s+as\s+(\w+)", hidden))
    return sorted({call for alias in aliases
                   for call in re.findall(rf"(?<![\w.]){re.escape(alias)}\.(\w+)\s*\(", hidden)})


# --- the catalogues (assignment.toml) against the notebook ------------------------------------------

def catalogue_problems(assignment, cells, judged=True):
    where = f"{assignment.declaration}"
    found = []
    if judged and not assignment.wrong:
        found.append(f"{where} declares no [[wrong]] answer, so `course grade`'s pre-flight cannot prove that the "
                     "checks are live. To fix: add a known wrong answer per graded part, with the points it loses.")
    entries = [(f"wrong[{i}]", e.answers, e.loses) for i, e in enumerate(assignment.wrong)]
    entries += [(f"right[{i}]", e.answers, {}) for i, e in enumerate(assignment.right)]
    entries += [(f"samples.extra[{i}] ({e.student})", e.answers, e.lost)
                for i, e in enumerate(assignment.extra_samples)]
    for key, answers, loses in entries:
        for cell in sorted(set(answers) - cells.solutions):
            found.append(f"{where}: {key}.answers names {cell!r}, which is no solution code cell of "
                         f"{assignment.notebook.name} (they are: {', '.join(sorted(cells.solutions)) or 'none'}). "
                         "To fix: use the grade_id of the cell the answer replaces.")
        for test, points in sorted(loses.items()):
            if test not in cells.tests:
                found.append(f"{where}: {key} says {test!r} loses points, but it is no autograded test cell of "
                             f"{assignment.notebook.name}. To fix: use the grade_id of a test cell.")
            elif points > cells.tests[test]:
                found.append(f"{where}: {key} says {test!r} loses {points:g} points, but that cell is worth "
                             f"{cells.tests[test]:g}. To fix: at most its points.")
    data_dir = assignment.folder.parent.parent / "data"
    for name in assignment.data:
        if not (data_dir / name).is_file():
            found.append(f"{where}: data names {name!r}, which is not in {data_dir}. To fix: add the file there "
                         "(with its provenance in data/README.md), or remove it from data.")
    return found


# --- the string web: test cells, graders.<a>.TESTS, handover.<a> ------------------------------------

def probe(assignment, python, root):
    """What ``graders.<a>`` and ``handover.<a>`` define, as ``python`` imports them from ``root``."""
    try:
        result = subprocess.run([str(python), "-c", PROBE, assignment.name], cwd=root, capture_output=True, text=True,
                                timeout=PROBE_TIMEOUT_SECONDS, env=dict(os.environ, PYTHONSAFEPATH=""))
    except (OSError, subprocess.TimeoutExpired) as error:
        return _unreadable(python, f"{type(error).__name__}: {error}")
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return _unreadable(python, result.stderr.strip()[-2000:] or "no output")


def _unreadable(python, said):
    message = f"the grading Python {python} could not inspect it: {said}"
    return {"graders": {"error": message}, "handover": {"error": message}}


def web_problems(name, cells, facts):
    """Every broken link between the notebook's test cells, ``graders.<name>.TESTS`` and ``handover.<name>``."""
    found = []
    graders, handover = facts.get("graders", {}), facts.get("handover", {})
    if "error" in graders:
        found.append(f"graders/{name}.py cannot be imported ({graders['error']}). To fix: write it (one check per "
                     f"test cell, and TESTS mapping each test cell's grade_id to its check), or fix the error.")
    if "error" in handover:
        found.append(f"handover/{name}.py cannot be imported ({handover['error']}). To fix: write it (one function "
                     "per check, handing the student's values over with publish), or fix the error.")
    if "error" in graders:
        return found
    tests = graders.get("tests", {})
    for test in sorted(set(cells.tests) - set(tests)):
        found.append(f"the test cell {test!r} (worth {cells.tests[test]:g}) has no check: grading would stop. "
                     f"To fix: add {test!r}: check_<name> to TESTS in graders/{name}.py.")
    for test in sorted(set(tests) - set(cells.tests)):
        found.append(f"graders/{name}.py: TESTS names {test!r}, which is no autograded test cell of the notebook. "
                     "To fix: remove it, or restore the cell (its grade_id must match).")
    functions = set(handover.get("functions", ()))
    for test in sorted(set(tests) & set(cells.tests)):
        check = tests[test]
        if not check or not check.startswith("check_"):
            found.append(f"graders/{name}.py: TESTS[{test!r}] is {check!r}, not a function check_<name>. To fix: map "
                         "it to a check (decorated with graders.checks.check).")
            continue
        function = check.removeprefix("check_")
        if "error" not in handover and function not in functions:
            found.append(f"graders/{name}.py: {check} reads what handover.{name}.{function} hands over, but "
                         f"handover/{name}.py has no function {function}. To fix: add it (it calls "
                         f"publish({function!r}, {{...}})), or rename the check.")
        called = cells.handed_over.get(test, [])
        if not called:
            found.append(f"the test cell {test!r} hands nothing over, so its check never gets the student's values. "
                         f"To fix: end its hidden part (### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS) with "
                         f"`from handover import {name} as hand_over` and `hand_over.{function}(...)`.")
        elif called != [function]:
            found.append(f"the test cell {test!r} calls handover.{name}.{', '.join(called)}, but its check {check} "
                         f"reads what handover.{name}.{function} hands over. To fix: call hand_over.{function}(...) "
                         "alone in its hidden part, or map the cell to the matching check in TESTS.")
    return found


def problems(assignment, root, python=None, judged=True):
    """Everything wrong with ``assignment`` (a name or an Assignment) of the course in ``root``, in English, each
    with its fix; empty when it is whole. ``python`` inspects graders and handover (default: the course's grading
    Python); ``judged`` False for an assignment scored by its own asserts (no graders, no hand-over)."""
    root = Path(root)
    try:
        if isinstance(assignment, str):
            assignment = declared.load(assignment, root)
    except declared.AssignmentError as error:
        return [str(error)]
    if not assignment.notebook.is_file():
        return [f"{assignment.notebook} is missing. To fix: `make sync` (or `course sync {assignment.name}`) "
                f"generates it from {assignment.markdown.name}."]
    cells = notebook_cells(assignment)
    found = catalogue_problems(assignment, cells, judged)
    if not cells.tests:
        found.append(f"{assignment.notebook} has no autograded test cell. To fix: add one (see docs/authoring.md).")
    if judged:
        if python is None:
            import course_config

            python = course_config.grading_python(root)
        found += web_problems(assignment.name, cells, probe(assignment, python, root))
    return found


# --- course check [NAME] -----------------------------------------------------------------------------

def main(argv=None):
    import course_config

    parser = argparse.ArgumentParser(prog="course check", description="Check that each assignment is whole: every "
                                     "test cell has a check and a hand-over, the catalogues fit the notebook.")
    parser.add_argument("assignments", nargs="*", help="default: every assignment of source/")
    parser.add_argument("--root", type=Path, default=course_config.ROOT, help="course root (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        names = args.assignments or declared.names(args.root)
    except declared.AssignmentError as error:
        print(f"PROBLEM: {error}")
        return 1
    status = 0
    for name in names:
        found = problems(name, args.root, judged=name not in course_config.ASSERT_GRADED_ASSIGNMENTS)
        found += _drift(name, args.root) if not found else []
        print(f"{name}: " + ("whole" if not found else f"{len(found)} problem(s)"))
        for problem in found:
            print("  - " + textwrap.fill(problem, 110, subsequent_indent="    "))
        status |= bool(found)
    return status


def _drift(name, root):
    from .notebooks import drift

    cells = drift(name, root)
    return [f"source/{name}/{name}.ipynb differs from {name}.md (cells {cells}). To fix: `make sync`."] if cells else []


if __name__ == "__main__":
    sys.exit(main())
