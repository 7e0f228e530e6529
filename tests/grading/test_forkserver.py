"""Kernels forked from the warm sandboxed process: isolated from each other, bounded, and ordinary to nbclient."""
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import course_config
from course import assignments
from course.grading.forkserver import ForkedKernelManager, ForkServer, ForkServerError

pytestmark = pytest.mark.slow
SETTINGS = dict(handover_dir=str(course_config.ROOT / "handover"), data_dir=str(course_config.DATA_DIR), threads=1,
                workdir_limit=2**20, tmp_limit=2**20, memory_limit=2**30, sandbox="bwrap", process_limit=0)


#: The server the running test's kernels come from (set by the fixtures below), as a worker hands it over.
serving = None


def served_by(server):
    global serving
    serving = server
    return server


@pytest.fixture(scope="module")
def server():
    server = ForkServer(ForkedKernelManager(**SETTINGS), preload=["numpy", "matplotlib.pyplot", "ipykernel.kernelapp"])
    served_by(server.start())
    yield server
    served_by(None)
    server.stop()


def run(folder, *sources, timeout=60):
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    settings = TORCH_SETTINGS if "torch" in serving.preload else SETTINGS
    manager = ForkedKernelManager(kernel_name="python3", fork_server=serving, **settings)
    try:
        NotebookClient(notebook, km=manager, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
    except Exception:  # a kernel stopped by a bound: the test looks at the manager
        pass
    return [cell.outputs for cell in notebook.cells], manager


def text(outputs):
    return "".join(o.get("text", "") for o in outputs)


def test_does_a_kernel_whose_sandbox_cannot_be_set_up_say_why(server):
    # A folder under /tmp the fork server believes bound, which it is not: each kernel's mounts fail after the fork.
    slot, kept = server.new_slot(), server.keep
    server.keep = ["/tmp/never-bound-in-the-sandbox"]
    try:
        with pytest.raises(ForkServerError, match=r"could not be set up: .*/tmp/never-bound-in-the-sandbox"):
            server.spawn(slot, {}, {"workdir": 2**20, "tmp": 2**20}, 1)
    finally:
        server.keep = kept
        server.release(slot)


def test_is_each_kernel_the_first_process_of_its_own_namespace(server, tmp_path):
    outputs, _ = run(tmp_path, "import os; print(os.getpid(), sorted(p for p in os.listdir('/proc') if p.isdigit()))")
    assert text(outputs[0]) == "1 ['1']\n"


def test_does_a_kernel_run_without_any_capability(server, tmp_path):
    outputs, _ = run(tmp_path, "print([l for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapPrm'))])")
    assert text(outputs[0]) == "['CapPrm:\\t0000000000000000\\n', 'CapEff:\\t0000000000000000\\n']\n"


def test_does_a_kernel_see_its_files_but_not_the_other_submissions(server, tmp_path):
    (tmp_path / "cat.txt").write_text("miaou")
    other = tmp_path / "other"
    other.mkdir()
    (other / "secret.txt").write_text("autre étudiant")
    run(other, "open('mine.txt', 'w').write('à moi')")
    outputs, _ = run(tmp_path, "import os; print(open('cat.txt').read(), sorted(os.listdir('.')), os.listdir('/spool'))")
    assert text(outputs[0]) == "miaou ['cat.txt', 'other'] []\n"
    assert not (other / "mine.txt").exists()  # what a kernel writes stays in its own tmpfs


def test_does_a_kernel_start_from_the_warm_state_not_from_the_previous_kernel(server, tmp_path):
    run(tmp_path, "import numpy, sys; numpy.SECRET = 42; sys.modules['planted'] = numpy")
    outputs, _ = run(tmp_path, "import numpy, sys; print(hasattr(numpy, 'SECRET'), 'planted' in sys.modules)")
    assert text(outputs[0]) == "False False\n"


def test_are_the_folder_and_tmp_bounded(server, tmp_path):
    outputs, _ = run(tmp_path, "open('big', 'wb').write(bytes(2 * 2**20))", "open('/tmp/big', 'wb').write(bytes(2 * 2**20))")
    assert [o[0].ename for o in outputs] == ["OSError", "OSError"]


def test_does_a_message_interrupt_stop_a_runaway_cell(server, tmp_path):
    outputs, _ = run(tmp_path, "x = 1", "while True: pass", "print(x + 1)", timeout=3)
    assert outputs[1][0].ename == "KeyboardInterrupt" and text(outputs[2]) == "2\n"


def test_does_the_watchdog_stop_processes_that_together_use_too_much_memory(server, tmp_path):
    source = ("import os, time\n"
              "for _ in range(3):\n"
              "    if os.fork() == 0:\n"
              "        block = bytearray(600 * 2**20); time.sleep(30); os._exit(0)\n"
              "time.sleep(30)")
    _, manager = run(tmp_path, source)
    assert manager.limit_hit is not None and manager.limit_hit.kind == "memory_limit"


def test_do_figures_come_back_inline(server, tmp_path):
    outputs, _ = run(tmp_path, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    assert any("image/png" in o.get("data", {}) for o in outputs[0])


# --- models the given cells build, pre-built by the zygote -----------------------------------------------

NOT_HANDED_OVER = ("def not_handed_over(builder):  # the pre-built models still in the builder's closure\n"
                   "    return [len(c.cell_contents) for c in builder.__closure__ if type(c.cell_contents) is list\n"
                   "            and all(type(entry) is tuple for entry in c.cell_contents)][0]\n")
DIGEST = (NOT_HANDED_OVER + "import hashlib, torch\n"
          "def digest(*models):\n"
          "    h = hashlib.sha256()\n"
          "    for model in models:\n"
          "        for name, tensor in model.state_dict().items():\n"
          "            h.update(name.encode()); h.update(str(tensor.dtype).encode()); h.update(tensor.numpy().tobytes())\n"
          "    h.update(torch.random.get_rng_state().numpy().tobytes())\n"
          "    return h.hexdigest()\n"
          "from torchvision import models\n"
          "left = lambda: not_handed_over(models.resnet18)\n")
AS_USUAL = "original = models.resnet18.__wrapped__\n"
TORCH_SETTINGS = dict(SETTINGS, memory_limit=4 * 2**30)  # torch's address space is far larger than what it uses


@pytest.fixture(scope="module")
def prebuilding_server():
    server = ForkServer(ForkedKernelManager(**TORCH_SETTINGS), preload=["torch", "torchvision", "ipykernel.kernelapp"],
                        prebuilt=[("torchvision.models:resnet18", 0, 2)])
    served_by(server.start())
    yield server
    served_by(None)
    server.stop()


def test_does_a_seeded_build_get_the_prebuilt_models_bitwise(prebuilding_server, tmp_path):
    outputs, _ = run(tmp_path, DIGEST + AS_USUAL,
                     "torch.manual_seed(0); a = models.resnet18(weights=None); b = models.resnet18()\n"
                     "print(left(), digest(a, b))",
                     "torch.manual_seed(0); print(digest(original(weights=None), original(weights=None)))")
    prebuilt, _, usual = text(outputs[1]).partition(" ")
    assert prebuilt == "0" and usual.strip() == text(outputs[2]).strip()


PASS_THROUGH = ("from torch.utils._python_dispatch import TorchDispatchMode\n"
                "from torch.overrides import TorchFunctionMode\n"
                "class SeenByDispatch(TorchDispatchMode):\n"
                "    def __torch_dispatch__(self, func, types, args=(), kwargs=None): return func(*args, **(kwargs or {}))\n"
                "class SeenByFunction(TorchFunctionMode):\n"
                "    def __torch_function__(self, func, types, args=(), kwargs=None): return func(*args, **(kwargs or {}))\n")


@pytest.mark.parametrize("before, after", [
    ("torch.set_default_dtype(torch.float64); torch.manual_seed(0)", ""),
    ("torch.manual_seed(1)", ""),
    ("torch.manual_seed(0); torch.nn.init.kaiming_normal_ = lambda t, **k: torch.nn.init.zeros_(t)", ""),
    ("torch.manual_seed(0); torch.nn.Conv2d.reset_parameters = lambda self: None", ""),
    ("torch.manual_seed(0); torch.nn.modules.conv.init = None", ""),  # fails in both
    ("torch.manual_seed(0); mode = torch.inference_mode(); mode.__enter__()", "mode.__exit__(None, None, None)"),
    (PASS_THROUGH + "mode = SeenByDispatch(); mode.__enter__(); torch.manual_seed(0)", "mode.__exit__(None, None, None)"),
    (PASS_THROUGH + "mode = SeenByFunction(); mode.__enter__(); torch.manual_seed(0)", "mode.__exit__(None, None, None)"),
    ("torch.equal = lambda a, b: True; torch.manual_seed(123)", ""),
], ids=["float64", "other seed", "patched init", "patched layer", "patched module", "inference mode",
        "dispatch mode", "function mode", "patched torch.equal"])
def test_does_any_other_build_happen_as_usual(prebuilding_server, tmp_path, before, after):
    build = "try:\n    model = {}(weights=None)\nexcept Exception as error:\n    model = type(error).__name__\n"
    report = "print(left(), model if isinstance(model, str) else digest(model))"
    outputs, _ = run(tmp_path, DIGEST + AS_USUAL,
                     f"{before}\n{build.format('models.resnet18')}{after}\n{report}",
                     f"{before}\n{build.format('original')}{after}\n{report}")
    left, _, built = text(outputs[1]).partition(" ")
    assert left == "2" and built.strip() == text(outputs[2]).partition(" ")[2].strip() != ""


def test_does_each_prebuilt_model_go_to_one_call_only(prebuilding_server, tmp_path):
    outputs, _ = run(tmp_path, DIGEST,
                     "torch.manual_seed(0); a = models.resnet18(weights=None)\n"
                     "torch.manual_seed(0); b = models.resnet18(weights=None)\n"
                     "print(a is b, digest(a) == digest(b), left())")
    assert text(outputs[1]) == "False True 1\n"


def test_does_the_prebuild_leave_the_kernels_random_state_as_it_found_it(prebuilding_server, tmp_path):
    outputs, _ = run(tmp_path, DIGEST + AS_USUAL,
                     "state = torch.random.get_rng_state(); torch.manual_seed(0); original(); original()\n"
                     "print(torch.equal(state, torch.random.get_rng_state()))")
    assert text(outputs[1]) == "False\n"


def test_do_the_labs_given_cells_get_the_prebuilt_models(tmp_path):
    """The declared models to pre-build must follow the lab's given cells: a change there would silently build them
    again."""
    import shutil

    import nbformat

    folder = tmp_path / "tp_convolution"
    shutil.copytree(course_config.ROOT / "release" / "tp_convolution", folder)
    notebook = nbformat.read(folder / "tp_convolution.ipynb", as_version=4)
    prebuilt = assignments.load("tp_convolution").prebuilt
    builders = [spec[0].partition(":")[2] for spec in prebuilt]
    notebook.cells.append(new_code_cell(
        NOT_HANDED_OVER + "from torchvision import models\n"
        f"print([not_handed_over(getattr(models, name)) for name in {builders!r}])"))
    server = ForkServer(ForkedKernelManager(**TORCH_SETTINGS), preload=course_config.PRELOAD_MODULES,
                        prebuilt=prebuilt)
    server.start()
    try:
        manager = ForkedKernelManager(kernel_name="python3", fork_server=server, **TORCH_SETTINGS)
        NotebookClient(notebook, km=manager, timeout=120, allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        server.stop()
    assert text(notebook.cells[-1].outputs) == f"{[0] * len(builders)}\n"


def test_does_the_watchdog_leave_out_the_process_that_only_holds_the_kernel():
    """A forked kernel's tree starts with a copy of the warm process that only waits: counting it would
    charge the submission the warm process's memory twice."""
    import subprocess
    import sys
    import time

    import psutil

    from course.grading.watchdog import TreeWatchdog

    holder = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time\n"
                               "held = bytearray(300 * 2**20)\n"
                               "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
                               "print('ready', flush=True); child.wait()"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        time.sleep(0.2)
        whole = TreeWatchdog(holder.pid, None).measure()
        kernel_only = TreeWatchdog(holder.pid, None, include_root=False).measure()
    finally:
        for process in psutil.Process(holder.pid).children(recursive=True) + [holder]:
            process.kill()
        holder.wait()
    assert whole[1] == 2 and kernel_only[1] == 1
    assert whole[0] > 300 * 2**20 > kernel_only[0]
