"""The base class of the feedback preprocessors."""
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List


class FeedbackPreprocessor(NbGraderPreprocessor):
    """An nbgrader preprocessor run by GenerateFeedback.

    HTMLExporter configures ``NbConvertBase.display_data_priority``; nbgrader's
    base class redefines that trait without ``config=True``, so traitlets warns
    for every preprocessor. It is declared configurable here, as nbgrader's
    GetGrades does (the feedback preprocessors do not use it).
    """

    display_data_priority = List(
        ["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png", "image/jpeg", "text/plain"],
        help="Unused (declared so that HTMLExporter's setting is not reported as unknown).",
    ).tag(config=True)
