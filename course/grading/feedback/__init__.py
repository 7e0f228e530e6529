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
8. ``SanitizeStudentHTML``: the student's HTML, SVG and markdown sanitized, JavaScript
   shown as text (last, so that it also sees the labels and summary made from the
   student's headings; the earlier steps read the markdown as markdown);
9. ``CSSHTMLHeaderPreprocessor`` (nbconvert): the page's CSS.

The page itself comes from the French template ``templates/feedback_fr``
(nbgrader's feedback template, translated, with a Content-Security-Policy that
lets only the course's own script run), through ``FeedbackExporter``.
:func:`configure_feedback` sets all this in the nbgrader config
(``course_config.configure_nbgrader`` calls it), and ``SanitizeStudentHTML``
on the formgrader's submission pages too.
"""
import sys
from pathlib import Path

from .cap_outputs import CapOutputs
from .exporter import TEMPLATE_NAME, TEMPLATES, FeedbackExporter, nbgrader_templates
from .hide_test_source import HideTestSource
from .label_graded_cells import LabelGradedCells
from .remove_leaked_text import RemoveLeakedText
from .sanitize_html import SanitizeStudentHTML
from .shorten_errors import ShortenErrors
from .summarize_points import SummarizePoints


def preprocessors():
    """GenerateFeedback's preprocessors, in order."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    return [GetGrades, HideTestSource, ShortenErrors, CapOutputs, RemoveLeakedText, LabelGradedCells,
            SummarizePoints, SanitizeStudentHTML, CSSHTMLHeaderPreprocessor]


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
    configure_formgrader(c)


def configure_formgrader(c):
    """Sanitize the formgrader's submission pages (``SanitizeStudentHTML``), through the config ``c``.

    nbgrader's formgrader (``FormgradeExtension.init_tornado_settings``) renders every submission with
    ``HTMLExporter(config=self.config)``, ``self.config`` being its own settings (the ``formgrade``
    template) and then this course's ``nbgrader_config.py``; it has no preprocessor list of its own, so
    the supported hook is nbconvert's ``Exporter.preprocessors``, read from that config. The feedback
    exporter, a subclass, would inherit it: it runs the sanitizer at its own place instead (last of
    ``GenerateFeedback.preprocessors``, after the steps that read the markdown).
    """
    c.HTMLExporter.preprocessors = [SanitizeStudentHTML]
    c.FeedbackExporter.preprocessors = []


__all__ = ["CapOutputs", "FeedbackExporter", "HideTestSource", "LabelGradedCells", "RemoveLeakedText",
           "SanitizeStudentHTML", "ShortenErrors", "SummarizePoints", "configure_feedback", "configure_formgrader",
           "preprocessors"]
