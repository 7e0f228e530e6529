"""nbgrader's configuration for the course, wired in one place.

``course_config.py`` holds the course's values (instructors edit it); its
``configure_nbgrader`` calls :func:`configure`, which says which nbgrader
option each value goes to and which of the engine's classes nbgrader runs.
Every path starts from this one configuration: plain ``nbgrader`` commands
and the formgrader (``nbgrader_config.py``), ``course grade`` (which loads
that same ``nbgrader_config.py``) and the students' feedback.

``course grade`` then changes only what two functions list, each change
with its reason: :func:`class_worker_settings` (its workers, which only
execute) and :func:`recording_settings` (its main process, the only judge
and writer). ``tests/grading/test_configuration.py`` shows that these are
the only differences, and that docs/architecture.md's table lists them.
"""
import os
import sys
from pathlib import Path


def configure(c, course, root):
    """Set every nbgrader option of the course in ``root`` in the traitlets config ``c``.

    ``course``: the course's values, the ``course_config`` module (anything with its names).
    """
    root = Path(root)
    python = course.grading_python(root)
    _tools_reachable()
    course_folder(c, course, root)
    release(c, course)
    kernels(c, course, root, python)
    autograde(c, course, root, python)
    handins(c, course)
    configure_feedback(c, root, python)
    configure_formgrader(c)


def _tools_reachable():
    """nbgrader runs ``alembic`` from PATH: the tools of the Python running nbgrader must be reachable, so
    ``.venv/bin/nbgrader ...`` works without activating the environment."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])


def course_folder(c, course, root):
    """The course folder, and the modes of what nbgrader and the grading tools create in it.

    The solutions, every student's work and grades live there: gradebook.db, autograded/, feedback/ and
    reports/ are private from the start (course/deployment/permissions.py).
    """
    from course.deployment.permissions import converter_permissions, restrict_umask

    c.CourseDirectory.course_id = course.COURSE_ID
    c.CourseDirectory.root = str(root)
    gradebook(c, course)
    c.CourseDirectory.groupshared = course.GROUPSHARED
    restrict_umask(course.GROUPSHARED)
    for converter, mode in converter_permissions(course.GROUPSHARED).items():
        c[converter].permissions = mode


def gradebook(c, course):
    """Where nbgrader keeps the grades: ``GRADEBOOK_URL`` (a PostgreSQL server, docs/scale.md), else nbgrader's
    default, the SQLite file gradebook.db in the course root. A password written in course_config.py itself is
    refused (the file is shared with the course's repository): it belongs in ~/.pgpass, or in what the URL is
    read from (an environment variable, a private file)."""
    from .gradebook import refuse_written_password

    url = getattr(course, "GRADEBOOK_URL", None)
    if url:
        refuse_written_password(url, getattr(course, "__file__", ""))
        c.CourseDirectory.db_url = str(url)


def release(c, course):
    """``generate_assignment``: the course's stubs, then nbgrader's own steps, then the authoring metadata goes
    (jupytext's pairing would write a .md beside the student's notebook at each save)."""
    from nbgrader.converters import GenerateAssignment

    from course.authoring_metadata import DropAuthoringMetadata
    from course.corrige import DropCorrigeCells  # explanations that answer graded questions: corrigé only

    c.ClearSolutions.code_stub = {"python": course.CODE_STUB}
    c.ClearSolutions.text_stub = course.TEXT_STUB
    c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(),
                                          DropAuthoringMetadata, DropCorrigeCells]


def kernels(c, course, root, python):
    """Each submission's kernel: in a sandbox, with the grading Python and the course's bounds.

    The kernel imports ``handover`` (never ``graders``) as the grading Python finds it from the course root, and
    reads the course's data. The fork server's ``ForkedKernelManager`` inherits these settings.
    """
    from .locate import package_dir

    c.Execute.kernel_manager_class = "course.grading.sandbox.SandboxedKernelManager"
    kernels = c.GradingKernelManager  # both kernel managers (sandbox.py, forkserver.py) inherit these
    kernels.sandbox = course.SANDBOX
    kernels.grading_python = python
    kernels.handover_dir = package_dir("handover", python, str(root))
    kernels.data_dir = str(root / "data")
    kernels.memory_limit = course.MEMORY_LIMIT_BYTES
    kernels.process_limit = course.PROCESS_LIMIT
    kernels.workdir_limit = course.WORKDIR_LIMIT_BYTES
    kernels.tmp_limit = course.TMP_LIMIT_BYTES


def autograde(c, course, root, python):
    """``autograde``: the setup check, the pipeline (sanitize, contained execution, the judge's verdicts), the
    hooks. A broken submission costs only its own points; verdicts come from a clean judge process of this
    course, never from the student's kernel."""
    from .gate import CheckedNotebookExporter
    from .hooks import AfterEachSubmission, BeforeEachSubmission
    from .preprocessors import AUTOGRADE, SANITIZE

    # Reads damaged or renamed notebooks, and checks the setup before nbgrader removes or records anything.
    c.Autograde.exporter_class = CheckedNotebookExporter
    c.CheckedNotebookExporter.probe_modules = list(course.PRELOAD_MODULES)
    c.Autograde.sanitize_preprocessors = list(SANITIZE)
    c.Autograde.autograde_preprocessors = list(AUTOGRADE)
    # Renamed notebooks, found from the course's gradebook whatever the folder grading runs in.
    c.Autograde.pre_convert_hook = BeforeEachSubmission(root, getattr(course, "GRADEBOOK_URL", None) or None)
    c.Autograde.post_convert_hook = AfterEachSubmission(root)  # reports/<a>-integrity.csv and .html
    c.Execute.timeout = course.CELL_TIMEOUT_SECONDS
    c.ContainedExecute.timeout = course.CELL_TIMEOUT_SECONDS
    c.ContainedExecute.notebook_timeout = course.NOTEBOOK_TIMEOUT_SECONDS
    c.ContainedExecute.interrupt_grace = course.INTERRUPT_GRACE_SECONDS
    c.ContainedExecute.output_limit = course.OUTPUT_LIMIT_BYTES
    c.JudgeHandovers.grading_python = python
    c.JudgeHandovers.course_root = str(root)
    c.JudgeHandovers.verdict_timeout = course.JUDGE_TIMEOUT_SECONDS
    c.JudgeHandovers.assert_graded = list(course.ASSERT_GRADED_ASSIGNMENTS)


def handins(c, course):
    """Regular files only, within bounds: from the exchange (collect), into autograded/ and feedback/."""
    c.HandinBounds.max_files = course.HANDIN_MAX_FILES
    c.HandinBounds.max_file_bytes = course.HANDIN_MAX_FILE_BYTES
    c.HandinBounds.max_total_bytes = course.HANDIN_MAX_TOTAL_BYTES
    c.ExchangeFactory.collect = "course.grading.exchange.SafeCollect"  # also: collected work private
    c.ExchangeFactory.release_feedback = "course.grading.exchange.PrivateReleaseFeedback"


def configure_feedback(c, root, python):
    """``generate_feedback`` (see :mod:`course.grading.feedback`): its preprocessors, the French template, and
    the secret sources no output may reproduce: ``graders`` and ``handover`` as ``python`` (the grading Python)
    imports them from ``root`` (the course folder need not hold them), and the instructor's notebooks.

    The template goes to ``FeedbackExporter``, not to ``HTMLExporter`` (see ``feedback/exporter.py``): the
    formgrader keeps its own pages, and its feedback button gives the French page too.
    """
    from .feedback import TEMPLATE_NAME, TEMPLATES, FeedbackExporter, nbgrader_templates, preprocessors
    from .locate import package_dir

    c.GenerateFeedback.preprocessors = preprocessors()
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.FeedbackExporter.template_name = TEMPLATE_NAME
    # Ours first, then nbgrader's; bootstrap.min.css comes from extra_template_paths, which
    # GenerateFeedback always sets (on HTMLExporter: inherited here).
    c.FeedbackExporter.extra_template_basedirs = [str(TEMPLATES), str(nbgrader_templates())]
    c.FeedbackExporter.language_code = "fr"
    c.RemoveLeakedText.course_root = str(root)
    c.RemoveLeakedText.secret_files = [str(Path(package_dir(name, python, str(root))) / "**" / "*.py")
                                       for name in ("graders", "handover")]


def configure_formgrader(c):
    """Sanitize the formgrader's submission pages (``SanitizeStudentHTML``), through the config ``c``.

    nbgrader's formgrader (``FormgradeExtension.init_tornado_settings``) renders every submission with
    ``HTMLExporter(config=self.config)``, ``self.config`` being its own settings (the ``formgrade``
    template) and then this course's ``nbgrader_config.py``; it has no preprocessor list of its own, so
    the supported hook is nbconvert's ``Exporter.preprocessors``, read from that config. The feedback
    exporter, a subclass, would inherit it: it runs the sanitizer at its own place instead (last of
    ``GenerateFeedback.preprocessors``, after the steps that read the markdown).
    """
    from .feedback import SanitizeStudentHTML

    c.HTMLExporter.preprocessors = [SanitizeStudentHTML]
    c.FeedbackExporter.preprocessors = []


# --- what `course grade` changes -----------------------------------------------------------------------------

def execute_class(config):
    """The execution preprocessor of the configured autograde pipeline."""
    from nbgrader.preprocessors import Execute

    return next(p for p in config.Autograde.autograde_preprocessors
                if isinstance(p, type) and issubclass(p, Execute))


def class_worker_settings(config, gradebook, threads, fork_server):
    """What a ``course grade`` worker changes in the course's configuration ``config`` (in place; returned), and
    why. Nothing else differs from plain ``nbgrader autograde``.

    ``gradebook``: the worker's private copy; ``threads``: its share of the cores; ``fork_server``: its warm
    :class:`~course.grading.forkserver.ForkServer`.
    """
    from .hooks import BeforeEachSubmission

    # It executes against a private copy of the gradebook: only the main process writes the real one.
    config.CourseDirectory.db_url = f"sqlite:///{gradebook}"
    config.Autograde.pre_convert_hook = BeforeEachSubmission(config.CourseDirectory.root, f"sqlite:///{gradebook}")
    # Its kernels share the machine's cores with the other workers' (cores / workers each).
    config.GradingKernelManager.threads = threads
    # Its kernels are forked from its warm fork server (same sandbox, same bounds), which imported the heavy
    # modules and built the given models once.
    config.Execute.kernel_manager_class = "course.grading.forkserver.ForkedKernelManager"
    config.ForkedKernelManager.fork_server = fork_server
    # The run's pre-flight checks the setup, once, before any student is recorded.
    config.CheckedNotebookExporter.check_setup = False
    # It only executes: the main process judges (one judge for the run) and records.
    execute = execute_class(config)
    config.Autograde.autograde_preprocessors = [execute]
    # A graded kernel has nothing left to save.
    config[execute.__name__].shutdown_kernel = "immediate"
    return config


def recording_settings(config, judges, executed_directory, executed):
    """What ``course grade``'s main process (the only judge and writer) changes in ``config`` (in place;
    returned) to record one submission a worker executed, and why. Nothing else differs from plain
    ``nbgrader autograde``.

    ``judges``: the run's :class:`~course.grading.judge.JudgePool`; ``executed_directory``: where workers wrote
    the notebooks they executed; ``executed``: whether this submission has any there.
    """
    from .replay import UseExecutedNotebook

    # The notebook the worker executed takes the place of execution; every other step is nbgrader's own.
    execute = execute_class(config)
    config.Autograde.autograde_preprocessors = [UseExecutedNotebook if p is execute else p
                                                for p in config.Autograde.autograde_preprocessors]
    config.UseExecutedNotebook.executed_directory = str(executed_directory)
    # Verdicts come from the run's judges, started once (graders' references computed once) and stopped with it.
    config.JudgeHandovers.judges = judges
    # The run's pre-flight checked the setup.
    config.CheckedNotebookExporter.check_setup = False
    if executed:
        # The worker sanitized the notebooks it executed, and their copies replace whatever this pass makes.
        config.Autograde.sanitize_preprocessors = []
    # The integrity report is written once, after the class.
    config.Autograde.post_convert_hook = None
    return config
