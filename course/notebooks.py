"""The jupytext pairs: each source notebook is authored as MyST markdown
(``<name>.md``) and the ``.ipynb`` that nbgrader reads is generated from it."""
import jupytext
import nbformat

import course_config

from . import assignments


def paths(assignment, root=course_config.ROOT):
    folder = root / "source" / assignment
    return folder / f"{assignment}.md", folder / f"{assignment}.ipynb"


def from_text(assignment, root=course_config.ROOT):
    """The notebook the markdown twin describes."""
    text, _ = paths(assignment, root)
    return jupytext.read(text)


def sync(assignment, root=course_config.ROOT):
    """Write the .ipynb from the .md; True if it changed."""
    _, notebook_path = paths(assignment, root)
    notebook = from_text(assignment, root)
    if notebook_path.exists() and not drift(assignment, root):
        return False
    jupytext.write(notebook, notebook_path, fmt="ipynb")
    return True


def _comparable(notebook):
    return [(c.cell_type, c.source, c.metadata.get("nbgrader"), c.metadata.get("tags"))
            for c in notebook.cells]


def drift(assignment, root=course_config.ROOT):
    """Indexes of the cells on which the .md and the .ipynb disagree (source or nbgrader metadata)."""
    _, notebook_path = paths(assignment, root)
    expected = _comparable(from_text(assignment, root))
    actual = _comparable(nbformat.read(notebook_path, as_version=4))
    differing = [i for i, (a, b) in enumerate(zip(expected, actual)) if a != b]
    if len(expected) != len(actual):
        differing.append(min(len(expected), len(actual)))
    return differing


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course sync",
                                     description="Regenerate source/<a>/<a>.ipynb from its MyST twin <a>.md.")
    parser.add_argument("assignments", nargs="*", help="default: every assignment of source/, in teaching order")
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    args = parser.parse_args(argv)
    status = 0
    for assignment in args.assignments or assignments.names():
        if args.check:
            cells = drift(assignment)
            print(f"{assignment}: " + (f"cells {cells} differ between .md and .ipynb" if cells else "in sync"))
            status |= bool(cells)
        else:
            print(f"{assignment}: " + ("regenerated" if sync(assignment) else "already in sync"))
    return status
