"""Small assignments made by hand for end-to-end tests: nbgrader cells, a notebook, and how they are graded."""
from nbformat.v4 import new_code_cell, new_notebook

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def nbgrader_cell(source, grade_id, **flags):
    """A code cell with nbgrader's metadata (``grade``, ``solution``, ``locked``, ``points`` given as flags)."""
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": False, "task": False,
                                 "grade_id": grade_id, "schema_version": 3, **flags}
    return cell


def small_notebook(*cells):
    return new_notebook(metadata={"kernelspec": dict(KERNELSPEC)}, cells=list(cells))


def declare_assert_graded(root, assignment, order=99):
    """A small assignment keeps plain nbgrader asserts (no graders check): declared so, on purpose; and declared
    as an assignment of the course (source/<a>/assignment.toml, course/assignments.py), as course tools need."""
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"get_config().JudgeHandovers.assert_graded = [{assignment!r}]  # noqa: F821\n")
    (root / "source" / assignment).mkdir(parents=True, exist_ok=True)
    (root / "source" / assignment / "assignment.toml").write_text(f'title = "{assignment}"\norder = {order}\n')
