"""Grading fails closed: a broken setup stops before any student, and a forged hand-over costs one cell.

Real processes throughout: real judges (``python -m graders.judge``) in
throw-away course folders, real nbgrader on a copy of the course.
"""
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time

import nbformat
import pytest
from nbformat.v4 import new_output

import course_config
import handover
from course import pipeline
from course.grading.judge import Judge, JudgeError
from course.grading.preprocessors.judge_handovers import UNREADABLE, JudgeHandovers, _depth
from course.grading.runner import cause_in_log
from course.grading.setup_check import GradingSetupError

from .test_judge_handovers import graded_cell, judged, verdict

PYTHON = course_config.grading_python()


def course_with_graders(tmp_path, serve_body):
    """A course folder whose own graders/judge.py serves requests with ``serve_body`` (a judge of our own)."""
    (tmp_path / "graders").mkdir(parents=True)
    (tmp_path / "graders" / "__init__.py").write_text("")
    (tmp_path / "graders" / "judge.py").write_text(textwrap.dedent("""\
        import json, sys, time
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
        """) + textwrap.indent(textwrap.dedent(serve_body), "    "))
    return tmp_path


ANSWER = 'print(json.dumps({"test": request["test"], "passed": False, "message": "non"}), flush=True)\n'


# --- the judge's time bound -----------------------------------------------------------------------

def test_does_a_judge_that_never_answers_stop_grading_in_bounded_time(tmp_path):
    root = course_with_graders(tmp_path, "time.sleep(3600)\n")
    judge = Judge(PYTHON, root, "lab", verdict_timeout=2).launch()
    started = time.monotonic()
    with pytest.raises(GradingSetupError, match="gave no answer within 2 s"):
        judge.require_live(["test_a"])
    assert time.monotonic() - started < 30
    judge.close()


def test_does_a_judge_stuck_on_one_payload_cost_that_cell_only(tmp_path):
    body = ('if request["handover"] == "stuck":\n    time.sleep(3600)\n' + ANSWER)
    judge = Judge(PYTHON, course_with_graders(tmp_path, body), "lab", verdict_timeout=2).launch()
    with pytest.raises(JudgeError, match="twice"):
        judge.verdict("test_a", "stuck")
    assert judge.verdict("test_a", {"values": {}}) == (False, "non")  # restarted, and still judging
    judge.close()


def test_does_a_judge_dying_mid_reply_not_stall_the_run(tmp_path):
    body = 'sys.stdout.write(\'{"test": "\'); sys.stdout.flush(); time.sleep(3600)\n'
    judge = Judge(PYTHON, course_with_graders(tmp_path, body), "lab", verdict_timeout=2).launch()
    started = time.monotonic()
    with pytest.raises(GradingSetupError):
        judge.verdict("test_a", None)
    assert time.monotonic() - started < 30
    judge.close()


def test_does_a_judge_that_passes_an_empty_hand_over_stop_grading(tmp_path):
    body = 'print(json.dumps({"test": request["test"], "passed": True, "message": ""}), flush=True)\n'
    judge = Judge(PYTHON, course_with_graders(tmp_path, body), "lab", verdict_timeout=10).launch()
    with pytest.raises(GradingSetupError, match="when nothing was handed over"):
        judge.require_live(["test_a"])
    judge.close()


def test_does_a_test_cell_without_a_check_stop_grading(tmp_path):
    judge = Judge(PYTHON, course_config.ROOT, "cnn_bases", course_config.JUDGE_TIMEOUT_SECONDS).launch()
    with pytest.raises(GradingSetupError, match="add a check for 'test_nobody_wrote'"):
        judge.require_live(["test_conv1d", "test_nobody_wrote"])
    judge.close()


def test_does_a_judge_that_cannot_start_name_the_fix(tmp_path):
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "__init__.py").write_text("raise ImportError('no torch here')\n")
    with pytest.raises(GradingSetupError, match="(?s)no torch here.*To fix"):
        Judge(PYTHON, tmp_path, "lab", course_config.JUDGE_TIMEOUT_SECONDS).launch().ready()


# --- forged hand-overs cost their own cell, nothing else ----------------------------------------

def nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


FORGED = {
    "deep nesting": {"check": "conv1d", "values": {"conv1d": nested(200)}},
    "huge": {"check": "conv1d", "values": {"conv1d": "x" * (9 * 2**20)}},
    "not a dict": ["conv1d", 1, 2],
    "unknown check": {"check": "rm_rf", "values": {}},
    "non-finite": {"check": "conv1d", "values": {"conv1d": {"kind": "float", "value": float("nan")}}},
    "huge integer": {"check": "conv1d", "values": {"conv1d": {"kind": "int", "value": 10 ** 400}}},
    "a string": "conv1d",
    "null": None,
}


def forged_output(payload):
    return new_output("display_data", data={handover.MIME_TYPE: payload})


@pytest.mark.parametrize("payload", FORGED.values(), ids=FORGED.keys())
def test_does_a_forged_hand_over_fail_its_own_cell_only(payload):
    forged = graded_cell(forged_output(payload), grade_id="test_conv1d")
    other = graded_cell(grade_id="test_output_size")
    started = time.monotonic()
    notebook = judged(forged, other)
    assert time.monotonic() - started < 60
    assert verdict(notebook.cells[0])["passed"] is False
    assert verdict(notebook.cells[0])["message"]  # a French message, whatever came
    assert verdict(notebook.cells[1])["passed"] is False  # judged on its own (it handed nothing over)
    assert not any(handover.MIME_TYPE in o.get("data", {}) for cell in notebook.cells for o in cell.outputs)


def test_is_an_oversized_or_too_deep_hand_over_never_sent_to_the_judge():
    cell = judged(graded_cell(forged_output(FORGED["deep nesting"]))).cells[0]
    assert verdict(cell) == {"passed": False, "message": UNREADABLE}
    assert _depth(nested(10 ** 5), 40) == 41  # counted without recursion, and only up to the bound


# --- setup errors through real nbgrader ----------------------------------------------------------

def nbgrader(root, *args):
    return subprocess.run([str(course_config.ROOT / ".venv" / "bin" / "nbgrader"), *args], cwd=root,
                          capture_output=True, text=True, timeout=900)


def submissions(root):
    with sqlite3.connect(root / "gradebook.db") as db:
        return db.execute("select count(*) from submitted_assignment").fetchone()[0]


def break_configuration(root):
    """A course whose configuration cannot load here, with one submission handed in and one (unjudged) copy in
    autograded/ (so that each converter gets as far as building its exporter)."""
    pipeline.generate_release(root, "cnn_bases")
    pipeline.write_submissions(root, "cnn_bases", ["reference"])
    shutil.copytree(root / "submitted" / "reference", root / "autograded" / "reference")
    config = root / "course_config.py"
    config.write_text("import a_module_this_python_lacks\n" + config.read_text())


REFUSED = "RuntimeError: The course configuration"


def test_does_a_configuration_that_cannot_load_refuse_to_grade_and_give_feedback(course_copy):
    break_configuration(course_copy)
    release = (course_copy / "release" / "cnn_bases" / "cnn_bases.ipynb").read_bytes()
    for command in (("autograde", "cnn_bases", "--force"), ("generate_feedback", "cnn_bases", "--force"),
                    ("generate_assignment", "cnn_bases", "--force")):
        result = nbgrader(course_copy, *command)
        assert result.returncode != 0, command
        said = result.stdout + result.stderr
        assert REFUSED in said and "a_module_this_python_lacks" in said and "To fix" in said, said[-2000:]
    assert submissions(course_copy) == 0
    assert not (course_copy / "feedback").exists()
    assert (course_copy / "release" / "cnn_bases" / "cnn_bases.ipynb").read_bytes() == release  # nothing removed


@pytest.mark.slow
def test_does_a_stopped_autograde_force_keep_the_previous_grades(course_copy):
    pipeline.generate_release(course_copy, "cnn_bases")
    pipeline.write_submissions(course_copy, "cnn_bases", ["reference"])
    pipeline.autograde(course_copy, "cnn_bases")
    graded = course_copy / "autograded" / "reference" / "cnn_bases" / "cnn_bases.ipynb"
    before = graded.read_bytes()
    scores = pipeline.scores(course_copy, "cnn_bases")
    (course_copy / "graders" / "__init__.py").write_text("raise ImportError('graders broken on purpose')\n")
    result = nbgrader(course_copy, "autograde", "cnn_bases", "--force")
    assert result.returncode != 0
    assert "broken on purpose" in result.stdout + result.stderr
    assert graded.read_bytes() == before
    assert pipeline.scores(course_copy, "cnn_bases") == scores


@pytest.mark.slow
def test_does_a_course_folder_without_graders_still_judge_every_answer(course_copy):
    """The course installed in the grading environment, graded from a folder without graders/ nor handover/,
    by `course grade`, then again by plain `nbgrader autograde --force`: the same points, each mistake lost."""
    pipeline.generate_release(course_copy, "tp_convolution")
    pipeline.write_submissions(course_copy, "tp_convolution", ["reference", "one_mistake_per_part"])
    shutil.rmtree(course_copy / "graders")
    shutil.rmtree(course_copy / "handover")
    result = course_grade(course_copy, "tp_convolution")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    by_course_grade = pipeline.scores(course_copy, "tp_convolution")
    result = nbgrader(course_copy, "autograde", "tp_convolution", "--force")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    scores = pipeline.scores(course_copy, "tp_convolution")
    assert scores == by_course_grade
    assert sum(scores["one_mistake_per_part"].values()) == sum(scores["reference"].values()) - 3
    for test in ("test_vgg_layer30_ratio", "test_resnet_conv1_total", "test_hooks_values"):
        assert scores["one_mistake_per_part"][test] == scores["reference"][test] - 1


def test_does_the_run_report_name_the_cause_of_a_failure():
    log = ("[INFO] Converting notebook x\n[ERROR] There was an error processing assignment: a\n[ERROR] Traceback "
           "(most recent call last):\n  File \"/x/nbgrader/converters/base.py\", line 390, in convert_notebooks\n"
           "    self.convert_single_notebook(notebook_filename)\n  File \"/x/course/grading/reading.py\", line 12, "
           "in from_filename\n    raise ValueError('bad cell')\nValueError: bad cell\n"
           "[ERROR] Please see the the above traceback for details on the specific errors on the above failures.\n")
    assert cause_in_log(log) == "ValueError: bad cell (reading.py:12, in from_filename)"


def test_are_the_hand_over_bounds_options():
    payload = {"check": "conv1d", "values": {"conv1d": {"kind": "float", "value": 1.5}}}
    assert JudgeHandovers()._readable(payload)
    assert not JudgeHandovers(max_handover_depth=3)._readable(payload)
    assert not JudgeHandovers(max_handover_bytes=20)._readable(payload)


def test_does_an_unconfigured_judging_refuse_to_judge_and_name_the_fix():
    """The course's values (the grading Python, the course, the judge's time bound) have no default in the engine."""
    from nbformat.v4 import new_code_cell, new_notebook

    cell = new_code_cell("pass")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_a", "points": 1}
    partly = JudgeHandovers(grading_python=PYTHON, course_root=str(course_config.ROOT))
    with pytest.raises(GradingSetupError, match=r"no JudgeHandovers\.verdict_timeout.*configure_nbgrader"):
        partly.preprocess(new_notebook(cells=[cell]), {"nbgrader": {"assignment": "cnn_bases"}})


def test_does_an_unconfigured_feedback_refuse_to_say_what_is_not_secret():
    from nbformat.v4 import new_notebook

    from course.grading.feedback import RemoveLeakedText

    with pytest.raises(RuntimeError, match="course_config.configure_nbgrader"):
        RemoveLeakedText(course_root=str(course_config.ROOT)).preprocess(new_notebook(), {})


# --- forged messages on the kernel's channels --------------------------------------------------------

FORGE_RAW = r'''
k = get_ipython().kernel
s = k.session
header = s.msg_header("display_data")
for content in ({CONTENT}):
    parts = [s.pack(header), s.pack(k.get_parent("shell")["header"]), s.pack({{}}), content]
    k.iopub_socket.send_multipart([b"display_data", b"<IDS|MSG>", s.sign(parts), *parts])
print("sent")
'''
FORGED_CONTENTS = {"nested 100 000 deep": 'b"[" * 100000 + b"]" * 100000', "not JSON": 'b"\\xff{"',
                   "a list": 'b"[1, 2]"'}


@pytest.mark.parametrize("content", FORGED_CONTENTS.values(), ids=FORGED_CONTENTS.keys())
def test_does_a_forged_kernel_message_cost_nothing_but_itself(content):
    from .test_contained_execute import run, sandbox_config, text

    config = sandbox_config()
    config.ContainedExecute.kernel_manager_class = "course.grading.sandbox.SandboxedKernelManager"
    notebook = run("print('avant')", FORGE_RAW.format(CONTENT=content + ","), "# test\nprint('après')",
                   config=config, timeout=60)
    assert [text(cell) for cell in notebook.cells] == ["avant\n", "sent\n", "après\n"]


# --- the formgrader's buttons ------------------------------------------------------------------------

FORMGRADER_BUTTON = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
print(json.dumps(getattr(api, sys.argv[1])("cnn_bases", "reference")))
"""


def press(root, button):
    """What the formgrader's button does, in a fresh Python as the formgrader's server is (its API, in-process)."""
    result = subprocess.run([sys.executable, "-c", FORMGRADER_BUTTON, button], cwd=root, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_do_the_formgraders_buttons_refuse_a_configuration_that_cannot_load(course_copy):
    break_configuration(course_copy)
    for button in ("autograde", "generate_feedback"):
        result = press(course_copy, button)
        assert not result["success"] and REFUSED in result["error"], result
    assert submissions(course_copy) == 0
    assert not (course_copy / "feedback").exists()


@pytest.mark.slow
def test_does_the_formgraders_autograde_button_stop_on_a_broken_judge(course_copy):
    pipeline.generate_release(course_copy, "cnn_bases")
    pipeline.write_submissions(course_copy, "cnn_bases", ["reference"])
    (course_copy / "graders" / "__init__.py").write_text("raise ImportError('graders broken on purpose')\n")
    result = press(course_copy, "autograde")
    assert not result["success"] and "broken on purpose" in result["error"] and "To fix" in result["error"]
    assert submissions(course_copy) == 0


# --- the same setups through `course grade` and plain nbgrader -----------------------------------------

def course_grade(root, assignment):
    return subprocess.run([sys.executable, "-m", "course", "grade", assignment, "--jobs", "2", "--no-progress"],
                          cwd=root, capture_output=True, text=True, timeout=1800)


def test_does_course_grade_refuse_a_configuration_that_cannot_load(course_copy):
    break_configuration(course_copy)
    result = course_grade(course_copy, "cnn_bases")
    assert result.returncode == 2 and "a_module_this_python_lacks" in result.stderr and "To fix" in result.stderr
    assert submissions(course_copy) == 0


def test_does_an_unexpected_error_of_course_grade_say_its_cause(course_copy):
    (course_copy / "gradebook.db").mkdir()  # a gradebook SQLite cannot open: no check of the run expects that
    result = course_grade(course_copy, "cnn_bases")
    assert result.returncode == 3, result.stderr[-3000:]
    assert "Traceback" in result.stderr
    assert "ERROR: `course grade` stopped on an unexpected error: OperationalError: " in result.stderr
    assert "Fix the cause and run the same command again." in result.stderr


STUCK_JUDGE = """\
import json, sys, time


def serve(assignment):
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        time.sleep(3600)


if __name__ == "__main__":
    serve(sys.argv[1])
"""


@pytest.mark.slow
def test_does_a_stuck_judge_stop_course_grade_and_plain_autograde_before_any_student(course_copy):
    pipeline.generate_release(course_copy, "cnn_bases")
    pipeline.write_submissions(course_copy, "cnn_bases", ["reference", "blank"])
    (course_copy / "graders" / "judge.py").write_text(STUCK_JUDGE)
    config = course_copy / "course_config.py"
    config.write_text(config.read_text().replace("JUDGE_TIMEOUT_SECONDS = 60", "JUDGE_TIMEOUT_SECONDS = 3"))
    started = time.monotonic()
    result = course_grade(course_copy, "cnn_bases")
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "gave no answer within 3 s" in result.stderr and "To fix" in result.stderr
    result = nbgrader(course_copy, "autograde", "cnn_bases")
    assert result.returncode != 0 and "gave no answer within 3 s" in result.stdout + result.stderr
    assert time.monotonic() - started < 600
    assert submissions(course_copy) == 0
    assert not (course_copy / "autograded" / "reference").exists()


# --- forged hand-overs through real nbgrader -----------------------------------------------------------

FORGING_CONV1D = '''\
import numpy as np
from IPython.display import publish_display_data

MIME = "application/vnd.course.handover+json"


def deep(n):
    value = 0
    for _ in range(n):
        value = [value]
    return value


def conv1d(x, f):
    # A right answer that also forges hand-overs each time the hidden test calls it.
    for forged in ({"check": "conv1d", "values": {"conv1d": deep(300)}}, {"check": "rm", "values": {}},
                   {"check": "conv1d", "values": {"conv1d": "x" * (9 * 2**20)}}, ["not", "a", "dict"]):
        publish_display_data({MIME: forged})
    return np.correlate(x, f, mode="same")
'''


@pytest.mark.slow
def test_does_a_forged_hand_over_cost_only_its_cell_in_plain_nbgrader(course_copy):
    pipeline.generate_release(course_copy, "cnn_bases")
    pipeline.write_submissions(course_copy, "cnn_bases", ["reference"])
    folder = course_copy / "submitted" / "reference" / "cnn_bases"
    notebook = nbformat.read(folder / "cnn_bases.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "conv1d")
    cell.source = FORGING_CONV1D
    nbformat.write(notebook, folder / "cnn_bases.ipynb")
    for command in (("autograde", "cnn_bases"), ("generate_feedback", "cnn_bases")):
        result = nbgrader(course_copy, *command)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    scores = pipeline.scores(course_copy, "cnn_bases")["reference"]
    points = {test: value for test, value in pipeline.max_scores(course_copy, "cnn_bases").items() if test in scores}
    assert scores == {**points, "test_conv1d": 0.0}
    feedback = (course_copy / "feedback" / "reference" / "cnn_bases" / "cnn_bases.html").read_text()
    assert "x" * 1000 not in feedback and len(feedback) < 2 * 2**20  # no hand-over shown, whatever its size
