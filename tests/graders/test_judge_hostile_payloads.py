"""The judge treats every hand-over as hostile: any JSON at all, forged in the student's kernel, costs at
most the cell it came from, with a French message, in bounded time and memory, and the judge goes on.

Each check of both assignments gets a well-formed but wrong hand-over (made by ``handover`` from a
wrong answer, so every part of it is read), then that hand-over with hostile values put in place of
each of its parts; then random JSON trees; then the judge process itself gets lines that are no
request at all, between real ones.
"""
import importlib
import inspect
import io
import json
import math
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import handover.cnn_bases
from graders import bounds, cnn_bases, tp_convolution
from graders.judge import MALFORMED, NOT_HANDED_OVER, UNREADABLE, UnknownTest, answer, serve, verdict
from grading_helpers import FRENCH
from handover import plain

ROOT = Path(__file__).resolve().parents[2]
TESTS = {"tp_convolution": tp_convolution.TESTS, "cnn_bases": cnn_bases.TESTS}
CHECKS = [pytest.param(assignment, test, id=test) for assignment, tests in TESTS.items() for test in tests]
#: The most a verdict may take, whatever it was given.
SECONDS = 2.0


@pytest.fixture(scope="module", autouse=True)
def prepared():
    """The references computed first, as the judge process computes them before its first request."""
    for tests in (tp_convolution, cnn_bases):
        tests.prepare()


def judged(assignment, test, payload):
    """The verdict on ``payload``: a (bool, str), in time, and a French explanation when it fails."""
    start = time.perf_counter()
    passed, message = verdict(assignment, test, payload)
    elapsed = time.perf_counter() - start
    assert type(passed) is bool and type(message) is str
    assert elapsed < SECONDS, f"{elapsed:.2f} s"
    if not passed:
        assert FRENCH.search(message), f"not French: {message!r}"
        assert len(message) < 2000
        message.encode("utf-8")  # written into the notebook as it is
        assert not any(f" {mark}" in message for mark in ":;?!»"), f"French typography: {message!r}"
    return passed, message


# --- wrong answers, well formed --------------------------------------------------------------

def plot_one_channel_too_far(fmap, n_maps=16, n_cols=4):
    """plot_feature_maps showing channel i + 1 in place of i (the last image is channel 0)."""
    fmap, count = np.asarray(fmap), min(n_maps, fmap.shape[1])
    figure, axes = plt.subplots(-(-count // n_cols), n_cols, squeeze=False)
    for i in range(count):
        axes.flat[i].imshow(fmap[0, (i + 1) % count])
    return figure


def lenet_class(forward_tail=lambda x: x, pool=F.max_pool2d):
    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x):
            x = pool(F.relu(self.conv1(x)), 2)
            x = pool(F.relu(self.conv2(x)), 2).flatten(1)
            return forward_tail(self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))))

    return LeNet5


def returns(value):
    return lambda *args, **kwargs: value


WRONG = {
    "test_prewitt_kernel": lambda: [torch.zeros(1, 3, 3, 3)],
    "test_prewitt_outputs": lambda: [torch.zeros(1, 1, 254, 254)] * 3,  # digests: too large to go whole
    "test_vgg_layer30_shape": lambda: [torch.Size([1, 512, 16, 16])],
    "test_vgg_layer30_ratio": lambda: [2.5],
    "test_resnet_conv1_neurons": lambda: [np.int64(65)],
    "test_resnet_conv1_kernel": lambda: [torch.tensor(48)],
    "test_resnet_conv1_total": lambda: [9000.0],
    "test_eval_mode": lambda: [nn.Sequential(nn.Linear(2, 2)).eval(), torch.full((1, 1000), 1e-3), 3],
    "test_hooks_shapes": lambda: [[torch.zeros(1, 2, 3, 3)] * 4],
    "test_hooks_values": lambda: [[torch.zeros(1, 64, 256, 256)] * 4],
    "test_plot_feature_maps": lambda: [plot_one_channel_too_far],
    "test_conv1d": lambda: [returns(np.zeros(3))],
    "test_gaussian_filter": lambda: [returns([0.5, 0.5])],
    "test_shift": lambda: [returns(torch.zeros(4))],
    "test_conv2d": lambda: [returns(np.ones((2, 2)))],
    "test_output_size": lambda: [returns(3)],
    "test_conv_layer_shape": lambda: [returns(np.zeros((1, 2, 3)))],
    "test_conv_layer_values": lambda: [returns(np.zeros((1, 2, 3)))],
    "test_pooling_max": lambda: [returns(np.zeros((3, 4)))],
    "test_pooling_avg": lambda: [returns(np.zeros((3, 4)))],
    "test_lenet_layers": lambda: [lenet_class(forward_tail=lambda x: x[:, :5])],
    "test_lenet_forward": lambda: [lenet_class(pool=F.avg_pool2d)],
    "test_lenet_n_params": lambda: [61000],
    "test_training": lambda: [lenet_class(forward_tail=lambda x: x[:, :9])()],  # read whole, judged in no time
}

_payloads = {}


def wrong_payload(assignment, test):
    """What ``handover`` publishes for the wrong answer of ``test`` in WRONG, through JSON (made once, shared:
    never changed in place, see :func:`replaced`)."""
    if test not in _payloads:
        kernel_side = importlib.import_module(f"handover.{assignment}")
        collect = getattr(kernel_side, TESTS[assignment][test].__name__.removeprefix("check_"))
        published = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernel_side, "publish",
                          lambda check, values: published.append({"check": check, "values": values, "evidence": []}))
            torch.manual_seed(0)
            collect(*WRONG[test]())
        plt.close("all")
        _payloads[test] = json.loads(json.dumps(published[0]))
    return _payloads[test]


def test_is_there_a_wrong_answer_for_every_check():
    assert set(WRONG) == {test for tests in TESTS.values() for test in tests}


@pytest.mark.parametrize("assignment, test", CHECKS)
def test_does_every_wrong_answer_fail_with_its_own_french_message(assignment, test):
    before = json.dumps(wrong_payload(assignment, test))
    passed, message = judged(assignment, test, wrong_payload(assignment, test))
    assert not passed and message not in (MALFORMED, UNREADABLE)
    assert json.dumps(wrong_payload(assignment, test)) == before, "a check changed what it read"


# --- hostile values, in place of every part of a hand-over ---------------------------------------

def nested(depth, make):
    value = 0
    for _ in range(depth):
        value = make(value)
    return value


def tensor(shape, **fields):
    return {"kind": "tensor", "numeric": True, "dtype": "float32", "floating": True, "shape": shape, **fields}


def digest(shape, samples=plain.pack(np.zeros(plain.SAMPLES)), **fields):
    return {"shape": shape, "samples": samples, "stats": {"min": 0.0, "max": 0.0, "mean": 0.0, "rms": 0.0},
            "finite": True, **fields}


#: Values no hand-over may hold anywhere: the whole hand-over is malformed.
OUT_OF_BOUNDS = {
    "an int of 10000 digits": 10**10000,
    "an int at MAX_INT": bounds.MAX_INT,
    "NaN": math.nan,
    "infinity": math.inf,
    "minus infinity": -math.inf,
    "a text too long": "x" * (bounds.MAX_STRING_CHARS + 1),
    "lists 10000 deep": nested(10_000, lambda v: [v]),
    "objects 10000 deep": nested(10_000, lambda v: {"kind": "list", "items": [v]}),
    "too many values": [0] * bounds.MAX_NODES,
    "the same long text many times": ["x" * bounds.MAX_STRING_CHARS] * 5,
    "a key that is no text": {1: "x"},
    "a tuple": ("no", "JSON"),
    "bytes": b"\x00",
}
#: JSON within the bounds, of the wrong kind or structure for any part of a hand-over.
WRONG_KINDS = {
    "an int just under MAX_INT": bounds.MAX_INT - 1,
    "a negative int": -(bounds.MAX_INT - 1),
    "-0.0": -0.0,
    "1e308": 1e308,
    "true": True,
    "false": False,
    "null": None,
    "a text": "nan",
    "an empty object": {},
    "an empty list": [],
    "an int tagged int, valued true": {"kind": "int", "value": True},
    "an int tagged int, valued text": {"kind": "int", "value": "12"},
    "a float tagged float, valued a list": {"kind": "float", "value": [1.0]},
    "a kind that is no text": {"kind": ["tensor"], "type": {"x": 1}},
    "a list claiming a length": {"kind": "list", "length": 10**99, "items": "abc"},
    "a list of lists": {"kind": "list", "length": 2, "items": [{"kind": "list", "length": 1, "items": []}] * 2},
    "a whole array of a huge shape": tensor([10**9, 10**9], data="AAAAAAAAAAA="),
    "a digest of a huge shape": tensor([10**5] * 8, digest=digest([10**5] * 8)),
    "a digest of 2**40 elements": tensor([2**20, 2**20], digest=digest([2**20, 2**20])),
    "an array with a bool in its shape": tensor([True, 3], data=plain.pack(np.zeros(3))),
    "an array of a negative shape": tensor([-1, 3], data=""),
    "an array of 9 dimensions": tensor([1] * 9, data=plain.pack(np.zeros(1))),
    "an array with too few values": tensor([2, 2], data=plain.pack(np.zeros(3))),
    "an array whose values are no base64": tensor([1], data="!!!!!!!!!!!="),
    "an array whose values are a list": tensor([2], data=[0.0, 1.0]),
    "a digest with textual statistics": tensor([5000], digest=digest([5000], stats={"min": "nan"})),
    "a digest of another shape": tensor([5000], digest=digest([4999])),
    "a digest with a bool statistic": tensor([5000], digest=digest([5000], stats={"rms": True})),
    "a digest without samples": tensor([5000], digest=digest([5000], samples=None)),
    "an error raised with objects": {"kind": "raised", "type": ["x"], "message": {"a": "b" * 1000}},
    "an error raised with a long message": {"kind": "raised", "type": "E" * 10_000, "message": "m" * 100_000},
    "an error raised with lone surrogates": {"kind": "raised", "type": "E\ud800", "message": "\udcff"},
    "a figure of odd axes": {"kind": "figure", "count": 5, "axes": [{"image": 1, "place": "abc"}] * 5},
    "a figure of fewer axes than images": {"kind": "figure", "count": 16, "axes": []},
    "a module with textual counts": {"kind": "module", "training_count": "3", "training": {"a": 1},
                                     "parameters": [["5"], [True], 7], "class": ["LeNet5"]},
    "a module with huge parameters": {"kind": "module", "class": "LeNet5", "parameters": [[10**12, 10**12]]},
}


def paths(tree, path=()):
    """Every place in a tree of JSON containers: the keys and indices that lead to it."""
    yield path
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from paths(value, path + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from paths(value, path + (index,))


def replaced(tree, path, value):
    """``tree`` with ``value`` at ``path``, the containers on the way copied (the rest shared)."""
    if not path:
        return value
    copy = dict(tree) if isinstance(tree, dict) else list(tree)
    copy[path[0]] = replaced(tree[path[0]], path[1:], value)
    return copy


def places(payload, most=40):
    """Places of the values handed over (not the evidence), at most ``most``, spread over the whole tree."""
    found = [("values",) + p for p in paths(payload["values"])]
    step = max(1, len(found) // most)
    return found[::step]


@pytest.mark.parametrize("name", OUT_OF_BOUNDS)
@pytest.mark.parametrize("assignment, test", CHECKS)
def test_is_a_value_out_of_bounds_anywhere_malformed(assignment, test, name):
    payload = wrong_payload(assignment, test)
    for path in places(payload) + [("evidence",), ("check",), ()]:
        assert judged(assignment, test, replaced(payload, path, OUT_OF_BOUNDS[name])) == (False, MALFORMED), path


@pytest.mark.parametrize("name", WRONG_KINDS)
@pytest.mark.parametrize("assignment, test", CHECKS)
def test_does_a_value_of_the_wrong_kind_anywhere_fail_the_cell(assignment, test, name):
    payload = wrong_payload(assignment, test)
    for path in places(payload):
        passed, _ = judged(assignment, test, replaced(payload, path, WRONG_KINDS[name]))
        assert not passed, path


@pytest.mark.parametrize("assignment, test", CHECKS)
def test_is_a_hand_over_of_the_wrong_shape_malformed(assignment, test):
    payload = wrong_payload(assignment, test)
    names = list(payload["values"])
    forged = [
        [], "values", 3, True, [payload],
        {"values": payload["values"]},
        {"check": payload["check"]},
        {"check": payload["check"], "values": [payload["values"]]},
        {"check": payload["check"], "values": None},
        {"check": "another_check", "values": payload["values"]},
        {"check": [payload["check"]], "values": payload["values"]},
        {"check": payload["check"].upper(), "values": payload["values"]},
    ]
    parameters = inspect.signature(TESTS[assignment][test]).parameters.values()
    if all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters):
        forged += [{"check": payload["check"], "values": {**payload["values"], "unexpected": 1}},
                   {"check": payload["check"], "values": {"unexpected": payload["values"][names[0]]}}]
    for handed in forged:
        assert judged(assignment, test, handed) == (False, MALFORMED), handed


@pytest.mark.parametrize("assignment, test", CHECKS)
def test_does_a_missing_value_fail_the_cell(assignment, test):
    payload = wrong_payload(assignment, test)
    for name in payload["values"]:
        values = {k: v for k, v in payload["values"].items() if k != name}
        assert not judged(assignment, test, {**payload, "values": values})[0]


def test_does_nothing_handed_over_fail_with_its_own_message():
    assert verdict("cnn_bases", "test_conv1d", None) == (False, NOT_HANDED_OVER)


def test_is_a_test_cell_without_a_check_the_instructors_error():
    with pytest.raises(UnknownTest):
        verdict("cnn_bases", "test_no_such_cell", wrong_payload("cnn_bases", "test_conv1d"))


def test_is_a_test_id_that_is_no_text_malformed():
    assert verdict("cnn_bases", ["test_conv1d"], wrong_payload("cnn_bases", "test_conv1d")) == (False, MALFORMED)


def test_is_an_unexpected_error_in_a_check_a_failed_cell_logged_for_the_instructor(monkeypatch, capsys):
    def broken(*args):
        raise ZeroDivisionError("a bug of the check")

    monkeypatch.setattr(cnn_bases, "_numbers", broken)
    assert verdict("cnn_bases", "test_conv1d", wrong_payload("cnn_bases", "test_conv1d")) == (False, UNREADABLE)
    logged = capsys.readouterr().err.splitlines()
    assert len(logged) == 1 and "'test_conv1d'" in logged[0] and "ZeroDivisionError" in logged[0]
    assert "bug" not in logged[0]  # the type only: never a student's text in the instructor's log


@pytest.mark.parametrize("message", [MALFORMED, UNREADABLE, NOT_HANDED_OVER])
def test_do_the_judges_own_messages_follow_french_typography(message):
    assert FRENCH.search(message)
    for mark in ":;?!»":
        assert f" {mark}" not in message
    assert "\u00a0:" in message


# --- random JSON -------------------------------------------------------------------------------------

KEYS = ("kind", "value", "items", "length", "shape", "dtype", "numeric", "floating", "data", "digest", "samples",
        "stats", "finite", "type", "message", "count", "axes", "image", "place", "training_count", "training",
        "class", "built", "parameters", "output", "min", "max", "mean", "rms")
KINDS = ("int", "numpy_int", "int_like", "float", "numpy_float", "bool", "none", "str", "list", "tuple", "size",
         "tensor", "ndarray", "raised", "not_callable", "figure", "module", "module_class", "object", "function",
         "unreadable", "class")
SCALARS = (st.none() | st.booleans() | st.integers(-bounds.MAX_INT + 1, bounds.MAX_INT - 1)
           | st.integers(-3, 70) | st.floats() | st.text(max_size=12) | st.sampled_from(KINDS)
           | st.sampled_from(["AAAAAAAAAAA=", plain.pack(np.zeros(4)), ""]))


def json_trees(leaves=SCALARS):
    """JSON trees shaped like hand-overs: tagged objects with the format's keys, lists, any scalar."""
    return st.recursive(leaves, lambda children: (
        st.lists(children, max_size=5)
        | st.fixed_dictionaries({"kind": st.sampled_from(KINDS)}, optional={k: children for k in KEYS[1:]})
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=4)), max_leaves=30)


@pytest.mark.parametrize("assignment, test", CHECKS)
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_does_any_json_get_a_verdict_in_time(assignment, test, data):
    payload = wrong_payload(assignment, test)
    names = list(payload["values"]) + ["results", "class", "built", "output"]
    values = data.draw(st.dictionaries(st.sampled_from(names), json_trees(), max_size=len(names)))
    judged(assignment, test, data.draw(st.sampled_from([{**payload, "values": values}, values])))
    path = data.draw(st.sampled_from(places(payload)))
    judged(assignment, test, replaced(payload, path, data.draw(json_trees())))


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.text(max_size=200) | st.builds(json.dumps, json_trees()) | st.builds(
    lambda test, handover: json.dumps({"test": test, "handover": handover}),
    st.sampled_from(list(cnn_bases.TESTS)) | st.text(max_size=5) | st.integers(), json_trees()))
def test_does_any_line_get_an_answer(line):
    """One answer to any line, as serve writes it: a verdict (only an unknown test id is the instructor's error)."""
    reply = answer("cnn_bases", line)
    json.dumps(reply)
    if "error" in reply:
        assert set(reply) == {"test", "error"} and reply["test"] not in cnn_bases.TESTS
    else:
        assert set(reply) == {"test", "passed", "message"}
    assert reply.get("passed") in (False, True, None)


# --- the judge process -----------------------------------------------------------------------------------

def request(test, handover):
    return json.dumps({"test": test, "handover": handover})


def right_conv1d_payload():
    published = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handover.cnn_bases, "publish",
                      lambda check, values: published.append({"check": check, "values": values, "evidence": []}))
        handover.cnn_bases.conv1d(lambda x, f: np.correlate(x, f, mode="same"))
    return json.loads(json.dumps(published[0]))


GARBAGE = {
    "not JSON": "conv1d est juste",
    "an empty line": "",
    "JSON that is no object": "[1, 2, 3]",
    "a bare text": '"test_conv1d"',
    "a request without test": json.dumps({"handover": None}),
    "a test that is no text": json.dumps({"test": {"id": "test_conv1d"}, "handover": None}),
    "lists 100000 deep": "[" * 100_000 + "]" * 100_000,
    "a hand-over 100000 deep": '{"test": "test_conv1d", "handover": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "a hand-over 500 deep": '{"test": "test_conv1d", "handover": ' + "[" * 500 + "]" * 500 + "}",
    "an int of 5000 digits": '{"test": "test_conv1d", "handover": ' + "9" * 5000 + "}",
    "NaN": '{"test": "test_conv1d", "handover": {"check": "conv1d", "values": {"results": NaN}}}',
    "Infinity": '{"test": "test_conv1d", "handover": {"check": "conv1d", "values": {"results": -Infinity}}}',
    "a line of 50 MB": '{"test": "test_conv1d", "handover": "' + "x" * 50_000_000 + '"}',
    "a million commas": "[" + "0," * 1_000_000 + "0]",
    "invalid UTF-8 escapes": '{"test": "test_conv1d", "handover": "\\ud800"}',
}


def test_does_the_served_judge_answer_every_line_and_go_on():
    """serve itself, in this process: one answer per line, each a failed verdict, then a right one."""
    lines = [*GARBAGE.values(), request("test_conv1d", right_conv1d_payload())]
    stdout = io.StringIO()
    serve("cnn_bases", stdin=io.StringIO("".join(line + "\n" for line in lines)), stdout=stdout)
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert answers[0] == {"ready": True} and len(answers) == len(lines) + 1
    for answer, name in zip(answers[1:], GARBAGE):
        assert answer["passed"] is False and FRENCH.search(answer["message"]) and "error" not in answer, name
    assert answers[-1] == {"test": "test_conv1d", "passed": True, "message": ""}


class Served:
    """``python -m graders.judge ASSIGNMENT`` in the course root, as grading starts it; every answer awaited
    with a timeout (a judge that hangs fails the test, never blocks it)."""

    def __init__(self, assignment):
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen([sys.executable, "-m", "graders.judge", assignment], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        self.answers = queue.Queue()
        threading.Thread(target=lambda: [self.answers.put(line) for line in self.process.stdout], daemon=True).start()
        assert json.loads(self.answers.get(timeout=120)) == {"ready": True}

    def ask(self, line, timeout=10 * SECONDS):
        """The answer to one line (text, or bytes as they are), and how long it took."""
        start = time.perf_counter()
        self.process.stdin.write((line.encode() if isinstance(line, str) else line) + b"\n")
        self.process.stdin.flush()
        answer = json.loads(self.answers.get(timeout=timeout))
        return answer, time.perf_counter() - start

    def peak_memory(self):
        """The most memory the process ever held, in bytes (Linux)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) * 1024

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.stderr.close()


def test_does_the_judge_process_survive_garbage_between_real_requests():
    """The real judge process: garbage lines between real requests, each answered in time and bounded memory;
    the process is still alive afterwards and its verdicts still right."""
    judge = Served("cnn_bases")
    try:
        right = request("test_conv1d", right_conv1d_payload())
        three = {"kind": "int", "value": 3}
        wrong = request("test_conv1d", replaced(right_conv1d_payload(), ("values", "results", 0), three))
        assert judge.ask(right)[0] == {"test": "test_conv1d", "passed": True, "message": ""}
        memory = judge.peak_memory() if sys.platform == "linux" else None
        no_text = b'{"test": "test_conv1d", "handover": "\xff\xfe"}'
        for name, line in [*GARBAGE.items(), ("bytes that are no UTF-8", no_text)]:
            answer, seconds = judge.ask(line)
            assert seconds < 5 * SECONDS, name
            assert answer["passed"] is False and FRENCH.search(answer["message"]) and "error" not in answer, name
            assert judge.ask(right)[0]["passed"] is True, f"after {name}"
            assert judge.ask(wrong)[0]["passed"] is False, f"after {name}"
        if memory is not None:
            assert judge.peak_memory() - memory < 256 * 2**20  # a 50 MB line is never held whole
        assert judge.process.poll() is None
    finally:
        judge.close()
