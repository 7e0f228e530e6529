"""`course release` keeps the committed release when nbgrader fails."""
import nbformat

from course import release
from course.pipeline import NbgraderError


def test_does_a_failed_generation_keep_the_committed_release(course_copy):
    release.generate("tp_convolution", root=course_copy)
    kept = sorted(p.name for p in (course_copy / "release" / "tp_convolution").iterdir())
    source = course_copy / "source" / "tp_convolution" / "tp_convolution.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[0].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "broken",
                                              "points": "not a number", "schema_version": 3}
    nbformat.write(notebook, source)
    try:
        release.generate("tp_convolution", root=course_copy)
    except NbgraderError:
        pass
    else:
        raise AssertionError("nbgrader accepted a corrupted notebook")
    assert sorted(p.name for p in (course_copy / "release" / "tp_convolution").iterdir()) == kept
