"""Where the grading machine shows through an output: its paths, its user and host names, its environment.

``HostTraces.scrub(text)`` replaces, inside a text:

- every path under a folder of the grading machine (the course root, the
  Python running nbgrader and its site-packages, the home folder, the
  sandbox's ``/opt/course``, temporary folders...) by a French note; the path
  runs to the next blank, quote or bracket;
- paths matching ``path_patterns`` (any ``site-packages`` path, ``/tmp/...``);
- the values of the instructor's environment variables (long enough not to be
  a common word), and the user and host names (as whole words).
"""
import getpass
import os
import re
import site
import socket
import sys
from pathlib import Path

#: Characters that end a path in a text.
PATH_END = r"""\s'"`<>|,;:()\[\]{}"""
PATH_TAIL = rf"[^{PATH_END}]*"


def _path_regex(prefix):
    prefix = prefix.rstrip("/") or "/"
    # not inside a longer name ("/work/mainframe"), nor in the middle of a word or a relative path
    return rf"(?<![\w.~-]){re.escape(prefix)}(?:/{PATH_TAIL})?(?![\w.-])"


def machine_paths(course_root=None, extra=()):
    """Folders of the grading machine whose paths a student must not see."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable), os.getcwd(),
             str(Path.home()), *site.getsitepackages(), site.getusersitepackages(), *extra}
    if course_root:
        paths.add(str(course_root))
        paths.add(os.path.realpath(course_root))
    return sorted({os.path.normpath(p) for p in paths if p and os.path.isabs(p) and p != "/"}, key=len, reverse=True)


def environment_values(environ, min_length=8, ignored_names=()):
    """(paths, plain values) of the environment worth hiding: long enough, not in ignored_names."""
    paths, values = set(), set()
    for name, value in environ.items():
        if name in ignored_names or not value:
            continue
        pieces = value.split(os.pathsep)
        if all(piece.startswith("/") for piece in pieces if piece):
            paths.update(piece for piece in pieces if len(piece.rstrip("/")) >= min_length)
        elif len(value.strip()) >= min_length:
            values.add(value.strip())
    return paths, values


class HostTraces:
    """Finds and replaces the traces of the grading machine in a text."""

    def __init__(self, paths, patterns=(), values=(), names=(), path_note="[chemin retiré]",
                 value_note="[valeur retirée]"):
        self.path_note, self.value_note = path_note, value_note
        path_parts = [_path_regex(p) for p in sorted(set(paths), key=len, reverse=True)] + list(patterns)
        self.paths = re.compile("|".join(path_parts)) if path_parts else None
        value_parts = [re.escape(v) for v in sorted(set(values), key=len, reverse=True)]
        value_parts += [rf"(?<!\w){re.escape(n)}(?!\w)" for n in sorted(set(names), key=len, reverse=True)]
        self.values = re.compile("|".join(value_parts)) if value_parts else None

    def scrub(self, text):
        """``text`` without the traces of the machine (each replaced by its note)."""
        if self.paths is not None:
            text = self.paths.sub(self.path_note, text)
        if self.values is not None:
            text = self.values.sub(self.value_note, text)
        return text


def current_names():
    """The user name and host name of the grading machine."""
    names = set()
    try:
        names.add(getpass.getuser())
    except Exception:  # no user name: nothing to hide
        pass
    names.add(socket.gethostname())
    names.add(socket.gethostname().split(".")[0])
    return {name for name in names if name}
