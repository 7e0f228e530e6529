"""``course rejudge``: the judge's verdicts again, from the hand-overs stored in the autograded notebooks.

Grading stores, with each test cell's verdict, the values the kernel handed
over (:func:`~.preprocessors.judge_handovers.record_verdict`). After a fix in
``graders``, the judge can therefore give every student's test cells their
new verdicts without executing a single notebook: seconds for a class, not
the minutes of ``course grade``. Only verdicts that came from the judge are
judged again; a cell whose own error was its verdict (the student's code
raised, the kernel died) keeps it, and a cell graded before hand-overs were
stored is reported, never guessed.

A change is written the way grading writes it: the autograded notebook's
cell (verdict, error output, the incidents' announcement), then nbgrader's
own ``SaveAutoGrades`` and ``AssignLatePenalties`` into the gradebook (a
manual score stays and the cell is marked for review, as nbgrader does), and
the students' feedback is generated again where it had been.
"""
import argparse
import copy
import io
import sys
import logging
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import determine_grade, is_grade

from . import incidents
from .gradebook import require_gradebook
from .judge import Judge, JudgeError, test_cells
from .preprocessors.announce_incidents import AnnounceIncidents
from .preprocessors.judge_handovers import VERDICT_ERROR, record_verdict, verdict_of, verdict_output
from .rewrite import rewrite_notebook
from .setup_check import GradingSetupError


@dataclass(frozen=True)
class Change:
    """One test cell of one student whose verdict changes."""

    student: str
    notebook: str
    test: str
    old_points: float
    new_points: float
    old_message: str
    new_message: str


@dataclass
class Rejudged:
    """What ``course rejudge`` found (and, unless it was a dry run, recorded)."""

    changes: list = field(default_factory=list)
    #: (student, notebook, test cell) graded before hand-overs were stored: not judged again.
    not_stored: list = field(default_factory=list)
    #: (student, notebook, test cell, why) the judge could not judge again: the old verdict stays.
    kept: list = field(default_factory=list)
    students: int = 0
    recorded: bool = False
    feedback: list = field(default_factory=list)


def _test_cell(cell):
    return cell.cell_type == "code" and is_grade(cell) and not cell.metadata["nbgrader"].get("solution")


def _stored_verdict(cell):
    return cell.metadata.get(incidents.METADATA_KEY, {}).get("verdict")


def _points(cell):
    return float(determine_grade(cell, logging.getLogger(__name__))[0] or 0)


def _with_verdict(cell, passed, message, handovers):
    """A copy of the test cell as grading would have left it with this verdict."""
    cell = copy.deepcopy(cell)
    cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "error" and o.get("ename") == VERDICT_ERROR)]
    if not passed:
        cell.outputs.append(verdict_output(message))
    record_verdict(cell, passed, message, handovers)
    return cell


class Rejudge:
    """Judge the stored hand-overs of one assignment again; record the changes unless ``dry_run``."""

    def __init__(self, root, config, assignment, students=None, dry_run=False, log=print):
        self.root, self.config, self.assignment = Path(root), config, assignment
        self.chosen, self.dry_run, self.log = students, dry_run, log
        from nbgrader.coursedir import CourseDirectory

        config.CourseDirectory.root = str(self.root)
        self.coursedir = CourseDirectory(config=config)
        self.db_url = self.coursedir.db_url

    def run(self):
        from .run_lock import assignment_lock

        with assignment_lock(self.root, self.assignment, "course rejudge"):  # not while `course grade` writes it
            return self._run()

    def _run(self):
        settings = self.config.JudgeHandovers
        if self.assignment in settings.get("assert_graded", []):
            raise GradingSetupError(f"{self.assignment} is scored by its own asserts (JudgeHandovers.assert_graded): "
                                    "there is no judge to ask again. Grade it again with `course grade`.")
        require_gradebook(self.db_url, consequence="Nothing was judged again nor recorded.")
        judge = Judge(settings.grading_python, settings.course_root or self.root, self.assignment,
                      verdict_timeout=settings.verdict_timeout).launch()
        try:
            judge.ready().require_live(test_cells(self.db_url, self.assignment))  # the fixed graders are sound
            result = Rejudged()
            changed = {}
            for student, path in self._notebooks():
                notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
                cells = self._judge_again(judge, student, path.stem, notebook, result)
                if cells:
                    changed[(student, path)] = (notebook, cells)
            result.students = len({student for student, _ in self._notebooks()})
        finally:
            judge.close()
        if changed and not self.dry_run:
            self._record(changed, result)
        return result

    def _notebooks(self):
        folder = self.root / self.coursedir.autograded_directory
        for path in sorted(folder.glob(f"*/{self.assignment}/*.ipynb")):
            student = path.parent.parent.name
            if not self.chosen or student in self.chosen:
                yield student, path

    def _judge_again(self, judge, student, name, notebook, result):
        """{cell index: the rejudged cell} of the notebook's test cells whose verdict changes."""
        cells = {}
        for index, cell in enumerate(notebook.cells):
            verdict = _stored_verdict(cell) if _test_cell(cell) else None
            if verdict is None or not verdict.get("judged", True):
                continue  # not a test cell, or its own error was the verdict
            test = cell.metadata["nbgrader"]["grade_id"]
            if "handovers" not in verdict:
                result.not_stored.append((student, name, test))
                continue
            try:
                passed, message = verdict_of(judge, test, verdict["handovers"])
            except JudgeError as error:
                result.kept.append((student, name, test, str(error)))
                continue
            if (passed, message) == (verdict.get("passed"), verdict.get("message")):
                continue
            fresh = _with_verdict(cell, passed, message, verdict["handovers"])
            cells[index] = fresh
            result.changes.append(Change(student, name, test, _points(cell), _points(fresh),
                                         str(verdict.get("message", "")), message))
        return cells

    # --- the writer -------------------------------------------------------------------------------

    def _record(self, changed, result):
        for (student, path), (notebook, cells) in changed.items():
            for index, cell in cells.items():
                notebook.cells[index] = cell
                _forget_judge_failure(notebook, cell.metadata["nbgrader"]["grade_id"])
            notebook, _ = AnnounceIncidents(config=self.config).preprocess(notebook, {})
            self._save_grades(notebook, student, path.stem)
            rewrite_notebook(notebook, path)
        result.recorded = True
        for student in sorted({student for student, _ in changed}):
            if self._feedback_exists(student):
                self._generate_feedback(student)
                result.feedback.append(student)

    def _save_grades(self, notebook, student, name):
        from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

        resources = {"nbgrader": {"notebook": name, "assignment": self.assignment, "student": student,
                                  "db_url": self.db_url}}
        for step in (SaveAutoGrades, AssignLatePenalties):
            step(config=self.config).preprocess(notebook, resources)

    def _feedback_exists(self, student):
        return (self.root / self.coursedir.format_path(self.coursedir.feedback_directory, student,
                                                       self.assignment)).is_dir()

    def _generate_feedback(self, student):
        from nbgrader.converters import GenerateFeedback

        config = copy.deepcopy(self.config)
        config.CourseDirectory.assignment_id = self.assignment
        config.CourseDirectory.student_id = student
        converter = GenerateFeedback(coursedir=type(self.coursedir)(config=config), config=config)
        converter.force = True
        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        converter.log.addHandler(handler)
        try:
            converter.start()
        except Exception as error:  # the grades are recorded; only this page is stale: say so, go on
            self.log(f"WARNING: the feedback of {student} could not be generated again ({error}); run "
                     f"`nbgrader generate_feedback {self.assignment} --student {student} --force`.\n{buffer.getvalue()}")
        finally:
            converter.log.removeHandler(handler)


def _forget_judge_failure(notebook, test):
    """The judge now gave this cell a verdict: the incident saying it could not is no longer true."""
    found = notebook.metadata.get(incidents.METADATA_KEY, {}).get("incidents")
    if found:
        found[:] = [i for i in found if not (i.get("kind") == "judge_failed" and i.get("cell") == test)]


def describe(result, assignment, dry_run):
    """The instructor's summary, in English: one line per change, then what was not judged again."""
    lines = []
    for change in result.changes:
        points = (f"{change.old_points:g} -> {change.new_points:g}" if change.old_points != change.new_points
                  else f"{change.new_points:g} (message only)")
        lines.append(f"{change.student}  {change.test}: {points}\n"
                     f"    was: {change.old_message or '(passed)'}\n    now: {change.new_message or '(passed)'}")
    moved = sum(c.new_points - c.old_points for c in result.changes)
    verb = "would change" if dry_run else "changed"
    lines.append(f"{assignment}: {len(result.changes)} verdict(s) {verb} for "
                 f"{len({c.student for c in result.changes})} of {result.students} student(s) "
                 f"({moved:+g} points in all).")
    if result.not_stored:
        lines.append(f"Not judged again ({len(result.not_stored)} test cells, graded before hand-overs were stored; "
                     "`course grade` grades them again): "
                     + ", ".join(f"{s}/{t}" for s, _, t in result.not_stored[:20])
                     + (" ..." if len(result.not_stored) > 20 else ""))
    if result.kept:
        lines.append(f"Kept their old verdict (the judge could not judge them again): "
                     + "; ".join(f"{s}/{t}: {why}" for s, _, t, why in result.kept))
    if dry_run:
        lines.append("Dry run: nothing was recorded.")
    elif result.feedback:
        lines.append(f"Feedback generated again for: {', '.join(result.feedback)}.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course rejudge",
                                     description="Judge the stored hand-overs of an assignment again (after a fix in "
                                                 "graders), without executing any notebook.")
    parser.add_argument("assignment")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the verdicts that would change (old and new messages), record nothing")
    parser.add_argument("--student", action="append", dest="students", metavar="ID",
                        help="only this student (repeatable)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: here)")
    args = parser.parse_args(argv)

    from course.__main__ import use_course_root

    use_course_root(args.root)
    from .runner import load_config

    try:
        result = Rejudge(args.root, load_config(args.root), args.assignment, students=args.students,
                         dry_run=args.dry_run).run()
    except GradingSetupError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    print(describe(result, args.assignment, args.dry_run))
    return 0
