"""The one configuration of the course.

Everything about the course as a whole lives here: the pretrained weights the
notebooks can use, the grading limits and the nbgrader settings
(``nbgrader_config.py`` only forwards to :func:`configure_nbgrader`, so plain
``nbgrader`` commands typed in the repository root use this file). Each
assignment is declared in its own folder, ``source/<name>/assignment.toml``
(its teaching order, data, models to pre-build, catalogues of answers: see
``course/assignments.py``).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COURSE_ID = "cnn-pytorch"

#: Canonical data (see data/README.md); each assignment's declaration names the files its release carries.
DATA_DIR = ROOT / "data"
CAT_IMAGE = DATA_DIR / "cat.jpg"

#: Pretrained weights the notebooks use when they are in the torch cache
#: (``python -m course weights`` places and verifies them).
PRETRAINED_WEIGHTS = ("VGG16_Weights.IMAGENET1K_V1", "ResNet50_Weights.IMAGENET1K_V1")

#: Bounds of one submission during autograding (enforced by course/grading).
#: A submission that reaches one loses only what it could not run, and its
#: feedback names the bound in French.
CELL_TIMEOUT_SECONDS = 120          # wall time of one cell
NOTEBOOK_TIMEOUT_SECONDS = 900      # wall time of the whole notebook
INTERRUPT_GRACE_SECONDS = 10        # after a timeout: wait this long for the interrupt, then restart the kernel
MEMORY_LIMIT_BYTES = 6 * 2**30      # all the submission's processes together
PROCESS_LIMIT = 64                  # processes and threads' owners of one submission
WORKDIR_LIMIT_BYTES = 512 * 2**20   # what it may write in its folder (never the instructor's disk)
TMP_LIMIT_BYTES = 512 * 2**20       # what it may write in its private /tmp
OUTPUT_LIMIT_BYTES = 2**20          # outputs kept per cell; the rest is dropped with a note
#: The judge (graders, in its own process) answers each test cell in milliseconds; one that takes longer than
#: this is stuck: on one hand-over, that cell is flagged for review; on every request, grading stops.
JUDGE_TIMEOUT_SECONDS = 60
#: Assignments whose test cells are scored by their own asserts, as in plain nbgrader, with no judge. A student's
#: code can fool such asserts (it shares their kernel): list an assignment here only on purpose. Any other
#: assignment needs a check in graders for each test cell, or grading stops before any student.
ASSERT_GRADED_ASSIGNMENTS = ()
#: Files handed in beside the notebook (collect, autograde and feedback copy only regular files: links,
#: pipes and devices are never followed). What exceeds is dropped, with a note to the student and an
#: entry in the integrity report; the release's own data (cat.jpg, 50 kB) is far below.
HANDIN_MAX_FILES = 100              # files, in name order
HANDIN_MAX_FILE_BYTES = 50 * 2**20  # one file
HANDIN_MAX_TOTAL_BYTES = 200 * 2**20  # all of them (they must fit in WORKDIR_LIMIT_BYTES)
#: Who may read and write the course folder besides the instructor: False, nobody (folders 0700, files 0600);
#: True, the folder's group, e.g. the TAs (nbgrader's CourseDirectory.groupshared: folders 2770, files 0660).
#: Others never. What the grading tools create gets these modes; `course doctor` checks the rest.
GROUPSHARED = False
#: "bwrap" isolates each submission's kernel (required on a shared machine),
#: "none" runs it as the instructor (only for trusted notebooks).
SANDBOX = "bwrap"

#: Students' notebooks are handed in with this stub in every solution cell.
CODE_STUB = "# VOTRE CODE ICI\nraise NotImplementedError()"
TEXT_STUB = "VOTRE RÉPONSE ICI"


#: The Python that runs the students' kernels: None means the course's own
#: ``.venv`` when it exists, else the Python running nbgrader. Set it when the
#: formgrader runs in a Python that lacks torch (e.g. a JupyterHub's own).
GRADING_PYTHON = None
#: Modules the class runner's warm kernels import before any submission is
#: assigned to them. (graders' references are computed once per judge process:
#: see course/grading/judge.py.)
PRELOAD_MODULES = ("numpy", "scipy.signal", "PIL.Image", "torch", "torch.nn.functional", "torchvision",
                   "matplotlib.pyplot", "handover.plain", "handover.evidence",
                   # what a kernel imports while it starts (pdb alone costs 0.3 s)
                   "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "pdb", "sqlite3", "psutil")


def grading_python(root=ROOT):
    if GRADING_PYTHON:
        return GRADING_PYTHON
    venv_python = Path(root) / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def configure_nbgrader(c, root=ROOT):
    """Apply the course settings to an nbgrader traitlets config object, for the course in ``root``."""
    root = Path(root)
    # nbgrader runs `alembic` from PATH: make the tools of the Python running nbgrader reachable,
    # so `.venv/bin/nbgrader ...` works without activating the environment.
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    c.CourseDirectory.course_id = COURSE_ID
    # The solutions, every student's work and grades live here: what nbgrader and the grading tools create
    # (gradebook.db, autograded/, feedback/, reports/) is private from the start (course/deployment/permissions.py).
    from course.deployment.permissions import converter_permissions, restrict_umask

    c.CourseDirectory.groupshared = GROUPSHARED
    restrict_umask(GROUPSHARED)
    for converter, mode in converter_permissions(GROUPSHARED).items():
        c[converter].permissions = mode
    c.CourseDirectory.root = str(root)
    # The jupytext twin (.md) of each source notebook holds the solutions, and the assignment's declaration
    # (assignment.toml) its catalogues of answers: neither is ever copied into a release.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md", "assignment.toml"]
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    # nbgrader's own steps, then the authoring metadata goes (jupytext's pairing would write a .md beside the
    # student's notebook at each save).
    from nbgrader.converters import GenerateAssignment

    from course.authoring_metadata import DropAuthoringMetadata

    c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(),
                                          DropAuthoringMetadata]

    c.Execute.timeout = CELL_TIMEOUT_SECONDS
    c.Execute.kernel_manager_class = "course.grading.sandbox.SandboxedKernelManager"
    kernels = c.SandboxedKernelManager  # the fork server's ForkedKernelManager inherits these
    kernels.sandbox = SANDBOX
    kernels.grading_python = grading_python(root)
    # The kernel imports handover (never graders) as the grading Python finds it from this course root, and
    # reads the data from this course.
    from course.grading.locate import package_dir

    kernels.handover_dir = package_dir("handover", grading_python(root), str(root))
    kernels.data_dir = str(root / "data")
    kernels.memory_limit = MEMORY_LIMIT_BYTES
    kernels.process_limit = PROCESS_LIMIT
    kernels.workdir_limit = WORKDIR_LIMIT_BYTES
    kernels.tmp_limit = TMP_LIMIT_BYTES

    from course.grading.hooks import AfterEachSubmission, BeforeEachSubmission

    c.Autograde.pre_convert_hook = BeforeEachSubmission()  # renamed notebooks
    c.Autograde.post_convert_hook = AfterEachSubmission(root)  # reports/<a>-integrity.csv and .html

    # Regular files only, within bounds, from the exchange (collect) and into autograded/ and feedback/.
    c.HandinBounds.max_files = HANDIN_MAX_FILES
    c.HandinBounds.max_file_bytes = HANDIN_MAX_FILE_BYTES
    c.HandinBounds.max_total_bytes = HANDIN_MAX_TOTAL_BYTES
    c.ExchangeFactory.collect = "course.grading.exchange.SafeCollect"  # also: collected work private
    c.ExchangeFactory.release_feedback = "course.grading.exchange.PrivateReleaseFeedback"

    # Fault containment (course/grading): a broken submission costs only its own points.
    from course.grading.preprocessors import AUTOGRADE, SANITIZE
    from course.grading.gate import CheckedNotebookExporter

    # Reads damaged or renamed notebooks, and checks the setup before nbgrader removes or records anything.
    c.Autograde.exporter_class = CheckedNotebookExporter
    c.CheckedNotebookExporter.probe_modules = list(PRELOAD_MODULES)
    c.Autograde.sanitize_preprocessors = list(SANITIZE)
    c.Autograde.autograde_preprocessors = list(AUTOGRADE)
    c.ContainedExecute.timeout = CELL_TIMEOUT_SECONDS
    c.ContainedExecute.notebook_timeout = NOTEBOOK_TIMEOUT_SECONDS
    c.ContainedExecute.interrupt_grace = INTERRUPT_GRACE_SECONDS
    c.ContainedExecute.output_limit = OUTPUT_LIMIT_BYTES
    # Verdicts come from a clean judge process of this course, never from the student's kernel.
    c.JudgeHandovers.grading_python = grading_python(root)
    c.JudgeHandovers.course_root = str(root)
    c.JudgeHandovers.verdict_timeout = JUDGE_TIMEOUT_SECONDS
    c.JudgeHandovers.assert_graded = list(ASSERT_GRADED_ASSIGNMENTS)

    from course.grading.feedback import configure_feedback  # students' feedback: French, no grading secrets
    configure_feedback(c, root)
