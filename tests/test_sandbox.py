"""The sandboxed kernel: it sees its own folder and what it needs to import, nothing else."""
import os
import socket
import subprocess
import sys

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import course_config
from course.grading.sandbox import WORK_DIR, SandboxedKernelManager, python_paths


@pytest.fixture
def course(tmp_path):
    """A course-like folder with a secret next to the submission's folder."""
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "solutions.txt").write_text("la réponse")
    (tmp_path / "gradebook.db").write_text("grades")
    work = tmp_path / "autograded" / "student" / "lab"
    work.mkdir(parents=True)
    return tmp_path, work


#: The bounds these tests ran with before the course's bounds became required (the sandbox's old defaults).
LIMITS = dict(sandbox="bwrap", memory_limit=0, process_limit=0, workdir_limit=512 * 2**20, tmp_limit=512 * 2**20)


def run_sandboxed(work, *sources, timeout=60, interrupt_on_timeout=False, **manager_options):
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    options = dict(LIMITS, handover_dir=str(course_config.ROOT / "handover"), data_dir=str(course_config.DATA_DIR))
    manager = SandboxedKernelManager(kernel_name="python3", **{**options, **manager_options})
    NotebookClient(notebook, km=manager, timeout=timeout, allow_errors=True, interrupt_on_timeout=interrupt_on_timeout,
                   resources={"metadata": {"path": str(work)}}).execute()
    return [cell.outputs for cell in notebook.cells]


def text(outputs):
    return "".join(o.get("text", "") for o in outputs)


def error(outputs):
    return next((o.ename for o in outputs if o.output_type == "error"), None)


def test_can_the_kernel_read_and_write_its_own_folder(course):
    root, work = course
    (work / "given.txt").write_text("donné")
    outputs = run_sandboxed(work, "open('answer.txt', 'w').write('ok')", "print(open('answer.txt').read(), open('given.txt').read())")
    assert text(outputs[1]) == "ok donné\n"


def test_does_what_the_kernel_writes_stay_off_the_instructors_disk(course):
    root, work = course
    run_sandboxed(work, "open('answer.txt', 'w').write('ok')")
    assert not (work / "answer.txt").exists()


def test_are_the_folder_and_tmp_bounded(course):
    outputs = run_sandboxed(course[1], "open('big', 'wb').write(bytes(2 * 2**20))", "open('/tmp/big', 'wb').write(bytes(2 * 2**20))",
                            "open('/big', 'wb')", workdir_limit=2**20, tmp_limit=2**20)
    assert [error(o) for o in outputs] == ["OSError", "OSError", "OSError"]


def test_does_a_message_interrupt_stop_a_runaway_cell_inside_the_sandbox(course):
    outputs = run_sandboxed(course[1], "x = 1", "while True: pass", "print(x + 1)", timeout=3, interrupt_on_timeout=True)
    assert error(outputs[1]) == "KeyboardInterrupt" and text(outputs[2]) == "2\n"


def test_does_the_watchdog_stop_processes_that_together_use_too_much_memory(course):
    manager_options = dict(LIMITS, memory_limit=2**30)
    source = ("import os, time\n"
              "for _ in range(3):\n"
              "    if os.fork() == 0:\n"
              "        block = bytearray(600 * 2**20); time.sleep(30); os._exit(0)\n"
              "time.sleep(30)")
    notebook = new_notebook(cells=[new_code_cell(source)],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    manager = SandboxedKernelManager(kernel_name="python3", handover_dir=str(course_config.ROOT / "handover"), **manager_options)
    with pytest.raises(Exception):
        NotebookClient(notebook, km=manager, timeout=60, allow_errors=True,
                       resources={"metadata": {"path": str(course[1])}}).execute()
    assert manager.limit_hit is not None and manager.limit_hit.kind == "memory_limit"


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


def test_does_the_kernel_see_no_path_of_the_grading_machine(course):
    outputs = run_sandboxed(course[1], "import os, handover; print(os.getcwd(), handover.__file__)")
    assert text(outputs[0]) == f"{WORK_DIR} /opt/course/handover/__init__.py\n"


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


def test_can_the_kernel_import_handover_and_torch(course):
    outputs = run_sandboxed(course[1], "import handover.tp_convolution, torch; print(torch.tensor([1, 2]).sum().item())")
    assert text(outputs[0]) == "3\n"


def test_can_the_kernel_neither_import_nor_read_graders(course):
    """graders holds the references: it stays with the judge, outside the sandbox."""
    outputs = run_sandboxed(course[1], "import graders")
    assert error(outputs[0]) == "ModuleNotFoundError"
    outputs = run_sandboxed(course[1], "import glob; print(glob.glob('/opt/course/*'))")
    assert "graders" not in text(outputs[0])


def test_does_the_memory_limit_stop_a_runaway_allocation(course):
    outputs = run_sandboxed(course[1], "x = bytearray(5 * 2**30)", memory_limit=2 * 2**30)
    assert error(outputs[0]) == "MemoryError"


def test_do_files_handed_in_never_shadow_a_library_or_handover_but_own_modules_import(course):
    work = course[1]
    (work / "numpy.py").write_text("raise SystemExit('a fake numpy')\n")
    (work / "handover").mkdir()
    (work / "handover" / "__init__.py").write_text("FAKE = True\n")
    (work / "my_helpers.py").write_text("ANSWER = 42\n")
    outputs = run_sandboxed(work, "import numpy, handover, my_helpers\n"
                                  "print(numpy.__name__, hasattr(handover, 'FAKE'), my_helpers.ANSWER)")
    assert text(outputs[0]) == "numpy False 42\n"


def test_does_the_sandbox_bind_the_environment_it_is_given_when_two_share_a_base_interpreter(tmp_path):
    # A JupyterHub's own environment and the course's, both made from one system Python: one binary, two
    # environments. The kernel needs the packages of the one it is given, never those of the Python asking.
    other = tmp_path / "other-env"
    subprocess.run([os.path.realpath(sys.executable), "-m", "venv", "--without-pip", str(other)], check=True)
    python = other / "bin" / "python"
    assert os.path.realpath(python) == os.path.realpath(sys.executable)
    prefix, _, _, purelib, platlib = python_paths(str(python))
    assert prefix == str(other)
    assert purelib.startswith(str(other)) and platlib.startswith(str(other))
    assert python_paths(sys.executable)[0] == sys.prefix


def test_does_a_kernel_without_the_courses_bounds_refuse_to_start(course):
    import asyncio

    from course.grading.setup_check import GradingSetupError

    manager = SandboxedKernelManager(kernel_name="python3", handover_dir=str(course_config.ROOT / "handover"))
    with pytest.raises(GradingSetupError, match="GradingKernelManager.memory_limit.*configure_nbgrader"):
        asyncio.run(manager.start_kernel(cwd=str(course[1])))
    assert not manager.has_kernel
