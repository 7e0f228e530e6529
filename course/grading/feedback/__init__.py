"""The students' feedback (``nbgrader generate_feedback``), in French and without the grading's secrets.

nbgrader's feedback shows each test cell's whole source (hidden tests
included), tracebacks with the grading machine's frames and paths, English
labels, and whatever a submission printed while it ran. The preprocessors
here run on the autograded notebook before its HTML export, in this order:

1. ``GetGrades`` (nbgrader): scores from the gradebook;
2. ``HideTestSource``: hidden tests and mark schemes cut out of every cell;
   a test cell keeps only its errors;
3. ``ShortenErrors``: a test cell's error becomes its verdict's French
   message; the student's own errors keep ``Type: message``, no frames;
4. ``CapOutputs``: outputs capped (text per output and per cell, images per
   cell), with a French note;
5. ``RemoveLeakedText``: lines reproducing graders', the handover's or the
   hidden tests' code, paths of the grading machine, environment values,
   replaced by French notes;
6. ``LabelGradedCells``: a French label, status and score for each graded cell;
7. ``SummarizePoints``: the French summary of the points, at the top;
8. ``CSSHTMLHeaderPreprocessor`` (nbconvert): the page's CSS.

The page itself comes from the French template ``templates/feedback_fr``
(nbgrader's feedback template, translated). :func:`configure_feedback` sets
all this in the nbgrader config (``course_config.configure_nbgrader`` calls it).
"""
from pathlib import Path

from .cap_outputs import CapOutputs
from .hide_test_source import HideTestSource
from .label_graded_cells import LabelGradedCells
from .remove_leaked_text import RemoveLeakedText
from .shorten_errors import ShortenErrors
from .summarize_points import SummarizePoints

#: The folder holding the French template.
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "feedback_fr"


def preprocessors():
    """GenerateFeedback's preprocessors, in order."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    return [GetGrades, HideTestSource, ShortenErrors, CapOutputs, RemoveLeakedText, LabelGradedCells,
            SummarizePoints, CSSHTMLHeaderPreprocessor]


def nbgrader_templates():
    """nbgrader's own template folder (its ``feedback`` template stays available beside ours)."""
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"


def configure_feedback(c, root):
    """Set the feedback's preprocessors, French template and secret sources in the nbgrader config ``c``."""
    c.GenerateFeedback.preprocessors = preprocessors()
    c.HTMLExporter.template_name = TEMPLATE_NAME
    # Setting extra_template_basedirs stops GenerateFeedback from adding nbgrader's folder: keep it.
    # (bootstrap.min.css comes from extra_template_paths, which GenerateFeedback always sets.)
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates())]
    c.HTMLExporter.language_code = "fr"
    c.RemoveLeakedText.course_root = str(root)
    c.RemoveLeakedText.secret_files = ["graders/**/*.py", "handover/**/*.py"]
    c.RemoveLeakedText.source_notebooks = ["source/*/*.ipynb"]


__all__ = ["CapOutputs", "HideTestSource", "LabelGradedCells", "RemoveLeakedText", "ShortenErrors",
           "SummarizePoints", "configure_feedback", "preprocessors"]
