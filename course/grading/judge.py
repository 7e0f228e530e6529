"""The host's side of the judge: one clean process per course and assignment.

The verdicts come from ``python -m graders.judge`` run with the grading
environment's Python, from the course root, in a process that never runs a
student's code (see ``graders/judge.py``). It computes graders' references
once and then answers one request per test cell, so a class pays the
references and the imports once per grading process, not per submission.
"""
import atexit
import json
import subprocess
import tempfile
import textwrap
from pathlib import Path

from .setup_check import GradingSetupError

STARTUP_TIMEOUT_SECONDS = 600


class JudgeError(RuntimeError):
    """The judge process stopped while answering (it is restarted once, then this is raised)."""


class Judge:
    """A running ``graders.judge`` for one assignment of the course in ``root``."""

    def __init__(self, python, root, assignment):
        self.python, self.root, self.assignment = str(python), Path(root), assignment
        self.process = None
        self._stderr = None
        self._ready = False

    def launch(self):
        """Start the process (it computes its references meanwhile); :meth:`ready` waits for it."""
        # The course root first: the judge uses this course's graders and handover, whatever is installed.
        program = f"import sys; sys.path.insert(0, {str(self.root)!r}); from graders.judge import serve; " \
                  f"serve({self.assignment!r})"
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([self.python, "-c", program], cwd=self.root, text=True, bufsize=1,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        self._ready = False
        return self

    def ready(self):
        if not self._ready:
            first = self.process.stdout.readline()
            if not first or not json.loads(first).get("ready"):
                self.close()
                raise GradingSetupError(self._explain())
            self._ready = True
        return self

    def _explain(self):
        self._stderr.seek(0)
        said = self._stderr.read()[-4000:].strip() or "nothing"
        return ("Grading stopped before any student was graded: the judge process (graders, in a clean Python) "
                f"could not start, so no test can be scored.\n\nCommand: {self.python} -m graders.judge {self.assignment} (in {self.root})\n"
                f"It said:\n{textwrap.indent(said, '    ')}\n\nTo fix: install the course's environment "
                "(`make setup`) or set GRADING_PYTHON in course_config.py to a Python with torch and the course's "
                "dependencies. Nothing was recorded.")

    def verdict(self, test, handover):
        """(passed, French message) for what test cell ``test`` handed over (None: nothing)."""
        for attempt in (1, 2):
            if self.process is None or self.process.poll() is not None:
                self.launch()
            self.ready()
            try:
                self.process.stdin.write(json.dumps({"test": test, "handover": handover}) + "\n")
                self.process.stdin.flush()
                answer = self.process.stdout.readline()
            except (BrokenPipeError, OSError):
                answer = ""
            if answer:
                answer = json.loads(answer)
                if "error" in answer:
                    raise GradingSetupError(f"Grading stopped: {answer['error']} (fix graders/{self.assignment}.py).")
                return bool(answer["passed"]), str(answer["message"])
            self.close()
        raise JudgeError(f"the judge process stopped twice while judging {test}")

    def close(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.stdin.close()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None


_judges = {}


def judge_for(python, root, assignment, wait=True):
    """This process's judge for ``assignment`` (started on first use, stopped at exit)."""
    key = (str(python), str(Path(root).resolve()), assignment)
    if key not in _judges:
        _judges[key] = Judge(*key).launch()
    return _judges[key].ready() if wait else _judges[key]


def has_checks(root, assignment):
    """Whether graders judges this assignment (an assignment without graders keeps nbgrader's own tests)."""
    return (Path(root) / "graders" / f"{assignment}.py").is_file()


@atexit.register
def _close_all():
    for judge in _judges.values():
        judge.close()
