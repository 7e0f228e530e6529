"""The host's side of the judge: one clean process per course and assignment.

The verdicts come from ``python -m graders.judge ASSIGNMENT``, run with the
grading environment's Python from the course root, so ``graders`` is found by
import (:mod:`.locate`), in a process that never runs a student's code (see
``graders/judge.py``). It computes graders' references once and then answers
one request per test cell, so a class pays the references and the imports
once per grading process, not per submission.

Every answer is awaited with a time bound. A judge that cannot start, that
has no check for a test cell of the assignment, or that stops answering even
a trivial request is a broken setup (:class:`GradingSetupError`: grading
stops). A judge that fails on one payload only (twice, restarted in between)
costs that test cell alone (:class:`JudgeError`): the cell is flagged for the
instructor to review.

The judges of a run live in a :class:`JudgePool`, owned and closed by whoever
runs the judging: ``course grade`` has its own; plain nbgrader and the
formgrader use this process's (:func:`judges_of_this_process`).
"""
import atexit
import json
import os
import queue
import subprocess
import tempfile
import textwrap
import threading
from pathlib import Path

from .setup_check import GradingSetupError

#: The judge computes graders' references (a VGG16's feature maps...) before its first answer: an engine bound,
#: far above what they take (the time bound of one verdict is the course's: JUDGE_TIMEOUT_SECONDS).
STARTUP_TIMEOUT_SECONDS = 600


class JudgeError(RuntimeError):
    """The judge could not judge one payload (it stopped or hung on it twice); the judge itself still answers."""


class Judge:
    """A running ``graders.judge`` for one assignment of the course in ``root``."""

    def __init__(self, python, root, assignment, verdict_timeout, startup_timeout=STARTUP_TIMEOUT_SECONDS):
        """``verdict_timeout``: seconds one answer may take (course_config.JUDGE_TIMEOUT_SECONDS)."""
        self.python, self.root, self.assignment = str(python), Path(root), assignment
        self.startup_timeout, self.verdict_timeout = startup_timeout, verdict_timeout
        self.process = None
        self._answers = None
        self._stderr = None
        self._ready = False
        self._answered = False  # whether it has ever given a verdict (then a stop is mid-run)
        self._lock = threading.Lock()

    # --- the process ------------------------------------------------------------------------------

    def launch(self):
        """Start the process (it computes its references meanwhile); :meth:`ready` waits for it."""
        self._stderr = tempfile.TemporaryFile(mode="w+")
        # From the course root: a course folder that carries graders/ uses it, any other the installed one.
        self.process = subprocess.Popen([self.python, "-m", "graders.judge", self.assignment], cwd=self.root,
                                        text=True, bufsize=1, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr, env=dict(os.environ, PYTHONSAFEPATH=""))
        self._answers = queue.Queue()
        threading.Thread(target=_read_lines, args=(self.process.stdout, self._answers), daemon=True).start()
        self._ready = False
        return self

    def ready(self):
        if not self._ready:
            first = self._next_line(self.startup_timeout)
            try:
                ready = bool(first) and json.loads(first).get("ready")
            except (ValueError, AttributeError):
                ready = False
            if not ready:
                self.close()
                raise GradingSetupError(self._explain(
                    "could not start" if first is not None else
                    f"did not get ready within {self.startup_timeout} s"))
            self._ready = True
        return self

    def _next_line(self, timeout):
        """The judge's next line, "" if it ended, None if it said nothing in ``timeout`` seconds."""
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            return None

    def _explain(self, what):
        said = "nothing"
        if self._stderr is not None:
            self._stderr.seek(0)
            said = self._stderr.read()[-4000:].strip() or "nothing"
        stopped = "Grading stopped" if self._answered else "Grading stopped before any student was graded"
        return (f"{stopped}: the judge process (graders, in a clean Python) "
                f"{what}, so no test can be scored.\n\nCommand: {self.python} -m graders.judge {self.assignment} "
                f"(in {self.root})\nIt said:\n{textwrap.indent(said, '    ')}\n\nTo fix: install the course's "
                "environment (`make setup`, or `pip install -e <course repository>` in the grading environment) "
                "or set GRADING_PYTHON in course_config.py to a Python with torch and the course's dependencies. "
                "Nothing more was recorded.")

    def close(self):
        if self.process is not None:
            if self.process.poll() is None:
                try:
                    self.process.stdin.close()
                    self.process.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self.process.kill()
                    self.process.wait()
            self.process = None
            self._ready = False

    def _kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.close()

    # --- requests ---------------------------------------------------------------------------------

    def _ask(self, test, handover, timeout):
        """The judge's answer (a dict) to one request, or None when it died or hung (then it is stopped)."""
        if self.process is None or self.process.poll() is not None:
            self.launch()
        self.ready()
        try:
            self.process.stdin.write(json.dumps({"test": test, "handover": handover}) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._kill()
            return None
        line = self._next_line(timeout)
        try:
            answer = json.loads(line) if line else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self._kill()
            return None
        self._answered = True
        return answer

    @staticmethod
    def _passed(answer):
        return bool(answer.get("passed")), str(answer.get("message", ""))

    def verdict(self, test, handover):
        """(passed, French message) for what test cell ``test`` handed over (None: nothing)."""
        with self._lock:
            answer = self._ask(test, handover, self.verdict_timeout)
            if answer is None:  # dead or stuck on this payload: is the judge itself still sound?
                self.require_live([test])
                answer = self._ask(test, handover, self.verdict_timeout)
            if answer is None:
                raise JudgeError(f"the judge stopped or gave no answer within {self.verdict_timeout} s twice "
                                 f"while judging {test}")
            if "error" in answer:  # require_live vouched for every test cell: this grade_id was forged
                raise JudgeError(f"the judge has no check for {test!r}: {answer['error']}")
            return self._passed(answer)

    def require_live(self, tests):
        """Stop grading (GradingSetupError) unless the judge answers, in time, that an empty hand-over fails
        for each of ``tests``: it is running, it has a check for each, and no check passes without data."""
        for test in tests:
            answer = self._ask(test, None, self.verdict_timeout)
            if answer is None:
                raise GradingSetupError(self._explain(f"gave no answer within {self.verdict_timeout} s to a "
                                                      f"trivial request for {test!r}"))
            if "error" in answer:
                raise GradingSetupError(
                    f"Grading stopped: {answer['error']}. To fix: add a check for {test!r} to "
                    f"graders/{self.assignment}.py (its TESTS), or make that cell an ordinary cell. Nothing more "
                    "was recorded.")
            if self._passed(answer)[0]:
                raise GradingSetupError(
                    f"Grading stopped: graders/{self.assignment}.py passes the test cell {test!r} when nothing was "
                    "handed over, so a blank answer would get its points. To fix: its check must fail without "
                    "values. Nothing more was recorded.")
        return self


def _read_lines(stream, answers):
    """Forward the judge's lines to a queue ("" once it ended), so each wait has a time bound."""
    try:
        for line in stream:
            answers.put(line)
    except (OSError, ValueError):
        pass
    answers.put("")


class JudgePool:
    """The judges of one grading run, one per (Python, course, assignment), each started on first use.

    Whoever runs the judging owns the pool and closes it (``with JudgePool() as judges:``): the judges' processes
    stop with it. A configuration hands it to ``JudgeHandovers`` (``c.JudgeHandovers.judges``).
    """

    def __init__(self):
        self._judges = {}
        self._lock = threading.Lock()

    def judge(self, python, root, assignment, verdict_timeout, wait=True):
        """The judge of ``assignment`` (started now if needed; ``wait``: until it has its references)."""
        key = (str(python), str(Path(root).resolve()), assignment)
        with self._lock:
            if key not in self._judges:
                self._judges[key] = Judge(*key, verdict_timeout=verdict_timeout).launch()
            judge = self._judges[key]
        return judge.ready() if wait else judge

    def close(self):
        with self._lock:
            judges, self._judges = list(self._judges.values()), {}
        for judge in judges:
            judge.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __deepcopy__(self, memo):
        # Running processes, not a value: every copy of a configuration that names the pool names this one
        # (traitlets deep-copies configured values into each object it configures).
        return self


_pool_of_this_process = None


def judges_of_this_process():
    """The judges of plain ``nbgrader autograde`` and the formgrader, in this process, stopped at its exit.

    nbgrader builds ``JudgeHandovers`` anew for every notebook, from the configuration alone, and has no object
    that lives as long as a run and ends with it (the formgrader runs one ``Autograde`` per button, in a server
    that lives for the term). So their judges live here, the one per-process registry of judges: each computes
    graders' references once per process, not per notebook. ``course grade`` owns its own :class:`JudgePool`.
    """
    global _pool_of_this_process
    if _pool_of_this_process is None:
        _pool_of_this_process = JudgePool()
        atexit.register(_pool_of_this_process.close)
    return _pool_of_this_process


def test_cells(db_url, assignment):
    """grade_ids of the assignment's autograded test cells, as nbgrader's gradebook knows them."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:  # nbgrader itself reports an assignment it does not know
            return []
        return sorted(cell.name for notebook in gradebook.find_assignment(assignment).notebooks
                      for cell in notebook.grade_cells if cell.cell_type == "code"
                      and not _is_solution(gradebook, cell, notebook.name, assignment))


def _is_solution(gradebook, cell, notebook, assignment):
    """A manually graded code answer is a grade cell too; only the tests are judged."""
    from nbgrader.api import MissingEntry

    try:
        gradebook.find_solution_cell(cell.name, notebook, assignment)
    except MissingEntry:
        return False
    return True
