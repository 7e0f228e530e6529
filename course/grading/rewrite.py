"""Rewrite a notebook that grading made or copied: a new file takes its place, whatever the old one's mode.

nbgrader leaves what it writes read-only (``autograded/``: 444) and copies keep their source's mode, so an
in-place write works as root only. Replacing the file needs its folder to be writable, which grading's own
folders are.
"""
import os
import tempfile
from pathlib import Path

import nbformat


def rewrite_notebook(notebook, path):
    path = Path(path)
    mode = (path.stat().st_mode & 0o777 | 0o600) if path.exists() else 0o644  # who may read it stays the same
    fd, fresh = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".ipynb", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            nbformat.write(notebook, stream)
        os.chmod(fresh, mode)
        os.replace(fresh, path)
    except BaseException:
        os.unlink(fresh)
        raise
