"""French typography of what students read: the releases, the corrigé, the graders' messages, the feedback."""
from pathlib import Path

import nbformat
import pytest

import course_config
from course import assignments, solutions, typography

ASSIGNMENTS = assignments.names()
NBSP, NNBSP = typography.NBSP, typography.NNBSP
#: Python files whose French strings students read (the judge's verdicts, the feedback's notes and labels).
MESSAGE_FILES = sorted([*Path(course_config.ROOT, "graders").glob("*.py"),
                        *Path(course_config.ROOT, "course", "grading", "feedback").glob("*.py")])
TEMPLATES = sorted(Path(course_config.ROOT, "course", "grading", "feedback", "templates").rglob("*.j2"))


def report(where, offending):
    return "missing French no-break spaces (typography.fix shows the spelling):\n" + "\n".join(
        f"{where} line {number}: {line.strip()}" for number, line in offending)


def cells_offending(notebook, name):
    problems = []
    for index, cell in enumerate(notebook.cells):
        fixer = typography.fix if cell.cell_type == "markdown" else typography.fix_python
        problems += [(f"cell {index}, {number}", line) for number, line in typography.offending_lines(cell.source, fixer)]
    return report(name, problems) if problems else ""


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_the_release_write_french_typography(assignment):
    path = course_config.ROOT / "release" / assignment / f"{assignment}.ipynb"
    problems = cells_offending(nbformat.read(path, as_version=4), path.name)
    assert not problems, problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_the_corrige_write_french_typography(assignment):
    problems = cells_offending(solutions.build(assignment), f"corrigé of {assignment}")
    assert not problems, problems


@pytest.mark.parametrize("path", MESSAGE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_do_the_french_messages_of_the_judge_and_the_feedback_write_french_typography(path):
    offending = typography.offending_lines(path.read_text(encoding="utf-8"), typography.fix_python)
    assert not offending, report(path.name, offending)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_does_the_feedback_template_write_french_typography(path):
    offending = typography.offending_lines(path.read_text(encoding="utf-8"), typography.fix_template)
    assert not offending, report(path.name, offending)


@pytest.mark.parametrize("plain, french", [
    ("Note : 3", f"Note{NBSP}: 3"),
    ("Pourquoi ? Parce que ; enfin !", f"Pourquoi{NBSP}? Parce que{NBSP}; enfin{NBSP}!"),
    ("« Vérifiez vous-même »", f"«{NBSP}Vérifiez vous-même{NBSP}»"),
    ("1797 chiffres, 1 797 chiffres, 130 000 pixels", f"1{NNBSP}797 chiffres, 1{NNBSP}797 chiffres, 130{NNBSP}000 pixels"),
    ("95 % et 95%, en 3 s et 10 ms", f"95{NBSP}% et 95{NBSP}%, en 3{NBSP}s et 10{NBSP}ms"),
    ("le `return` ?", f"le `return`{NBSP}?"),
])
def test_does_fix_write_the_french_spaces(plain, french):
    assert typography.fix(plain) == french
    assert typography.offending_lines(plain) == [(1, plain)]


@pytest.mark.parametrize("text", [
    "`x : int` et `a ; b`", "$f : x \\mapsto x$ et $$1000 ; 2$$", "[lien](https://example.org/a?x=1000)",
    "en 1998, ICLR 2015", "arXiv:1603.07285 et halshs-01357973", "0,5 point", "```python\nx = {1 : 2}\n```",
    "« Deep learning for time series classification: a review »".replace(" »", f"{NBSP}»").replace("« ", f"«{NBSP}"),
])
def test_does_fix_leave_code_math_urls_years_and_english_alone(text):
    assert typography.fix(text) == text and typography.offending_lines(text) == []


def test_does_a_python_message_get_french_spaces_but_not_its_code_or_format_fields():
    source = 'fail(f"`{call}` renvoie {value!r} : il doit durer {n} s.")\nlog.info("Grading %s : %d", a, b)\n'
    assert typography.fix_python(source) == \
        f'fail(f"`{{call}}` renvoie {{value!r}}{NBSP}: il doit durer {{n}}{NBSP}s.")\nlog.info("Grading %s : %d", a, b)\n'


def test_does_a_template_get_french_spaces_but_not_its_style_nor_its_jinja():
    template = "<style>p { width: 100%; }</style>{% if a > 0 %}<p>Note : {{ score }} / 2</p>{% endif %}"
    assert typography.fix_template(template) == template.replace("Note :", f"Note{NBSP}:")
