"""The setup check of plain ``nbgrader autograde`` (and the formgrader's button), before anything is touched.

nbgrader's ``Autograde`` removes a student's previous autograded copy
(``--force``, or a newer submission) *before* it calls its pre-convert hook,
so a check in that hook comes after the first removal. The one configurable
object nbgrader builds before that is the converter's exporter
(``Autograde.exporter_class``, built in ``BaseConverter.start`` right after
the submissions are listed). :class:`CheckedNotebookExporter` checks the setup
there, once per run, and raises :class:`GradingSetupError` (a BaseException,
so no per-student ``except Exception`` turns it into a zero) before any
destination is removed or any grade recorded:

- the gradebook can be reached (a PostgreSQL server that is down or refuses the password,
  :func:`.gradebook.require_gradebook`);
- the sandbox can start (user namespaces), the grading Python exists, nothing in the course folder is
  writable by others (:func:`.setup_check.check_environment`, the cheap checks of ``course doctor``);
- a sandboxed kernel like the students' imports ``handover`` and torch
  (:func:`.setup_check.probe_kernel`);
- the judge starts and answers in time, has a check for every test cell of the
  assignment in the gradebook, and fails each of them when nothing is handed
  over (:meth:`.judge.Judge.require_live`).

``course grade`` runs its own, stronger pre-flight (:mod:`.runner`) and turns
this one off in its workers and its writer (``check_setup = False``).
"""
import re

from traitlets import Bool, List, Unicode

from .reading import LenientNotebookExporter
from .setup_check import GradingSetupError


class CheckedNotebookExporter(LenientNotebookExporter):
    """Autograde's exporter, which refuses to start on a broken grading setup."""

    check_setup = Bool(
        True, help="Check the grading setup (sandboxed kernel, judge) when an Autograde run builds this exporter, "
                   "before it removes or records anything.").tag(config=True)
    probe_modules = List(Unicode(), default_value=None, allow_none=True,
                         help="What the probe kernel must import: what a graded kernel loads "
                              "(course_config.PRELOAD_MODULES).").tag(config=True)

    def __init__(self, config=None, **kw):
        super().__init__(config=config, **kw)
        converter = kw.get("parent")
        if self.check_setup and _is_autograde(converter):
            check_autograde_setup(converter, self.probe_modules)


def _is_autograde(converter):
    from nbgrader.converters import Autograde

    return isinstance(converter, Autograde)


def assignments_of(converter):
    """The assignment ids an Autograde run is about to grade (its listed submissions)."""
    pattern = converter._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
    found = {re.match(pattern, folder) for folder in getattr(converter, "assignments", {})}
    return sorted({match.group("assignment_id") for match in found if match})


def check_autograde_setup(converter, probe_modules):
    """Raise GradingSetupError unless a student kernel and the judge work for what ``converter`` will grade."""
    from .gradebook import require_gradebook
    from .judge import test_cells
    from .preprocessors.judge_handovers import JudgeHandovers
    from .sandbox import SandboxedKernelManager
    from .setup_check import check_environment, probe_kernel

    config = converter.config
    python = config.JudgeHandovers.get("grading_python") or ""
    root = config.JudgeHandovers.get("course_root") or converter.coursedir.root
    if not python:
        raise GradingSetupError("Grading stopped before any student was graded: the course configuration sets no "
                                "JudgeHandovers.grading_python, so no test could be judged. To fix: run nbgrader "
                                "from the course root, where nbgrader_config.py applies course_config.py. "
                                "Nothing was recorded.")
    if probe_modules is None:
        raise GradingSetupError("Grading stopped before any student was graded: the configuration sets no "
                                "CheckedNotebookExporter.probe_modules, so the probe kernel could not check what a "
                                "graded kernel imports. To fix: run nbgrader from the course root, where "
                                "nbgrader_config.py applies course_config.configure_nbgrader. Nothing was recorded.")
    require_gradebook(converter.coursedir.db_url)  # a gradebook server that is down or refuses the password
    check_environment(root, config, converter.log.warning)
    probe_kernel(SandboxedKernelManager(kernel_name="python3", config=config), probe_modules)
    judged = JudgeHandovers(config=config)
    for assignment in sorted(set(assignments_of(converter)) - set(judged.assert_graded)):
        judge = judged.judge_of(assignment)
        judge.require_live(test_cells(converter.coursedir.db_url, assignment))
