"""The hidden checks of cnn_bases: the notebook's answers and their legitimate
variants pass, realistic wrong answers (and objects that cheat on ``==``) fail.

The reference answers are the notebook's own solution cells, executed here
(the setup cell, the solutions, the given digits and training cells), so the
tests follow the notebook as it is written. The LeNet-5 is trained once per
session, with the notebook's training code.
"""
import math
import re
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.signal import convolve2d, correlate2d
from torch import nn

from grading_helpers import AlwaysEqual, EqualInt, Judged, equal_array, passes, rejected

grade = Judged("cnn_bases")

NOTEBOOK = Path(__file__).resolve().parents[2] / "source" / "cnn_bases" / "cnn_bases.ipynb"
SOLUTIONS = ("conv1d", "gaussian_filter", "shift", "conv2d", "output_size", "conv_layer", "pooling", "lenet")


# --- the notebook's own code -----------------------------------------------------------

def notebook_cells():
    """grade_id -> code of the notebook's cell, without nbgrader's markers."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: "\n".join(
                line for line in cell.source.splitlines() if not re.match(r"\s*### (BEGIN|END) SOLUTION", line))
            for cell in notebook.cells if cell.cell_type == "code" and "nbgrader" in cell.metadata}


def run_cells(namespace, *grade_ids):
    cells = notebook_cells()
    with warnings.catch_warnings():  # as the notebook's setup cell does, for these cells only
        warnings.simplefilter("ignore")
        for grade_id in grade_ids:
            exec(compile(cells[grade_id], f"<cnn_bases:{grade_id}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="session")
def nb():
    """The notebook's namespace after its setup and solution cells (not the training)."""
    return run_cells({"__name__": "__main__"}, "setup", *SOLUTIONS)


@pytest.fixture(scope="session")
def digits_nb(nb):
    """The notebook's namespace after its given digits cell."""
    return run_cells(dict(nb), "digits_given")


@pytest.fixture(scope="session")
def trained(digits_nb):
    """The notebook's namespace after its training: ``trained_lenet`` (trained once per session)."""
    threads = torch.get_num_threads()
    try:
        return run_cells(dict(digits_nb), "training_given", "training")
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def overfit_lenet(digits_nb):
    """A LeNet5 that learnt 30 training images by heart: perfect on them, poor on the test split."""
    torch.manual_seed(1)
    model = digits_nb["LeNet5"]()
    x, y = digits_nb["x_train"][:30], digits_nb["y_train"][:30]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(150):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    with torch.no_grad():  # what a student measuring on training data would see
        assert torch.equal(model(x).argmax(dim=1), y)
    return model



# --- A. conv1d ----------------------------------------------------------------------------

def conv1d_loops(x, f):
    half = len(f) // 2
    return np.array([sum(f[k + half] * x[t + k] for k in range(-half, half + 1) if 0 <= t + k < len(x))
                     for t in range(len(x))])


@pytest.mark.parametrize("conv1d", [
    pytest.param(lambda x, f: np.correlate(x, f, mode="same"), id="np.correlate"),
    pytest.param(conv1d_loops, id="loops over t and k"),
    pytest.param(lambda x, f: list(np.correlate(x, f, mode="same")), id="a list"),
    pytest.param(lambda x, f: torch.from_numpy(np.correlate(x, f, mode="same")).float(), id="a float32 tensor"),
])
def test_does_conv1d_check_accept_a_correct_conv1d(conv1d):
    passes(grade.check_conv1d, conv1d)


def test_does_conv1d_check_accept_the_notebook_solution(nb):
    passes(grade.check_conv1d, nb["conv1d"])


def test_does_conv1d_check_reject_a_flipped_filter():
    assert "retourne" in rejected(grade.check_conv1d, lambda x, f: np.convolve(x, f, mode="same"))


def test_does_conv1d_check_reject_valid_instead_of_same():
    assert "padding" in rejected(grade.check_conv1d, lambda x, f: np.correlate(x, f, mode="valid"))


def test_does_conv1d_check_reject_full_instead_of_same():
    rejected(grade.check_conv1d, lambda x, f: np.correlate(x, f, mode="full"))


def test_does_conv1d_check_reject_zeros_on_the_left_only():
    rejected(grade.check_conv1d, lambda x, f: np.correlate(np.pad(x, (len(f) - 1, 0)), f, mode="valid"))


@pytest.mark.parametrize("answer", [AlwaysEqual(), equal_array(), None], ids=["AlwaysEqual", "EqualArray", "None"])
def test_does_conv1d_check_reject_objects_that_are_not_the_answer(answer):
    rejected(grade.check_conv1d, lambda x, f: answer)


def test_does_conv1d_check_reject_the_blank_stub():
    def conv1d(x, f):
        raise NotImplementedError()

    assert "NotImplementedError" in rejected(grade.check_conv1d, conv1d)


# --- A. gaussian_filter -----------------------------------------------------------------

def test_does_gaussian_check_accept_the_notebook_solution(nb):
    passes(grade.check_gaussian_filter, nb["gaussian_filter"])


def test_does_gaussian_check_accept_a_float32_tensor():
    def gaussian_filter(length):
        t = torch.linspace(-2, 2, length)
        weights = torch.exp(-t**2 / 2)
        return weights / weights.sum()

    passes(grade.check_gaussian_filter, gaussian_filter)


@pytest.mark.parametrize("gaussian_filter, hint", [
    pytest.param(lambda n: np.exp(-np.linspace(-2, 2, n)**2 / 2), "normalisé", id="not normalised"),
    pytest.param(lambda n: np.exp(-np.linspace(-2, 2, n)**2 / 2) / np.exp(-np.linspace(-2, 2, n)**2 / 2).max(),
                 "normalisé", id="divided by its max"),
    pytest.param(lambda n: (g := np.exp(-np.linspace(-1, 1, n)**2 / 2)) / g.sum(), "", id="from -1 to 1"),
    pytest.param(lambda n: (g := np.exp(-np.linspace(-2, 2, n)**2 / 8)) / g.sum(), "", id="sigma 2"),
    pytest.param(lambda n: (g := np.exp(-np.linspace(-2, 2, n + 1)**2 / 2)) / g.sum(), "", id="one too many"),
    pytest.param(lambda n: AlwaysEqual(), "", id="AlwaysEqual"),
])
def test_does_gaussian_check_reject_a_wrong_filter(gaussian_filter, hint):
    assert hint in rejected(grade.check_gaussian_filter, gaussian_filter)


# --- A. shift ------------------------------------------------------------------------------

def shift_by_padding(x, k):
    return np.pad(x, (k, 0))[:len(x)] if k >= 0 else np.pad(x, (0, -k))[-k:]


@pytest.mark.parametrize("shift", [
    pytest.param(shift_by_padding, id="np.pad and a slice"),
    pytest.param(lambda x, k: [x[t - k] if 0 <= t - k < len(x) else 0.0 for t in range(len(x))], id="a list"),
])
def test_does_shift_check_accept_a_correct_shift(shift):
    passes(grade.check_shift, shift)


def test_does_shift_check_accept_the_notebook_solution(nb):
    passes(grade.check_shift, nb["shift"])


def shift_forgetting_zero(x, k):
    """x[:-k] is empty when k == 0."""
    return np.concatenate([np.zeros(k), x[:-k]]) if k >= 0 else np.concatenate([x[-k:], np.zeros(-k)])


@pytest.mark.parametrize("shift, hint", [
    pytest.param(np.roll, "np.roll", id="np.roll wraps around"),
    pytest.param(lambda x, k: shift_by_padding(x, -k), "sens", id="the wrong way"),
    pytest.param(lambda x, k: np.concatenate([np.zeros(max(k, 0)), x]), "longueur", id="grows"),
    pytest.param(shift_forgetting_zero, "longueur", id="empty for k=0"),
    pytest.param(lambda x, k: equal_array(x.shape), "", id="EqualArray"),
])
def test_does_shift_check_reject_a_wrong_shift(shift, hint):
    assert hint in rejected(grade.check_shift, shift)


# --- B. conv2d_multichannel ---------------------------------------------------------------

def conv2d_with_torch(image, filt):
    x = torch.from_numpy(image).permute(2, 0, 1)[None]
    w = torch.from_numpy(filt).permute(2, 0, 1)[None]
    return F.conv2d(x, w, padding=(filt.shape[0] // 2, filt.shape[1] // 2))[0, 0].numpy()


@pytest.mark.parametrize("conv2d", [
    pytest.param(lambda image, filt: sum(correlate2d(image[..., c], filt[..., c], mode="same")
                                         for c in range(image.shape[2])), id="scipy"),
    pytest.param(conv2d_with_torch, id="F.conv2d"),
])
def test_does_conv2d_check_accept_a_correct_conv2d(conv2d):
    passes(grade.check_conv2d, conv2d)


def test_does_conv2d_check_accept_the_notebook_solution(nb):
    passes(grade.check_conv2d, nb["conv2d_multichannel"])


def conv2d_square_padding(image, filt):
    """Pads with the filter's height on both sides (fine for square filters only)."""
    half = filt.shape[0] // 2
    padded = np.pad(image, ((half, half), (half, half), (0, 0)))
    return sum(correlate2d(padded[..., c], filt[..., c], mode="valid") for c in range(image.shape[2]))


@pytest.mark.parametrize("conv2d, hint", [
    pytest.param(lambda image, filt: sum(convolve2d(image[..., c], filt[..., c], mode="same")
                                         for c in range(image.shape[2])), "retourne", id="flipped (convolve2d)"),
    pytest.param(lambda image, filt: sum(correlate2d(image[..., c], filt[..., c], mode="valid")
                                         for c in range(image.shape[2])), "padding", id="valid"),
    pytest.param(lambda image, filt: sum(correlate2d(image[..., c], filt[..., c], mode="same")
                                         for c in range(image.shape[2])) / image.shape[2], "moyenne",
                 id="mean over channels"),
    pytest.param(lambda image, filt: correlate2d(image[..., 0], filt[..., 0], mode="same"), "premier canal",
                 id="first channel only"),
    pytest.param(lambda image, filt: np.stack([correlate2d(image[..., c], filt[..., c], mode="same")
                                               for c in range(image.shape[2])], axis=-1), "somme",
                 id="one map per channel"),
    pytest.param(conv2d_square_padding, "", id="square padding"),
])
def test_does_conv2d_check_reject_a_wrong_conv2d(conv2d, hint):
    assert hint in rejected(grade.check_conv2d, conv2d)


# --- B. conv_output_size ------------------------------------------------------------------

@pytest.mark.parametrize("size", [
    pytest.param(lambda n, kernel_size, padding=0, stride=1: math.floor((n + 2 * padding - kernel_size) / stride) + 1,
                 id="math.floor"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: int((n + 2 * padding - kernel_size) / stride) + 1,
                 id="int()"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: np.int64((n + 2 * padding - kernel_size) // stride + 1),
                 id="np.int64"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: torch.tensor((n + 2 * padding - kernel_size) // stride + 1),
                 id="0-d integer tensor"),
])
def test_does_output_size_check_accept_a_correct_formula(size):
    passes(grade.check_output_size, size)


def test_does_output_size_check_accept_the_notebook_solution(nb):
    passes(grade.check_output_size, nb["conv_output_size"])


@pytest.mark.parametrize("size, hint", [
    pytest.param(lambda n, kernel_size, padding=0, stride=1: (n - kernel_size) // stride + 1, "padding",
                 id="padding forgotten"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: (n + padding - kernel_size) // stride + 1, "un côté",
                 id="padding on one side"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: (n + 2 * padding - kernel_size) / stride + 1, "float",
                 id="true division"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: np.floor((n + 2 * padding - kernel_size) / stride) + 1,
                 "float", id="np.floor gives a float"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: math.ceil((n + 2 * padding - kernel_size) / stride) + 1,
                 "vers le haut", id="ceil"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: (n + 2 * padding - kernel_size) // stride, "position",
                 id="+1 forgotten"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: True, "booléen", id="a bool"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: EqualInt(0), "", id="EqualInt"),
    pytest.param(lambda n, kernel_size, padding=0, stride=1: AlwaysEqual(), "", id="AlwaysEqual"),
    pytest.param(lambda n, k, pad=0, s=1: (n + 2 * pad - k) // s + 1, "erreur", id="other argument names"),
])
def test_does_output_size_check_reject_a_wrong_size(size, hint):
    message = rejected(grade.check_output_size, size)
    assert hint in message
    assert "doit renvoyer 28" not in message


# --- C. conv_layer ----------------------------------------------------------------------

def layer_with_torch(x, filters, biases):
    return F.relu(F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(filters), torch.from_numpy(biases)))[0]


def layer_with_loops(x, filters, biases):
    c_out, c_in, kh, kw = filters.shape
    out = np.zeros((c_out, x.shape[1] - kh + 1, x.shape[2] - kw + 1))
    for o in range(c_out):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                out[o, i, j] = max(0.0, np.sum(x[:, i:i + kh, j:j + kw] * filters[o]) + biases[o])
    return out


def layer_without(x, filters, biases, relu=True, bias=True, flip=False, bias_after_relu=False):
    kernels = filters[..., ::-1, ::-1] if flip else filters
    out = np.stack([sum(correlate2d(x[c], k[c], mode="valid") for c in range(x.shape[0])) for k in kernels])
    if bias and not bias_after_relu:
        out = out + biases[:, None, None]
    if relu:
        out = np.maximum(out, 0)
    return out + biases[:, None, None] if bias_after_relu else out


@pytest.mark.parametrize("check", [grade.check_conv_layer_shape, grade.check_conv_layer_values])
@pytest.mark.parametrize("layer", [
    pytest.param(layer_with_torch, id="F.conv2d"),
    pytest.param(layer_with_loops, id="loops"),
    pytest.param(layer_without, id="scipy"),
])
def test_does_conv_layer_check_accept_a_correct_layer(check, layer):
    passes(check, layer)


@pytest.mark.parametrize("check", [grade.check_conv_layer_shape, grade.check_conv_layer_values])
def test_does_conv_layer_check_accept_the_notebook_solution(nb, check):
    passes(check, nb["conv_layer"])


def layer_same_padding(x, filters, biases):
    kh, kw = filters.shape[2:]
    padded = np.pad(x, ((0, 0), (kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2)))
    return layer_without(padded, filters, biases)


@pytest.mark.parametrize("layer, hint", [
    pytest.param(layer_same_padding, "padding", id="same padding"),
    pytest.param(lambda x, w, b: np.moveaxis(layer_without(x, w, b), 0, -1), "canaux en dernier", id="channels last"),
    pytest.param(lambda x, w, b: layer_without(x, w, b).sum(axis=0), "une seule carte", id="filters summed"),
    pytest.param(lambda x, w, b: AlwaysEqual(), "", id="AlwaysEqual"),
])
def test_does_conv_layer_shape_check_reject_a_wrong_shape(layer, hint):
    assert hint in rejected(grade.check_conv_layer_shape, layer)
    rejected(grade.check_conv_layer_values, layer)


@pytest.mark.parametrize("layer, hint", [
    pytest.param(lambda x, w, b: layer_without(x, w, b, relu=False), "ReLU", id="no ReLU"),
    pytest.param(lambda x, w, b: layer_without(x, w, b, bias=False), "biais", id="no bias"),
    pytest.param(lambda x, w, b: layer_without(x, w, b, flip=True), "retourne", id="flipped kernels"),
    pytest.param(lambda x, w, b: layer_without(x, w, b, bias_after_relu=True), "après la ReLU", id="bias after ReLU"),
])
def test_does_conv_layer_values_check_reject_wrong_values_of_the_right_shape(layer, hint):
    passes(grade.check_conv_layer_shape, layer)
    assert hint in rejected(grade.check_conv_layer_values, layer)


# --- C. pooling ---------------------------------------------------------------------------

def pool_loops(reduce):
    def pool(x, size=2):
        rows, cols = x.shape[0] // size, x.shape[1] // size
        return np.array([[reduce(x[i * size:(i + 1) * size, j * size:(j + 1) * size]) for j in range(cols)]
                         for i in range(rows)])
    return pool


def pool_torch(function):
    return lambda x, size=2: function(torch.from_numpy(x)[None, None], size)[0, 0]


def pool_overlapping(reduce):
    def pool(x, size=2):
        return np.array([[reduce(x[i:i + size, j:j + size]) for j in range(x.shape[1] - size + 1)]
                         for i in range(x.shape[0] - size + 1)])
    return pool


def pool_ceil(reduce):
    def pool(x, size=2):
        return np.array([[reduce(x[i:i + size, j:j + size]) for j in range(0, x.shape[1], size)]
                         for i in range(0, x.shape[0], size)])
    return pool


def max_from_zero(x, size=2):
    out = np.zeros((x.shape[0] // size, x.shape[1] // size))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for a in range(size):
                for b in range(size):
                    out[i, j] = max(out[i, j], x[i * size + a, j * size + b])
    return out


@pytest.mark.parametrize("pool", [pytest.param(pool_loops(np.max), id="loops"),
                                  pytest.param(pool_torch(F.max_pool2d), id="F.max_pool2d")])
def test_does_max_pool_check_accept_a_correct_max_pool(pool):
    passes(grade.check_max_pool, pool)


@pytest.mark.parametrize("pool", [pytest.param(pool_loops(np.mean), id="loops"),
                                  pytest.param(pool_torch(F.avg_pool2d), id="F.avg_pool2d")])
def test_does_avg_pool_check_accept_a_correct_avg_pool(pool):
    passes(grade.check_avg_pool, pool)


def test_do_pooling_checks_accept_the_notebook_solution(nb):
    passes(grade.check_max_pool, nb["max_pool2d"])
    passes(grade.check_avg_pool, nb["avg_pool2d"])


@pytest.mark.parametrize("pool, hint", [
    pytest.param(pool_overlapping(np.max), "chevauchent", id="overlapping (stride 1)"),
    pytest.param(pool_loops(np.mean), "moyenne", id="mean instead of max"),
    pytest.param(max_from_zero, "négatives", id="starts from 0"),
    pytest.param(pool_ceil(np.max), "incomplètes", id="keeps incomplete windows"),
    pytest.param(lambda x, size=2: equal_array((x.shape[0] // size, x.shape[1] // size)), "", id="EqualArray"),
])
def test_does_max_pool_check_reject_a_wrong_max_pool(pool, hint):
    assert hint in rejected(grade.check_max_pool, pool)


@pytest.mark.parametrize("pool, hint", [
    pytest.param(pool_overlapping(np.mean), "chevauchent", id="overlapping (stride 1)"),
    pytest.param(pool_loops(np.max), "maximum", id="max instead of mean"),
    pytest.param(pool_loops(np.sum), "somme", id="sum instead of mean"),
    pytest.param(pool_ceil(np.mean), "incomplètes", id="keeps incomplete windows"),
])
def test_does_avg_pool_check_reject_a_wrong_avg_pool(pool, hint):
    assert hint in rejected(grade.check_avg_pool, pool)


# --- D. LeNet-5 -----------------------------------------------------------------------------

def make_lenet(pool=F.max_pool2d, activation=F.relu, flatten_size=400, conv_bias=True, head=lambda t: t,
               channels_last=False, with_pooling=True, conv1_in=1, conv_activation=None):
    """A LeNet5 class written in the functional style, with one thing possibly changed."""
    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            # Declared head first: graders must not rely on the order of parameters().
            self.fc3 = nn.Linear(84, 10)
            self.fc2 = nn.Linear(120, 84)
            self.fc1 = nn.Linear(flatten_size, 120)
            self.conv2 = nn.Conv2d(6, 16, 5, bias=conv_bias)
            self.conv1 = nn.Conv2d(conv1_in, 6, 5, bias=conv_bias)

        def forward(self, x):
            x = (conv_activation or activation)(self.conv1(x))
            x = pool(x, 2) if with_pooling else x
            x = (conv_activation or activation)(self.conv2(x))
            x = pool(x, 2) if with_pooling else x
            if channels_last:
                x = x.permute(0, 2, 3, 1)
            x = x.reshape(len(x), -1)
            x = activation(self.fc1(x))
            x = activation(self.fc2(x))
            return head(self.fc3(x))

    return LeNet5


def test_do_lenet_checks_accept_the_notebook_solution(nb):
    passes(grade.check_lenet_layers, nb["LeNet5"])
    passes(grade.check_lenet_forward, nb["LeNet5"])


@pytest.mark.parametrize("LeNet5", [
    pytest.param(make_lenet(), id="functional style, layers declared in reverse"),
    pytest.param(make_lenet(pool=lambda t, k: F.relu(F.max_pool2d(t, k)), conv_activation=lambda t: t),
                 id="pool then ReLU"),
])
def test_do_lenet_checks_accept_a_correct_variant(LeNet5):
    passes(grade.check_lenet_layers, LeNet5)
    passes(grade.check_lenet_forward, LeNet5)


def test_does_lenet_forward_check_leave_the_random_state_alone(nb):
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    grade.check_lenet_forward(nb["LeNet5"])
    assert torch.equal(torch.rand(4), expected)


@pytest.mark.parametrize("LeNet5, hint", [
    pytest.param(make_lenet(with_pooling=False, flatten_size=16 * 24 * 24), "pooling", id="no pooling"),
    pytest.param(make_lenet(with_pooling=False), "erreur", id="no pooling, Linear(400)"),
    pytest.param(make_lenet(flatten_size=16 * 4 * 4), "entrées", id="wrong flatten size"),
    pytest.param(make_lenet(conv_bias=False), "", id="convolutions without bias"),
    pytest.param(make_lenet(conv1_in=3), "première convolution", id="3 input channels"),
    pytest.param(make_lenet()(), "classe", id="an instance, not the class"),
    pytest.param(lambda: nn.Linear(1024, 10), "", id="a function"),
])
def test_does_lenet_layers_check_reject_a_wrong_architecture(LeNet5, hint):
    assert hint in rejected(grade.check_lenet_layers, LeNet5)
    rejected(grade.check_lenet_forward, LeNet5)


@pytest.mark.parametrize("LeNet5, hint", [
    pytest.param(make_lenet(pool=F.avg_pool2d), "average", id="average pooling"),
    pytest.param(make_lenet(activation=lambda t: t), "ReLU", id="no ReLU"),
    pytest.param(make_lenet(activation=torch.tanh), "", id="tanh"),
    pytest.param(make_lenet(head=lambda t: t.softmax(dim=1)), "softmax", id="softmax at the end"),
    pytest.param(make_lenet(head=lambda t: t.log_softmax(dim=1)), "softmax", id="log_softmax at the end"),
    pytest.param(make_lenet(head=F.relu), "sortie", id="ReLU on the scores"),
    pytest.param(make_lenet(channels_last=True), "aplatit", id="flattened channels last"),
])
def test_does_lenet_forward_check_reject_a_wrong_forward(LeNet5, hint):
    passes(grade.check_lenet_layers, LeNet5)
    assert hint in rejected(grade.check_lenet_forward, LeNet5)


def test_does_the_blank_lenet_fail_both_checks():
    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            raise NotImplementedError()

    assert "NotImplementedError" in rejected(grade.check_lenet_layers, LeNet5)
    rejected(grade.check_lenet_forward, LeNet5)


@pytest.mark.parametrize("count", [np.int64(61706), torch.tensor(61706), 61706.0], ids=["np.int64", "tensor", "float"])
def test_does_n_params_check_accept_the_count_in_any_integer_form(nb, count):
    passes(grade.check_lenet_n_params, nb["lenet_n_params"])
    passes(grade.check_lenet_n_params, count)


@pytest.mark.parametrize("count, hint", [
    pytest.param(61706 - 236, "biais", id="weights only"),
    pytest.param(156 + 2416, "convolutions", id="convolutions only"),
    pytest.param(61706.5, "", id="not an integer"),
    pytest.param(True, "booléen", id="a bool"),
    pytest.param(EqualInt(0), "", id="EqualInt"),
    pytest.param(AlwaysEqual(), "", id="AlwaysEqual"),
])
def test_does_n_params_check_reject_a_wrong_count(count, hint):
    message = rejected(grade.check_lenet_n_params, count)
    assert hint in message
    assert "61706" not in message.replace(" ", "")


# --- E. training ----------------------------------------------------------------------------

def test_is_the_notebook_split_the_graders_split(digits_nb):
    x_train, y_train, x_test, y_test = grade.digits_split()
    for name, expected in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        assert np.array_equal(digits_nb[name].numpy(), expected), name
        assert digits_nb[name].dtype == torch.from_numpy(expected.copy()).dtype, name
    assert x_train.shape == (1347, 1, 32, 32) and x_test.shape == (450, 1, 32, 32)


def test_does_the_notebook_training_pass(trained):
    assert trained["accuracy"](trained["trained_lenet"], trained["x_test"], trained["y_test"]) >= 0.95
    passes(grade.check_training, trained["trained_lenet"])


def test_does_the_training_check_leave_the_model_as_it_is(trained):
    model = trained["trained_lenet"]
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    passes(grade.check_training, model)  # left in training mode: harmless, LeNet-5 has no dropout
    assert model.training
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_does_the_training_check_reject_an_untrained_lenet(nb):
    torch.manual_seed(0)
    assert "entraîné" in rejected(grade.check_training, nb["LeNet5"]())


def test_does_the_training_check_reject_a_lenet_that_learnt_its_training_images_by_heart(overfit_lenet):
    assert "95" in rejected(grade.check_training, overfit_lenet)


def test_does_the_training_check_reject_a_trained_model_that_is_not_a_lenet5(trained):
    layers = [module for module in trained["trained_lenet"].modules()
              if not isinstance(module, nn.Sequential) and module is not trained["trained_lenet"]]
    sequential = nn.Sequential(*layers)
    assert "LeNet5" in rejected(grade.check_training, sequential)


def test_does_the_training_check_reject_a_lenet5_with_another_architecture():
    torch.manual_seed(0)
    assert "linéaire" in rejected(grade.check_training, make_lenet(with_pooling=False, flatten_size=9216)())


def test_does_the_training_check_reject_a_forward_that_looks_the_answers_up(nb):
    """Its weights are untrained, its forward answers from a copy of the test split."""
    _, _, x_test, y_test = grade.digits_split()
    answers = {image.tobytes(): int(label) for image, label in zip(x_test, y_test)}

    class LeNet5(nb["LeNet5"]):
        def forward(self, x):
            scores = torch.zeros(len(x), 10)
            for row, image in enumerate(x):
                scores[row, answers.get(image.numpy().tobytes(), 0)] = 1.0
            return scores

    torch.manual_seed(0)
    assert "forward" in rejected(grade.check_training, LeNet5())


@pytest.mark.parametrize("answer", [AlwaysEqual(), None, "trained_lenet"], ids=["AlwaysEqual", "None", "a string"])
def test_does_the_training_check_reject_what_is_not_a_model(answer):
    rejected(grade.check_training, answer)
