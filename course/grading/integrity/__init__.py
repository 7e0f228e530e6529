"""The integrity report: which submissions tried what, with the evidence, for a human to review.

Flags never change a grade (the verdicts are computed out of the student's
kernel); they say what a submission's code *tried*, so that an instructor
can look. One concern per module:

- ``flags``: the vocabulary, one English line per flag;
- ``finding``: ``Finding(flag, where, evidence)``;
- ``static``: ``scan_code(source, cell_label)``, reading a cell's code without running it;
- ``files``: ``scan_folder(folder, notebook_name)``, the files handed in beside the notebook;
- ``evidence``: ``scan_notebook(nb, folder, assignment)``, ``record(nb, findings)``, ``findings_of(nb)``;
- ``collect``: the ``CollectIntegrityEvidence`` preprocessor;
- ``fingerprints``: an answer's normalised tokens and winnowed fingerprints;
- ``similarity``: ``SimilarSubmissions``, pairs of students whose answer cells are unusually similar;
- ``report``: the CSV and HTML report of an assignment, with its class-level section of similar submissions.
"""
from .finding import Finding
from .flags import DESCRIPTIONS, FLAGS, describe

__all__ = ["DESCRIPTIONS", "FLAGS", "Finding", "describe"]
