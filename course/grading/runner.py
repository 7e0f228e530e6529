"""Grade a whole class: parallel execution in warm sandboxed kernels, one gradebook writer.

Workers (one process each, a :class:`ClassWorker`) own a
:class:`~course.grading.forkserver.ForkServer` and run nbgrader's
``Autograde`` for one submission at a time with execution only, against a
private copy of the gradebook: nothing they do reaches the real one. The main
process is the single writer: it records each executed notebook through
nbgrader's own ``Autograde`` (see :mod:`.replay`), whose ``JudgeHandovers``
asks the run's one judge for the verdicts, so the gradebook and
``autograded/`` hold what ``nbgrader autograde --force`` would write. Both
start from the course's one configuration (``nbgrader_config.py``) and change
only what :mod:`.configuration` lists (``class_worker_settings``,
``recording_settings``). A
pre-flight (:mod:`.preflight`: the solution, the blank release, the graders'
known wrong answers) runs in the same workers, first in the queue; no student
is recorded before it passes, and if it fails nothing is. A submission that
fails is reported with its cause: the exception and where it arose.
"""
import concurrent.futures
import copy
import csv
import io
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import incidents, preflight, setup_check
from .configuration import class_worker_settings, recording_settings
from .gradebook import LOST_DURING_RUN, course_db_url, require_gradebook, sqlite_path, worker_gradebook
from .incidents import summarize
from .judge import JudgePool, test_cells
from .points import notebook_points
from .preprocessors.judge_handovers import JudgeHandovers
from .rewrite import rewrite_notebook
from .setup_check import GradingSetupError


@dataclass
class Outcome:
    student: str
    status: str = "graded"  # "graded", "graded with problems", "failed"
    points: float = 0.0
    max_points: float = 0.0
    reason: str = ""
    seconds: float = 0.0
    incidents: list = field(default_factory=list)
    #: nbgrader's log of a failed submission (tracebacks included), for the instructor's log.
    log: str = ""
    #: Which worker executed it (a local process, or a Dask worker's address).
    worker: str = ""


# --- configuration ---------------------------------------------------------------

def load_config(root):
    """The course's nbgrader configuration, as nbgrader reads it in ``root``."""
    from traitlets.config.loader import PyFileConfigLoader

    if not (Path(root) / "nbgrader_config.py").is_file():
        raise GradingSetupError(f"No nbgrader_config.py in {root}: run `course grade` from the course root (or "
                                "pass --root), where nbgrader_config.py applies course_config.py.")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    refused = config.get("CourseSetup", {}).get("refused")
    if refused or not config.JudgeHandovers.get("grading_python"):
        raise GradingSetupError(refused or f"{root}/nbgrader_config.py does not apply the course configuration "
                                "(no JudgeHandovers.grading_python): it must call course_config.configure_nbgrader.")
    return config


def _autograde(config, root, assignment, student):
    """Run nbgrader's Autograde for one student in-process; (success, log, cause of a failure).

    Like nbgrader's ``capture_log``, but a GradingSetupError (a broken setup, found mid-run) is not turned into
    this student's failure: it stops the run.
    """
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    config.CourseDirectory.root = str(root)
    config.CourseDirectory.assignment_id = assignment
    config.CourseDirectory.student_id = student
    coursedir = CourseDirectory(config=config)
    converter = Autograde(coursedir=coursedir, config=config)
    converter.force = True
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    converter.log.addHandler(handler)
    try:
        converter.start()
        success, cause = True, ""
    except Exception as error:
        success = False
        cause = cause_in_log(buffer.getvalue()) or cause_of(error)
        if not cause_in_log(buffer.getvalue()):
            buffer.write(traceback.format_exc())
    finally:
        converter.log.removeHandler(handler)
    return success, buffer.getvalue(), cause


def cause_of(error):
    """``Type: message (file:line, in function)`` of an exception, where it arose."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno}, in {frames[-1].name})" if frames else ""
    message = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}{where}" if message else f"{type(error).__name__}{where}"


def cause_in_log(log):
    """The cause of the last traceback nbgrader logged (it logs the traceback, then says "see above")."""
    blocks = log.split("Traceback (most recent call last):")
    if len(blocks) < 2:
        return ""
    lines = blocks[-1].splitlines()
    frames = [re.match(r'\s*File "(.+)", line (\d+), in (.+)', line) for line in lines]
    frames = [m for m in frames if m]
    last = next((line.strip() for line in lines if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", line)
                 or re.match(r"[A-Za-z_][\w.]*: ", line)), "")
    if not last:
        return ""
    where = f" ({Path(frames[-1].group(1)).name}:{frames[-1].group(2)}, in {frames[-1].group(3)})" if frames else ""
    return last[:300] + where


def _quiet_gradebook_warnings():
    """nbgrader's gradebook API warns about its own session handling on every submission."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


# --- worker side ------------------------------------------------------------------

class ClassWorker:
    """The state of one worker process of ``course grade``: set up once, grades many submissions, torn down.

    It holds the course's configuration with the worker's differences (:func:`.configuration.class_worker_settings`),
    a private copy of the gradebook and a warm fork server. It only executes: the main process judges and records.
    """

    def __init__(self, root, assignment, snapshot, threads, prebuilt=None):
        self.root, self.assignment, self.snapshot, self.threads = Path(root), assignment, snapshot, threads
        #: the models its warm kernels pre-build; None: read from the assignment's declaration in ``root`` (a
        #: cluster's worker is given them: the declaration, which holds wrong answers, stays on the main machine)
        self.prebuilt = prebuilt
        self.config = self.fork_server = self.private = None
        self.error = None  #: why the set-up failed (reported by the pre-flight, which stops the run)

    def setup(self):
        """A private gradebook copy, a warm fork server and the worker's configuration."""
        import course_config
        from course import assignments
        from course.grading.forkserver import ForkedKernelManager, ForkServer

        _quiet_gradebook_warnings()
        config = load_config(self.root)
        self.private = Path(tempfile.mkdtemp(prefix="course-worker-"))
        shutil.copyfile(self.snapshot, self.private / "gradebook.db")  # its content, writable whatever its mode
        try:
            manager = ForkedKernelManager(config=config)
            self.fork_server = ForkServer(manager, preload=course_config.PRELOAD_MODULES,
                                          prebuilt=self.prebuilt if self.prebuilt is not None
                                          else assignments.load(self.assignment, self.root).prebuilt)
            self.fork_server.start()
        except Exception as error:  # reported by the pre-flight, which stops the run
            self.error = f"{type(error).__name__}: {error}"
        self.config = class_worker_settings(config, self.private / "gradebook.db", self.threads, self.fork_server)
        return self

    def execute(self, root, student, staging):
        """Sanitize and execute one submission of the course in ``root`` into ``staging``; an Outcome (points
        not yet recorded)."""
        started = time.perf_counter()
        if self.error:
            return Outcome(student, "setup error", reason=self.error)
        config = copy.deepcopy(self.config)
        config.CourseDirectory.autograded_directory = str(staging)
        success, log, cause = _autograde(config, root, self.assignment, student)
        outcome = Outcome(student, seconds=time.perf_counter() - started)
        folder = Path(staging) / student / self.assignment
        outcome.incidents = read_notebooks(folder)[0]  # points come once the judge has given its verdicts
        if not success or not any(folder.glob("*.ipynb")):
            outcome.status = "failed"
            outcome.reason = cause or "nbgrader executed no notebook (see the log)"
            outcome.log = log
            if outcome.incidents:
                outcome.reason += "; " + summarize(outcome.incidents)
        else:
            _note_incidents(outcome)
        return outcome

    def teardown(self):
        """Stop the fork server (the zygote, its spool), then remove the private gradebook."""
        if self.fork_server is not None:
            self.fork_server.stop()
        if self.private is not None:
            shutil.rmtree(self.private, ignore_errors=True)


#: The ClassWorker of this process. A ProcessPoolExecutor runs plain functions in its processes and gives them no
#: object of their own: its initializer sets this one per-process registry and each task reads it (a dask
#: WorkerPlugin would hold the worker instead).
_this_process_worker = None


def _start_worker(root, assignment, snapshot, threads):
    """The pool's process initializer."""
    from multiprocessing.util import Finalize

    global _this_process_worker
    _this_process_worker = ClassWorker(root, assignment, snapshot, threads)
    # multiprocessing ends its workers without atexit: Finalize stops the zygote and removes the private copy.
    Finalize(None, _this_process_worker.teardown, exitpriority=10)
    _this_process_worker.setup()


def _execute(root, student, staging):
    """One task of the pool: this process's worker executes one submission."""
    outcome = _this_process_worker.execute(root, student, staging)
    outcome.worker = f"local process {os.getpid()}"
    return outcome


# --- where submissions execute: local processes, or a Dask cluster (cluster.ClusterPool) -------------------------

class LocalPool:
    """``jobs`` processes of this machine, each with its :class:`ClassWorker`; submissions are read and executed
    in place (``root``/submitted), their notebooks written into the staging folder."""

    def __init__(self, jobs, root, assignment, snapshot, threads):
        context = multiprocessing.get_context("spawn")
        self.jobs = jobs
        self.executor = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                                                               initargs=(root, assignment, snapshot, threads))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.executor.shutdown(cancel_futures=True)
        return False

    def describe(self):
        return f"{self.jobs} workers"

    def submit(self, root, student, staging):
        return self.executor.submit(_execute, root, student, staging)

    def as_completed(self, futures):
        return concurrent.futures.as_completed(futures)


def execution_pool(scheduler, jobs, root, assignment, snapshot, threads, log):
    """Where this run's submissions execute: a Dask cluster when a scheduler is given, else local processes."""
    if scheduler:
        from .cluster import ClusterPool

        return ClusterPool(scheduler, root, assignment, snapshot, log)
    return LocalPool(jobs, root, assignment, snapshot, threads)


def judge_executed(config, judges, assignment, outcome, folder):
    """Give the test cells of the notebooks executed into ``folder`` their verdicts (the run's ``judges``, in
    this process), then read the outcome's incidents and points again."""
    if outcome.status in ("setup error", "failed"):
        return outcome
    judge = JudgeHandovers(config=config, judges=judges)
    for path in sorted(Path(folder).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        notebook, _ = judge.preprocess(notebook, {"nbgrader": {"assignment": assignment}})
        rewrite_notebook(notebook, path)  # nbgrader left it read-only
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


# --- the writer -------------------------------------------------------------------

def record(config, judges, root, assignment, student, staging):
    """Judge one executed submission and write it into the real gradebook and autograded/ (the single
    writer, with the run's judges)."""
    executed = any((Path(staging) / student / assignment).glob("*.ipynb"))
    config = recording_settings(copy.deepcopy(config), judges, staging, executed)
    return _autograde(config, root, assignment, student)


def recorded_points(root, config, assignment, student):
    from nbgrader.api import Gradebook

    with Gradebook(course_db_url(root, config)) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)


# --- the run ----------------------------------------------------------------------

def find_students(root, assignment, chosen=None):
    folders = sorted(p.parent.name for p in (Path(root) / "submitted").glob(f"*/{assignment}") if p.is_dir())
    return [s for s in folders if not chosen or s in chosen]


def require_assignment(root, config, assignment):
    """The URL of the course's gradebook (SQLite or a server), once it is reached and knows ``assignment``."""
    from nbgrader.api import Gradebook, MissingEntry

    url = course_db_url(root, config)
    if sqlite_path(url) is not None and not sqlite_path(url).exists():
        raise GradingSetupError(f"No gradebook in {root}: run `nbgrader generate_assignment {assignment}` first.")
    require_gradebook(url)  # a server that is down or refuses the password stops the run here
    with Gradebook(url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise GradingSetupError(f"The gradebook does not know '{assignment}': "
                                    f"run `nbgrader generate_assignment {assignment}` first.") from None
    if not (Path(root) / "release" / assignment).is_dir():
        raise GradingSetupError(f"No release/{assignment}: run `nbgrader generate_assignment {assignment}` first.")
    return url


def write_report(root, assignment, outcomes):
    path = Path(root) / "reports" / f"{assignment}-run.csv"
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", "points", "max_points", "status", "reason", "seconds"])
        for o in outcomes:
            writer.writerow([o.student, f"{o.points:g}", f"{o.max_points:g}", o.status, o.reason, f"{o.seconds:.1f}"])
    return path


def grade_class(root, assignment, jobs=None, students=None, progress=True, log=print, scheduler=None):
    """Grade every submission of ``assignment`` in ``root``; the list of Outcomes (one per student).

    ``scheduler``: a Dask scheduler's address (``tcp://HOST:PORT``): submissions execute on its workers
    (:mod:`.cluster`) instead of ``jobs`` local processes.
    """
    from .run_lock import assignment_lock

    with assignment_lock(root, assignment, "course grade"), JudgePool() as judges:
        # The judges are the run's: this process is its only judge, and they stop with the run.
        return _grade_class(root, assignment, judges, jobs, students, progress, log, scheduler)


def _grade_class(root, assignment, judges, jobs, students, progress, log, scheduler=None):
    from tqdm import tqdm

    _quiet_gradebook_warnings()
    root = Path(root).resolve()
    config = load_config(root)
    setup_check.check_environment(root, config, log)  # user namespaces, grading Python, permissions
    gradebook_url = require_assignment(root, config, assignment)
    chosen = find_students(root, assignment, students)
    jobs = max(1, jobs or os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    python = config.JudgeHandovers.grading_python
    judged = JudgeHandovers(config=config, judges=judges)
    judge = None
    if assignment not in judged.assert_graded:
        # The run's judge computes graders' references while the workers warm up.
        judge = judged.judge_of(assignment, wait=False)
    expected = preflight.expectations(root, assignment, python if judge else None)
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    # Workers read this private SQLite copy of the assignment's definition, never the real gradebook.
    snapshot = worker_gradebook(gradebook_url, assignment, work / "gradebook-snapshot.db")
    trial = preflight.make_course(root, assignment, expected)
    outcomes = []
    try:
        with execution_pool(scheduler, jobs, root, assignment, snapshot, threads, log) as pool:
            log(f"Pre-flight: grading the solution, the blank release and {len(expected) - 2} known wrong answer(s) "
                f"of {assignment} ({pool.describe()})...")
            checks = [pool.submit(trial, item.student, work / "preflight") for item in expected]
            # The class starts executing at once (into a staging folder); nothing is recorded before the
            # pre-flight has passed, and a failed pre-flight cancels the rest.
            futures = {pool.submit(root, s, work / "executed"): s for s in chosen}
            try:
                if judge:
                    judge.ready().require_live(test_cells(f"sqlite:///{snapshot}", assignment))
                results = []
                for item, future in zip(expected, checks):
                    folder = work / "preflight" / item.student / assignment
                    results.append((item, judge_executed(config, judges, assignment, future.result(), folder), folder))
                preflight.check(results)
            except GradingSetupError:
                for future in futures:
                    future.cancel()
                raise
            bar = tqdm(total=len(futures), desc=f"grading {assignment}", unit="submission", disable=not progress)
            for future in pool.as_completed(futures):
                student = futures[future]
                try:
                    outcome = future.result()
                except Exception as error:  # a worker that died: the student still gets an entry
                    outcome = Outcome(student, "failed", reason=f"worker crashed: {type(error).__name__}: {error}")
                if outcome.status == "setup error":
                    raise GradingSetupError(f"A grading worker broke down: {outcome.reason}")
                success, record_log, cause = record(config, judges, root, assignment, student, work / "executed")
                if not success:  # a gradebook server gone stops the run: it is not this student's failure
                    require_gradebook(gradebook_url, consequence=LOST_DURING_RUN)
                    outcome.status = "failed"
                    outcome.reason = outcome.reason or cause or "nbgrader could not record it (see the log)"
                    outcome.log = outcome.log or record_log
                else:  # the writer's own steps add incidents too: read them where they were recorded
                    outcome.incidents = read_notebooks(root / "autograded" / student / assignment)[0]
                    _note_incidents(outcome)
                try:
                    outcome.points, outcome.max_points = recorded_points(root, config, assignment, student)
                except Exception:  # not recorded at all
                    require_gradebook(gradebook_url, consequence=LOST_DURING_RUN)
                    outcome.status = "failed"
                outcomes.append(outcome)
                bar.update()
            bar.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(trial, ignore_errors=True)
    outcomes.sort(key=lambda o: o.student)
    report = write_report(root, assignment, outcomes)
    from .integrity.report import update_report

    _, integrity = update_report(root, assignment, {o.student for o in outcomes}, config=config)
    counts = {status: sum(o.status == status for o in outcomes) for status in ("graded", "graded with problems", "failed")}
    log(f"{assignment}: {counts['graded']} graded, {counts['graded with problems']} graded with problems, "
        f"{counts['failed']} failed. Run report: {report}. Integrity report (for review; it never changes a "
        f"grade): {integrity}")
    workers = Counter(o.worker for o in outcomes if o.worker)
    log("Submissions per worker: " + ", ".join(f"{worker}: {count}" for worker, count in sorted(workers.items())))
    for o in outcomes:
        if o.status != "graded":
            log(f"  {o.student}: {o.status} ({o.points:g}/{o.max_points:g}): {o.reason}")
        if o.status == "failed" and o.log:
            log(f"  nbgrader's log for {o.student}:\n" + "\n".join("    " + line for line in o.log.splitlines()[-60:]))
    return outcomes
