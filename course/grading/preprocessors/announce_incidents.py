"""Tell the student, at the top of the graded notebook, what the grading had to repair or stop.

The incidents recorded while grading (``course.grading.incidents``) carry a
French message each. This preprocessor (just before SaveAutoGrades) inserts
one markdown cell at the very top listing them, so the feedback opens with
them. The cell has no nbgrader metadata: it changes no score.
"""
import re

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .. import incidents

#: Marks the cell this preprocessor inserts (so a second run replaces it instead of adding another).
MARKER = "incidents_announcement"


class AnnounceIncidents(NbGraderPreprocessor):
    """One markdown cell at the top listing the French message of each incident (none if there is none)."""

    title = Unicode("Remarques de la correction automatique", help="Heading of the cell.").tag(config=True)

    introduction = Unicode(
        "La correction automatique a rencontré les situations suivantes dans votre notebook. "
        "Elles expliquent une partie de votre note ; les cellules concernées portent aussi un message.",
        help="Paragraph between the heading and the list.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        previous = [cell for cell in nb.cells if cell.metadata.get(incidents.METADATA_KEY, {}).get("role") == MARKER]
        nb.cells = [cell for cell in nb.cells if cell not in previous]
        messages = []
        for incident in incidents.of(nb):
            # ASCII whitespace only: the non-breaking spaces of French typography stay
            message = re.sub(r"[ \t\r\n]+", " ", incident.message).strip()
            if message and message not in messages:
                messages.append(message)
        if messages:
            cell = new_markdown_cell("\n".join([f"## {self.title}", "", self.introduction, ""]
                                               + [f"- {message}" for message in messages]))
            cell.metadata[incidents.METADATA_KEY] = {"role": MARKER}
            if previous and "id" in previous[0]:
                cell.id = previous[0].id
            nb.cells.insert(0, cell)
        return nb, resources
