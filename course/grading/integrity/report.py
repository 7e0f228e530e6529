"""The integrity report of an assignment: a CSV for tools, a self-contained HTML page for the instructor.

``findings_from_autograded(root, assignment)`` reads what
``CollectIntegrityEvidence`` recorded in each
``autograded/<student>/<assignment>/*.ipynb``; ``write_report`` writes
``<reports_dir>/<assignment>-integrity.csv`` and ``.html``. The class-level
section, similar submissions (:mod:`.similarity`), compares every student's
answer cells with the others', the release's given code excluded; its pairs
are also written to ``<assignment>-integrity-pairs.csv``. It never changes a
grade, and a failure of that step is logged and shown in the page, never
raised: the rest of the report is written all the same.

Why no separate per-student store: the notebooks are the single source of
truth (they are rewritten by every autograde, so the evidence can never be
stale or out of sync with the grades), and reading them is cheap: a plain
``json.load`` (no nbformat validation) of an executed notebook of this
course (0.2-0.7 MB, figures included) takes about 5 ms, so 300 students cost
a second or two. A notebook that was graded before the preprocessor was
wired has no recorded evidence: with ``scan_missing`` (the default) it is
scanned on the spot (its code and its autograded folder).
"""
import csv
import datetime
import json
import logging
from collections import Counter
from pathlib import Path

import jinja2
import nbformat

from .evidence import entries_of, scan_notebook
from .finding import Finding
from .flags import DESCRIPTIONS, FLAGS, describe
from .similarity import Answer, SimilarSubmissions, Similarity, answer_cells, given_of

log = logging.getLogger(__name__)

CSV_COLUMNS = ("student", "flag", "where", "evidence", "description")
PAIR_COLUMNS = ("student", "other_student", "similarity", "shared_tokens", "cells")
NEVER_A_GRADE = ("Flags never change a grade: grades come only from the tests, computed outside the student's "
                 "kernel. A flag records what a submission's code or files tried, with the evidence, for a human "
                 "to review; it is not a verdict, and ordinary code can occasionally trip one.")


def _as_finding(item):
    if isinstance(item, Finding):
        return item
    return Finding(str(item.get("flag", "")), str(item.get("where", "")), str(item.get("evidence", "")))


def _spreadsheet_safe(text):
    """A CSV cell a spreadsheet will not run as a formula (evidence is the student's text)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def findings_from_autograded(root, assignment, scan_missing=True, students=None):
    """student -> [Finding] for every ``autograded/<student>/<assignment>/*.ipynb`` under ``root``.

    Every student with an autograded notebook is a key, with [] when nothing
    was flagged. With several notebooks in an assignment, ``where`` starts
    with the notebook's name.
    """
    found = {}
    base = Path(root) / "autograded"
    if not base.is_dir():
        return found
    for student_dir in sorted(p for p in base.iterdir() if p.is_dir() and (students is None or p.name in students)):
        folder = student_dir / assignment
        notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        if not notebooks:
            continue
        findings = []
        for path in notebooks:
            try:
                with open(path, encoding="utf-8") as stream:
                    data = json.load(stream)
                entries = entries_of(data.get("metadata"))
                if entries is None and scan_missing:
                    nb = nbformat.read(path, as_version=4)  # rejoins the sources stored as lists of lines
                    entries = scan_notebook(nb, folder, assignment, notebook_name=path.stem)
            except Exception as error:  # one unreadable notebook must not stop the report
                log.warning("Integrity report: cannot read %s (%s)", path, error)
                continue
            for finding in entries or []:
                if path.stem != assignment:
                    finding = Finding(finding.flag, f"{path.stem}: {finding.where}", finding.evidence)
                findings.append(finding)
        found[student_dir.name] = findings
    return found


def _notebooks(root, assignment, students=None, stage="autograded"):
    """(student, notebook path) of every ``<stage>/<student>/<assignment>/*.ipynb``, in order."""
    base = Path(root) / stage
    if not base.is_dir():
        return
    for student_dir in sorted(p for p in base.iterdir() if p.is_dir() and (students is None or p.name in students)):
        for path in sorted((student_dir / assignment).glob("*.ipynb")):
            yield student_dir.name, path


def class_answers(root, assignment, students=None, stage="autograded"):
    """student -> label -> ``Answer``: the solution cells of each student's notebooks in ``stage``
    (``autograded``, or ``submitted``: the notebooks as handed in, whose solution cells are the same)."""
    answers = {}
    for student, path in _notebooks(root, assignment, students, stage):
        try:
            with open(path, encoding="utf-8") as stream:
                cells = answer_cells(json.load(stream), path.stem, assignment)
        except Exception as error:  # one unreadable notebook must not stop the report
            log.warning("Integrity report: cannot read the answers of %s (%s)", path, error)
            continue
        answers.setdefault(student, {}).update(cells)
    return answers


def release_notebooks(root, assignment):
    """notebook name -> the release's notebook (``release/<assignment>/*.ipynb``): what students were given."""
    paths = sorted((Path(root) / "release" / assignment).glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no release/{assignment}/*.ipynb under {root}: the given code cannot be excluded "
                                f"(run `nbgrader generate_assignment {assignment}`)")
    notebooks = {}
    for path in paths:
        with open(path, encoding="utf-8") as stream:
            notebooks[path.stem] = json.load(stream)
    return notebooks


def similar_submissions(root, assignment, answers_by_student, config=None):
    """The class-level ``Similarity``; on any failure, one whose ``error`` says why (logged, never raised)."""
    try:
        given = given_of(release_notebooks(root, assignment), assignment)
        return SimilarSubmissions(config=config).compare(answers_by_student, given)
    except Exception as error:  # a help for the instructor: it must never stop the grading run nor the report
        log.exception("Integrity report: similar submissions of %s not computed; the rest of the report is written",
                      assignment)
        return Similarity(compared=len(answers_by_student), error=f"{type(error).__name__}: {error}")


def _rows(findings_by_student):
    for student in sorted(findings_by_student):
        for finding in map(_as_finding, findings_by_student[student] or []):
            yield student, finding


def write_csv(findings_by_student, path):
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        for student, finding in _rows(findings_by_student):
            writer.writerow([_spreadsheet_safe(value) for value in
                             (student, finding.flag, finding.where, finding.evidence, describe(finding.flag))])


def _cells_summary(pair):
    return "; ".join(f"{cell.label} {cell.score:.2f}" for cell in pair.cells)


def write_pairs_csv(similarity, path):
    """One row per listed pair: both students, the similarity, the shared tokens, each shared cell's score."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(PAIR_COLUMNS)
        for pair in similarity.pairs:
            writer.writerow([_spreadsheet_safe(str(value)) for value in
                             (pair.first, pair.second, f"{pair.score:.3f}", pair.shared_tokens, _cells_summary(pair))])


def _template():
    # Autoescaped: students' names, code and file names in the evidence are the student's own text.
    environment = jinja2.Environment(loader=jinja2.PackageLoader("course.grading.integrity", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return environment.get_template("integrity.html.j2")


def render_html(findings_by_student, assignment, generated=None, similarity=None):
    """The report page (a string): summary table, legend, each flagged student's findings, similar submissions."""
    by_student = {student: [_as_finding(f) for f in (items or [])]
                  for student, items in findings_by_student.items()}
    flagged = sorted(student for student, items in by_student.items() if items)
    counts = {student: Counter(f.flag for f in by_student[student]) for student in flagged}
    present = [flag for flag in FLAGS if any(counts[s][flag] for s in flagged)]
    present += sorted({flag for s in flagged for flag in counts[s]} - set(FLAGS))
    return _template().render(
        assignment=assignment, generated=generated or datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        scanned=len(by_student), flagged=flagged, by_student=by_student, counts=counts, present=present,
        anchors={student: f"student-{index}" for index, student in enumerate(flagged, start=1)},
        clean=sorted(student for student, items in by_student.items() if not items),
        descriptions=DESCRIPTIONS, describe=describe, never_a_grade=NEVER_A_GRADE, similarity=similarity,
        pairs_csv=f"{assignment}-integrity-pairs.csv")


def write_report(findings_by_student, assignment, reports_dir, similarity=None):
    """Write ``<reports_dir>/<assignment>-integrity.csv`` and ``.html``; return (csv_path, html_path).

    ``findings_by_student``: student -> list of ``Finding`` (or of dicts with
    flag, where, evidence); students with an empty list count as scanned and clean.
    ``similarity`` (a ``Similarity``): the class-level section, and its pairs in
    ``<assignment>-integrity-pairs.csv``; None leaves both out.
    """
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    csv_path = reports_dir / f"{assignment}-integrity.csv"
    html_path = reports_dir / f"{assignment}-integrity.html"
    write_csv(findings_by_student, csv_path)
    try:
        if similarity is not None:
            write_pairs_csv(similarity, reports_dir / f"{assignment}-integrity-pairs.csv")
        page = render_html(findings_by_student, assignment, similarity=similarity)
    except Exception as error:  # the section is a help: the findings are written whatever happens to it
        log.exception("Integrity report: similar submissions of %s not written; the rest of the report is written",
                      assignment)
        page = render_html(findings_by_student, assignment,
                           similarity=Similarity(error=f"not written: {type(error).__name__}: {error}"))
    html_path.write_text(page, encoding="utf-8")
    return csv_path, html_path


def report_assignment(root, assignment, reports_dir=None, config=None):
    """The whole report of an assignment graded under ``root`` (default: ``root/reports``)."""
    findings = findings_from_autograded(root, assignment)
    similarity = similar_submissions(root, assignment, class_answers(root, assignment), config)
    return write_report(findings, assignment, reports_dir or Path(root) / "reports", similarity)


def store_dir(root, assignment):
    """Each student's findings, one small JSON file each: the report is rebuilt from them after every
    submission graded by plain ``nbgrader autograde``, without reading every notebook again."""
    return Path(root) / "reports" / ".integrity" / assignment


def _store_answers(store, answers_by_student):
    answers_dir = store / "answers"
    answers_dir.mkdir(exist_ok=True)
    for name, answers in answers_by_student.items():
        entries = {label: answer.__dict__ for label, answer in answers.items()}
        (answers_dir / f"{name}.json").write_text(json.dumps(entries), encoding="utf-8")


def _stored_answers(store):
    everyone = {}
    for path in sorted((store / "answers").glob("*.json")):
        try:
            everyone[path.stem] = {label: Answer(**entry)
                                   for label, entry in json.loads(path.read_text(encoding="utf-8")).items()}
        except (ValueError, TypeError) as error:
            log.warning("Integrity report: cannot read %s (%s)", path, error)
    return everyone


def update_report(root, assignment, students=None, config=None):
    """Record the findings and answer cells of ``students`` (None: all) from their autograded notebooks, then
    rewrite the assignment's report from every student's record (``config``: the nbgrader configuration, for
    ``SimilarSubmissions``'s settings)."""
    store = store_dir(root, assignment)
    store.mkdir(parents=True, exist_ok=True)
    for name, findings in findings_from_autograded(root, assignment, students=students).items():
        (store / f"{name}.json").write_text(json.dumps([f.__dict__ for f in findings]), encoding="utf-8")
    everyone = {}
    for path in sorted(store.glob("*.json")):
        try:
            everyone[path.stem] = [Finding(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]
        except (ValueError, TypeError) as error:
            log.warning("Integrity report: cannot read %s (%s)", path, error)
    similarity = _class_similarity(root, assignment, store, students, config)
    return write_report(everyone, assignment, Path(root) / "reports", similarity)


def _class_similarity(root, assignment, store, students, config):
    """Record the answer cells of ``students``, then compare every recorded student's (never raises)."""
    try:
        _store_answers(store, class_answers(root, assignment, students))
        answers = _stored_answers(store)
    except Exception as error:
        log.exception("Integrity report: the answer cells of %s not recorded; similar submissions not computed",
                      assignment)
        return Similarity(error=f"{type(error).__name__}: {error}")
    return similar_submissions(root, assignment, answers, config)
