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
``course.grading.configuration.configure_feedback`` sets all this in the
nbgrader config, with the rest of the course's configuration, and
``configure_formgrader`` runs ``SanitizeStudentHTML`` on the formgrader's
submission pages too.
"""
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


__all__ = ["CapOutputs", "FeedbackExporter", "HideTestSource", "LabelGradedCells", "RemoveLeakedText",
           "SanitizeStudentHTML", "ShortenErrors", "SummarizePoints", "TEMPLATE_NAME", "TEMPLATES", "nbgrader_templates",
           "preprocessors"]
