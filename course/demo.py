"""The full demonstration: releases, sample submissions, grading, feedback, reports.

It works in a separate course directory (``demo/`` by default), a copy of
this course's sources, so an instructor's real gradebook is never touched.
Each sample states which points it must lose; the demonstration fails if
grading disagrees. Grading goes through ``course grade`` (pre-flight, parallel
workers, run report in ``reports/<a>-run.csv``, integrity report in
``reports/<a>-integrity.html``). The open questions are then graded by hand as
an instructor would in the formgrader, through nbgrader's API, and the
feedback carries both. It ends with what follows grading: each assignment's
class report (``reports/<a>-class.html`` and its figures), its exports for
the LMS against a made-up roster, and its corrigé (``solutions/<a>/``).
"""
import argparse
import filecmp
import time
from pathlib import Path

import course_config

from . import assignments as declared, pipeline, samples
from .grading.runner import grade_class


#: The comment an instructor leaves on the open questions, by share of the points given (French: students read it).
MANUAL_COMMENTS = {1.0: "Réponse complète et bien justifiée.",
                   0.5: "L'idée est là, mais la justification manque : relisez la correction."}


def _release_differences(generated, committed):
    comparison = filecmp.dircmp(generated, committed)
    return comparison.left_only + comparison.right_only + comparison.diff_files


def grade_table(results, max_points):
    """A text table: one row per test cell, one column per student, and the totals."""
    students = sorted(results)
    rows = [["test cell", "max"] + students]
    for cell, points in max_points.items():
        rows.append([cell, f"{points:g}"] + [f"{results[s].get(cell, 0):g}" for s in students])
    rows.append(["total", f"{sum(max_points.values()):g}"] + [f"{sum(results[s].values()):g}" for s in students])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(row[0].ljust(widths[0]) + "  " + "  ".join(v.rjust(w) for v, w in zip(row[1:], widths[1:]))
                     for row in rows)


def run(workdir, assignments=None, out=print):
    workdir = pipeline.copy_course(workdir)
    assignments = assignments or declared.names(workdir)
    log = workdir / "nbgrader.log"
    log.write_text("")
    problems = []
    for assignment in assignments:
        started = time.perf_counter()
        release = pipeline.generate_release(workdir, assignment, log=log)
        differences = _release_differences(release, course_config.ROOT / "release" / assignment)
        if differences:
            problems.append(f"{assignment}: the committed release differs from a fresh one: {differences}")
        written = pipeline.write_submissions(workdir, assignment)
        grade_class(workdir, assignment, progress=False, log=out)
        open_points = pipeline.open_question_points(workdir, assignment)
        for sample in written:  # the instructor's part: the open questions, graded by hand
            pipeline.enter_manual_grades(workdir, assignment, sample.student, samples.manual_points(sample, open_points),
                                         comment=MANUAL_COMMENTS.get(sample.manual_share, ""))
        pipeline.generate_feedback(workdir, assignment, log=log)
        elapsed = time.perf_counter() - started

        auto, manual = pipeline.scores(workdir, assignment), pipeline.manual_scores(workdir, assignment)
        results = {student: {**auto.get(student, {}), **manual.get(student, {})} for student in auto}
        points = {**pipeline.max_scores(workdir, assignment), **open_points}
        out(f"\n== {assignment}: {len(written)} submissions graded in {elapsed:.0f} s "
            f"(open questions q_*: graded by hand) ==")
        out(grade_table(results, points))
        report = [f"# {assignment}", "", "| student | description | score | expected |", "|---|---|---|---|"]
        for sample in written:
            expected = {**samples.expected_scores(sample, pipeline.max_scores(workdir, assignment)),
                        **samples.manual_points(sample, open_points)}
            got = results.get(sample.student, {})
            total, wanted = sum(got.values()), sum(expected.values())
            report.append(f"| {sample.student} | {sample.description} | {total:g} | {wanted:g} |")
            wrong = {c: (got.get(c), e) for c, e in expected.items() if got.get(c) != e}
            if wrong:
                problems.append(f"{assignment}/{sample.student}: cells scored differently than expected "
                                f"(got, expected): {wrong}")
        reports = workdir / "reports"
        reports.mkdir(exist_ok=True)
        (reports / f"{assignment}.md").write_text("\n".join(report) + "\n\n```\n"
                                                 + grade_table(results, points) + "\n```\n")
    pipeline.export(workdir, log=log)
    out(f"\nFeedback (HTML, one per student): {workdir / 'feedback'}")
    out(f"Reports: {workdir / 'reports'}   grades: {workdir / 'grades.csv'}   nbgrader log: {log}")
    after_grading(workdir, assignments, out)
    return problems


def demo_roster(workdir):
    """The class list an instructor would take from the LMS (made-up accounts for the sample students)."""
    path = workdir / "roster.csv"
    students = sorted({sample.student for samples_of in samples.SAMPLES.values() for sample in samples_of})
    lines = ["student_id,email,id_number"] + [f"{s},{s}@example.org,{1000 + i}" for i, s in enumerate(students)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def after_grading(workdir, assignments, out):
    """The class report of each assignment, its grades for the LMS (Moodle's import, one column per question) and
    its corrigé. A sample student who hands in only one assignment is reported, as any student without a submission
    is."""
    from .reporting.export_command import export
    from .reporting.report import write_class_report
    from .solutions import write as write_corrige

    roster = demo_roster(workdir)
    for assignment in assignments:
        page, figures = write_class_report(workdir, assignment)
        out(f"\nClass report: {page} (figures: {', '.join(p.name for p in figures)})")
        for format in ("moodle", "questions"):
            written, unmatched = export(workdir, assignment, format, roster=roster)
            out(f"Export ({format}, roster {roster.name}): {written}"
                + "".join(f"\n  to check before importing: {problem}" for problem in unmatched))
        corrige = write_corrige(assignment, workdir)
        out(f"Corrigé (to release after the deadline): {corrige / assignment}.ipynb and .html")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course demo", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=course_config.ROOT / "demo",
                        help="the demonstration course directory (default: ./demo)")
    parser.add_argument("assignments", nargs="*", help="default: every assignment of source/, in teaching order")
    args = parser.parse_args(argv)
    problems = run(args.workdir, args.assignments)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("\nDemonstration " + ("FAILED" if problems else "finished: every sample scored as expected."))
    return 1 if problems else 0
