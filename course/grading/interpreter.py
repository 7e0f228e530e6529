"""Whether a Python names the interpreter running this process, in this process's environment.

Two virtual environments made from one base interpreter share its binary (one ``realpath``) but not their
packages: a JupyterHub's own environment and the course's, both made from /usr/bin/python3, are two
environments. Python finds its environment from the path it was started by, not from the binary: a
``pyvenv.cfg`` beside that path or one folder up makes that folder ``sys.prefix`` (PEP 405). So does this.
"""
import os
import sys

VENV_LANDMARK = "pyvenv.cfg"


def venv_of(python):
    """The virtual environment ``python`` (a path) runs in, as Python itself finds it; None outside one."""
    folder = os.path.dirname(os.path.abspath(python))
    for candidate in (folder, os.path.dirname(folder)):
        if os.path.isfile(os.path.join(candidate, VENV_LANDMARK)):
            return os.path.normpath(candidate)
    return None


def is_this_python(python):
    """Whether running ``python`` gives this very interpreter and environment (so it need not be asked)."""
    this_venv = os.path.normpath(sys.prefix) if sys.prefix != sys.base_prefix else None
    return (venv_of(python) == this_venv
            and os.path.realpath(python) == os.path.realpath(sys.executable))
