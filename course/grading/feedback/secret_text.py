"""The instructor's texts a feedback must never reproduce, indexed to find them in any output.

Secret: graders' code (``graders/**/*.py``), the handover's (``handover/**/*.py``,
when there is one), and the hidden tests and mark schemes of the source
notebooks. Not secret: anything the student's release shows (the source
notebooks outside their solutions, hidden tests and mark schemes).

Text is compared on its *significant* characters (all whitespace removed), so
re-indenting or re-spacing a line does not hide it. An output line leaks when:

- it contains a whole secret line of at least ``min_line`` significant
  characters (with at least ``min_letters`` letters: a line of numbers, such as
  an expected shape, is not code and may well be the student's own result);
- or it contains ``window`` consecutive significant characters of the *code*
  of a secret line (a part of a long line, a line wrapped by a printer). The
  string literals that are not docstrings do not count here: they are the
  French messages meant for the student, which a verdict quotes.
"""
import ast
import glob
import os
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

WHITESPACE = re.compile(r"\s+")
LETTER = re.compile(r"[^\W\d_]")


def significant(text):
    return WHITESPACE.sub("", text)


#: What ``without_messages`` puts in place of a string literal.
BLANK = "\x00"


def without_messages(source):
    """Python ``source`` with each string literal that is not a docstring replaced by ``BLANK``.

    Returns ``source`` unchanged when it does not parse. Positions are UTF-8 byte offsets (as ast's).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source
    docstrings, nested = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            docstrings.add(id(node.value))
        if isinstance(node, ast.JoinedStr):
            nested.update(id(child) for child in ast.walk(node) if child is not node)
    spans = [(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset) for node in ast.walk(tree)
             if (isinstance(node, ast.JoinedStr) or isinstance(node, ast.Constant) and isinstance(node.value, str))
             and id(node) not in docstrings and id(node) not in nested]
    lines = source.encode("utf-8").splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    data = source.encode("utf-8")
    for start_line, start_col, end_line, end_col in sorted(spans, reverse=True):
        start, end = starts[start_line - 1] + start_col, starts[end_line - 1] + end_col
        data = data[:start] + BLANK.encode() + data[end:]
    return data.decode("utf-8")


def blocks(source, begin, end):
    """The text of each block between a ``begin`` line and the next ``end`` line (an unclosed one runs to the end)."""
    found, current = [], None
    for line in source.splitlines():
        if current is None:
            if begin in line:
                current = []
        elif end in line:
            found.append("\n".join(current))
            current = None
        else:
            current.append(line)
    if current is not None:
        found.append("\n".join(current))
    return found


def public_text(source):
    """What the release shows of a source cell: its lines outside solutions, hidden tests and mark schemes."""
    kept, inside = [], None
    pairs = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
             ("BEGIN MARK SCHEME", "END MARK SCHEME"))
    for line in source.splitlines():
        if inside is None:
            inside = next((end for begin, end in pairs if begin in line), None)
            if inside is None:
                kept.append(line)
        elif inside in line:
            inside = None
    return "\n".join(kept)


@dataclass
class SecretIndex:
    """Secret lines and windows, by significant characters."""

    min_line: int = 12
    window: int = 24
    min_letters: int = 4
    #: first ``min_line`` characters of each secret line -> the secret lines starting with them
    starts: dict = field(default_factory=dict)
    windows: set = field(default_factory=set)

    def _meaningful(self, text):
        return len(LETTER.findall(text)) >= self.min_letters

    def add(self, text, code=None, public=frozenset(), public_windows=frozenset()):
        """Index the lines of ``text``, and the windows of ``code`` (``text`` with its messages blanked)."""
        for line in text.splitlines():
            line = significant(line)
            if len(line) >= self.min_line and line not in public and self._meaningful(line):
                self.starts.setdefault(line[:self.min_line], set()).add(line)
        for line in (text if code is None else code).splitlines():
            for part in significant(line).split(BLANK):
                for i in range(len(part) - self.window + 1):
                    piece = part[i:i + self.window]
                    if piece not in public_windows and self._meaningful(piece):
                        self.windows.add(piece)

    def __bool__(self):
        return bool(self.starts or self.windows)

    def leaks(self, line):
        """Does ``line`` reproduce a secret line, or a long part of one?"""
        text = significant(line)
        if len(text) < self.min_line:
            return False
        for i in range(len(text) - self.min_line + 1):
            candidates = self.starts.get(text[i:i + self.min_line])
            if candidates and any(text.startswith(candidate, i) for candidate in candidates):
                return True
        if self.windows:
            for i in range(len(text) - self.window + 1):
                if text[i:i + self.window] in self.windows:
                    return True
        return False


def _python_files(root, patterns):
    for pattern in patterns:
        for name in sorted(glob.glob(os.path.join(root, pattern), recursive=True)):
            if os.path.isfile(name):
                yield Path(name)


def _notebook_cells(root, patterns):
    for path in _python_files(root, patterns):
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:  # an unreadable notebook has nothing to index
            continue
        yield from notebook.cells


def _hidden_blocks(source):
    for begin, end in (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"), ("BEGIN MARK SCHEME", "END MARK SCHEME")):
        for block in blocks(source, begin, end):
            yield block, without_messages(textwrap.dedent(block))


def _stamp(root, patterns):
    return tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size)
                 for path in _python_files(root, patterns))


def build_index(root, code_patterns, notebook_patterns, min_line=12, window=24, min_letters=4):
    """The SecretIndex of the course in ``root`` (cached while its files are unchanged)."""
    root = str(root)
    stamp = _stamp(root, tuple(code_patterns) + tuple(notebook_patterns))
    return _build(root, tuple(code_patterns), tuple(notebook_patterns), min_line, window, min_letters, stamp)


@lru_cache(maxsize=8)
def _build(root, code_patterns, notebook_patterns, min_line, window, min_letters, _stamp):
    index = SecretIndex(min_line=min_line, window=window, min_letters=min_letters)
    public_lines, public_windows = set(), set()
    secrets = []
    for cell in _notebook_cells(root, notebook_patterns):
        for line in public_text(cell.source).splitlines():
            line = significant(line)
            public_lines.add(line)
            public_windows.update(line[i:i + window] for i in range(len(line) - window + 1))
        secrets.extend(_hidden_blocks(cell.source))
    for path in _python_files(root, code_patterns):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        secrets.append((text, without_messages(text)))
    public_lines, public_windows = frozenset(public_lines), frozenset(public_windows)
    for text, code in secrets:
        index.add(text, code, public_lines, public_windows)
    return index
