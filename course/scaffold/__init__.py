"""``course new NAME``: scaffold an assignment that works at once.

It writes, from the Jinja templates beside this file:

- ``source/NAME/NAME.md`` (and its twin ``NAME.ipynb``): a short instructor
  notebook in French, with one solution cell, and one test cell whose visible
  part checks the form and whose hidden part hands the student's function over;
- ``source/NAME/assignment.toml``: its declaration, with a catalogue of two
  wrong answers (and the points they lose) and one right alternative;
- ``handover/NAME.py`` (the kernel's side: one function per check) and
  ``graders/NAME.py`` (the judge's check, with its French messages);
- ``tests/graders/test_NAME.py``: unit tests of the check against the catalogue.

Then ``make release`` and ``course grade NAME`` work on it. It refuses a name
that is not a Python module name, or that any of these files already has.
docs/authoring.md goes on from there.
"""
import argparse
import keyword
import sys
from pathlib import Path

from .. import assignments

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: template -> where it goes in the course root.
FILES = {
    "notebook.md.j2": "source/{name}/{name}.md",
    "assignment.toml.j2": "source/{name}/" + assignments.DECLARATION,
    "handover.py.j2": "handover/{name}.py",
    "graders.py.j2": "graders/{name}.py",
    "test_graders.py.j2": "tests/graders/test_{name}.py",
}


class ScaffoldError(ValueError):
    """The assignment cannot be created (the message says why and what to do)."""


def targets(root, name):
    return {template: Path(root) / path.format(name=name) for template, path in FILES.items()}


def refuse_unusable(root, name):
    if not assignments.NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} cannot name an assignment: it is also the name of the modules handover.{name} "
                            f"and graders.{name}, so it must be a Python module name in lower case (letters, digits, "
                            "underscores; a letter first), not a keyword. E.g. tp_pooling.")
    taken = [str(path) for path in targets(root, name).values() if path.exists()]
    if (Path(root) / "source" / name).exists():
        taken.insert(0, str(Path(root) / "source" / name))
    if taken:
        raise ScaffoldError(f"{name!r} is taken: {', '.join(taken)} already exist(s). Nothing was written. Choose "
                            "another name (course new never overwrites an assignment).")


def render(template, **values):
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=True, autoescape=False)
    return environment.get_template(template).render(**values)


def scaffold(root, name, title=None):
    """Write the new assignment ``name`` into the course in ``root``; the paths written."""
    root = Path(root)
    refuse_unusable(root, name)
    order = max((a.order for a in assignments.discover(root)), default=0) + 1
    values = dict(name=name, title=title or f"TP — {name}", order=order)
    written = []
    for template, path in targets(root, name).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(template, **values), encoding="utf-8")
        written.append(path)
    from ..notebooks import sync

    sync(name, root)  # the .ipynb that nbgrader reads
    written.insert(1, root / "source" / name / f"{name}.ipynb")
    return written


def main(argv=None):
    import course_config

    parser = argparse.ArgumentParser(prog="course new", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the assignment's name, a Python module name (e.g. tp_pooling)")
    parser.add_argument("--title", help="its title, in French (default: TP — NAME)")
    parser.add_argument("--root", type=Path, default=course_config.ROOT, help="course root (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.root, args.name, args.title)
    except (ScaffoldError, assignments.AssignmentError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path.relative_to(args.root)}")
    print(f"\nNext: `course check {args.name}`, then `make release` (the release), and `course grade {args.name}` once "
          "students have handed in. Write the assignment from there: docs/authoring.md.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
