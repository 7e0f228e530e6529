"""Where the grading environment finds the course's code: ``graders`` and ``handover``, by import.

A course folder need not hold the code that grades it: an instructor may
install the course (``pip install``) into the grading environment and grade
from a folder with only ``source/``, ``release/``, ``submitted/`` and the
configuration. So the code is found as the grading Python imports it, run
from the course root: a folder that carries its own ``graders/`` (an adapted
course, this repository) uses it, any other uses the installed package. Never
"is there a folder here": a missing folder must not quietly mean "no checks".
"""
import functools
import os
import subprocess

from .interpreter import is_this_python
from .setup_check import GradingSetupError

#: The packages of the course that grading needs, and what each is for (named in the error messages).
ROLES = {"graders": "the judge's checks and references", "handover": "the hidden tests' side in the kernel"}


@functools.lru_cache(maxsize=None)
def package_dir(name, python, root):
    """The folder of package ``name`` as ``python`` imports it from the course root ``root``."""
    probe = f"import {name}; print({name}.__path__[0])"
    if is_this_python(python):
        found = _here(name, root)
        if found:
            return found
    try:
        result = subprocess.run([python, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, PYTHONSAFEPATH=""))
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GradingSetupError(_explain(name, python, root, f"{type(error).__name__}: {error}")) from None
    if result.returncode != 0 or not result.stdout.strip():
        raise GradingSetupError(_explain(name, python, root, result.stderr.strip()[-2000:] or "no output"))
    return os.path.realpath(result.stdout.strip().splitlines()[-1])


def _here(name, root):
    """The folder this very Python would import ``name`` from, with ``root`` first on the path."""
    import importlib.machinery
    import importlib.util

    spec = importlib.machinery.PathFinder.find_spec(name, [str(root)])
    if spec is None:
        try:
            spec = importlib.util.find_spec(name)  # sys.path and the installs' own finders (editable ones)
        except (ImportError, ValueError):
            return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def _explain(name, python, root, said):
    return (f"Grading stopped before any student was graded: the grading Python cannot import `{name}` "
            f"({ROLES.get(name, 'course code')}).\n\nPython: {python} (run from {root})\nIt said: {said}\n\n"
            f"To fix: install the course into the grading environment (`pip install -e <course repository>`, "
            f"or `make setup` in the repository), or set GRADING_PYTHON in course_config.py to a Python that "
            f"has it. Nothing was recorded.")
