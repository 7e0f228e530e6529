"""Score each test cell from what it handed over, judged in a clean process.

After execution, each graded test cell's outputs hold what its hidden part
handed over (``handover``: a display output of MIME type
``application/vnd.course.handover+json``). This preprocessor takes it out,
asks the judge (``course.grading.judge``) for the verdict and writes the
verdict into the cell: its outputs end with an error carrying the French
message when it failed, and with nothing of the kind when it passed, so
nbgrader's own ``SaveAutoGrades`` scores it. Whatever the kernel printed or
claimed otherwise (a silenced traceback, a number displayed as a partial
score) changes nothing: only the judge's verdict counts.

Every graded test cell is judged: there is no "assignment without checks"
(the judge stops grading when it has no check for a test cell). A hand-over
is data from a student's kernel, forged perhaps: one that is not JSON-clean,
too large or too deep never reaches the judge and fails its own cell only.
"""
import json

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Instance, Integer, List, Unicode

from handover import MIME_TYPE

from .. import incidents
from ..judge import JudgeError, JudgePool, judges_of_this_process
from ..setup_check import GradingSetupError

VERDICT_ERROR = "Réponse incorrecte"
UNREADABLE = ("La correction n'a pas pu lire ce que la cellule de test lui a transmis (données invalides ou "
              "trop volumineuses) : ne modifiez pas les cellules de test et relancez tout le notebook.")
JUDGE_FAILED = ("La correction n'a pas pu juger cette cellule (incident technique de son côté) : "
                "la note sera revue par l'enseignant.")


def _handovers(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "display_data"
            and MIME_TYPE in o.get("data", {})]


def _kept(output):
    """A test cell keeps what the student may see and what cannot pass for a score."""
    kind = output.get("output_type")
    if kind == "display_data":
        return MIME_TYPE not in output.get("data", {})
    if kind == "stream":
        return output.get("name") == "stdout"
    return kind == "error"


def verdict_output(message):
    """The error output that makes nbgrader score a failed test cell 0, with the judge's French message."""
    return new_output("error", ename=VERDICT_ERROR, evalue=message, traceback=[message])


def record_verdict(cell, passed, message, handovers=None):
    """The verdict in the cell's metadata; with the hand-overs the judge read (None: the cell's own error was the
    verdict, no judge), so that ``course rejudge`` can judge them again without running anything."""
    verdict = {"passed": passed, "message": message, "judged": handovers is not None}
    if handovers is not None:
        verdict["handovers"] = handovers
    cell.metadata.setdefault(incidents.METADATA_KEY, {})["verdict"] = verdict


def record_evidence(nb, cell_id, evidence):
    """The kernel's own report on itself, for the integrity report (never a verdict)."""
    found = nb.metadata.setdefault(incidents.METADATA_KEY, {}).setdefault("integrity", [])
    for item in evidence if isinstance(evidence, list) else []:
        if isinstance(item, dict) and len(found) < 200:
            entry = {"flag": str(item.get("flag", "unknown"))[:40], "where": cell_id,
                     "evidence": str(item.get("detail", ""))[:300], "source": "kernel"}
            if entry not in found:
                found.append(entry)


class JudgeHandovers(NbGraderPreprocessor):
    """Turn each test cell's handed-over values into its verdict, judged outside the student's kernel."""

    grading_python = Unicode(None, allow_none=True, help="The Python that runs the judge (the grading "
                                                         "environment's).").tag(config=True)
    course_root = Unicode(None, allow_none=True, help="The course whose graders judge the submissions."
                          ).tag(config=True)
    assert_graded = List(
        Unicode(), help="Assignments whose test cells keep nbgrader's own scoring (their asserts), with no judge: "
                        "only on purpose, a student's code can fool them. Every other assignment is judged, and "
                        "a test cell without a check stops grading.").tag(config=True)
    verdict_timeout = Integer(
        None, allow_none=True, help="Seconds the judge may take for one verdict before it counts as stuck "
                                    "(course_config.JUDGE_TIMEOUT_SECONDS).").tag(config=True)
    judges = Instance(
        JudgePool, allow_none=True, help="The run's judges, owned by whoever runs the judging (`course grade` "
                                         "hands its own). None: this process's (plain nbgrader, the formgrader)."
    ).tag(config=True)
    max_handover_bytes = Integer(
        8 * 2**20, help="A test cell's hand-over larger than this, as JSON, fails that cell unjudged.").tag(config=True)
    max_handover_depth = Integer(
        40, help="A hand-over nested deeper than this fails its cell unjudged.").tag(config=True)

    def judge_of(self, assignment, wait=True):
        """The judge of ``assignment`` in the run's pool (``wait``: until it has its references)."""
        missing = [f"JudgeHandovers.{name}" for name in ("grading_python", "course_root", "verdict_timeout")
                   if getattr(self, name) is None]
        if missing:
            raise GradingSetupError(
                f"Grading stopped: the configuration sets no {', '.join(missing)}, so no test could be judged. To "
                "fix: run nbgrader from the course root, where nbgrader_config.py applies "
                "course_config.configure_nbgrader. Nothing was recorded.")
        judges = self.judges if self.judges is not None else judges_of_this_process()
        return judges.judge(self.grading_python, self.course_root, assignment, self.verdict_timeout, wait=wait)

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        if assignment in self.assert_graded:
            return nb, resources
        self._nb = nb
        for index, cell in enumerate(nb.cells):
            graded_code = cell.cell_type == "code" and is_grade(cell) and not cell.metadata["nbgrader"].get("solution")
            if graded_code:
                self._judge(nb, cell, assignment)
            elif cell.cell_type == "code" and _handovers(cell):  # a hand-over outside a test cell: forged
                cell.outputs = [o for o in cell.outputs if o not in _handovers(cell)]
                nb.metadata.setdefault(incidents.METADATA_KEY, {}).setdefault("integrity", []).append(
                    {"flag": "forged_handover", "where": f"cell {index}", "source": "output",
                     "evidence": "grading hand-over output published outside a test cell"})
        return nb, resources

    def _judge(self, nb, cell, assignment):
        test = cell.metadata["nbgrader"]["grade_id"]
        payloads = [o["data"][MIME_TYPE] for o in _handovers(cell)]
        outputs = [o for o in cell.get("outputs", []) if _kept(o)]
        errors = [o for o in outputs if o["output_type"] == "error"]
        for payload in payloads:
            if isinstance(payload, dict):
                record_evidence(nb, test, payload.get("evidence"))
        unreadable = [p for p in payloads if not self._readable(p)]
        if unreadable and not errors:
            self.log.warning("%s handed over data the judge is not given (not JSON, too large or too deep)", test)
            errors = [new_output("error", ename=VERDICT_ERROR, evalue=UNREADABLE, traceback=[UNREADABLE])]
            outputs.append(errors[0])
        judged = None
        if errors:  # the visible part (or the kernel) stopped the cell: that error is the verdict's reason
            passed, message = False, str(errors[-1].get("evalue", "")) or str(errors[-1].get("ename", ""))
        else:
            passed, message = self._verdict(test, payloads, assignment)
            judged = payloads
            if not passed:
                outputs.append(verdict_output(message))
        cell.outputs = outputs
        record_verdict(cell, passed, message, judged)

    def _readable(self, payload):
        """Whether a hand-over may be sent to the judge: JSON, within the size and depth bounds."""
        if _depth(payload, self.max_handover_depth) > self.max_handover_depth:
            return False
        try:
            return len(json.dumps(payload)) <= self.max_handover_bytes
        except (TypeError, ValueError, RecursionError):
            return False

    def _verdict(self, test, payloads, assignment):
        judge = self.judge_of(assignment)
        try:
            if len(payloads) > 1:  # more than one hand-over: each must pass (forgeries cannot help)
                self.log.warning("%s handed over %d times", test, len(payloads))
            return verdict_of(judge, test, payloads)
        except JudgeError as error:
            self.log.error("%s could not be judged: %s", test, error)
            incidents.record(self._nb, "judge_failed", f"{test} could not be judged ({error}): review it by hand",
                             JUDGE_FAILED, test)
            return False, JUDGE_FAILED


def verdict_of(judge, test, payloads):
    """(passed, French message) of a test cell from all it handed over (none: judged as nothing): each must pass,
    so a forged extra hand-over cannot help. Raises JudgeError as ``judge.verdict`` does."""
    verdicts = [judge.verdict(test, payload) for payload in payloads] or [judge.verdict(test, None)]
    failed = [message for passed, message in verdicts if not passed]
    return (not failed), (failed[0] if failed else "")


def _depth(value, limit):
    """How deeply ``value`` nests (counted up to ``limit + 1``, without recursion: a forged tree may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
