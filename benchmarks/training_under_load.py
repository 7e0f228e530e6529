"""Does the LeNet-5 training of cnn_bases hold on a busy machine?

    .venv/bin/python benchmarks/training_under_load.py [--repeat N] [--markdown PATH]

The code is the instructor's own: the cells ``setup``, ``lenet``,
``digits_given``, ``training_given`` and ``training`` of the MyST source
(``source/cnn_bases/cnn_bases.md``, solutions included, nbgrader's markers
removed). Each run is a fresh Python process (torch picks its own number of
threads, as a student's kernel does) that executes those cells and times the
training cell alone. Two scenarios:

  idle   nothing else runs;
  busy   another process burns one core (a ``multiprocessing`` busy loop)
         for the whole run, as a second notebook or a browser would.

It prints the wall time of the training in each scenario, the ratio
busy / idle and the accuracy reached on the test split (the goal is 0.95;
the brief asks for under 30 s on a 2-core machine with one core busy).
"""
import argparse
import contextlib
import io
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = ROOT / "source" / "cnn_bases" / "cnn_bases.md"
CELLS = ("setup", "lenet", "digits_given", "training_given", "training")
GOAL_SECONDS = 30.0
GOAL_ACCURACY = 0.95


def notebook_code(markdown):
    """grade_id -> code of each nbgrader cell of the MyST notebook, solution markers removed."""
    import jupytext

    notebook = jupytext.read(markdown)
    return {cell.metadata["nbgrader"]["grade_id"]: "\n".join(
                line for line in cell.source.splitlines() if not re.match(r"\s*### (BEGIN|END) SOLUTION", line))
            for cell in notebook.cells if cell.cell_type == "code" and "nbgrader" in cell.metadata}


def run_once(markdown):
    """In this (fresh) process: run the cells, time the training; print one JSON line."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    code = notebook_code(markdown)
    namespace = {"__name__": "__main__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for grade_id in CELLS[:-1]:
            exec(compile(code[grade_id], f"<cnn_bases:{grade_id}>", "exec"), namespace)
        start = time.perf_counter()
        exec(compile(code["training"], "<cnn_bases:training>", "exec"), namespace)
        seconds = time.perf_counter() - start
    import torch

    accuracy = namespace["accuracy"](namespace["trained_lenet"], namespace["x_test"], namespace["y_test"])
    print(json.dumps({"seconds": seconds, "accuracy": accuracy, "threads": torch.get_num_threads()}))


def burn():
    """Keep one core busy until terminated."""
    while True:
        pass


def measure(markdown):
    result = subprocess.run([sys.executable, __file__, "--child", "--markdown", str(markdown)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", default=str(MARKDOWN), help="the MyST notebook (default: cnn_bases.md)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario (default 1)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_once(args.markdown)
        return 0

    print(f"machine: {os.cpu_count()} logical cores; notebook: {args.markdown}")
    results = {"idle": [], "busy": []}
    for _ in range(args.repeat):
        results["idle"].append(measure(args.markdown))
        burner = multiprocessing.Process(target=burn, daemon=True)
        burner.start()
        try:
            time.sleep(0.5)  # let the busy loop take its core
            results["busy"].append(measure(args.markdown))
        finally:
            burner.terminate()
            burner.join()
    for scenario, runs in results.items():
        for run in runs:
            print(f"{scenario:5s}: training in {run['seconds']:6.1f} s, test accuracy "
                  f"{run['accuracy']:.4f}, {run['threads']} torch threads")
    idle = min(run["seconds"] for run in results["idle"])
    busy = max(run["seconds"] for run in results["busy"])
    worst_accuracy = min(run["accuracy"] for runs in results.values() for run in runs)
    print(f"ratio busy / idle: {busy / idle:.2f}")
    print(f"worst busy time: {busy:.1f} s (goal < {GOAL_SECONDS:.0f} s); "
          f"lowest accuracy: {worst_accuracy:.4f} (goal >= {GOAL_ACCURACY})")
    return 0 if busy < GOAL_SECONDS and worst_accuracy >= GOAL_ACCURACY else 1


if __name__ == "__main__":
    sys.exit(main())
