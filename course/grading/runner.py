"""Grade a whole class: parallel execution in warm sandboxed kernels, one gradebook writer.

Workers (one process each) own a :class:`~course.grading.forkserver.ForkServer`
and run nbgrader's ``Autograde`` for one submission at a time with execution
only, against a private copy of the gradebook: nothing they do reaches the
real one. The main process is the single writer: it records each executed
notebook through nbgrader's own ``Autograde`` (see :mod:`.replay`), whose
``JudgeHandovers`` asks the run's one judge for the verdicts, so the gradebook
and ``autograded/`` hold what ``nbgrader autograde --force`` would write. A
pre-flight grades the instructor's solution (it must get full marks) and the
blank release (it must get 0) in the same workers, first in the queue; no
student is recorded before it passes, and if it fails nothing is.
"""
import concurrent.futures
import copy
import csv
import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import incidents
from .judge import has_checks, judge_for
from .preprocessors.judge_handovers import JudgeHandovers
from .setup_check import GradingSetupError

REFERENCE_STUDENT, BLANK_STUDENT = "__preflight_solution__", "__preflight_blank__"


@dataclass
class Outcome:
    student: str
    status: str = "graded"  # "graded", "graded with problems", "failed"
    points: float = 0.0
    max_points: float = 0.0
    reason: str = ""
    seconds: float = 0.0
    incidents: list = field(default_factory=list)


# --- configuration ---------------------------------------------------------------

def load_config(root):
    """The course's nbgrader configuration, as nbgrader reads it in ``root``."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _execute_class(config):
    from nbgrader.preprocessors import Execute

    return next(p for p in config.Autograde.autograde_preprocessors
                if isinstance(p, type) and issubclass(p, Execute))


def _autograde(config, root, assignment, student):
    """Run nbgrader's Autograde for one student in-process; (success, log)."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    config.CourseDirectory.root = str(root)
    config.CourseDirectory.assignment_id = assignment
    config.CourseDirectory.student_id = student
    coursedir = CourseDirectory(config=config)
    converter = Autograde(coursedir=coursedir, config=config)
    converter.force = True
    result = capture_log(converter)
    return result["success"], result.get("log", "") + result.get("error", "")


def _quiet_gradebook_warnings():
    """nbgrader's gradebook API warns about its own session handling on every submission."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


# --- worker side ------------------------------------------------------------------

_worker = {}


def _start_worker(root, assignment, snapshot, threads):
    """Process initializer: a private gradebook copy and a warm fork server."""
    import course_config
    from course.grading.forkserver import ForkedKernelManager, ForkServer

    from multiprocessing.util import Finalize

    _quiet_gradebook_warnings()
    config = load_config(root)
    private = Path(tempfile.mkdtemp(prefix="course-worker-"))
    Finalize(None, shutil.rmtree, args=(private, True), exitpriority=1)
    shutil.copy(snapshot, private / "gradebook.db")
    config.CourseDirectory.db_url = f"sqlite:///{private / 'gradebook.db'}"
    config.SandboxedKernelManager.threads = threads
    config.Execute.kernel_manager_class = "course.grading.forkserver.ForkedKernelManager"
    # Workers only execute; the main process judges (one judge for the run) and records.
    execute = _execute_class(config)
    config.Autograde.autograde_preprocessors = [execute]
    config[execute.__name__].shutdown_kernel = "immediate"  # a graded kernel has nothing left to save
    from course.grading.hooks import BeforeEachSubmission

    config.Autograde.pre_convert_hook = BeforeEachSubmission(None, check_setup=False)
    _worker.update(config=config, error=None)
    try:
        manager = ForkedKernelManager(config=config)
        ForkServer.current = ForkServer(manager, preload=course_config.PRELOAD_MODULES,
                                        prebuilt=course_config.PREBUILT_MODELS.get(assignment, ()))
        # multiprocessing ends its workers without atexit: Finalize stops the zygote and removes its spool.
        Finalize(None, ForkServer.current.stop, exitpriority=10)
        ForkServer.current.start()
    except Exception as error:  # reported by the pre-flight, which stops the run
        _worker["error"] = f"{type(error).__name__}: {error}"


def _execute(root, assignment, student, staging):
    """Sanitize and execute one submission into ``staging``; an Outcome (points not yet recorded)."""
    started = time.perf_counter()
    if _worker.get("error"):
        return Outcome(student, "setup error", reason=_worker["error"])
    config = copy.deepcopy(_worker["config"])
    config.CourseDirectory.autograded_directory = str(staging)
    success, log = _autograde(config, root, assignment, student)
    outcome = Outcome(student, seconds=time.perf_counter() - started)
    folder = Path(staging) / student / assignment
    outcome.incidents = read_notebooks(folder)[0]  # points come once the judge has given its verdicts
    if not success or not any(folder.glob("*.ipynb")):
        outcome.status = "failed"
        outcome.reason = _last_error(log) or "nbgrader could not execute the submission"
        if outcome.incidents:
            outcome.reason += "; " + summarize(outcome.incidents)
    else:
        _note_incidents(outcome)
    return outcome


def judge_executed(config, root, assignment, outcome, folder):
    """Give the test cells of the notebooks executed into ``folder`` their verdicts (the run's one judge, in
    this process), then read the outcome's incidents and points again."""
    if outcome.status in ("setup error", "failed"):
        return outcome
    judge = JudgeHandovers(config=config)
    for path in sorted(Path(folder).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        notebook, _ = judge.preprocess(notebook, {"nbgrader": {"assignment": assignment}})
        nbformat.write(notebook, path)
    outcome.incidents, outcome.points, outcome.max_points = read_notebooks(folder)
    _note_incidents(outcome)
    return outcome


def read_notebooks(folder):
    """(incidents, points, max points) of the graded notebooks in ``folder``."""
    found, points, max_points = [], 0.0, 0.0
    for path in sorted(Path(folder).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        found += [asdict(incident) for incident in incidents.of(notebook)]
        scored, maximum = notebook_points(notebook)
        points, max_points = points + scored, max_points + maximum
    return found, points, max_points


def _note_incidents(outcome):
    if outcome.incidents:
        if outcome.status == "graded":
            outcome.status = "graded with problems"
        outcome.reason = summarize(outcome.incidents)


def summarize(found):
    """One line for the instructor: each kind of incident once, with its first detail and how many."""
    kinds = {}
    for incident in found:
        kinds.setdefault(incident["kind"], []).append(incident["detail"])
    return "; ".join(f"{kind}: {details[0]}" + (f" (and {len(details) - 1} more)" if len(details) > 1 else "")
                     for kind, details in kinds.items())


def notebook_points(notebook):
    """(points, max points) of the autograded cells of an executed notebook, as nbgrader counts them."""
    from nbgrader.utils import determine_grade, is_grade

    points = max_points = 0.0
    for cell in notebook.cells:
        if is_grade(cell) and cell.cell_type == "code":
            try:
                score, maximum = determine_grade(cell)
            except ValueError:  # a displayed number above the cell's points: read as a score by nbgrader
                score, maximum = 0.0, float(cell.metadata["nbgrader"]["points"])
            points += score or 0.0
            max_points += maximum
    return points, max_points


def _last_error(log):
    lines = [line for line in log.splitlines() if line.startswith("[ERROR]") or "Error" in line]
    return lines[-1][:300] if lines else ""


# --- pre-flight -------------------------------------------------------------------

def _preflight_course(root, assignment):
    """A throw-away course folder with the solution and the blank release handed in."""
    folder = Path(tempfile.mkdtemp(prefix="course-preflight-"))
    shutil.copytree(root / "source" / assignment, folder / "source" / assignment)
    for student, origin in ((REFERENCE_STUDENT, root / "source" / assignment),
                            (BLANK_STUDENT, root / "release" / assignment)):
        shutil.copytree(origin, folder / "submitted" / student / assignment,
                        ignore=shutil.ignore_patterns("*.md", ".ipynb_checkpoints"))
    return folder


def check_preflight(solution, blank):
    """Raise GradingSetupError unless the solution has full marks and the blank release 0."""
    problems = []
    for outcome in (solution, blank):
        if outcome.status in ("setup error", "failed"):
            problems.append(f"{outcome.student}: {outcome.reason}")
    if not problems:
        if solution.max_points == 0 or solution.points != solution.max_points:
            problems.append(f"the instructor's solution scored {solution.points:g}/{solution.max_points:g} "
                            "(it must get full marks)")
        if blank.points != 0:
            problems.append(f"the blank release scored {blank.points:g} (it must get 0)")
        if solution.incidents:
            problems.append("the solution's run had problems: " + summarize(solution.incidents))
    if problems:
        raise GradingSetupError(
            "Grading stopped before any student was graded; nothing was recorded. The pre-flight found:\n  - "
            + "\n  - ".join(problems)
            + "\nCheck that the course's environment is installed (`make setup`), that the release is current "
              "(`make release`), and run `nbgrader validate source/<assignment>/<assignment>.ipynb`.")


# --- the writer -------------------------------------------------------------------

def record(config, root, assignment, student, staging):
    """Judge one executed submission and write it into the real gradebook and autograded/ (the single
    writer, with the run's one judge)."""
    from .replay import UseExecutedNotebook

    config = copy.deepcopy(config)
    execute = _execute_class(config)
    config.Autograde.autograde_preprocessors = [UseExecutedNotebook if p is execute else p
                                                for p in config.Autograde.autograde_preprocessors]
    config.UseExecutedNotebook.executed_directory = str(staging)
    if any((Path(staging) / student / assignment).glob("*.ipynb")):
        # The worker sanitized the notebooks it executed, and their copies replace whatever this pass makes.
        config.Autograde.sanitize_preprocessors = []
    from course.grading.hooks import BeforeEachSubmission

    config.Autograde.pre_convert_hook = BeforeEachSubmission(None, check_setup=False)
    config.Autograde.post_convert_hook = None  # the integrity report is written once, after the class
    return _autograde(config, root, assignment, student)


def recorded_points(root, config, assignment, student):
    from nbgrader.api import Gradebook

    with Gradebook(config.CourseDirectory.get("db_url") or f"sqlite:///{Path(root) / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)


# --- the run ----------------------------------------------------------------------

def find_students(root, assignment, chosen=None):
    folders = sorted(p.parent.name for p in (Path(root) / "submitted").glob(f"*/{assignment}") if p.is_dir())
    return [s for s in folders if not chosen or s in chosen]


def require_assignment(root, config, assignment):
    from nbgrader.api import Gradebook, MissingEntry

    db = Path(root) / "gradebook.db"
    if not db.exists():
        raise GradingSetupError(f"No gradebook in {root}: run `nbgrader generate_assignment {assignment}` first.")
    with Gradebook(f"sqlite:///{db}") as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise GradingSetupError(f"The gradebook does not know '{assignment}': "
                                    f"run `nbgrader generate_assignment {assignment}` first.") from None
    if not (Path(root) / "release" / assignment).is_dir():
        raise GradingSetupError(f"No release/{assignment}: run `nbgrader generate_assignment {assignment}` first.")
    return db


def write_report(root, assignment, outcomes):
    path = Path(root) / "reports" / f"{assignment}-run.csv"
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", "points", "max_points", "status", "reason", "seconds"])
        for o in outcomes:
            writer.writerow([o.student, f"{o.points:g}", f"{o.max_points:g}", o.status, o.reason, f"{o.seconds:.1f}"])
    return path


def grade_class(root, assignment, jobs=None, students=None, progress=True, log=print):
    """Grade every submission of ``assignment`` in ``root``; the list of Outcomes (one per student)."""
    from tqdm import tqdm

    _quiet_gradebook_warnings()
    root = Path(root).resolve()
    config = load_config(root)
    snapshot = require_assignment(root, config, assignment)
    chosen = find_students(root, assignment, students)
    jobs = max(1, jobs or os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    shutil.copy(snapshot, work / "gradebook-snapshot.db")  # workers read this, never the real one
    preflight = _preflight_course(root, assignment)
    if has_checks(root, assignment):  # the run's judge computes graders' references while the workers warm up
        judge_for(config.JudgeHandovers.grading_python, root, assignment, wait=False)
    context = multiprocessing.get_context("spawn")
    outcomes = []
    try:
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                                                    initargs=(root, assignment, work / "gradebook-snapshot.db",
                                                              threads)) as pool:
            log(f"Pre-flight: grading the solution and the blank release of {assignment} ({jobs} workers)...")
            checks = [pool.submit(_execute, preflight, assignment, s, work / "preflight")
                      for s in (REFERENCE_STUDENT, BLANK_STUDENT)]
            # The class starts executing at once (into a staging folder); nothing is recorded before the
            # pre-flight has passed, and a failed pre-flight cancels the rest.
            futures = {pool.submit(_execute, root, assignment, s, work / "executed"): s for s in chosen}
            try:
                check_preflight(*(judge_executed(config, root, assignment, f.result(),
                                                 work / "preflight" / student / assignment)
                                  for f, student in zip(checks, (REFERENCE_STUDENT, BLANK_STUDENT))))
            except GradingSetupError:
                for future in futures:
                    future.cancel()
                raise
            bar = tqdm(total=len(futures), desc=f"grading {assignment}", unit="submission", disable=not progress)
            for future in concurrent.futures.as_completed(futures):
                student = futures[future]
                try:
                    outcome = future.result()
                except Exception as error:  # a worker that died: the student still gets an entry
                    outcome = Outcome(student, "failed", reason=f"worker crashed: {type(error).__name__}: {error}")
                if outcome.status == "setup error":
                    raise GradingSetupError(f"A grading worker broke down: {outcome.reason}")
                success, record_log = record(config, root, assignment, student, work / "executed")
                if not success:
                    outcome.status = "failed"
                    outcome.reason = outcome.reason or _last_error(record_log) or "nbgrader could not record it"
                else:  # the writer's own steps add incidents too: read them where they were recorded
                    outcome.incidents = read_notebooks(root / "autograded" / student / assignment)[0]
                    _note_incidents(outcome)
                try:
                    outcome.points, outcome.max_points = recorded_points(root, config, assignment, student)
                except Exception:  # not recorded at all
                    outcome.status = "failed"
                outcomes.append(outcome)
                bar.update()
            bar.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(preflight, ignore_errors=True)
    outcomes.sort(key=lambda o: o.student)
    report = write_report(root, assignment, outcomes)
    from .integrity.report import update_report

    _, integrity = update_report(root, assignment, {o.student for o in outcomes})
    counts = {status: sum(o.status == status for o in outcomes) for status in ("graded", "graded with problems", "failed")}
    log(f"{assignment}: {counts['graded']} graded, {counts['graded with problems']} graded with problems, "
        f"{counts['failed']} failed. Run report: {report}. Integrity report (for review; it never changes a "
        f"grade): {integrity}")
    for o in outcomes:
        if o.status != "graded":
            log(f"  {o.student}: {o.status} ({o.points:g}/{o.max_points:g}): {o.reason}")
    return outcomes
