"""nbgrader's hooks for the course: before and after each submission.

The setup check is not a hook: nbgrader calls its pre-convert hook after it
has removed the previous autograded copy, so the check runs earlier, when the
converter builds its exporter (:mod:`.gate`).
"""


class BeforeEachSubmission:
    """nbgrader's ``Autograde.pre_convert_hook``: find renamed notebooks.

    nbgrader calls the hook with the converter's own list of notebooks, which
    the renamed-notebook repair may change in place. The assignment's notebook
    names come from the gradebook at ``db_url`` (default: ``gradebook.db`` in
    ``root``), else from ``root``/source: never from the current folder, which
    is the instructor's, or a Dask worker's, not the course's.
    """

    def __init__(self, root=".", db_url=None):
        self.root, self.db_url = str(root), db_url

    def __call__(self, assignment, student, notebooks):
        from .reading import redirect_renamed_notebooks

        redirect_renamed_notebooks(notebooks, db_url=self.db_url, root=self.root)


def _running_config():
    """The configuration of the nbgrader application running the hook (None outside one): nbgrader calls the
    hook without it, and the report's settings (``SimilarSubmissions``) are read from it."""
    from traitlets.config import Application

    return Application.instance().config if Application.initialized() else None


class AfterEachSubmission:
    """nbgrader's ``Autograde.post_convert_hook``: the assignment's integrity report, kept current."""

    def __init__(self, root):
        self.root = root

    def __call__(self, assignment, student, notebooks):
        import os

        from .integrity.report import update_report

        # nbgrader passes its --student pattern ("*" for the whole class): the submission's own student is the
        # folder above its notebooks (submitted/<student>/<assignment>/<notebook>.ipynb).
        students = {os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path)))) for path in notebooks}
        update_report(self.root, assignment, students or {student}, config=_running_config())
