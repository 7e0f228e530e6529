"""French typography of what students read: the notebooks' prose, the graders' messages, the feedback.

One spelling everywhere:

- a no-break space (U+00A0) before ``: ; ? !``, inside « », before ``%`` and unit symbols (95 %, 3 s), as
  the engine's messages write a number and its unit (course/grading/french.py);
- a narrow no-break space (U+202F) between groups of three digits (1 797, 52 056).

Code is not prose: inline code, fenced code blocks, LaTeX, link targets and URLs are left alone. A year
(1900 to 2099) keeps its four digits together. :func:`fix` writes the spelling, :func:`offending_lines`
finds where it is missing; both see text the same way.
"""
import io
import re
import tokenize

NBSP = "\u00a0"
NNBSP = "\u202f"

#: What is not prose in markdown: fenced code, display and inline math, inline code, link targets, URLs.
_NOT_PROSE = re.compile(r"```.*?```|\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`|\]\([^)\s]*\)|https?://[^\s)>\]]+", re.S)
#: In a Python string: inline code (between backticks) and URLs are not prose; a format field ({...}) is
#: not either, but it stands for a value, often a number ("{seconds:.0f} s").
_NOT_PROSE_IN_STRING = re.compile(r"`[^`\n]*`|https?://[^\s)>\]]+")
_FORMAT_FIELD = re.compile(r"\{[^{}\n]*\}")
_UNITS = r"(?:ms|s|min|h|ko|Mo|Go|kB|MB|GB|px)"
_RULES = (
    (re.compile(r"(?<=\S) (?=[:;?!](?:\s|$|[)\]*_»\"'.,]))"), NBSP),  # before : ; ? !
    (re.compile(r"(?<=«) "), NBSP),
    (re.compile(r" (?=»)"), NBSP),
    (re.compile(r"(?<=[\d\ue001])(?: |(?=%))(?=%)"), NBSP),  # 95 %
    (re.compile(rf"(?<=[\d\ue001]) (?={_UNITS}\b)"), NBSP),  # 3 s, 50 kB
)
#: A number written with plain spaces between its groups of three digits (1 797).
_SPACED_NUMBER = re.compile(r"(?<![\w.,/:\-#'])\d{1,3}(?: \d{3})+(?!\d)(?![.,]\d)")
_LONG_NUMBER = re.compile(r"(?<![\w.,/:\-#'\u202f\u00a0])\d{4,}(?![\w.,:/\-]\w|\w)")


def _grouped(match):
    digits = match.group(0)
    if len(digits) == 4 and 1900 <= int(digits) <= 2099 or digits.startswith("0"):
        return digits  # a year, or an identifier
    head = len(digits) % 3 or 3
    return NNBSP.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


def fix_prose(text):
    """``text`` (prose only) with the French spaces."""
    for pattern, space in _RULES:
        text = pattern.sub(space, text)
    text = _SPACED_NUMBER.sub(lambda match: match.group(0).replace(" ", NNBSP), text)
    return _LONG_NUMBER.sub(_grouped, text)


_MASK = "\ue000"  # private-use characters: not a space, not a digit, not a word character
_VALUE_MASK = "\ue001"  # (a format field: a value, maybe a number)


def _outside(pattern, text, transform, mask=_MASK):
    """``transform`` applied to ``text`` with what ``pattern`` matches masked, so that prose keeps its context
    (the space in "`return` ?" follows inline code), then the masked parts put back unchanged."""
    kept = [match.group(0) for match in pattern.finditer(text)]
    masked = pattern.sub(lambda match: mask * len(match.group(0)), text)
    result, cursor = transform(masked), 0
    for part in kept:
        cursor = result.index(mask * len(part), cursor)
        result = result[:cursor] + part + result[cursor + len(part):]
        cursor += len(part)
    return result


def fix(markdown):
    """Markdown with the French spaces in its prose; code, math and URLs untouched."""
    return _outside(_NOT_PROSE, markdown, fix_prose)


def fix_string(literal):
    """The text of a Python string literal (its quotes included) with the French spaces in its prose."""
    return _outside(_FORMAT_FIELD, literal, lambda text: _outside(_NOT_PROSE_IN_STRING, text, fix_prose),
                    mask=_VALUE_MASK)


#: In an HTML Jinja template: style and script, Jinja's statements and comments, tags; an expression
#: ({{ ... }}) stands for a value.
_NOT_PROSE_IN_TEMPLATE = re.compile(r"<style.*?</style>|<script.*?</script>|\{%.*?%\}|\{#.*?#\}|<[^>]*>", re.S)
_TEMPLATE_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)


def fix_template(template):
    """An HTML Jinja template with the French spaces in its text."""
    return _outside(_TEMPLATE_EXPRESSION, template, lambda text: _outside(_NOT_PROSE_IN_TEMPLATE, text, fix_prose),
                    mask=_VALUE_MASK)


def fix_python(source, only_french=True):
    """Python source whose string literals (the French ones, when ``only_french``) get the French spaces."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    for token in reversed(tokens):
        if token.type != tokenize.STRING or (only_french and not is_french(token.string)):
            continue
        (row, col), (end_row, end_col) = token.start, token.end
        text = "".join(lines[row - 1:end_row])
        start, stop = col, len(text) - (len(lines[end_row - 1]) - end_col)
        fixed = text[:start] + fix_string(text[start:stop]) + text[stop:]
        lines[row - 1:end_row] = fixed.splitlines(keepends=True)
    return "".join(lines)


#: Words that say a string is French (the graders' and the feedback's English strings are for instructors).
_FRENCH = re.compile(r"[éèêàùçôî«»]|\b[dlnjc]'\w|\b(?:le|la|les|des|du|de|une?|et|est|pas|vous|votre|doit|dans|pour|"
                     r"sur|trop|note)\b", re.I)


def is_french(text):
    return bool(_FRENCH.search(text))


def offending_lines(text, fixer=fix):
    """(line number, line) of each line of ``text`` that lacks a French space."""
    fixed = fixer(text).splitlines()
    return [(number, line) for number, (line, good) in enumerate(zip(text.splitlines(), fixed), start=1)
            if line != good]
