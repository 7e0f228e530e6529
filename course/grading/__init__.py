"""The grading engine: sandboxed kernels, fault containment, class runs.

nbgrader stays the grading tool: this package only gives it kernels
(``sandbox``, ``forkserver``), preprocessors that keep one broken submission
from costing anything beyond its own points (``preprocessors``), a check of
the instructor's setup (``setup_check``) and a parallel class runner with a
single gradebook writer (``runner``), all wired into nbgrader's configuration
in one place (``configuration``).
"""
import sys

# jsonschema's optional IRI format checker (rfc3987_syntax) compiles a grammar when it is imported: about 1 s
# in every grading process that loads nbformat. Neither nbformat's nor nbgrader's schemas use that format.
sys.modules.setdefault("rfc3987_syntax", None)
