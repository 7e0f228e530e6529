"""JudgeHandovers: each test cell's verdict comes from the judge process, whatever else the cell shows."""
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import course_config
import handover
from course.grading import incidents
from course.grading.judge import JudgePool
from course.grading.preprocessors.judge_handovers import JudgeHandovers
from graders.judge import MALFORMED, NOT_HANDED_OVER
from handover import cnn_bases as collect


def handed_over(collector, *answers):
    """The display output a test cell's hidden part publishes for these answers."""
    published = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(collect, "publish", lambda check, values: published.append({"check": check, "values": values,
                                                                                   "evidence": []}))
        collector(*answers)
    return new_output("display_data", data={handover.MIME_TYPE: published[0]})


def right_conv1d(x, f):
    return np.correlate(x, f, mode="same")


def flipped_conv1d(x, f):
    return np.convolve(x, f, mode="same")


def graded_cell(*outputs, grade_id="test_conv1d"):
    cell = new_code_cell("# visible part\n### BEGIN HIDDEN TESTS\n...\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2,
                                 "grade_id": grade_id, "schema_version": 3, "task": False}
    cell.outputs = list(outputs)
    return cell


#: The judges of this module's tests (one judge: graders' references computed once).
JUDGES = JudgePool()


def judged(*cells):
    notebook = new_notebook(cells=list(cells))
    preprocessor = JudgeHandovers(grading_python=course_config.grading_python(), course_root=str(course_config.ROOT),
                                  verdict_timeout=course_config.JUDGE_TIMEOUT_SECONDS, judges=JUDGES)
    notebook, _ = preprocessor.preprocess(notebook, {"nbgrader": {"assignment": "cnn_bases"}})
    return notebook


def verdict(cell):
    """The verdict stored in the cell (passed, message), without the hand-overs stored for `course rejudge`."""
    stored = cell.metadata[incidents.METADATA_KEY]["verdict"]
    return {key: stored[key] for key in ("passed", "message")}


def errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


@pytest.fixture(scope="module", autouse=True)
def judge_started():
    with JUDGES:
        JUDGES.judge(course_config.grading_python(), course_config.ROOT, "cnn_bases",
                     course_config.JUDGE_TIMEOUT_SECONDS)
        yield


def test_does_a_right_answer_pass_with_no_error_and_no_hand_over_left():
    cell = judged(graded_cell(handed_over(collect.conv1d, right_conv1d))).cells[0]
    assert verdict(cell) == {"passed": True, "message": ""}
    stored = cell.metadata[incidents.METADATA_KEY]["verdict"]  # what `course rejudge` reads again
    assert stored["judged"] and [h["check"] for h in stored["handovers"]] == ["conv1d"]
    assert cell.outputs == []


def test_does_a_wrong_answer_fail_with_the_judges_french_message():
    cell = judged(graded_cell(handed_over(collect.conv1d, flipped_conv1d))).cells[0]
    assert not verdict(cell)["passed"] and "retourne le filtre" in verdict(cell)["message"]
    assert [e.evalue for e in errors(cell)] == [verdict(cell)["message"]]


def test_does_a_cell_that_handed_nothing_over_fail():
    cell = judged(graded_cell(new_output("stream", name="stdout", text="tout va bien\n"))).cells[0]
    assert verdict(cell) == {"passed": False, "message": NOT_HANDED_OVER}
    assert errors(cell)


def test_does_the_visible_tests_error_stay_the_reason():
    failure = new_output("error", ename="AssertionError", evalue="conv1d doit renvoyer un tableau.", traceback=["..."])
    cell = judged(graded_cell(failure)).cells[0]
    assert verdict(cell) == {"passed": False, "message": "conv1d doit renvoyer un tableau."}


@pytest.mark.parametrize("forged", [
    new_output("execute_result", data={"text/plain": "2.0"}, execution_count=1),
    new_output("stream", name="stderr", text="warning\n"),
], ids=["a number displayed as a partial score", "stderr"])
def test_does_nothing_but_the_verdict_decide(forged):
    right = judged(graded_cell(forged, handed_over(collect.conv1d, right_conv1d))).cells[0]
    assert verdict(right)["passed"] and right.outputs == []
    wrong = judged(graded_cell(forged, handed_over(collect.conv1d, flipped_conv1d))).cells[0]
    assert not verdict(wrong)["passed"] and errors(wrong)
    alone = judged(graded_cell(forged)).cells[0]
    assert not verdict(alone)["passed"]


def test_must_every_hand_over_of_a_cell_pass():
    cell = judged(graded_cell(handed_over(collect.conv1d, right_conv1d),
                            handed_over(collect.conv1d, flipped_conv1d))).cells[0]
    assert not verdict(cell)["passed"]


def test_is_a_hand_over_for_another_check_malformed():
    cell = judged(graded_cell(handed_over(collect.shift, lambda x, k: np.roll(x, k)))).cells[0]
    assert verdict(cell) == {"passed": False, "message": MALFORMED}


def test_is_a_hand_over_outside_a_test_cell_removed_and_reported():
    student = new_code_cell("x = 1")
    student.outputs = [handed_over(collect.conv1d, right_conv1d)]
    notebook = judged(student)
    assert notebook.cells[0].outputs == []
    flags = [e["flag"] for e in notebook.metadata[incidents.METADATA_KEY]["integrity"]]
    assert flags == ["forged_handover"]


def test_is_the_kernels_own_report_kept_as_evidence():
    output = handed_over(collect.conv1d, right_conv1d)
    output.data[handover.MIME_TYPE]["evidence"] = [{"flag": "sys_modules", "detail": "sys.modules['numpy'] is fake"}]
    notebook = judged(graded_cell(output))
    assert verdict(notebook.cells[0])["passed"]
    assert notebook.metadata[incidents.METADATA_KEY]["integrity"] == [
        {"flag": "sys_modules", "where": "test_conv1d", "evidence": "sys.modules['numpy'] is fake", "source": "kernel"}]
