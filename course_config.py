"""The one configuration of the course.

Everything an instructor may want to change lives here: the assignments, the
data they carry, the pretrained weights they can use, the grading limits and
the nbgrader settings (``nbgrader_config.py`` only forwards to
:func:`configure_nbgrader`, so plain ``nbgrader`` commands typed in the
repository root use this file).
"""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COURSE_ID = "cnn-pytorch"

#: Assignments in teaching order; each is ``source/<name>/<name>.ipynb``.
ASSIGNMENTS = ("tp_convolution", "cnn_bases")

#: Canonical data (see data/README.md) and the files each release carries.
DATA_DIR = ROOT / "data"
CAT_IMAGE = DATA_DIR / "cat.jpg"
ASSIGNMENT_DATA = {"tp_convolution": ("cat.jpg",), "cnn_bases": ("cat.jpg",)}

#: Pretrained weights the notebooks use when they are in the torch cache
#: (``python -m course weights`` places and verifies them).
PRETRAINED_WEIGHTS = ("VGG16_Weights.IMAGENET1K_V1", "ResNet50_Weights.IMAGENET1K_V1")

#: Autograding limits, per submission.
CELL_TIMEOUT_SECONDS = 180
KERNEL_MEMORY_LIMIT_BYTES = 12 * 2**30
#: "bwrap" isolates each submission's kernel (required on a shared machine),
#: "none" runs it as the instructor (only for trusted notebooks).
SANDBOX = "bwrap"

#: Students' notebooks are handed in with this stub in every solution cell.
CODE_STUB = "# VOTRE CODE ICI\nraise NotImplementedError()"
TEXT_STUB = "VOTRE RÉPONSE ICI"


def configure_nbgrader(c):
    """Apply the course settings to an nbgrader traitlets config object."""
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.root = str(ROOT)
    # The jupytext twin (.md) of each source notebook holds the solutions:
    # it must never be copied into a release.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md"]
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB

    c.Execute.timeout = CELL_TIMEOUT_SECONDS
    c.Execute.kernel_manager_class = "course.sandbox.SandboxedKernelManager"
    c.SandboxedKernelManager.sandbox = SANDBOX
    c.SandboxedKernelManager.memory_limit = KERNEL_MEMORY_LIMIT_BYTES
    # The kernel imports graders (and graders reads its data) from wherever it is installed.
    graders_dir = Path(importlib.util.find_spec("graders").origin).parent
    c.SandboxedKernelManager.readable_paths = [str(graders_dir), str(graders_dir.parent / "data")]

    from nbgrader.converters.autograde import Autograde

    from course.preprocessors import SurviveKernelDeath

    c.Autograde.autograde_preprocessors = [
        SurviveKernelDeath if p.__name__ == "Execute" else p
        for p in Autograde.class_traits()["autograde_preprocessors"].default()
    ]
