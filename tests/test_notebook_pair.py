"""Each source notebook and its MyST twin (.md, the authored text) must agree."""
import jupytext
import nbformat
import pytest

from course import assignments, notebooks


@pytest.mark.parametrize("assignment", assignments.names())
def test_are_the_md_and_the_ipynb_in_sync(assignment):
    assert notebooks.drift(assignment) == [], "run `python -m course sync` and commit the .ipynb"


@pytest.mark.parametrize("assignment", assignments.names())
def test_does_nbgrader_metadata_survive_the_round_trip(assignment):
    markdown, notebook_path = notebooks.paths(assignment)
    notebook = nbformat.read(notebook_path, as_version=4)
    again = jupytext.reads(jupytext.writes(notebook, fmt="md:myst"), fmt="md:myst")
    assert [c.metadata.get("nbgrader") for c in again.cells] == [c.metadata.get("nbgrader") for c in notebook.cells]
    assert sum(1 for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")) > 0


def test_is_a_drifted_pair_detected(tmp_path):
    from course import pipeline

    root = pipeline.copy_course(tmp_path)
    markdown, _ = notebooks.paths("tp_convolution", root)
    markdown.write_text(markdown.read_text().replace("points: 2", "points: 5", 1))
    assert notebooks.drift("tp_convolution", root) != []
    assert notebooks.sync("tp_convolution", root) is True
    assert notebooks.drift("tp_convolution", root) == []
