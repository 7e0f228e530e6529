"""nbgrader's configuration of a course folder, loaded as ``nbgrader`` loads it in that folder."""
import logging
from pathlib import Path


def load_nbgrader_app(root):
    """An initialized ``NbGrader`` app for the course in ``root``: the global configuration files, then
    ``root/nbgrader_config.py`` (which applies course_config.py). Its ``coursedir`` gives the gradebook's
    ``db_url`` and the folders' layout; never a hard-coded path, so a site's database or layout is honoured.

    The folder the command runs in is not read as a configuration (``load_cwd_config``): only ``root``'s.
    """
    from nbgrader.apps.baseapp import NbGrader

    app = NbGrader()
    app.load_cwd_config = False
    # Not nbgrader's "No nbgrader_config.py file found": it looks in the global folders, before root's.
    app.log_level = logging.ERROR
    app.initialize([], root=str(Path(root).resolve()))
    app.log_level = logging.WARNING
    return app
