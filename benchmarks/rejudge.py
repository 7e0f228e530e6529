"""After a fix in graders: `course rejudge` against grading the class again with `course grade`, in one run.

    .venv/bin/python benchmarks/rejudge.py [--students N] [--jobs J] [--keep]

Builds a fresh temporary course copy with the tp_convolution release and a
class of N healthy submissions (default 16, as benchmarks/class_grading.py),
grades it with `course grade --jobs J` (timed: what a fix costs without
rejudge), then fixes graders (one check now accepts what it refused, another
refuses what it accepted, as tests/grading/test_rejudge.py does) and times
`course rejudge --dry-run` and `course rejudge`. Prints the wall times, the
verdicts changed and the ratio; exits 1 if rejudge changed nothing (the fix
must reach some students).
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests" / "support"), str(ROOT / "tests" / "grading")]

from class_grading import build_class, course_grade_command, work_folder  # noqa: E402
from test_rejudge import FIX  # noqa: E402

ASSIGNMENT = "tp_convolution"


def timed(command, cwd):
    started = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({run.returncode}):\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return elapsed, run.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary course")
    args = parser.parse_args(argv)
    with work_folder("bench-rejudge-", args.keep) as work:
        root = work / "course"
        print(f"building a class of {args.students} submissions of {ASSIGNMENT} in {root} ...", flush=True)
        build_class(root, args.students)
        grade, _ = timed(course_grade_command(args.jobs), root)
        with open(root / "graders" / f"{ASSIGNMENT}.py", "a") as graders:
            graders.write(FIX)
        course = [sys.executable, "-m", "course", "rejudge", ASSIGNMENT]
        dry, listed = timed([*course, "--dry-run"], root)
        real, summary = timed(course, root)
        print(summary.strip().splitlines()[-2 if "Feedback" in summary else -1])
        print(f"\n{'':32}{'wall time (s)':>14}\n"
              f"{'course grade --jobs ' + str(args.jobs):32}{grade:14.1f}\n"
              f"{'course rejudge --dry-run':32}{dry:14.1f}\n"
              f"{'course rejudge':32}{real:14.1f}\n"
              f"rejudge is {grade / real:.0f}x faster than grading again ({args.students} students)")
        return 0 if " 0 verdict(s)" not in listed else 1


if __name__ == "__main__":
    sys.exit(main())
