"""Put back, at their place, the graded cells a student deleted.

A test cell that is missing from a submission is simply not graded by
nbgrader: its points vanish from the total instead of counting as lost, and
its hidden tests never run. nbgrader's own ``OverwriteCells.add_missing_cells``
puts it back only after the previous *graded or solution* cell, and crashes
(KeyError) when the cell before it in the source is a locked given cell.

Here every grade cell (test cell, manually graded answer) and task cell of
the instructor's notebook that the submission lacks is inserted right after
the nearest preceding cell of the source notebook that is present (any cell
with a grade_id, given cells included), or at the top when there is none. It
gets the instructor's source from the gradebook (hidden tests included), the
gradebook's metadata and a French first line saying it was put back
(incident ``restored_test_cell``). A restored answer cell counts as
unanswered (0 points, "No response").

Test cells a student *edited* need nothing here: they are locked, so
nbgrader's OverwriteCells (which runs before) already restores their source.
"""
from nbformat import from_dict
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..incidents import record
from ..canonical import grade_id_of, source_cells


class RestoreTestCells(NbGraderPreprocessor):
    """Re-insert the missing grade and task cells of a submission where they belong."""

    code_note = Unicode(
        "# Cette cellule manquait dans votre notebook : la correction automatique l'a remise à sa place.",
        help="First line added to a restored code cell (a Python comment).",
    ).tag(config=True)

    markdown_note = Unicode(
        "*Cette cellule manquait dans votre notebook : la correction automatique l'a remise à sa place.*",
        help="First paragraph added to a restored markdown cell.",
    ).tag(config=True)

    message = Unicode(
        "La cellule « {grade_id} » de l'énoncé manquait dans votre notebook (supprimée ou coupée ?). "
        "Elle a été remise à sa place pour la correction{consequence} Gardez toutes les cellules de "
        "l'énoncé dans le notebook que vous rendez.",
        help="French message for the student ({grade_id}; {consequence} ends the first sentence).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        source = source_cells(resources)
        order = list(source)
        for position, grade_id in enumerate(order):
            wanted = source[grade_id]
            if not (wanted.grade or wanted.task):
                continue
            present = {grade_id_of(cell): index for index, cell in enumerate(nb.cells) if grade_id_of(cell)}
            if grade_id in present:
                continue
            previous = next((present[name] for name in reversed(order[:position]) if name in present), None)
            at = 0 if previous is None else previous + 1
            nb.cells.insert(at, self._restored(wanted))
            after = "at the top" if previous is None else f"after {grade_id_of(nb.cells[previous])!r}"
            self.log.warning("Cell %r was missing from the submission; restored %s", grade_id, after)
            kind, consequence = (
                ("answer", " : votre réponse n'y étant pas, elle ne rapporte aucun point.") if wanted.solution
                else ("task", ".") if wanted.task
                else ("test", " et ses tests ont été exécutés."))
            record(nb, "restored_test_cell", f"{kind} cell {grade_id!r} "
                   f"was missing; restored from the gradebook {after}",
                   self.message.format(grade_id=grade_id, consequence=consequence), cell=grade_id)
        return nb, resources

    def _restored(self, wanted):
        if wanted.cell_type == "code":
            cell = new_code_cell(f"{self.code_note}\n{wanted.source}")
        else:
            cell = new_markdown_cell(f"{self.markdown_note}\n\n{wanted.source}")
        cell.metadata["nbgrader"] = from_dict(wanted.metadata())
        if utils.is_solution(cell):
            # An answer the student never gave: nbgrader must see it unchanged
            # (0 points, "No response"), whatever note it now starts with.
            cell.metadata["nbgrader"]["checksum"] = utils.compute_checksum(cell)
        else:
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
        return cell
