"""`course solutions ASSIGNMENT`: the corrigé, a solution notebook for students, and its HTML.

Generated from the source notebook into ``solutions/<a>/``, to hand out after the deadline. It keeps the
solutions (without nbgrader's markers), the model answers of the open questions and the corrigé-only
explanations (cells tagged ``corrige``, which the release drops); it removes the hidden tests (with their
hand-overs), the mark schemes and every grading metadata. It is not executed: its outputs are cleared
(running it needs the data and, for meaningful predictions, the pretrained weights; students run it as
they ran the release). The files beside the source notebook (its data) are copied along.
"""
import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearSolutions

import course_config

from . import assignments, notebooks
from .corrige import CORRIGE_TAG

#: Tags of authoring and grading (corrigé-only content, cells autograding does not run): meaningless here.
DROPPED_TAGS = (CORRIGE_TAG, "skip-execution")
#: Text that must not survive in a corrigé: nbgrader's markers, a rubric, a hand-over to the judge.
FORBIDDEN = re.compile(r"BEGIN SOLUTION|END SOLUTION|HIDDEN TESTS|MARK SCHEME|handover|hand_over")
HEADER = ("**Corrigé.** Ce notebook reprend l'énoncé avec les solutions, les réponses modèles des questions "
          "ouvertes et des explications qui n'étaient pas dans l'énoncé. Il n'a pas été exécuté\u00a0: pour voir les "
          "figures, exécutez-le dans le dossier du TP (*Kernel → Restart Kernel and Run All Cells*).")


class CorrigeError(RuntimeError):
    """The corrigé cannot be made safely; the message names the fix."""


def _delimiter(preprocessor, name):
    return preprocessor.class_traits()[name].default()


SOLUTION = (_delimiter(ClearSolutions, "begin_solution_delimeter"), _delimiter(ClearSolutions, "end_solution_delimeter"))
HIDDEN_TESTS = (_delimiter(ClearHiddenTests, "begin_test_delimeter"),
                _delimiter(ClearHiddenTests, "end_test_delimeter"))
MARK_SCHEME = (_delimiter(ClearMarkScheme, "begin_mark_scheme_delimeter"),
               _delimiter(ClearMarkScheme, "end_mark_scheme_delimeter"))


def without_region(source, delimiters):
    """``source`` without the lines from each begin delimiter to its end delimiter, both included."""
    begin, end = delimiters
    kept, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def without_markers(source, delimiters):
    """``source`` without the delimiter lines themselves (what lies between them is the solution: kept)."""
    return "\n".join(line for line in source.splitlines() if not any(d in line for d in delimiters))


def corrige_cell(cell):
    """The cell as the corrigé shows it, or None when nothing is left of it (a test cell that only hands over)."""
    cell.source = without_markers(without_region(without_region(cell.source, HIDDEN_TESTS), MARK_SCHEME), SOLUTION)
    cell.source = cell.source.strip("\n")
    cell.metadata.pop("nbgrader", None)
    tags = [tag for tag in cell.metadata.pop("tags", []) if tag not in DROPPED_TAGS]
    if tags:
        cell.metadata["tags"] = tags
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell if cell.source.strip() else None


def check(notebook, assignment):
    leaks = [index for index, cell in enumerate(notebook.cells) if FORBIDDEN.search(cell.source)]
    if leaks:
        raise CorrigeError(f"{assignment}: cells {leaks} of the corrigé still hold a marker, a hidden test or a "
                           "rubric; write each between nbgrader's delimiters in the source, on lines of their own")


def build(assignment, root=course_config.ROOT):
    """The corrigé notebook of ``assignment``, from its source."""
    markdown, source = notebooks.paths(assignment, root)
    if not source.exists():
        raise CorrigeError(f"no source notebook {source}: is {assignment!r} an assignment of this course?")
    if markdown.exists() and notebooks.drift(assignment, root):
        raise CorrigeError(f"{source.name} and {markdown.name} differ: run `course sync {assignment}` first")
    notebook = nbformat.read(source, as_version=4)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata.pop("nbgrader", None)
    cells = [corrige_cell(cell) for cell in notebook.cells]
    notebook.cells = [nbformat.v4.new_markdown_cell(HEADER)] + [cell for cell in cells if cell is not None]
    check(notebook, assignment)
    return notebook


def write(assignment, root=course_config.ROOT):
    """Write ``solutions/<a>/<a>.ipynb``, its HTML and the source's data files; return the folder."""
    root = Path(root)
    notebook = build(assignment, root)
    folder = root / "solutions" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for data in (root / "source" / assignment).iterdir():
        if data.is_file() and data.suffix not in (".ipynb", ".md") and data.name != assignments.DECLARATION:
            shutil.copy2(data, folder / data.name)
    nbformat.write(notebook, folder / f"{assignment}.ipynb")
    html, _ = HTMLExporter().from_notebook_node(notebook, resources={"metadata": {"name": f"Corrigé — {assignment}"}})
    (folder / f"{assignment}.html").write_text(html, encoding="utf-8")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(prog="course solutions", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment of source/, in teaching order")
    args = parser.parse_args(argv)
    for assignment in args.assignments or assignments.names():
        try:
            folder = write(assignment)
        except CorrigeError as error:
            print(f"ERROR: {error}", file=sys.stderr)
            return 1
        print(f"{assignment}: {folder / assignment}.ipynb and .html written (not executed)")
    return 0
