"""The class report's page: a Jinja template (autoescaped: messages and names come from students' notebooks),
with the figures inlined as PNG so the page stands alone."""
import base64
import datetime
import os
import statistics
from dataclasses import dataclass

import jinja2

from course.grading.integrity.flags import describe

from .gather import TOP_WRONG_ANSWERS


@dataclass(frozen=True)
class ShownFigure:
    base64: str
    alt: str
    file: str  # the PNG written beside the page


def points(value):
    """A number of points as people write it: 12, 12.5."""
    return f"{round(float(value), 2):g}"


def _template():
    environment = jinja2.Environment(loader=jinja2.PackageLoader("course.reporting", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters.update(points=points, basename=os.path.basename)
    return environment.get_template("class.html.j2")


def shown(png, alt, file):
    return ShownFigure(base64.b64encode(png).decode("ascii"), alt, file)


def render_html(numbers, figures, generated=None):
    """The page (a string); ``figures``: ShownFigure, in the order shown."""
    totals = list(numbers.totals.values()) or [0.0]
    return _template().render(
        n=numbers, figures=figures, top=TOP_WRONG_ANSWERS, describe=describe,
        generated=generated or datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        mean=statistics.mean(totals), median=statistics.median(totals), lowest=min(totals), highest=max(totals),
        incident_submissions=len(numbers.incident_students),
        notebooks=len({question.notebook for question in numbers.questions}))
