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
(nbgrader's feedback template, translated), through ``FeedbackExporter``.
:func:`configure_feedback` sets all this in the nbgrader config
(``course_config.configure_nbgrader`` calls it).
"""
import sys
from pathlib import Path

from .cap_outputs import CapOutputs
from .exporter import TEMPLATE_NAME, TEMPLATES, FeedbackExporter, nbgrader_templates
from .hide_test_source import HideTestSource
from .label_graded_cells import LabelGradedCells
from .remove_leaked_text import RemoveLeakedText
from .shorten_errors import ShortenErrors
from .summarize_points import SummarizePoints


def preprocessors():
    """GenerateFeedback's preprocessors, in order."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    return [GetGrades, HideTestSource, ShortenErrors, CapOutputs, RemoveLeakedText, LabelGradedCells,
            SummarizePoints, CSSHTMLHeaderPreprocessor]


def configure_feedback(c, root):
    """Set the feedback's preprocessors, French template and secret sources in the nbgrader config ``c``.

    The template goes to ``FeedbackExporter``, not to ``HTMLExporter`` (see ``exporter``): the
    formgrader keeps its own pages, and its feedback button gives the French page too.
    """
    c.GenerateFeedback.preprocessors = preprocessors()
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.FeedbackExporter.template_name = TEMPLATE_NAME
    # Ours first, then nbgrader's; bootstrap.min.css comes from extra_template_paths, which
    # GenerateFeedback always sets (on HTMLExporter: inherited here).
    c.FeedbackExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates())]
    c.FeedbackExporter.language_code = "fr"
    c.RemoveLeakedText.course_root = str(root)
    # graders and handover as the grading Python imports them (the course folder need not hold them).
    from ..locate import package_dir

    python = c.JudgeHandovers.get("grading_python") or sys.executable
    c.RemoveLeakedText.secret_files = [str(Path(package_dir(name, python, str(root))) / "**" / "*.py")
                                       for name in ("graders", "handover")]
    c.RemoveLeakedText.source_notebooks = ["source/*/*.ipynb"]


__all__ = ["CapOutputs", "FeedbackExporter", "HideTestSource", "LabelGradedCells", "RemoveLeakedText",
           "ShortenErrors", "SummarizePoints", "configure_feedback", "preprocessors"]
