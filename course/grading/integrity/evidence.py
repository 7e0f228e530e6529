"""Scan a submission (its code cells and its folder), and keep the findings in the notebook.

The cells scanned are those a student could change: every code cell that is
not a locked nbgrader cell (given cells and test cells are put back from the
instructor's source before execution, so what a student wrote there never
runs). Cells without nbgrader metadata are student cells. When the
instructor's sources are known (``known_sources``, grade_id -> source), a
locked cell whose grade_id is unknown or whose code differs from the source
is scanned too: its lock metadata is the student's word only.

Findings are stored beside the incidents (``course.grading.incidents``), in
``nb.metadata["course_grading"]["integrity"]``, as plain dicts: they travel
with the autograded notebook, and AnnounceIncidents (which reads only
``incidents``) never shows them to the student.
"""
from dataclasses import asdict

from nbgrader import utils

from ..incidents import METADATA_KEY
from ..handin import is_submission_folder
from .files import scan_folder
from .handin import scan_handin
from .finding import Finding
from .static import notebook_context, scan_code

#: The key under ``nb.metadata["course_grading"]``.
INTEGRITY_KEY = "integrity"


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id") or ""


def cell_label(index, cell):
    """How a cell is named in ``where``: "cell 8 (prewitt)", or "cell 5" without a grade_id."""
    grade_id = _grade_id(cell)
    return f"cell {index} ({grade_id})" if grade_id else f"cell {index}"


def student_cells(nb, known_sources=None):
    """(index, cell) of the code cells a student could change."""
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if utils.is_locked(cell):
            if known_sources is None:
                continue
            grade_id = _grade_id(cell)
            known = known_sources.get(grade_id)
            # RestoreTestCells puts a one-line note above a cell it restores: still the instructor's code.
            if known is not None and (cell.source == known or cell.source.endswith("\n" + known)):
                continue
        yield index, cell


def scan_notebook(nb, folder, assignment, notebook_name=None, known_sources=None, bounds=None, ignore=()):
    """The findings of one submission: its student cells, then the files beside it.

    ``folder`` is the submission's folder (None: files not scanned);
    ``notebook_name`` the notebook's name in it (default: ``assignment``);
    ``bounds`` and ``ignore`` those of the copy step (``course.grading.handin``).
    """
    code = [cell.source for cell in nb.cells if cell.get("cell_type") == "code"]
    context = notebook_context(code)  # the given cells' imports are what the student cells use
    findings = []
    for index, cell in student_cells(nb, known_sources):
        findings.extend(scan_code(cell.source, cell_label(index, cell), context))
    if folder:
        findings.extend(scan_folder(folder, notebook_name or assignment))
        if is_submission_folder(folder, assignment):
            findings.extend(scan_handin(folder, bounds, ignore))
    return findings


def record(nb, findings):
    """Store ``findings`` in the notebook's metadata (replacing earlier ones); returns the stored dicts."""
    entries = [asdict(finding) for finding in findings]
    nb.metadata.setdefault(METADATA_KEY, {})[INTEGRITY_KEY] = entries
    return entries


def entries_of(metadata):
    """The stored findings of a notebook's metadata (a plain dict, as read by ``json``), or None if never scanned."""
    entries = (metadata or {}).get(METADATA_KEY, {}).get(INTEGRITY_KEY)
    if entries is None:
        return None
    return [Finding(**{key: str(entry.get(key, "")) for key in ("flag", "where", "evidence")}) for entry in entries]


def findings_of(nb):
    """The findings recorded in a notebook, in order ([] when none were recorded)."""
    return entries_of(nb.metadata) or []


def was_scanned(nb):
    """Did ``record`` run on this notebook (even with no finding)?"""
    return entries_of(nb.metadata) is not None
