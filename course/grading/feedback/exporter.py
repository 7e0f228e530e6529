"""The HTML exporter of the feedback: nbconvert's HTMLExporter with the French template.

The template is set on this subclass, never on ``HTMLExporter`` itself: the
formgrader renders submissions for grading with an ``HTMLExporter`` and its own
``formgrade`` template, which a course-wide ``HTMLExporter.template_name``
would replace; and its "generate feedback" button forces
``HTMLExporter.template_name = 'feedback'`` (nbgrader's English page). The
settings of this class's own config section win over both.

Its template carries a Content-Security-Policy allowing the course's inline
script by its hash: the ``csp_sha256`` filter computes it from the script's
text, so the two never drift apart.
"""
import base64
import hashlib
from pathlib import Path

from nbconvert.exporters import HTMLExporter

from ..copy_guard import GuardsItsConverter

#: The folder holding the French template, and its name.
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "feedback_fr"


def nbgrader_templates():
    """nbgrader's own template folder (its ``feedback`` template stays available beside ours)."""
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"


def csp_sha256(script):
    """The hash of an inline script's text as a Content-Security-Policy source lists it (after ``sha256-``)."""
    return base64.b64encode(hashlib.sha256(str(script).encode("utf-8")).digest()).decode("ascii")


class FeedbackExporter(GuardsItsConverter, HTMLExporter):
    """HTMLExporter for GenerateFeedback: configure it as ``c.FeedbackExporter`` (see
    ``course.grading.configuration.configure_feedback``)."""

    def default_filters(self):
        yield from super().default_filters()
        yield ("csp_sha256", csp_sha256)

