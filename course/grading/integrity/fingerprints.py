"""Token fingerprints of an answer, chosen by winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003).

An answer becomes a list of tokens, each with the line it comes from:

- code, through Python's own ``tokenize``: comments, blank lines and layout
  are dropped; the names the answer itself binds (variables, functions,
  classes, parameters, imports, attributes it assigns) become ``V``, so
  renaming them does not hide a copy, while keywords and every other name
  (``torch``, ``img``, ``.conv2d``: what the release or a library gives) stay,
  so two different uses of the library stay different. Code that does not
  parse keeps the release's names and builtins and turns every other name
  (attributes aside) into ``V``;
- text (an open question in markdown), as words in lower case without accents.

Every run of ``k`` consecutive tokens (a k-gram) is hashed; winnowing keeps
the smallest hash of each window of ``window`` consecutive k-grams, so that any
match of at least ``k + window - 1`` tokens shares a fingerprint, whatever
the surrounding code. Hashes are BLAKE2 digests, the same in every process
(Python's ``hash`` is salted per process).
"""
import ast
import builtins
import hashlib
import io
import keyword
import re
import tokenize
import unicodedata
from dataclasses import dataclass

#: What a student's own name becomes.
NAME = "V"
#: What a string literal becomes (students reword their messages).
STRING = "S"
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_MARKERS = {tokenize.NEWLINE: "⏎", tokenize.INDENT: "→", tokenize.DEDENT: "←"}
_BUILTINS = frozenset(dir(builtins))
_ROUGH_TOKEN = re.compile(r"[^\W\d]\w*|\d[\w.]*|\S")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Token:
    text: str
    #: The line of the answer it comes from (0-based).
    line: int


def _python_tokens(source):
    """(type, string, line) of ``source``; raises for code that Python cannot tokenize."""
    for item in tokenize.generate_tokens(io.StringIO(source).readline):
        yield item.type, item.string, item.start[0] - 1


def _rough_tokens(source):
    """Tokens of code that Python cannot tokenize (an unclosed bracket, a magic): identifiers, numbers, symbols."""
    for line_number, line in enumerate(source.splitlines()):
        for match in _ROUGH_TOKEN.finditer(line):
            text = match.group()
            kind = tokenize.NAME if text[0].isalpha() or text[0] == "_" else tokenize.OP
            yield kind, text, line_number


@dataclass(frozen=True)
class Bound:
    """The names a piece of code binds itself: plain names, and attributes it assigns (``self.outputs = ...``)."""

    names: frozenset
    attributes: frozenset


def _without_magics(source):
    """``source`` with IPython's line magics and shell escapes (``%matplotlib``, ``!ls``) blanked, so it parses."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def bound_by(source):
    """What ``source`` binds, or None when it does not parse."""
    try:
        tree = ast.parse(_without_magics(source))
    except (SyntaxError, ValueError):
        return None
    names, attributes = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            attributes.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return Bound(frozenset(names), frozenset(attributes))


def _is_own(text, previous, bound, kept_names):
    if keyword.iskeyword(text):
        return False
    if bound is not None:
        return text in (bound.attributes if previous == "." else bound.names)
    return previous != "." and text not in _BUILTINS and text not in kept_names


def _normalised(kind, text, previous, bound, kept_names):
    if kind in _MARKERS:
        return _MARKERS[kind]
    if kind == tokenize.STRING:
        return STRING
    if kind == tokenize.NAME:
        return NAME if _is_own(text, previous, bound, kept_names) else text
    return text.strip()


def code_tokens(source, kept_names=frozenset()):
    """The normalised tokens of a code cell (``kept_names``: the release's names, for code that does not parse)."""
    bound = bound_by(source)
    try:
        raw = list(_python_tokens(source))
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        raw = list(_rough_tokens(source))
    tokens, previous = [], ""
    for kind, text, line in raw:
        if kind in _LAYOUT:
            continue
        normalised = _normalised(kind, text, previous, bound, kept_names)
        if normalised:
            tokens.append(Token(normalised, line))
        previous = text
    return tokens


def _folded(word):
    """``word`` in lower case, without accents ("Évaluation" and "evaluation" are one word)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def word_tokens(text):
    """The words of a text answer, in lower case without accents."""
    return [Token(_folded(match.group()), line) for line, content in enumerate(text.splitlines())
            for match in _WORD.finditer(content)]


def names_of(source):
    """Every identifier a piece of code uses (what the release gives is kept as is in the answers)."""
    try:
        return {text for kind, text, _ in _python_tokens(source) if kind == tokenize.NAME}
    except (tokenize.TokenError, SyntaxError):
        return {text for kind, text, _ in _rough_tokens(source) if kind == tokenize.NAME}


def kgram_hashes(texts, k):
    """The hash of each run of ``k`` consecutive token texts (none when there are fewer than ``k``)."""
    hashes = []
    for start in range(len(texts) - k + 1):
        digest = hashlib.blake2b("\x1f".join(texts[start:start + k]).encode(), digest_size=8).digest()
        hashes.append(int.from_bytes(digest, "big"))
    return hashes


def winnow(hashes, window):
    """hash -> positions of the k-grams winnowing selects: the smallest of each window (the rightmost on ties).

    A text shorter than one window keeps its smallest hash.
    """
    selected = {}
    window = max(1, min(window, len(hashes)))
    chosen = -1
    for end in range(window - 1, len(hashes)):
        start = end - window + 1
        if chosen < start:  # the previous minimum left the window: take the rightmost minimum of this one
            chosen = min(range(start, end + 1), key=lambda i: (hashes[i], -i))
        elif hashes[end] <= hashes[chosen]:
            chosen = end
        selected.setdefault(hashes[chosen], set()).add(chosen)
    return {value: sorted(positions) for value, positions in selected.items()}


def fingerprints(tokens, k, window):
    """hash -> positions (in ``tokens``) of the winnowed k-grams of ``tokens``."""
    return winnow(kgram_hashes([token.text for token in tokens], k), window)
