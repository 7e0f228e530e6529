"""Files handed in beside the notebook that would be imported instead of a real module.

The kernel runs in the submission's folder, which is first on ``sys.path``:
a ``graders.py``, a ``numpy/`` package or a ``random.py`` there wins over the
real module. Only names that matter are flagged: the course's own modules
(graders, handover), the interpreter's startup hooks (sitecustomize,
usercustomize), the standard library and the installed top-level packages.
``.pth`` files are flagged whatever their name.

Nothing here follows a symbolic link: a link is reported as what it is
(its name, and where it points when that is outside the folder).
"""
import functools
import importlib.metadata
import os
import sys

from . import flags
from .finding import Finding, short

#: Names that are an attack whatever their kind (module, package, namespace folder), at any depth.
SENSITIVE = frozenset({"graders", "handover", "sitecustomize", "usercustomize"})
#: Suffixes of a module file (extension modules may carry an ABI tag: name.cpython-311-x86_64-linux-gnu.so).
MODULE_SUFFIXES = (".py", ".pyc", ".pyw", ".so", ".pyd")
#: Folders never scanned (tool caches), and the most entries one folder scan looks at.
SKIPPED = frozenset({".ipynb_checkpoints", "__pycache__"})
MAX_ENTRIES = 20000


@functools.lru_cache(maxsize=1)
def _installed():
    try:
        names = importlib.metadata.packages_distributions()
    except Exception:  # a broken distribution must not stop the scan
        names = {}
    return frozenset(name for name in names if name.isidentifier())


def module_name(filename):
    """The module a file or folder of this name would be imported as, or None ("cat.jpg", "notes.txt")."""
    base = os.path.basename(filename.rstrip("/"))
    if base.endswith(".pth"):
        return base[:-4]
    for suffix in MODULE_SUFFIXES:
        if base.endswith(suffix):
            return base[: -len(suffix)].split(".")[0]
    return base if base.isidentifier() else None


def shadowed(name, package=True):
    """Why a module ``name`` handed in would shadow something, or "" when it would not.

    ``package`` says whether the entry is an importable module or package
    (a folder counts only with an ``__init__.py``, unless its name is sensitive).
    """
    if not name:
        return ""
    if name in SENSITIVE:
        return f"would be imported as the course's or interpreter's {name!r}"
    if not package:
        return ""
    if name in sys.stdlib_module_names:
        return f"shadows the standard module {name!r}"
    if name in _installed():
        return f"shadows the installed package {name!r}"
    return ""


def shadowing_reason(filename):
    """For code that *writes* a file: why a file of this name would shadow a module ("" if it would not)."""
    base = os.path.basename(str(filename).rstrip("/"))
    if base.endswith(".pth"):
        return "a .pth file (executed by site at start-up)"
    name = module_name(base)
    is_module = any(base.endswith(suffix) for suffix in MODULE_SUFFIXES) or name in SENSITIVE
    return shadowed(name, package=is_module)


def _inside(path, folder):
    try:
        return os.path.commonpath([os.path.realpath(path), folder]) == folder
    except ValueError:
        return False


def scan_folder(folder, notebook_name):
    """``shadowing_files`` (and ``reads_grading_files`` for links out of the folder) findings in ``folder``.

    Top-level entries are checked against every rule; deeper entries only for
    the sensitive names and ``.pth`` files (they shadow nothing unless the
    code adds their folder to ``sys.path``, which the code scan reports).
    ``notebook_name`` (with or without ``.ipynb``) is the notebook itself,
    never a finding.
    """
    folder = os.path.realpath(folder)
    notebook = notebook_name if notebook_name.endswith(".ipynb") else f"{notebook_name}.ipynb"
    findings = []
    seen = 0
    if not os.path.isdir(folder):
        return findings
    for current, dirs, files in os.walk(folder, followlinks=False, onerror=lambda error: None):
        rel_dir = os.path.relpath(current, folder)
        top = rel_dir == "."
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in sorted(dirs) + sorted(files):
            seen += 1
            if seen > MAX_ENTRIES:
                findings.append(Finding(flags.SHADOWING_FILES, "folder",
                                        f"more than {MAX_ENTRIES} entries: the rest was not scanned"))
                return findings
            if top and name == notebook:
                continue
            path = os.path.join(current, name)
            rel = name if top else os.path.join(rel_dir, name)
            where = f"file {rel}"
            is_link = os.path.islink(path)
            is_dir = name in dirs
            if is_link:
                target = os.readlink(path)
                if not _inside(path, folder):
                    findings.append(Finding(flags.READS_GRADING_FILES, where,
                                            short(f"symbolic link {rel} -> {target} (outside the folder)")))
            if name.endswith(".pth"):
                findings.append(Finding(flags.SHADOWING_FILES, where, short(f"{rel}: a .pth file")))
                continue
            if is_dir and not is_link:
                package = os.path.isfile(os.path.join(path, "__init__.py"))
                module = name if name.isidentifier() else None
            elif is_dir or (is_link and os.path.isdir(path)):
                # A link to a folder: never looked into, judged by its name alone.
                package = True
                module = name if name.isidentifier() else None
            else:
                package = any(name.endswith(suffix) for suffix in MODULE_SUFFIXES)
                module = module_name(name) if package else None
            if not module:
                continue
            if not top and module not in SENSITIVE:
                continue
            reason = shadowed(module, package=package)
            if reason:
                kind = "symbolic link" if is_link else "package" if is_dir and package else \
                    "folder" if is_dir else "file"
                findings.append(Finding(flags.SHADOWING_FILES, where, short(f"{kind} {rel}: {reason}")))
    return findings
