"""A class graded on a Dask cluster: plain nbgrader, `course grade --jobs J` and `course grade --scheduler`, at once.

    .venv/bin/python benchmarks/cluster_grading.py [--students N] [--jobs J] [--keep]

Builds a class of N healthy submissions of tp_convolution (default 48; any N >= 1: the builders of
tests/support/class_submissions.py's HEALTHY in turn, as benchmarks/class_grading.py does), copies it into
three identical folders and grades:

  A  `nbgrader autograde tp_convolution --force` (sequential, the course's configuration)
  B  `course grade tp_convolution --jobs J` (J local worker processes, default 2)
  C  `course grade tp_convolution --scheduler tcp://127.0.0.1:PORT`, on a `dask scheduler` and J
     `dask worker --nthreads 1` processes started from the command line on loopback before the clock starts
     (their warm-up, at the first submission, is inside C's time as B's is inside B's)

For each: wall time (B and C: pre-flight included), median seconds per submission (A: from nbgrader's log; B,
C: the run report), and the cluster's overhead against local workers ((C - B) / B, wall time). For C, the CPU
time and the peak memory (RSS) of each worker's process tree (nanny, worker, fork server, kernels): the
per-submission cost docs/scale.md sizes a site's cluster from. It prints "scores identical: yes/no" (A, B, C
per student and test cell) and exits 1 when they differ.
"""
import argparse
import resource
import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support"), str(ROOT / "benchmarks")]

from class_grading import (ASSIGNMENT, MIB, build_class, course_grade_command, measure,  # noqa: E402
                           median_from_log, median_from_report, work_folder)
from local_dask import LocalCluster  # noqa: E402

from course import pipeline  # noqa: E402

PREFLIGHT = 5  # the pre-flight's notebooks (solution, blank release, 3 known wrong answers), also executed


class WorkerTrees(threading.Thread):
    """Every 0.2 s, the RSS of each worker's process tree (peak kept) and its CPU time so far (the children's
    reaped CPU included: forked kernels are reaped inside the tree)."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.stopped = pids, threading.Event()
        self.peak_rss = {pid: 0 for pid in pids}
        self.cpu = {pid: 0.0 for pid in pids}

    def _tree(self, pid):
        import psutil

        top = psutil.Process(pid)
        return [top] + top.children(recursive=True)

    def sample(self):
        import psutil

        for pid in self.pids:
            rss = cpu = 0
            try:
                for process in self._tree(pid):
                    try:
                        rss += process.memory_info().rss
                        times = process.cpu_times()
                        cpu += times.user + times.system + times.children_user + times.children_system
                    except psutil.Error:
                        pass
            except psutil.Error:
                continue
            self.peak_rss[pid] = max(self.peak_rss[pid], rss)
            self.cpu[pid] = max(self.cpu[pid], cpu)

    def run(self):
        while not self.stopped.wait(0.2):
            self.sample()


def scheduler_command(address):
    return [*course_grade_command(1)[:3], "--scheduler", address]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=48, help="size of the class (default 48)")
    parser.add_argument("--jobs", type=int, default=2, help="local workers of B, Dask workers of C (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course copies")
    args = parser.parse_args(argv)
    with work_folder("cluster-grading-", args.keep) as work:
        return compare(work, args)


def compare(work, args):
    n = args.students
    copies = {name: work / name for name in "ABC"}
    print(f"building a class of {n} submissions of {ASSIGNMENT} in {work} ...", flush=True)
    build_class(copies["A"], n)
    for name in "BC":
        shutil.copytree(copies["A"], copies[name])
    results, scores = {}, {}

    measured = measure("A", [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], copies["A"])
    if measured is None:
        return 2
    elapsed, lines, _ = measured
    results["A"] = dict(wall=elapsed, median=median_from_log(lines, elapsed, n))

    measured = measure("B", course_grade_command(args.jobs), copies["B"], accepted=(0, 1))
    if measured is None:
        return 2
    results["B"] = dict(wall=measured[0], median=median_from_report(copies["B"], measured[0], n))

    with LocalCluster(work / "dask", workers=args.jobs) as cluster:
        trees = WorkerTrees([p.pid for p in cluster.processes[1:]])
        trees.start()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        measured = measure("C", scheduler_command(cluster.address), copies["C"], accepted=(0, 1))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # `course grade` and its judge, reaped
        trees.sample()  # before the workers stop
        trees.stopped.set()
    if measured is None:
        return 2
    results["C"] = dict(wall=measured[0], median=median_from_report(copies["C"], measured[0], n))
    for name in "ABC":
        scores[name] = pipeline.scores(copies[name], ASSIGNMENT)

    print_table(results, n, args.jobs)
    executed = n + PREFLIGHT
    cpu = sum(trees.cpu.values())
    print(f"C, the Dask workers: CPU {cpu:.0f} s for {executed} notebooks ({cpu / executed:.1f} s each, warm-up "
          f"included); peak RSS of one worker's tree {max(trees.peak_rss.values()) / MIB:.0f} MiB")
    main_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"C, the main process (the judge and the only writer): CPU {main_cpu:.0f} s, {main_cpu / n:.2f} s per "
          "submission")
    overhead = (results["C"]["wall"] - results["B"]["wall"]) / results["B"]["wall"]
    print(f"cluster overhead against local workers (wall time, (C - B) / B): {overhead:+.1%}")
    identical = scores["A"] == scores["B"] == scores["C"]
    print(f"scores identical: {'yes' if identical else 'no'}")
    return 0 if identical else 1


def print_table(results, n, jobs):
    heads = {"A": "A nbgrader (seq.)", "B": f"B course -j{jobs}", "C": f"C Dask, {jobs} workers"}
    print(f"\n{ASSIGNMENT}, {n} submissions")
    print(f"{'':24}" + "".join(f"{heads[k]:>22}" for k in "ABC"))
    for label, key in (("wall time (s)", "wall"), ("median s / submission", "median")):
        print(f"{label:24}" + "".join(f"{results[k][key]:>22.1f}" for k in "ABC"))
    print(f"{'s / submission (wall/N)':24}" + "".join(f"{results[k]['wall'] / n:>22.1f}" for k in "ABC"))


if __name__ == "__main__":
    sys.exit(main())
