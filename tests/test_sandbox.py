"""The sandboxed kernel: it sees its own folder and what it needs to import, nothing else."""
import socket

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from course.sandbox import SandboxedKernelManager


@pytest.fixture
def course(tmp_path):
    """A course-like folder with a secret next to the submission's folder."""
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "solutions.txt").write_text("la réponse")
    (tmp_path / "gradebook.db").write_text("grades")
    work = tmp_path / "autograded" / "student" / "lab"
    work.mkdir(parents=True)
    return tmp_path, work


def run_sandboxed(work, *sources, **manager_options):
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    manager = SandboxedKernelManager(kernel_name="python3", **manager_options)
    NotebookClient(notebook, km=manager, timeout=60, allow_errors=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    return [cell.outputs for cell in notebook.cells]


def text(outputs):
    return "".join(o.get("text", "") for o in outputs)


def error(outputs):
    return next((o.ename for o in outputs if o.output_type == "error"), None)


def test_can_the_kernel_read_and_write_its_own_folder(course):
    root, work = course
    outputs = run_sandboxed(work, "open('answer.txt', 'w').write('ok')", "print(open('answer.txt').read())")
    assert text(outputs[1]) == "ok\n" and (work / "answer.txt").read_text() == "ok"


def test_is_the_rest_of_the_course_invisible(course):
    root, work = course
    outputs = run_sandboxed(work, f"open({str(root / 'source' / 'solutions.txt')!r}).read()")
    assert error(outputs[0]) == "FileNotFoundError"


def test_does_the_real_gradebook_stay_untouched(course):
    root, work = course
    run_sandboxed(work, f"open({str(root / 'gradebook.db')!r}, 'w').write('hacked')")
    assert (root / "gradebook.db").read_text() == "grades"


def test_are_the_instructors_environment_variables_hidden(course, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_TOKEN", "secret")
    outputs = run_sandboxed(course[1], "import os; print(os.environ.get('INSTRUCTOR_TOKEN'), os.environ['HOME'])")
    assert text(outputs[0]) == "None /tmp\n"


def test_has_the_kernel_no_network(course):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        outputs = run_sandboxed(course[1], f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)")
    finally:
        listener.close()
    assert error(outputs[0]) in ("ConnectionRefusedError", "OSError", "TimeoutError")


def test_can_the_kernel_import_graders_and_torch(course):
    outputs = run_sandboxed(course[1], "import graders.tp_convolution, torch; print(torch.tensor([1, 2]).sum().item())",
                            readable_paths=[str(__import__("course_config").ROOT / "graders")])
    assert text(outputs[0]) == "3\n"


def test_does_the_memory_limit_stop_a_runaway_allocation(course):
    outputs = run_sandboxed(course[1], "x = bytearray(3 * 2**30)", memory_limit=2 * 2**30)
    assert error(outputs[0]) == "MemoryError"
