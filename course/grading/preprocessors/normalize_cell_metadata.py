"""Rewrite every cell's nbgrader metadata from the gradebook (replaces nbgrader's DeduplicateIds).

A student can copy a cell (with its metadata), edit the metadata by hand, or
paste in a cell of another notebook. nbgrader's DeduplicateIds empties the
metadata of a copy to ``nbgrader: {}``, which CheckCellMetadata then takes for
an outdated format and aborts the whole batch ("old metadata format",
nbgrader issue #1083). Here:

- a cell whose grade_id the gradebook knows, seen for the first time in the
  notebook, gets the gradebook's metadata (flags, points, type, checksum), so
  editing the metadata gains nothing;
- a later copy of an id already seen, a cell with an id unknown to the
  gradebook, or malformed metadata loses its ``nbgrader`` key: it becomes an
  ordinary cell, still executed, never graded. A copy is reported (incident
  ``duplicate_grade_id``).

Cells the gradebook knows also lose a ``skip-execution`` tag (nbclient would
not run them): the instructor tags only ungraded display cells, so on a test,
answer or given cell the tag can only be the student's, and a test cell that
never runs would keep its points.
"""
from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..incidents import record
from ..canonical import grade_id_of, source_cells

#: The tag nbclient skips (NotebookClient.skip_cells_with_tag).
SKIP_TAG = "skip-execution"


class NormalizeCellMetadata(NbGraderPreprocessor):
    """Every nbgrader cell carries exactly the gradebook's metadata; copies and strangers carry none."""

    duplicate_message = Unicode(
        "Votre notebook contient plusieurs cellules « {grade_id} » (une cellule de l'énoncé a sans doute été "
        "copiée ou dupliquée). Seule la première a été prise en compte pour la note ; les copies ont été "
        "exécutées comme des cellules ordinaires. Vérifiez que votre réponse se trouve bien dans la première.",
        help="French message for the student when a cell is a copy of an earlier one ({grade_id}: its id).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        known = source_cells(resources)
        seen = set()
        for index, cell in enumerate(nb.cells):
            if "nbgrader" not in cell.metadata:
                continue
            grade_id = grade_id_of(cell)
            if grade_id is None or grade_id not in known:
                reason = "malformed" if grade_id is None else f"unknown grade_id {grade_id!r}"
                self.log.warning("Cell %d: %s nbgrader metadata removed; it is graded as an ordinary cell",
                                 index, reason)
                del cell.metadata["nbgrader"]
            elif grade_id in seen:
                self.log.warning("Cell %d is a copy of cell %r; its nbgrader metadata was removed", index, grade_id)
                del cell.metadata["nbgrader"]
                record(nb, "duplicate_grade_id",
                       f"cell {index} repeats grade_id {grade_id!r}; the first occurrence is graded, "
                       "the copy runs as an ordinary cell",
                       self.duplicate_message.format(grade_id=grade_id), cell=grade_id)
            else:
                seen.add(grade_id)
                cell.metadata["nbgrader"] = from_dict(known[grade_id].metadata())
                if SKIP_TAG in cell.metadata.get("tags", []):
                    cell.metadata["tags"] = [tag for tag in cell.metadata["tags"] if tag != SKIP_TAG]
        return nb, resources
