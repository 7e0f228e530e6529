"""ReportKernelspec and NoteDiskLimit: what they repair or name is told to the student and the instructor."""
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course.grading import incidents
from course.grading.preprocessors import NoteDiskLimit, ReportKernelspec


def test_is_an_unknown_kernelspec_replaced_and_reported(course):
    notebook = course.submission()
    notebook.metadata["kernelspec"] = {"name": "python3-student-custom", "display_name": "Mine", "language": "python"}
    notebook, _ = ReportKernelspec()(notebook, course.resources())
    assert notebook.metadata["kernelspec"]["name"] != "python3-student-custom"
    (incident,) = incidents.of(notebook)
    assert incident.kind == "unknown_kernelspec" and "noyau du cours" in incident.message


def test_does_the_courses_own_kernelspec_go_unreported(course):
    notebook = course.submission()
    notebook, _ = ReportKernelspec()(notebook, course.resources())
    assert incidents.of(notebook) == []


def _executed(*outputs_per_cell):
    return new_notebook(cells=[new_code_cell("...", outputs=list(outputs)) for outputs in outputs_per_cell])


def test_is_a_refused_write_named_as_the_disk_bound_in_french():
    full = new_output("error", ename="OSError", evalue="[Errno 28] No space left on device", traceback=[])
    notebook, _ = NoteDiskLimit()(_executed([], [full]), {})
    assert notebook.cells[0].outputs == []
    assert notebook.cells[1].outputs[0] == full and "écrire plus de fichiers" in notebook.cells[1].outputs[1].data["text/plain"]
    assert [i.kind for i in incidents.of(notebook)] == ["disk_limit"]


def test_does_a_file_past_the_size_bound_count_too():
    too_large = new_output("stream", name="stdout", text="work [Errno 27] File too large\n")
    notebook, _ = NoteDiskLimit()(_executed([too_large]), {})
    assert [i.kind for i in incidents.of(notebook)] == ["disk_limit"]


def test_does_an_ordinary_error_get_no_disk_note():
    error = new_output("error", ename="ValueError", evalue="bad value", traceback=[])
    notebook, _ = NoteDiskLimit()(_executed([error]), {})
    assert notebook.cells[0].outputs == [error] and incidents.of(notebook) == []
