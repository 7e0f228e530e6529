"""nbgrader's configuration of a course folder, loaded as ``nbgrader`` loads it in that folder."""
import logging
from pathlib import Path

from nbgrader.apps.baseapp import NbGrader


class CourseSettings(NbGrader):
    """nbgrader's application, only to load the configuration: the global files, then the course root's
    ``nbgrader_config.py``; not the folder the command runs in (only the course root's counts), and no change
    to ``sys.path``."""

    load_cwd_config = False

    def init_syspath(self):
        pass


def load_nbgrader_app(root):
    """An initialized nbgrader application for the course in ``root``. Its ``coursedir`` gives the gradebook's
    ``db_url`` and the folders' layout, never a hard-coded path, so a site's database or layout is honoured."""
    app = CourseSettings()
    # Not nbgrader's "No nbgrader_config.py file found": it looks in the global folders, before root's.
    app.log_level = logging.ERROR
    app.initialize([], root=str(Path(root).resolve()))
    app.log_level = logging.WARNING
    return app
