"""The one configuration of the course.

Everything about the course as a whole lives here: the pretrained weights the
notebooks can use, the grading limits and the nbgrader settings
(``nbgrader_config.py`` only forwards to :func:`configure_nbgrader`, so plain
``nbgrader`` commands typed in the repository root use this file). Each
assignment is declared in its own folder, ``source/<name>/assignment.toml``
(its teaching order, data, models to pre-build, catalogues of answers: see
``course/assignments.py``).
"""
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
#: Where nbgrader keeps the grades (its CourseDirectory.db_url). None: the SQLite file gradebook.db in the course
#: root. For a large class, or manual grading in the formgrader while a class is graded, a PostgreSQL server:
#: "postgresql+psycopg://ROLE@HOST:PORT/DATABASE", its password in ~/.pgpass (mode 0600), never here; or read the
#: whole URL from the environment: os.environ["COURSE_GRADEBOOK_URL"]. See docs/scale.md.
GRADEBOOK_URL = None
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
    """Apply the course settings to an nbgrader traitlets config object, for the course in ``root``.

    Every path starts here: plain nbgrader and the formgrader (nbgrader_config.py), `course grade` and the
    feedback. Which nbgrader option each value above goes to is wired in course/grading/configuration.py;
    `course grade` changes only what its class_worker_settings and recording_settings list.
    """
    from course.grading.configuration import configure

    configure(c, sys.modules[__name__], Path(root))
    # The jupytext twin (.md) of each source notebook holds the solutions, and the assignment's declaration
    # (assignment.toml) its catalogues of answers: neither is ever copied into a release.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md", "assignment.toml"]
