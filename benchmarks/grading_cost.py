"""What grading costs: wall time and peak memory, measured side by side in one run.

    .venv/bin/python benchmarks/grading_cost.py [assignment]

Scenarios (each in a fresh process, so its peak memory is its own):
  execute-plain    the reference notebook executed by nbclient, kernel not sandboxed
  execute-sandbox  the same through the course's sandboxed kernel manager
  autograde-one    `nbgrader autograde` of one reference submission (sandbox, restored hidden tests)
Peak memory is the largest resident set of the scenario's process tree (sampled every 0.1 s).
"""
import threading
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = ("execute-plain", "execute-sandbox", "autograde-one")


def execute(assignment, sandbox):
    import nbformat
    from nbclient import NotebookClient

    import course_config
    from course.grading.sandbox import SandboxedKernelManager

    folder = course_config.ROOT / "source" / assignment
    notebook = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    from traitlets.config import Config

    config = Config()
    course_config.configure_nbgrader(config)  # the course's bounds and paths, as grading uses them
    config.GradingKernelManager.sandbox = "bwrap" if sandbox else "none"
    manager = SandboxedKernelManager(kernel_name="python3", config=config)
    NotebookClient(notebook, km=manager, timeout=600, resources={"metadata": {"path": str(folder)}}).execute()


def autograde_one(assignment):
    from course import pipeline

    with tempfile.TemporaryDirectory() as workdir:
        root = pipeline.copy_course(Path(workdir))
        pipeline.generate_release(root, assignment)
        pipeline.write_submissions(root, assignment, chosen={"reference"})
        started = time.perf_counter()
        pipeline.autograde(root, assignment)
        return time.perf_counter() - started


class TreePeak(threading.Thread):
    """Sample the resident memory of this process and all its descendants."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.stopped = 0, threading.Event()

    def run(self):
        import psutil

        me = psutil.Process()
        while not self.stopped.wait(0.1):
            total = 0
            for process in [me] + me.children(recursive=True):
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)


def run_scenario(name, assignment):
    sampler = TreePeak()
    sampler.start()
    started = time.perf_counter()
    if name == "autograde-one":
        elapsed = autograde_one(assignment)  # without the release generation
    else:
        execute(assignment, sandbox=name == "execute-sandbox")
        elapsed = time.perf_counter() - started
    sampler.stopped.set()
    print(json.dumps({"seconds": elapsed, "peak_mib": sampler.peak / 2**20}))


def main(assignment="tp_convolution"):
    results = {}
    for name in SCENARIOS:
        out = subprocess.run([sys.executable, __file__, "--scenario", name, assignment],
                             capture_output=True, text=True, check=True).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    base = results["execute-plain"]["seconds"]
    print(f"{assignment}: reference solution")
    print(f"{'scenario':<18}{'wall (s)':>10}{'peak (MiB)':>12}{'x plain':>9}")
    for name, r in results.items():
        print(f"{name:<18}{r['seconds']:>10.1f}{r['peak_mib']:>12.0f}{r['seconds'] / base:>9.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--scenario"]:
        run_scenario(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "tp_convolution")
    else:
        main(*sys.argv[1:])
