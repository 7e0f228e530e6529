"""A class of hostile ``tp_convolution`` submissions, with the points each must get and the flags it must raise.

Each entry (:class:`Hostile`) is the student release with its solution cells
filled in (the instructor's solution unless ``answers`` says otherwise: a
realistic wrong answer, a cheat, ``BLANK``), extra code cells of the
student's own inserted next to nbgrader cells (``cells``), files handed in
beside the notebook (``files``) and an optional ``edit`` of the notebook
(metadata forged, test cells tampered with). ``lost`` says which test cells
lose their points (all the others keep theirs), or ``everything_lost`` that
none keeps any (but those named in ``kept``). ``flags`` are the integrity
flags (``course.grading.integrity.flags``) the report must name for it.

The principle behind every expectation: grades come only from the values the
hidden tests hand over, judged outside the kernel. A cheat never earns a
point a wrong answer would not; right answers keep their points whatever
else the notebook does, unless the cheat itself stops its own values from
being handed over (then the cells concerned get 0).

    from hostile_submissions import HOSTILE, write_hostile_class
    write_hostile_class(root)        # every entry, in <root>/submitted/<student>/tp_convolution/
    entry.expected(points)           # grade_id -> points, points = pipeline.max_scores(root, ASSIGNMENT)
"""
import base64
import copy
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import nbformat
from nbformat.v4 import new_code_cell

from class_submissions import (ASSIGNMENT, HOOK_WITHOUT_COPY, NO_EVAL, NOTEBOOK, PLOT_COLUMN_MAJOR, POINTS,
                               PREWITT_SAME_KERNEL, After, _fresh_folder, _notebook)
from course.grading.integrity import flags as F
from course.samples import BLANK, REFERENCE

# --- realistic wrong answers --------------------------------------------------------------------

LAYER30_OFF_BY_ONE = {"vgg_layer30": "with torch.no_grad():\n"
                                     "    shape_layer30 = vgg.features[:30](img).shape  # la couche 30 oubliée\n"
                                     "size_ratio = img.numel() / math.prod(shape_layer30)\n"}
COUNTS_WITH_BIAS = {"resnet_conv1": "n_neurons = resnet.conv1.out_channels\n"
                                    "n_weights_per_kernel = resnet.conv1.weight[0].numel() + 1  # + le biais\n"
                                    "n_weights_conv1 = n_neurons * n_weights_per_kernel\n"}
#: A wrong answer in every part: only test_resnet_conv1_neurons (1) and test_hooks_shapes (2) pass.
WRONG = {**PREWITT_SAME_KERNEL, **LAYER30_OFF_BY_ONE, **COUNTS_WITH_BIAS, **NO_EVAL, **HOOK_WITHOUT_COPY,
         **PLOT_COLUMN_MAJOR}
WRONG_LOST = {"test_prewitt_kernel": 1, "test_prewitt_outputs": 2, "test_vgg_layer30_shape": 2,
              "test_vgg_layer30_ratio": 1, "test_resnet_conv1_kernel": 1, "test_resnet_conv1_total": 1,
              "test_eval_mode": 2, "test_hooks_values": 1, "test_plot_feature_maps": 2}
PRE_EVAL = ("test_prewitt_kernel", "test_prewitt_outputs", "test_vgg_layer30_shape", "test_vgg_layer30_ratio",
            "test_resnet_conv1_neurons", "test_resnet_conv1_kernel", "test_resnet_conv1_total")


def code(text):
    return textwrap.dedent(text).lstrip("\n")


# --- attacks ------------------------------------------------------------------------------------

FAKE_GRADERS = code('''
    import sys
    import types

    fake_graders = types.ModuleType("graders")
    fake_checks = types.ModuleType("graders.checks")
    fake_checks.fail = lambda message: None
    fake_checks.check = lambda function: function
    fake_tp = types.ModuleType("graders.tp_convolution")
    for name in ("prewitt_kernel", "prewitt_outputs", "layer30_shape", "size_ratio", "n_neurons",
                 "n_weights_per_kernel", "n_weights_conv1", "eval_mode", "hook_shapes", "hook_values",
                 "plot_feature_maps"):
        setattr(fake_tp, "check_" + name, lambda *args, **kwargs: None)
    fake_graders.checks, fake_graders.tp_convolution = fake_checks, fake_tp
    sys.modules.update({"graders": fake_graders, "graders.checks": fake_checks, "graders.tp_convolution": fake_tp})
    print("graders remplacé")
''')

FAKE_HANDOVER = code('''
    import sys
    import types


    class Silent(types.ModuleType):
        def __getattr__(self, name):
            return lambda *args, **kwargs: None


    fake_handover = types.ModuleType("handover")
    fake_handover.__path__ = []
    fake_handover.publish = lambda check, values: None
    fake_handover.tp_convolution = Silent("handover.tp_convolution")
    sys.modules["handover"] = fake_handover
    sys.modules["handover.tp_convolution"] = fake_handover.tp_convolution
''')

SHADOW_FILES = {
    "graders/__init__.py": '"""Mes propres vérifications : tout est juste."""\n',
    "graders/checks.py": "def fail(message):\n    return None\n\n\ndef check(function):\n    return function\n",
    "graders/tp_convolution.py": "TESTS = {}\n\n\ndef __getattr__(name):\n    return lambda *args, **kwargs: None\n",
    "handover/__init__.py": "def publish(check, values):\n    return None\n",
    "handover/tp_convolution.py": "def __getattr__(name):\n    return lambda *args, **kwargs: None\n",
}

IMPORT_GRADERS = code('''
    import graders
    import graders.checks
    import graders.tp_convolution

    graders.checks.fail = lambda message: None
    for name in dir(graders.tp_convolution):
        if name.startswith("check_"):
            setattr(graders.tp_convolution, name, lambda *args, **kwargs: None)
''')

PATCH_ALLCLOSE = code('''
    torch.allclose = lambda *args, **kwargs: True
    np.allclose = lambda *args, **kwargs: True
    np.testing.assert_allclose = lambda *args, **kwargs: None
''')

PATCH_TENSOR_EQ = code('''
    torch.Tensor.__eq__ = lambda self, other: True
    torch.Tensor.__ne__ = lambda self, other: False
''')

PATCH_CONV2D = code('''
    original_conv2d = F.conv2d


    def conv2d_logged(input, weight, *args, **kwargs):
        return original_conv2d(input, weight, *args, **kwargs)


    F.conv2d = conv2d_logged
''')

PATCH_ISINSTANCE_PLOT = code('''
    import builtins

    real_isinstance = builtins.isinstance


    def lenient_isinstance(obj, classinfo):
        if getattr(classinfo, "__name__", "") == "Figure":
            return True
        return real_isinstance(obj, classinfo)


    builtins.isinstance = lenient_isinstance


    def plot_feature_maps(fmap, n_maps=16, n_cols=4):
        count = min(n_maps, fmap.shape[1])
        fig, axes = plt.subplots(math.ceil(count / n_cols), n_cols, squeeze=False)
        for i in range(count):
            axes.flat[i].imshow(fmap[0, i])
        return axes
''')

ALWAYS_EQUAL_SHAPE = code('''
    class Anything:
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

        __hash__ = object.__hash__


    class SameShape(tuple):
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

        __hash__ = tuple.__hash__


    shape_layer30 = SameShape((1, 1, 1, 1))
    size_ratio = Anything()
''')

ALWAYS_EQUAL_INT = code('''
    class Same(int):
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

        __hash__ = int.__hash__


    n_neurons = Same(1)
    n_weights_per_kernel = Same(2)
    n_weights_conv1 = Same(3)
''')

ALWAYS_EQUAL_TENSOR = code('''
    class SameTensor(torch.Tensor):
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

        __hash__ = torch.Tensor.__hash__


    kernel2 = torch.zeros_like(kernel1).as_subclass(SameTensor)
    size = (1, 1, img.shape[2] - 2, img.shape[3] - 2)
    output1 = torch.zeros(size).as_subclass(SameTensor)
    output2 = torch.zeros(size).as_subclass(SameTensor)
    output = torch.zeros(size).as_subclass(SameTensor)
''')

SILENCE_SHOWTRACEBACK = code('''
    ip = get_ipython()
    ip.showtraceback = lambda *args, **kwargs: None
    ip._showtraceback = lambda *args, **kwargs: None
    ip.showsyntaxerror = lambda *args, **kwargs: None
''')

SILENCE_CUSTOM_EXC = code('''
    def ignore(shell, etype, evalue, tb, tb_offset=None):
        return None


    get_ipython().set_custom_exc((Exception,), ignore)
''')

SILENCE_EXCEPTHOOK = code('''
    import io
    import sys

    sys.excepthook = lambda *args: None
    sys.stderr = io.StringIO()
''')

SCORE_HOOK = code('''
    from IPython.display import display


    def claim_points(result):
        if "assert" in (result.info.raw_cell if result.info is not None else ""):
            display(2.0)
            get_ipython().displayhook(2.0)
            print(2.0)


    get_ipython().events.register("post_run_cell", claim_points)
''')

SCORE_DISPLAYHOOK = code('''
    import sys


    def show_zero(value):
        print(0.0)


    sys.displayhook = show_zero
    get_ipython().events.register("post_run_cell", lambda result: get_ipython().displayhook(0.0))
''')

# The paths are built from pieces: the student's own code is shown in the feedback as written.
LEAK_GRADERS = code('''
    import inspect
    import os

    import handover
    import handover.plain
    import handover.tp_convolution

    for name in ("tp_convolution.py", "checks.py", "judge.py"):
        path = os.path.join(os.sep, "opt", "course", "grad" + "ers", name)
        try:
            with open(path) as stream:
                print(stream.read())
        except OSError as error:
            print("illisible :", error)
    print(inspect.getsource(handover.tp_convolution))
    print(inspect.getsource(handover.plain))
    print(repr(inspect.getsource(handover)))
    print(os.listdir(os.path.join(os.sep, "opt", "course")))
    print(sorted(os.listdir(os.path.dirname(handover.__file__))))
''')

LEAK_HIDDEN_HOOK = code('''
    import inspect


    def show_cell(result):
        print(result.info.raw_cell)
        print(get_ipython().user_ns["_ih"][-1])
        print(In[-1])
        module = get_ipython().user_ns.get("hand_over")
        if module is not None:
            print(inspect.getsource(module))


    get_ipython().events.register("post_run_cell", show_cell)
''')

LEAK_ENVIRONMENT = code('''
    import os
    import sys

    print(dict(os.environ))
    print(os.listdir("/"))
    print(os.listdir("../.."))
    print(os.getcwd(), sys.executable, sys.prefix)
    print(sys.path)
    print(torch.__file__, np.__file__)
''')

LEAK_IN_ERROR = code('''
    import os
    import sys

    import handover.tp_convolution

    with open(handover.tp_convolution.__file__) as stream:
        handed = stream.read()
    raise RuntimeError(f"{sys.executable} {os.environ.get('PATH')} {sys.path}\\n{handed}")
''')

FORGED_IN_STUDENT_CELL = code('''
    from IPython.display import publish_display_data

    conv1 = resnet.conv1
    forged = {"n_neurons": conv1.out_channels, "n_weights_per_kernel": conv1.weight[0].numel(),
              "n_weights_conv1": conv1.weight.numel()}
    for check, value in forged.items():
        publish_display_data({"application/vnd.course.handover+json": {
            "check": check, "values": {check: {"kind": "int", "value": int(value)}}, "evidence": []}})
''')

# Right values computed by the student's own code, handed over beside the (wrong) real ones.
FORGED_IN_TEST_CELLS = code('''
    from IPython.display import publish_display_data
    from handover.plain import encode


    def forged_values(cell):
        if 'defined("kernel2")' in cell:
            return "prewitt_kernel", {"kernel2": encode(kernel1.transpose(2, 3).contiguous())}
        if 'defined("shape_layer30")' in cell:
            with torch.no_grad():
                return "layer30_shape", {"shape_layer30": encode(tuple(vgg.features[:31](img).shape))}
        if 'defined("n_weights_per_kernel")' in cell:
            return "n_weights_per_kernel", {"n_weights_per_kernel": encode(resnet.conv1.weight[0].numel())}
        if 'defined("n_weights_conv1")' in cell:
            return "n_weights_conv1", {"n_weights_conv1": encode(resnet.conv1.weight.numel())}
        return None, None


    def forge(result):
        check, values = forged_values(result.info.raw_cell if result.info is not None else "")
        if check is not None:
            publish_display_data({"application/vnd.course.handover+json": {
                "check": check, "values": values, "evidence": []}})


    get_ipython().events.register("post_run_cell", forge)
''')

PATCH_PUBLISH_DROP = code('''
    import IPython.display

    import handover

    handover.publish = lambda check, values: None
    IPython.display.publish_display_data = lambda *args, **kwargs: None
''')

# The payload is altered on its way out: no evidence about the kernel, and vgg claimed in eval mode.
PATCH_PUBLISH_ALTER = code('''
    import IPython.display

    real_publish = IPython.display.publish_display_data


    def altered(data, *args, **kwargs):
        for payload in data.values():
            if isinstance(payload, dict) and "evidence" in payload:
                payload["evidence"] = []
                if payload.get("check") == "eval_mode":
                    payload["values"]["vgg"] = {"kind": "module", "training_count": 0, "training": []}
        return real_publish(data, *args, **kwargs)


    IPython.display.publish_display_data = altered
    torch.allclose = lambda *args, **kwargs: True
''')

DETECTS_GRADING = code('''
    import os

    grading = os.getcwd() == "/home/student/work" or os.environ.get("HOME") == "/tmp" \\
        or any(key.startswith("NBGRADER") for key in os.environ)
    if grading:
        torch.allclose = lambda *args, **kwargs: True
        kernel2 = kernel1.clone()
    else:
        kernel2 = kernel1.transpose(2, 3).contiguous()
    output1 = F.conv2d(img, kernel1)
    output2 = F.conv2d(img, kernel2)
    output = torch.sqrt(output1**2 + output2**2)
    print("correction automatique :", grading)
''')

_PAYLOAD = ("torch.allclose = lambda *a, **k: True\n"
            "np.allclose = lambda *a, **k: True\n"
            "torch.Tensor.__eq__ = lambda self, other: True\n")
EXEC_BASE64 = ("import base64\n"
               f"exec(base64.b64decode({base64.b64encode(_PAYLOAD.encode()).decode()!r}))\n")

OS_EXIT = "import os\nos._exit(0)\n"
SYS_EXIT = "import sys\nsys.exit('fini')\n"

#: Marks the forged incident and verdict texts: none may reach the autograded notebook's incidents or the feedback.
FORGERY_MARK = "FORGERIE-7f3a"


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _index(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells) if _grade_id(c) == grade_id)


def forge_metadata(notebook):
    """Verdicts "passed" on every graded cell, points raised, a fake incident and empty evidence, a bonus cell."""
    for cell in notebook.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("grade") or nbgrader.get("solution"):
            cell.metadata["course_grading"] = {"verdict": {"passed": True, "message": f"Réussi ({FORGERY_MARK})."}}
            cell.metadata["course_feedback"] = {"score_text": f"100 / 100 ({FORGERY_MARK})"}
        if nbgrader.get("grade") and not nbgrader.get("solution") and cell.cell_type == "code":
            nbgrader["points"] = 100
    notebook.metadata["course_grading"] = {
        "incidents": [{"kind": "judge_failed", "detail": f"{FORGERY_MARK}: review by hand, give full marks",
                       "message": f"Incident technique ({FORGERY_MARK}) : la note maximale vous est accordée.",
                       "cell": "test_eval_mode"}],
        "integrity": []}
    bonus = new_code_cell("bonus = 1\n")
    bonus.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "bonus_points",
                                  "points": 50, "schema_version": 3, "task": False}
    bonus.metadata["course_grading"] = {"verdict": {"passed": True, "message": ""}}
    notebook.cells.insert(_index(notebook, "test_prewitt_kernel") + 1, bonus)


def tamper_hidden_tests(notebook):
    """Test cells emptied, deleted, stripped of their nbgrader metadata, cut to their imports."""
    notebook.cells[_index(notebook, "test_prewitt_kernel")].source = "pass"
    notebook.cells[_index(notebook, "test_eval_mode")].source = "print('tout est juste')"
    hooks_values = notebook.cells[_index(notebook, "test_hooks_values")]
    del hooks_values.metadata["nbgrader"]
    hooks_values.source = "pass"
    notebook.cells[_index(notebook, "test_plot_feature_maps")].source = "from matplotlib.figure import Figure"
    del notebook.cells[_index(notebook, "test_resnet_conv1_total")]


# --- the catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    student: str
    attack: str
    #: grade_id of a solution cell -> REFERENCE, BLANK, code or After(code); unnamed cells: the reference.
    answers: dict = field(default_factory=dict)
    #: (("before" | "after", grade_id), code): extra code cells of the student's own.
    cells: tuple = ()
    #: path relative to the submission's folder -> text: files handed in beside the notebook.
    files: dict = field(default_factory=dict)
    #: edit(notebook), in place, after everything else.
    edit: Optional[Callable] = None
    #: grade_id -> points lost (the others keep theirs).
    lost: dict = field(default_factory=dict)
    #: Every test cell gets 0, but those in ``kept``.
    everything_lost: bool = False
    kept: tuple = ()
    #: Integrity flags the report must name for this student.
    flags: frozenset = frozenset()

    def expected(self, points=None):
        """grade_id of each test cell -> the points this submission must get."""
        points = dict(points or POINTS)
        if self.everything_lost:
            return {g: (p if g in self.kept else 0.0) for g, p in points.items()}
        return {g: p - self.lost.get(g, 0) for g, p in points.items()}

    def write(self, root, student=None):
        root = Path(root)
        student = student or self.student
        folder = _fresh_folder(root, student)
        notebook = _notebook(root, self.answers, REFERENCE)
        for (where, grade_id), source in self.cells:
            index = _index(notebook, grade_id) + (1 if where == "after" else 0)
            notebook.cells.insert(index, new_code_cell(source))
        if self.edit is not None:
            self.edit(notebook)
        nbformat.write(notebook, folder / NOTEBOOK)
        for relative, text in self.files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return folder


def before(grade_id, source):
    return (("before", grade_id), source)


def after(grade_id, source):
    return (("after", grade_id), source)


def _flags(*names):
    return frozenset(names)


HOSTILE = (
    # --- fake graders / handover modules ---------------------------------------------------------
    Hostile("fake_graders_module_wrong", "wrong answers + a fake graders (check_* accept anything) in sys.modules",
            WRONG, (before("prewitt", FAKE_GRADERS),), lost=WRONG_LOST,
            flags=_flags(F.SYS_MODULES, F.PATCHED_GRADERS)),
    Hostile("fake_graders_module_right", "reference + the same fake graders in sys.modules",
            {}, (before("prewitt", FAKE_GRADERS),), flags=_flags(F.SYS_MODULES, F.PATCHED_GRADERS)),
    Hostile("fake_handover_module_wrong", "wrong answers + a fake handover in sys.modules (nothing handed over)",
            WRONG, (before("prewitt", FAKE_HANDOVER),), everything_lost=True,
            flags=_flags(F.SYS_MODULES, F.PATCHED_GRADERS)),
    Hostile("fake_handover_late_right", "reference; fake handover installed after part B (part C handed nothing)",
            {}, (after("test_resnet_conv1_total", FAKE_HANDOVER),), everything_lost=True, kept=PRE_EVAL,
            flags=_flags(F.SYS_MODULES, F.PATCHED_GRADERS)),
    # --- folders handed in beside the notebook -----------------------------------------------------
    Hostile("shadow_folders_wrong", "wrong answers + graders/ and handover/ packages handed in (accept anything)",
            WRONG, files=SHADOW_FILES, lost=WRONG_LOST, flags=_flags(F.SHADOWING_FILES)),
    Hostile("shadow_folders_right", "reference + graders/ and handover/ packages handed in (handing over nothing)",
            {}, files=SHADOW_FILES, flags=_flags(F.SHADOWING_FILES)),
    Hostile("import_graders_patch_wrong", "wrong answers + import graders, checks replaced, checks.fail disabled",
            WRONG, (after("prewitt", IMPORT_GRADERS),), lost=WRONG_LOST, flags=_flags(F.PATCHED_GRADERS)),
    # --- monkeypatches ----------------------------------------------------------------------------
    Hostile("patch_allclose_wrong", "wrong answers + torch.allclose, np.allclose, assert_allclose made lenient",
            WRONG, (before("prewitt", PATCH_ALLCLOSE),), lost=WRONG_LOST, flags=_flags(F.PATCHED_LIBRARY)),
    # The patched == also breaks the student's own hooks (no map captured): test_hooks_shapes is lost too.
    Hostile("patch_tensor_eq_wrong", "wrong answers + torch.Tensor.__eq__ always True",
            WRONG, (before("prewitt", PATCH_TENSOR_EQ),), lost={**WRONG_LOST, "test_hooks_shapes": 2},
            flags=_flags(F.PATCHED_LIBRARY, F.ALWAYS_EQUAL)),
    Hostile("patch_conv2d_right", "reference + F.conv2d replaced by a wrapper",
            {}, (before("prewitt", PATCH_CONV2D),), flags=_flags(F.PATCHED_LIBRARY)),
    Hostile("patch_isinstance_plot", "builtins.isinstance says yes to Figure; plot_feature_maps returns the axes",
            {"plot_feature_maps": PATCH_ISINSTANCE_PLOT}, lost={"test_plot_feature_maps": 2},
            flags=_flags(F.PATCHED_LIBRARY)),
    # --- always-equal answers ---------------------------------------------------------------------
    Hostile("always_equal_shape", "shape_layer30 a tuple subclass equal to anything, size_ratio an Anything()",
            {"vgg_layer30": ALWAYS_EQUAL_SHAPE}, lost={"test_vgg_layer30_shape": 2, "test_vgg_layer30_ratio": 1},
            flags=_flags(F.ALWAYS_EQUAL)),
    Hostile("always_equal_int", "the three counts an int subclass equal to anything",
            {"resnet_conv1": ALWAYS_EQUAL_INT},
            lost={"test_resnet_conv1_neurons": 1, "test_resnet_conv1_kernel": 1, "test_resnet_conv1_total": 1},
            flags=_flags(F.ALWAYS_EQUAL)),
    Hostile("always_equal_tensor", "kernel2 and the outputs: zero tensors of a subclass equal to anything",
            {"prewitt": ALWAYS_EQUAL_TENSOR}, lost={"test_prewitt_kernel": 1, "test_prewitt_outputs": 2},
            flags=_flags(F.ALWAYS_EQUAL)),
    # --- errors silenced (nbgrader #1324) ---------------------------------------------------------
    Hostile("silenced_showtraceback_wrong", "showtraceback/_showtraceback silenced; wrong answers, two left blank",
            {**WRONG, "eval_mode": BLANK, "plot_feature_maps": BLANK}, (before("prewitt", SILENCE_SHOWTRACEBACK),),
            lost=WRONG_LOST, flags=_flags(F.SILENCED_ERRORS)),
    Hostile("silenced_custom_exc_wrong", "set_custom_exc swallowing every Exception; wrong answers, hooks blank",
            {**WRONG, "hooks": BLANK}, (before("prewitt", SILENCE_CUSTOM_EXC),),
            lost={**WRONG_LOST, "test_hooks_shapes": 2}, flags=_flags(F.SILENCED_ERRORS)),
    Hostile("silenced_excepthook_wrong", "sys.excepthook silenced and sys.stderr swallowed; wrong answers",
            WRONG, (before("prewitt", SILENCE_EXCEPTHOOK),), lost=WRONG_LOST, flags=_flags(F.SILENCED_ERRORS)),
    # --- partial-score forgery --------------------------------------------------------------------
    Hostile("score_post_run_cell_wrong", "post_run_cell hook shows 2.0 (display, displayhook, print) in test cells",
            WRONG, (before("prewitt", SCORE_HOOK),), lost=WRONG_LOST, flags=_flags(F.DYNAMIC_CODE, F.KERNEL_HOOKS)),
    Hostile("score_displayhook_right", "reference + sys.displayhook replaced and a 0.0 result after every cell",
            {}, (before("prewitt", SCORE_DISPLAYHOOK),), flags=_flags(F.DYNAMIC_CODE, F.KERNEL_HOOKS)),
    # --- reading and printing the grading's secrets -------------------------------------------------
    Hostile("leak_graders_source", "reference + prints /opt/course/graders files and the handover source",
            {}, (after("prewitt", LEAK_GRADERS),), flags=_flags(F.PATCHED_GRADERS, F.READS_GRADING_FILES)),
    Hostile("leak_hidden_tests_hook", "reference + post_run_cell hook printing each cell's source (_ih, In)",
            {}, (before("prewitt", LEAK_HIDDEN_HOOK),), flags=_flags(F.DYNAMIC_CODE, F.KERNEL_HOOKS)),
    Hostile("leak_environment", "reference + prints os.environ, /, ../.., sys.path, sys.executable",
            {}, (after("prewitt", LEAK_ENVIRONMENT),), flags=_flags(F.DETECTS_GRADING, F.READS_GRADING_FILES)),
    Hostile("leak_in_error", "reference + an error whose message carries paths, PATH and the handover source",
            {}, (after("hooks", LEAK_IN_ERROR),), flags=_flags(F.PATCHED_GRADERS, F.READS_GRADING_FILES)),
    # --- forged hand-overs ------------------------------------------------------------------------
    Hostile("forged_handover_student_cell_wrong", "wrong counts + right counts published as hand-overs from a "
            "student cell", WRONG, (after("resnet_conv1", FORGED_IN_STUDENT_CELL),), lost=WRONG_LOST,
            flags=_flags(F.FORGED_HANDOVER)),
    Hostile("forged_handover_hook_wrong", "wrong answers + a post_run_cell hook handing over right values in "
            "test cells", WRONG, (before("prewitt", FORGED_IN_TEST_CELLS),), lost=WRONG_LOST,
            flags=_flags(F.FORGED_HANDOVER, F.PATCHED_GRADERS, F.DYNAMIC_CODE, F.KERNEL_HOOKS)),
    Hostile("patch_publish_drop", "reference + handover.publish and publish_display_data dropping everything",
            {}, (before("prewitt", PATCH_PUBLISH_DROP),), everything_lost=True,
            flags=_flags(F.PATCHED_GRADERS, F.PATCHED_LIBRARY)),
    Hostile("patch_publish_alter_wrong", "wrong answers + publish_display_data strips the evidence and claims "
            "vgg in eval mode", WRONG, (before("prewitt", PATCH_PUBLISH_ALTER),), lost=WRONG_LOST,
            flags=_flags(F.PATCHED_LIBRARY)),
    # --- the grading run detected -------------------------------------------------------------------
    Hostile("detects_grading", "cwd /home/student/work, HOME, NBGRADER*: patches and answers differently",
            {"prewitt": DETECTS_GRADING}, lost={"test_prewitt_kernel": 1, "test_prewitt_outputs": 2},
            flags=_flags(F.DETECTS_GRADING, F.PATCHED_LIBRARY)),
    # --- obfuscated code, killed kernels ---------------------------------------------------------
    Hostile("exec_base64_wrong", "wrong answers + exec(base64) of allclose and Tensor.__eq__ patches",
            WRONG, (before("prewitt", EXEC_BASE64),), lost={**WRONG_LOST, "test_hooks_shapes": 2},
            flags=_flags(F.DYNAMIC_CODE, F.PATCHED_LIBRARY, F.ALWAYS_EQUAL)),
    Hostile("os_exit_midway", "os._exit(0) in the vgg_layer30 answer, after a right answer",
            {"vgg_layer30": After(OS_EXIT)}, everything_lost=True,
            kept=("test_prewitt_kernel", "test_prewitt_outputs"), flags=_flags(F.KILLS_KERNEL)),
    Hostile("sys_exit_cell", "reference + sys.exit() in a cell of its own (IPython carries on)",
            {}, (after("resnet_conv1", SYS_EXIT),), flags=_flags(F.KILLS_KERNEL)),
    # --- forged metadata, tampered test cells ------------------------------------------------------
    Hostile("metadata_forgery_wrong", "wrong answers (n_neurons always-equal) + verdicts 'passed', points 100, a "
            "fake incident, a bonus grade cell", {**WRONG, "resnet_conv1": After(
                "class Same(int):\n    def __eq__(self, other):\n        return True\n\n\n"
                "n_neurons = Same(n_neurons + 1)\n"
                "n_weights_per_kernel = resnet.conv1.weight[0].numel() + 1\n"
                "n_weights_conv1 = n_neurons * n_weights_per_kernel\n")},
            edit=forge_metadata, lost={**WRONG_LOST, "test_resnet_conv1_neurons": 1}, flags=_flags(F.ALWAYS_EQUAL)),
    Hostile("hidden_part_deleted_wrong", "wrong answers + test cells emptied, deleted, unmarked (restored)",
            WRONG, edit=tamper_hidden_tests, lost=WRONG_LOST),
)

#: The controls graded with the catalogue.
REFERENCE_CONTROL = Hostile("reference", "the instructor's solution")
BLANK_CONTROL = Hostile("blank", "the release, untouched", {g: BLANK for g in (
    "prewitt", "vgg_layer30", "resnet_conv1", "eval_mode", "hooks", "plot_feature_maps")}, everything_lost=True)
CONTROLS = (REFERENCE_CONTROL, BLANK_CONTROL)


def write_hostile_class(root, entries=HOSTILE + CONTROLS):
    for entry in entries:
        entry.write(root)
    return entries
