"""Give each graded cell a French label and status, for the summary and the template.

A graded cell is named after the nearest heading above it (``### Exercice 1 —
Les contours``, without a trailing ``(3 points)``); when several graded cells
share a heading, each gets « test 1 sur 2 », « réponse rédigée »... Without
any heading above, its grade_id is used.

Its status:

- test cell: « Réussi » / « Échoué » from its verdict, « Non évalué » when it
  has none (not graded or not run); in a notebook where no cell has a verdict
  at all (graded before verdicts existed), from its score;
- answer graded by hand, or task: « À corriger à la main » until a grader
  scored it, then « Corrigé à la main »; « Pas de réponse » for an answer left
  as the release gave it (nbgrader gives it 0 without a grader).

Everything goes to ``cell.metadata["course_feedback"]``: ``label``, ``kind``
(test, answer, task), ``status``, ``status_text``, ``score``, ``points``,
``score_text`` (« Note : 1,5 / 2 »). Run after GetGrades (it reads the scores
GetGrades put in the nbgrader metadata).
"""
import re
import warnings

from nbgrader import utils
from nbgrader.api import Gradebook
from traitlets import Bool, Dict

from .base import FeedbackPreprocessor
from .cells import annotations, grade_id, is_manual_cell, is_test_cell, points, verdict

HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
#: "(3 points)", "(1 point, corrigée à la main)" at the end of a heading: the summary gives the points.
POINTS_SUFFIX = re.compile(r"\s*[(\[]\s*\d+(?:[.,]\d+)?\s*points?\b[^()\[\]]*[)\]]\s*$", re.IGNORECASE)

STATUS_TEXT = {
    "passed": "Réussi",
    "failed": "Échoué",
    "not_graded": "Non évalué (cellule non exécutée ou non corrigée)",
    "to_grade": "À corriger à la main",
    "graded_by_hand": "Corrigé à la main",
    "no_answer": "Pas de réponse",
}
KIND_WORD = {"test": "test", "answer": "réponse rédigée", "code_answer": "code corrigé à la main", "task": "tâche"}


def heading_of(cell):
    """The last heading of a markdown cell, as plain text, or None."""
    found = None
    for line in cell.source.splitlines():
        match = HEADING.match(line)
        if match:
            found = match.group(1)
    if not found:
        return None
    text = POINTS_SUFFIX.sub("", found.replace("`", "").replace("*", "")).strip()
    return text or None


def kind_of(cell):
    if is_test_cell(cell):
        return "test"
    if utils.is_task(cell):
        return "task"
    return "answer" if is_manual_cell(cell) else None


class LabelGradedCells(FeedbackPreprocessor):
    """Annotate each graded cell with a French label, its status and its score text."""

    status_text = Dict(
        STATUS_TEXT, help="French text of each status (passed, failed, not_graded, to_grade, graded_by_hand, "
                          "no_answer).").tag(config=True)
    scores_without_verdicts = Bool(
        True, help="In a notebook where no test cell has a verdict, read the status of test cells from their "
                   "score (full marks: passed) instead of calling them all not graded.").tag(config=True)

    def preprocess(self, nb, resources):
        graded, heading = [], None
        for cell in nb.cells:
            if cell.cell_type == "markdown" and not utils.is_grade(cell) and not utils.is_task(cell):
                heading = heading_of(cell) or heading
            kind = kind_of(cell)
            if kind:
                graded.append((cell, kind, heading))
        any_verdict = any(verdict(cell) is not None for cell, kind, _ in graded if kind == "test")
        manual = self._manual_grades(resources)
        for cell, kind, heading in graded:
            note = annotations(cell)
            note["kind"] = kind
            note["label"] = self._label(cell, kind, heading, graded)
            meta = cell.metadata.get("nbgrader", {})
            score, max_points = meta.get("score"), meta.get("points")
            status = (self._test_status(cell, score, max_points, any_verdict) if kind == "test"
                      else manual.get(grade_id(cell), "to_grade"))
            note["status"] = status
            note["status_text"] = self.status_text.get(status, STATUS_TEXT[status])
            note["score"], note["points"] = score, max_points
            shown = None if status == "to_grade" else score
            note["score_text"] = f"Note : {points(shown)} / {points(max_points)}"
        return nb, resources

    def _label(self, cell, kind, heading, graded):
        word = KIND_WORD["code_answer" if kind == "answer" and cell.cell_type == "code" else kind]
        if not heading:
            return grade_id(cell) or word
        same_kind = [c for c, k, h in graded if h == heading and k == kind]
        if len([c for c, k, h in graded if h == heading]) == 1:
            return heading
        if len(same_kind) == 1 or kind != "test":
            return f"{heading} ({word})"
        position = next(i for i, c in enumerate(same_kind, 1) if c is cell)
        return f"{heading} (test {position} sur {len(same_kind)})"

    def _test_status(self, cell, score, max_points, any_verdict):
        found = verdict(cell)
        if found is not None:
            return "passed" if found["passed"] else "failed"
        if not any_verdict and self.scores_without_verdicts and score is not None and max_points:
            return "passed" if float(score) >= float(max_points) else "failed"
        return "not_graded"

    def _manual_grades(self, resources):
        """grade_id -> status of each cell graded by hand, from the gradebook (empty when there is none)."""
        info = resources.get("nbgrader", {})
        if not info.get("db_url"):
            return {}
        statuses = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Gradebook(info["db_url"]) as gradebook:
                    notebook = gradebook.find_submission_notebook(info["notebook"], info["assignment"],
                                                                  info["student"])
                    for grade in notebook.grades:
                        if grade.manual_score is not None:
                            statuses[grade.name] = "graded_by_hand"
                        elif not grade.needs_manual_grade and grade.auto_score is not None:
                            statuses[grade.name] = "no_answer"
                        else:
                            statuses[grade.name] = "to_grade"
        except Exception as error:  # no gradebook entry: the template still shows the cells, as to be graded
            self.log.warning("Feedback: manual grades not found (%s)", error)
        return statuses
