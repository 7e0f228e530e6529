"""nbgrader preprocessors of the course, one transformation per class.

``SANITIZE`` and ``AUTOGRADE`` are nbgrader's default
``Autograde.sanitize_preprocessors`` and ``Autograde.autograde_preprocessors``
with the course's classes substituted or added (``course_config`` sets them):

sanitize (submitted -> autograded copy):
    ClearOutput, NormalizeCellMetadata (instead of DeduplicateIds),
    ReportKernelspec (instead of OverwriteKernelspec), OverwriteCells, RestoreTestCells (added),
    NoteDroppedFiles (added: files handed in that were not graded),
    CollectIntegrityEvidence (added: for the integrity report, never a grade),
    CheckCellMetadata
autograde (execution and scores):
    ContainedExecute (instead of Execute), JudgeHandovers (added: the verdicts), NoteDiskLimit (added), IgnorePattern,
    ClearMetadataPreprocessor, LimitOutput, AnnounceIncidents (added),
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata
"""
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, IgnorePattern,
                                    LimitOutput, OverwriteCells, SaveAutoGrades)

from ..integrity.collect import CollectIntegrityEvidence
from .announce_incidents import AnnounceIncidents
from .contained_execute import ContainedExecute
from .judge_handovers import JudgeHandovers
from .normalize_cell_metadata import NormalizeCellMetadata
from .note_disk_limit import NoteDiskLimit
from .note_dropped_files import NoteDroppedFiles
from .report_kernelspec import ReportKernelspec
from .restore_test_cells import RestoreTestCells

SANITIZE = [
    ClearOutput,
    NormalizeCellMetadata,
    ReportKernelspec,
    OverwriteCells,
    RestoreTestCells,
    NoteDroppedFiles,
    CollectIntegrityEvidence,
    CheckCellMetadata,
]

AUTOGRADE = [
    ContainedExecute,
    JudgeHandovers,
    NoteDiskLimit,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    AnnounceIncidents,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

__all__ = ["AnnounceIncidents", "ContainedExecute", "JudgeHandovers", "NormalizeCellMetadata", "NoteDiskLimit", "NoteDroppedFiles",
           "ReportKernelspec",
           "RestoreTestCells",
           "SANITIZE", "AUTOGRADE"]
