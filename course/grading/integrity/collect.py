"""The preprocessor that scans a submission and records the evidence in its notebook.

Where to put it: in ``Autograde.sanitize_preprocessors``, right after
``RestoreTestCells`` (before ``CheckCellMetadata``). There
``resources["metadata"]["path"]`` is the student's own folder
(``submitted/<student>/<assignment>``), with exactly the files handed in, and
OverwriteCells has already put the locked cells back, so a cell whose lock
metadata was forged (an unknown grade_id) is the only locked cell scanned.
The findings travel to the autograded notebook in its metadata (nbgrader's
ClearMetadataPreprocessor is disabled, as for the incidents).

It never changes a cell, an output or a grade, and never fails a submission:
a scan that raises is logged and the notebook goes on unflagged.
"""
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from ..handin import bounds_of, ignored_names
from ..canonical import source_cells
from .evidence import record, scan_notebook


class CollectIntegrityEvidence(NbGraderPreprocessor):
    """Record, in the notebook's metadata, what its code and its folder tried (flags for human review)."""

    scan_files = Bool(True, help="Also scan the files handed in beside the notebook.").tag(config=True)
    compare_with_source = Bool(
        True,
        help="Also scan locked cells whose grade_id or code does not match the gradebook's source cells.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        metadata = resources.get("metadata") or {}
        info = resources.get("nbgrader") or {}
        folder = metadata.get("path") or None
        assignment = info.get("assignment") or metadata.get("name") or ""
        notebook = info.get("notebook") or metadata.get("name") or assignment
        try:
            known = self._known_sources(resources)
            findings = scan_notebook(nb, folder if self.scan_files else None, assignment,
                                     notebook_name=notebook, known_sources=known,
                                     bounds=bounds_of(self.config), ignore=ignored_names(self.config))
        except Exception:  # the report is a help for the instructor: it must never cost a grade
            self.log.exception("Integrity scan of %s failed: notebook not flagged", notebook)
            return nb, resources
        record(nb, findings)
        if findings:
            flags = sorted({finding.flag for finding in findings})
            self.log.warning("Integrity: %d finding(s) in %s (%s), for review; grades unchanged",
                             len(findings), notebook, ", ".join(flags))
        return nb, resources

    def _known_sources(self, resources):
        if not self.compare_with_source or not (resources.get("nbgrader") or {}).get("db_url"):
            return None
        try:
            return {grade_id: cell.source for grade_id, cell in source_cells(resources).items()}
        except Exception as error:  # no gradebook at hand: trust the lock metadata
            self.log.warning("Integrity: no source cells (%s); locked cells are not scanned", error)
            return None
