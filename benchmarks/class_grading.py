"""Grading a whole class: plain sequential nbgrader against `course grade`, side by side in one run.

    .venv/bin/python benchmarks/class_grading.py [--students N] [--jobs J] [--keep]

Builds a fresh temporary course copy, generates the tp_convolution release and
hands in a class of N healthy submissions (N >= 12, default 16: the builders of
tests/support/class_submissions.py's HEALTHY in turn, with distinct ids), then
copies that course into two identical folders and grades:

  A  `nbgrader autograde tp_convolution --force` in copy A (sequential, the course's configuration)
  B  `course grade tp_convolution --jobs J` in copy B (`.venv/bin/course`, else `python -m course`)

For each: wall time of the whole command (B: pre-flight included), median
seconds per submission (A: between nbgrader's "Converting notebook" log lines,
timestamped as they arrive; B: the run report's `seconds` column, else
total / N), peak memory of the whole process tree (sum of RSS, and of PSS,
sampled every 0.1 s) and the largest peak of one worker's tree (B: the tree
under each direct child of `course grade`; A: the whole run). Then it compares
both gradebooks per student and per test cell, prints "scores identical:
yes/no" and exits 1 when they differ. A runs first, so B may find the page cache warmer.
"""
import argparse
import contextlib
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support")]

import class_submissions  # noqa: E402
from course import pipeline  # noqa: E402

ASSIGNMENT = class_submissions.ASSIGNMENT
MIB = 2**20


class TreeSampler(threading.Thread):
    """Every 0.1 s, the memory (RSS and PSS) of a process tree, and of each subtree under a direct child."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.stopped = pid, threading.Event()
        self.peak = {"rss": 0, "pss": 0}
        self.worker_peak = {"rss": 0, "pss": 0}
        self.pss_available = True

    def _usage(self, processes):
        import psutil

        rss = pss = 0
        for process in processes:
            try:
                if self.pss_available:
                    info = process.memory_full_info()
                    rss, pss = rss + info.rss, pss + info.pss
                else:
                    rss += process.memory_info().rss
            except psutil.AccessDenied:
                self.pss_available = False
            except psutil.Error:
                pass
        return rss, pss

    def run(self):
        import psutil

        try:
            top = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stopped.wait(0.1):
            try:
                children = top.children()
                total = self._usage([top] + top.children(recursive=True))
            except psutil.Error:
                continue
            workers = []
            for child in children:
                try:
                    workers.append(self._usage([child] + child.children(recursive=True)))
                except psutil.Error:
                    pass
            for key, value in zip(("rss", "pss"), total):
                self.peak[key] = max(self.peak[key], value)
            for rss, pss in workers:
                self.worker_peak["rss"] = max(self.worker_peak["rss"], rss)
                self.worker_peak["pss"] = max(self.worker_peak["pss"], pss)


def run_measured(command, cwd):
    """Run ``command`` in ``cwd``; (seconds, exit code, [(time, stderr/stdout line)], sampler)."""
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace")
    sampler = TreeSampler(process.pid)
    sampler.start()
    lines = [(time.perf_counter(), line.rstrip("\n")) for line in process.stdout]
    code = process.wait()
    elapsed = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    return elapsed, code, [(t - started, line) for t, line in lines], sampler


def median_from_log(lines, elapsed, count):
    """Median seconds per submission from nbgrader's "Converting notebook" lines (else elapsed / count)."""
    starts = [t for t, line in lines if "Converting notebook" in line and "/submitted/" in line]
    if len(starts) != count:
        return elapsed / count
    ends = starts[1:] + [elapsed]
    return statistics.median(end - start for start, end in zip(starts, ends))


def median_from_report(root, elapsed, count):
    path = Path(root) / "reports" / f"{ASSIGNMENT}-run.csv"
    if path.exists():
        with open(path, newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        if rows and "seconds" in rows[0]:
            return statistics.median(float(r["seconds"]) for r in rows)
    return elapsed / count


def course_grade_command(jobs):
    """`course grade` as the README shows it: the console script of this environment."""
    return [str(Path(sys.executable).parent / "course"), "grade", ASSIGNMENT, "--jobs", str(jobs)]


def measure(name, command, folder, accepted=(0,)):
    """run_measured, or None (after printing the end of its output) when the command failed."""
    print(f"{name}: (cd {folder} && {' '.join(command)})", flush=True)
    elapsed, code, lines, sampler = run_measured(command, folder)
    if code not in accepted:
        print("\n".join(line for _, line in lines[-30:]))
        print(f"{name} failed (exit code {code})")
        return None
    return elapsed, lines, sampler


def build_class(root, students):
    """The course with its release and ``students`` healthy submissions; student -> expected scores."""
    pipeline.copy_course(root)
    pipeline.generate_release(root, ASSIGNMENT)
    healthy = class_submissions.HEALTHY
    expected = {}
    for k in range(students):
        entry = healthy[k % len(healthy)]
        student = entry.student if k < len(healthy) else f"{entry.student}_{k // len(healthy) + 1}"
        entry.write(root, student)
        expected[student] = entry.expected
    return expected


@contextlib.contextmanager
def work_folder(prefix, keep):
    """A temporary folder for a benchmark's course copies, removed at the end unless ``keep`` (--keep)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if keep:
            print(f"course copies kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16, help="size of the class (at least 12; default 16)")
    parser.add_argument("--jobs", type=int, default=2, help="workers of `course grade` (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course copies")
    args = parser.parse_args(argv)
    if args.students < 12:
        parser.error("--students must be at least 12")

    with work_folder("class-grading-", args.keep) as work:
        return compare(work, args)


def compare(work, args):
    n = args.students
    copy_a, copy_b = work / "A", work / "B"
    print(f"building a class of {n} submissions of {ASSIGNMENT} in {work} ...", flush=True)
    expected = build_class(copy_a, n)
    shutil.copytree(copy_a, copy_b)

    results, scores = {}, {}
    measured = measure("A", [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], copy_a)
    if measured is None:
        return 2
    elapsed, lines, sampler = measured
    results["A"] = dict(wall=elapsed, median=median_from_log(lines, elapsed, n), peak=sampler.peak,
                        worker=sampler.peak, pss=sampler.pss_available)
    scores["A"] = pipeline.scores(copy_a, ASSIGNMENT)

    # exit code 1: some submission "failed", still a complete run
    measured = measure("B", course_grade_command(args.jobs), copy_b, accepted=(0, 1))
    if measured is None:
        return 2
    elapsed, lines, sampler = measured
    summary = [line for _, line in lines if line.startswith(f"{ASSIGNMENT}:") or re.match(r"  \S", line)]
    print("\n".join(f"   {line}" for line in summary))
    results["B"] = dict(wall=elapsed, median=median_from_report(copy_b, elapsed, n), peak=sampler.peak,
                        worker=sampler.worker_peak, pss=sampler.pss_available)
    scores["B"] = pipeline.scores(copy_b, ASSIGNMENT)

    print_table(results, n, args.jobs)
    off = sorted(s for s in expected if scores["A"].get(s) != expected[s])
    print(f"A against the expected scores: {'all match' if not off else 'differ for ' + ', '.join(off)}")
    identical = scores["A"] == scores["B"]
    print(f"scores identical: {'yes' if identical else 'no'}")
    if not identical:
        for student in sorted(set(scores["A"]) | set(scores["B"])):
            a, b = scores["A"].get(student), scores["B"].get(student)
            if a != b:
                print(f"  {student}: A {a} / B {b}")
    return 0 if identical else 1


def print_table(results, n, jobs):
    rows = [("wall time (s)", lambda r: r["wall"], "{:.1f}"),
            ("median s / submission", lambda r: r["median"], "{:.1f}"),
            ("peak RSS, whole run (MiB)", lambda r: r["peak"]["rss"] / MIB, "{:.0f}"),
            ("peak PSS, whole run (MiB)", lambda r: r["peak"]["pss"] / MIB if r["pss"] else None, "{:.0f}"),
            ("largest worker RSS (MiB)", lambda r: r["worker"]["rss"] / MIB, "{:.0f}"),
            ("largest worker PSS (MiB)", lambda r: r["worker"]["pss"] / MIB if r["pss"] else None, "{:.0f}")]
    heads = {"A": "A nbgrader (seq.)", "B": f"B course -j{jobs}"}
    print(f"\n{ASSIGNMENT}, {n} submissions")
    print(f"{'':28}{heads['A']:>19}{heads['B']:>19}{'A/B':>8}")
    for label, get, form in rows:
        a = get(results["A"])
        b = get(results["B"])
        cells = [form.format(v) if v is not None else "-" for v in (a, b)]
        ratio = f"{a / b:.2f}" if a is not None and b else "-"
        print(f"{label:28}{cells[0]:>19}{cells[1]:>19}{ratio:>8}")


if __name__ == "__main__":
    sys.exit(main())
