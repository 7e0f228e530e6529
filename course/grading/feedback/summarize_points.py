"""Open the feedback with a French summary of the points.

One markdown cell inserted at the very top (a second run replaces it): the
current grade, a table with one row per graded cell (its label, linked to the
cell, how it is graded, its status and its points), the total of the points
graded automatically, and what is left to the graders for the open questions
(answers and tasks graded by hand). Run after LabelGradedCells (it reads the
labels) and GetGrades (the totals).
"""
from nbformat.v4 import new_markdown_cell
from traitlets import Unicode

from .base import FeedbackPreprocessor
from .cells import FEEDBACK_KEY, points

#: Marks the summary cell.
ROLE = "points_summary"


def _cell_text(text):
    """``text`` safe in a cell of a markdown table and in a link's text."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


class SummarizePoints(FeedbackPreprocessor):
    """Insert, at the top, the French summary of the points of the notebook."""

    title = Unicode("Résumé de votre note", help="Heading of the summary cell.").tag(config=True)
    manual_pending = Unicode(
        "Les questions ouvertes (réponses rédigées, tâches) sont corrigées à la main par l'enseignant : "
        "{pending} point(s) restent à corriger et s'ajouteront à votre note.",
        help="Sentence when some manually graded cells are not graded yet ({pending}: their points).",
    ).tag(config=True)
    manual_done = Unicode(
        "Les questions ouvertes (réponses rédigées, tâches) ont été corrigées à la main par l'enseignant : "
        "**{score} / {points}**.",
        help="Sentence when every manually graded cell is graded ({score}, {points}).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if cell.metadata.get(FEEDBACK_KEY, {}).get("role") != ROLE]
        rows, auto, auto_max, manual, manual_max, pending = [], 0.0, 0.0, 0.0, 0.0, 0.0
        for cell in nb.cells:
            note = cell.metadata.get(FEEDBACK_KEY, {})
            if "kind" not in note:
                continue
            score, max_points = float(note.get("score") or 0), float(note.get("points") or 0)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            link = f"[{_cell_text(note['label'])}](#{grade_id})" if grade_id else _cell_text(note["label"])
            if note["kind"] == "test":
                auto, auto_max = auto + score, auto_max + max_points
                how = "Automatique"
            else:
                manual_max += max_points
                if note["status"] == "to_grade":
                    pending += max_points
                else:
                    manual += score
                how = "À la main"
            shown = "–" if note["status"] == "to_grade" else points(score)
            rows.append(f"| {link} | {how} | {_cell_text(note['status_text'])} | {shown} / {points(max_points)} |")
        if not rows:
            return nb, resources
        info = resources.get("nbgrader", {})
        lines = [f"## {self.title}", ""]
        if "score" in info and "max_score" in info:
            lines += [f"**Note actuelle : {points(info['score'])} / {points(info['max_score'])}**", ""]
        lines += ["| Question | Correction | Résultat | Points |", "|:--|:--|:--|--:|", *rows, ""]
        if auto_max:
            lines.append(f"- Points corrigés automatiquement : **{points(auto)} / {points(auto_max)}**.")
        if manual_max:
            lines.append("- " + (self.manual_pending.format(pending=points(pending)) if pending
                                 else self.manual_done.format(score=points(manual), points=points(manual_max))))
        penalty = float(info.get("late_penalty") or 0)
        if penalty > 0:
            lines.append(f"- Pénalité de retard : −{points(penalty)} point(s), déjà retirée de la note actuelle.")
        cell = new_markdown_cell("\n".join(lines))
        cell.metadata[FEEDBACK_KEY] = {"role": ROLE}
        nb.cells.insert(0, cell)
        return nb, resources
