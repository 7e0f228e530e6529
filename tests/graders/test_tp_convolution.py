"""The hidden checks of tp_convolution: the reference answer and its legitimate
variants pass, realistic wrong answers (and objects that cheat on ``==``) fail.

Answers are built in conftest.py the way the notebook builds them. A case is a
function of ``get`` (pytest's ``request.getfixturevalue``), so that each case
only builds what it needs.
"""
import fractions
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from handover.evidence import kernel_evidence
from graders.checks import GradingError
from grading_helpers import (
    Judged, AlwaysEqual, EqualFloat, EqualInt, EqualTensor, EqualTuple, assert_french_without, rejected)

# Passing a tensor to imshow makes matplotlib try np.array(tensor, copy=False), which
# torch's __array__ answers with a DeprecationWarning (silenced in the notebook's setup cell).
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

grade = Judged("tp_convolution")

VERTICAL = torch.tensor([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


@pytest.fixture
def get(request):
    return request.getfixturevalue


def case(id_, make):
    return pytest.param(make, id=id_)


# --- A. Prewitt kernel ---------------------------------------------------------------

@pytest.mark.parametrize("make", [
    case("notebook: kernel1 transposed", lambda get: get("prewitt")["kernel2"]),
    case("other sign", lambda get: -get("prewitt")["kernel2"]),
    case("written out and repeated", lambda get: VERTICAL.repeat(1, 3, 1, 1)),
    case("non-contiguous transpose", lambda get: get("kernel1").transpose(2, 3)),
    case("float64", lambda get: get("prewitt")["kernel2"].double()),
    case("requires grad", lambda get: get("prewitt")["kernel2"].clone().requires_grad_()),
])
def test_does_kernel_check_accept_the_vertical_prewitt_kernel(get, make):
    assert grade.check_prewitt_kernel(make(get)) is None


@pytest.mark.parametrize("sign", [1, -1])
def test_does_kernel_check_reject_the_untransposed_kernel(kernel1, sign):
    message = rejected(grade.check_prewitt_kernel, sign * kernel1)
    assert "horizontal" in message
    assert_french_without(message)


def one_channel_filled():
    kernel = torch.zeros(1, 3, 3, 3)
    kernel[0, 0] = VERTICAL
    return kernel


@pytest.mark.parametrize("make", [
    case("only one channel filled", lambda get: one_channel_filled()),
    case("shape (3, 3)", lambda get: VERTICAL),
    case("shape (3, 1, 3, 3)", lambda get: VERTICAL.repeat(3, 1, 1, 1)),
    case("Sobel instead of Prewitt", lambda get: torch.tensor(
        [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]).repeat(1, 3, 1, 1)),
    case("zeros", lambda get: torch.zeros(1, 3, 3, 3)),
    case("nested lists", lambda get: VERTICAL.repeat(1, 3, 1, 1).tolist()),
    case("always equal", lambda get: AlwaysEqual()),
    case("tensor subclass equal to anything", lambda get: torch.zeros(1, 3, 3, 3).as_subclass(EqualTensor)),
])
def test_does_kernel_check_reject_wrong_kernels(get, make):
    rejected(grade.check_prewitt_kernel, make(get))


def test_does_kernel_check_explain_a_kernel_with_one_channel_only():
    message = rejected(grade.check_prewitt_kernel, one_channel_filled())
    assert "canaux" in message
    assert_french_without(message)


# --- A. Prewitt outputs --------------------------------------------------------------

def outputs(get, kernel2=None, image="img", **conv):
    x, kernel1 = get(image), get("kernel1")
    kernel2 = get("prewitt")["kernel2"] if kernel2 is None else kernel2
    output1, output2 = F.conv2d(x, kernel1, **conv), F.conv2d(x, kernel2, **conv)
    return output1, output2, torch.sqrt(output1**2 + output2**2)


def in_float64(get):
    img, kernel1 = get("img").double(), get("kernel1").double()
    output1, output2 = F.conv2d(img, kernel1), F.conv2d(img, kernel1.transpose(2, 3))
    return output1, output2, torch.sqrt(output1**2 + output2**2)


def with_magnitude(get, magnitude):
    p = get("prewitt")
    return p["output1"], p["output2"], magnitude(p["output1"], p["output2"])


@pytest.mark.parametrize("make", [
    case("notebook", lambda get: outputs(get)),
    case("kernel2 of the other sign", lambda get: outputs(get, kernel2=-get("prewitt")["kernel2"])),
    case("torch.hypot", lambda get: with_magnitude(get, torch.hypot)),
    case("float64", in_float64),
])
def test_do_output_checks_accept_the_gradient_and_its_norm(get, make):
    assert grade.check_prewitt_outputs(*make(get)) is None


def per_channel(get):
    img, kernel1 = get("img"), get("kernel1")
    output1 = F.conv2d(img, kernel1.transpose(0, 1), groups=3)
    output2 = F.conv2d(img, kernel1.transpose(0, 1).transpose(2, 3), groups=3)
    return output1, output2, torch.sqrt(output1**2 + output2**2)


@pytest.mark.parametrize("make", [
    case("padding=1", lambda get: outputs(get, padding=1)),
    case("output1 and output2 swapped", lambda get: (get("prewitt")["output2"], get("prewitt")["output1"],
                                                     get("prewitt")["output"])),
    case("output = output1 + output2", lambda get: with_magnitude(get, lambda a, b: a + b)),
    case("output = |output1| + |output2|", lambda get: with_magnitude(get, lambda a, b: a.abs() + b.abs())),
    case("output without the square root", lambda get: with_magnitude(get, lambda a, b: a**2 + b**2)),
    case("computed on img_norm", lambda get: outputs(get, image="img_norm")),
    case("one output channel per colour", per_channel),
    case("output2 = output1", lambda get: outputs(get, kernel2=get("kernel1"))),
])
def test_do_output_checks_reject_wrong_convolutions(get, make):
    message = rejected(grade.check_prewitt_outputs, *make(get))
    assert_french_without(message)


def test_does_the_kernel_report_a_library_function_it_replaced(monkeypatch):
    """A replaced library function only changes what a kernel hands over; it is evidence for the
    integrity report, found by the kernel's own report (the verdict is the judge's)."""
    assert not [e for e in kernel_evidence() if e["flag"] == "patched_library"]
    monkeypatch.setattr(torch.nn.functional, "conv2d", lambda x, w, *args, **kwargs: torch.zeros(1))
    assert any("torch.nn.functional:conv2d" in e["detail"] for e in kernel_evidence())


def test_is_a_failure_reported_without_graders_traceback():
    with pytest.raises(GradingError) as info:
        grade.check_prewitt_kernel(torch.zeros(1, 3, 3, 3))
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_does_a_check_turn_an_unexpected_error_into_a_french_message():
    message = rejected(grade.check_prewitt_kernel, torch.empty(1, 3, 3, 3, device="meta"))
    assert "pas pu être vérifiée" in message


# --- A. VGG16 layer 30 -----------------------------------------------------------------

@pytest.mark.parametrize("make", [
    case("torch.Size from the notebook", lambda get: get("shape_layer30")),
    case("tuple", lambda get: tuple(get("shape_layer30"))),
    case("list", lambda get: list(get("shape_layer30"))),
    case("numpy integers", lambda get: [np.int64(n) for n in get("shape_layer30")]),
    case("0-d tensors", lambda get: tuple(torch.tensor(n) for n in get("shape_layer30"))),
    case("integral floats", lambda get: (1.0, 512.0, 8.0, 8.0)),
])
def test_does_shape_check_accept_the_shape_in_any_container(get, make):
    assert grade.check_layer30_shape(make(get)) is None


@pytest.mark.parametrize("answer", [
    pytest.param((1, 512, 7, 7), id="224x224 reasoning"),
    pytest.param((1, 512, 16, 16), id="output of layer 29"),
    pytest.param((1, 1000), id="classifier output"),
    pytest.param((512, 8, 8), id="no batch dimension"),
    pytest.param((1, 256, 8, 8), id="wrong channel count"),
    pytest.param((True, 512, 8, 8), id="bool batch size"),
    pytest.param("(1, 512, 8, 8)", id="string"),
    pytest.param(AlwaysEqual(), id="always equal"),
    pytest.param(EqualTuple((1, 512, 7, 7)), id="tuple subclass equal to anything"),
    pytest.param(tuple(EqualInt(n) for n in (1, 512, 7, 7)), id="ints equal to anything"),
])
def test_does_shape_check_reject_wrong_shapes(answer):
    message = rejected(grade.check_layer30_shape, answer)
    assert_french_without(message, "(1, 512, 8, 8)", "8x8")


@pytest.mark.parametrize("make", [
    case("notebook float", lambda get: get("size_ratio")),
    case("int 6", lambda get: 6),
    case("numpy float", lambda get: np.float64(get("size_ratio"))),
    case("numpy float32", lambda get: np.float32(6.0)),
    case("0-d tensor", lambda get: torch.tensor(get("size_ratio"))),
    case("0-d integer tensor", lambda get: torch.tensor(6)),
    case("fraction", lambda get: fractions.Fraction(get("img").numel(), math.prod(get("shape_layer30")))),
])
def test_does_ratio_check_accept_six_in_any_numeric_type(get, make):
    assert grade.check_size_ratio(make(get)) is None


@pytest.mark.parametrize("answer", [
    pytest.param(1 / 6, id="inverted"),
    pytest.param(1024, id="spatial only"),
    pytest.param(32, id="32"),
    pytest.param(6.5, id="6.5"),
    pytest.param(float("nan"), id="nan"),
    pytest.param(True, id="bool"),
    pytest.param("6", id="string"),
    pytest.param(torch.tensor([6.0, 6.0]), id="two-element tensor"),
    pytest.param(AlwaysEqual(), id="always equal"),
    pytest.param(EqualFloat(5.0), id="float equal to anything"),
    pytest.param(EqualInt(5), id="int equal to anything"),
])
def test_does_ratio_check_reject_wrong_ratios(answer):
    rejected(grade.check_size_ratio, answer)


def test_does_ratio_check_say_that_an_inverted_ratio_is_inverted():
    message = rejected(grade.check_size_ratio, 1 / 6)
    assert "inversé" in message
    assert_french_without(message, "6.0")


# --- B. ResNet50 conv1 ----------------------------------------------------------------

COUNTS = {
    "n_neurons": (grade.check_n_neurons, 64),
    "n_weights_per_kernel": (grade.check_n_weights_per_kernel, 147),
    "n_weights_conv1": (grade.check_n_weights_conv1, 9408),
}
FORMS = {
    "int": int,
    "numpy int64": np.int64,
    "numpy int32": np.int32,
    "0-d tensor": torch.tensor,
    "integral float": float,
    "numpy float": np.float64,
}


@pytest.mark.parametrize("name", COUNTS)
def test_does_count_check_accept_the_notebook_answer(conv1_counts, name):
    check, _ = COUNTS[name]
    assert check(conv1_counts[name]) is None


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", COUNTS)
def test_does_count_check_accept_any_integer_type(name, form):
    check, right = COUNTS[name]
    assert check(FORMS[form](right)) is None


def test_are_counts_read_from_resnet_weight_accepted(resnet):
    weight = resnet.conv1.weight
    assert grade.check_n_neurons(weight.shape[0]) is None
    assert grade.check_n_weights_per_kernel(weight[0].numel()) is None
    assert grade.check_n_weights_conv1(weight.numel()) is None
    assert grade.check_n_weights_conv1(np.prod(weight.shape)) is None
    assert grade.check_n_weights_conv1(torch.tensor(weight.shape).prod()) is None


@pytest.mark.parametrize("name, answer, secret", [
    pytest.param("n_neurons", 3, "64", id="n_neurons: input channels"),
    pytest.param("n_neurons", 147, "64", id="n_neurons: weights per kernel"),
    pytest.param("n_neurons", 9408, "64", id="n_neurons: all weights"),
    pytest.param("n_weights_per_kernel", 49, "147", id="per kernel: channels forgotten"),
    pytest.param("n_weights_per_kernel", 9408, "147", id="per kernel: whole layer"),
    pytest.param("n_weights_per_kernel", 64, "147", id="per kernel: neurons"),
    pytest.param("n_weights_conv1", 9472, "9408", id="conv1: bias counted"),
    pytest.param("n_weights_conv1", 3136, "9408", id="conv1: channels forgotten"),
    pytest.param("n_weights_conv1", 147, "9408", id="conv1: one kernel"),
    pytest.param("n_weights_conv1", 9408.5, "9408", id="conv1: not an integer"),
])
def test_do_count_checks_reject_wrong_counts(name, answer, secret):
    check, _ = COUNTS[name]
    message = rejected(check, answer)
    assert_french_without(message, secret)


@pytest.mark.parametrize("fake", [
    pytest.param(True, id="True"),
    pytest.param(np.True_, id="numpy True"),
    pytest.param(lambda right: EqualInt(right + 1), id="int equal to anything"),
    pytest.param(lambda right: AlwaysEqual(), id="always equal"),
    pytest.param(lambda right: str(right), id="string of the right count"),
])
@pytest.mark.parametrize("name", COUNTS)
def test_do_count_checks_reject_bools_and_objects_that_cheat(name, fake):
    check, right = COUNTS[name]
    answer = fake(right) if callable(fake) else fake
    message = rejected(check, answer)
    assert_french_without(message)


def test_does_a_forgotten_channel_count_get_its_own_hint():
    assert "canaux" in rejected(grade.check_n_weights_per_kernel, 49)
    assert "biais" in rejected(grade.check_n_weights_conv1, 9472)


# --- C. Evaluation mode -------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    case("notebook", lambda get: (get("probs"), get("predicted_class"))),
    case("0-d tensor class", lambda get: (get("probs"), get("probs").argmax())),
    case("numpy int class", lambda get: (get("probs"), np.argmax(get("probs").numpy()))),
    case("F.softmax", lambda get: (F.softmax(get("logits"), dim=1), get("predicted_class"))),
    case("torch.softmax", lambda get: (torch.softmax(get("logits"), 1), get("predicted_class"))),
    case("softmax on the last dim", lambda get: (get("logits").softmax(-1), get("predicted_class"))),
    case("float64", lambda get: (get("logits").double().softmax(1), get("predicted_class"))),
    case("requires grad", lambda get: (get("logits").clone().requires_grad_().softmax(1), get("predicted_class"))),
])
def test_does_eval_check_accept_softmax_probabilities_in_eval_mode(get, vgg, make):
    probs, predicted_class = make(get)
    assert grade.check_eval_mode(vgg, probs, predicted_class) is None
    assert not any(module.training for module in vgg.modules())


def test_does_eval_check_reject_a_model_left_in_train_mode(vgg_in_train_mode, probs, predicted_class):
    message = rejected(grade.check_eval_mode, vgg_in_train_mode, probs, predicted_class)
    assert "entraînement" in message
    assert_french_without(message)


def test_does_eval_check_reject_a_model_with_one_dropout_left_in_train_mode(vgg, probs, predicted_class):
    vgg.classifier[2].train()
    try:
        rejected(grade.check_eval_mode, vgg, probs, predicted_class)
    finally:
        vgg.eval()


@pytest.fixture(scope="session")
def probs_before_eval(vgg, img_norm):
    """probs computed while vgg is still in train mode (eval() called too late)."""
    vgg.train()
    try:
        torch.manual_seed(1)
        with torch.no_grad():
            return vgg(img_norm).softmax(dim=1)
    finally:
        vgg.eval()


@pytest.mark.parametrize("make", [
    case("probs computed before eval()", lambda get: (get("probs_before_eval"), get("predicted_class"))),
    case("raw logits", lambda get: (get("logits"), get("predicted_class"))),
    case("softmax over dim=0", lambda get: (get("logits").softmax(dim=0), get("predicted_class"))),
    case("log_softmax", lambda get: (get("logits").log_softmax(dim=1), get("predicted_class"))),
    case("uniform probabilities", lambda get: (torch.full((1, 1000), 1e-3), get("predicted_class"))),
    case("class off by one", lambda get: (get("probs"), get("predicted_class") + 1)),
    case("argmax over dim=0", lambda get: (get("probs"), get("probs").argmax(dim=0))),
    case("class equal to anything", lambda get: (get("probs"), EqualInt(get("predicted_class") + 1))),
    case("probs always equal", lambda get: (AlwaysEqual(), get("predicted_class"))),
])
def test_does_eval_check_reject_wrong_probabilities_or_class(get, vgg, make):
    message = rejected(grade.check_eval_mode, vgg, *make(get))
    assert_french_without(message)


@pytest.mark.parametrize("make", [
    case("its output", lambda get: get("logits")),
    case("eval without parentheses", lambda get: get("vgg").eval),
    case("its state dict", lambda get: get("vgg").state_dict()),
])
def test_does_eval_check_reject_vgg_replaced_by_a_non_module(get, probs, predicted_class, make):
    message = rejected(grade.check_eval_mode, make(get), probs, predicted_class)
    assert "modèle" in message


# --- C. Hooks ------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    case("notebook", lambda get: get("feature_maps")),
    case("tuple", lambda get: tuple(get("feature_maps"))),
    case("output.clone() without detach", lambda get: get("hooked")["clone_only"]),
    case("float64 copies", lambda get: [fmap.double() for fmap in get("feature_maps")]),
])
def test_do_hook_checks_accept_copies_of_the_four_convolution_outputs(get, make):
    maps = make(get)
    assert grade.check_hook_shapes(maps) is None
    assert grade.check_hook_values(maps) is None


@pytest.mark.parametrize("make, hint", [
    pytest.param(lambda get: get("hooked")["relus"], "ReLU", id="hooks on the ReLUs"),
    pytest.param(lambda get: get("hooked")["no_copy"], "ReLU", id="output.detach() without copy"),
    pytest.param(lambda get: get("hooked")["neighbour_convs"], None, id="neighbouring convolutions 2, 12, 19, 26"),
    pytest.param(lambda get: get("hooked_on_img"), None, id="forward pass of img, not img_norm"),
    pytest.param(lambda get: [2 * fmap for fmap in get("feature_maps")], None, id="maps doubled"),
])
def test_do_hook_checks_accept_the_shapes_but_reject_the_values_of(get, make, hint):
    maps = make(get)
    assert grade.check_hook_shapes(maps) is None
    message = rejected(grade.check_hook_values, maps)
    assert_french_without(message)
    if hint:
        assert hint in message


@pytest.mark.parametrize("make", [
    case("hooks run twice (8 tensors)", lambda get: get("feature_maps") + get("feature_maps")),
    case("three layers only", lambda get: get("feature_maps")[:3]),
    case("wrong order", lambda get: get("feature_maps")[::-1]),
    case("max-pooling layers 4, 9, 16, 23", lambda get: get("hooked")["pools"]),
    case("batch dimension dropped", lambda get: [fmap[0] for fmap in get("feature_maps")]),
    case("shapes instead of tensors", lambda get: [fmap.shape for fmap in get("feature_maps")]),
    case("a dict by layer", lambda get: dict(zip((0, 10, 17, 28), get("feature_maps")))),
    case("one tensor", lambda get: get("feature_maps")[0]),
])
def test_do_hook_checks_reject_wrong_captures(get, make):
    maps = make(get)
    message = rejected(grade.check_hook_shapes, maps)
    assert_french_without(message, "(1, 64, 256, 256)")
    rejected(grade.check_hook_values, maps)


def test_do_both_hook_checks_want_torch_tensors_as_the_visible_test_does(feature_maps):
    arrays = [fmap.numpy() for fmap in feature_maps]
    assert "tenseur torch" in rejected(grade.check_hook_shapes, arrays)
    assert "tenseur torch" in rejected(grade.check_hook_values, arrays)


# --- C. Plotting ------------------------------------------------------------------------------

def grid(fmap, n_maps, n_cols):
    count = min(n_maps, fmap.shape[1])
    return count, math.ceil(count / n_cols)


def plot_reference(fmap, n_maps=16, n_cols=4):
    """The notebook's solution: plt.subplots, spare axes removed with fig.delaxes."""
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.5 * n_cols, 2.5 * n_rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < count:
            ax.imshow(fmap[0, i].detach().cpu().numpy(), cmap="viridis")
            ax.set_title(f"canal {i}", fontsize=8)
            ax.axis("off")
        else:
            fig.delaxes(ax)
    fig.tight_layout()
    return fig


def plot_delaxes(fmap, n_maps=16, n_cols=4):
    """The reference without its cosmetics (titles, tight_layout): the base of the variants below."""
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < count:
            ax.imshow(fmap[0, i])
        else:
            fig.delaxes(ax)
    return fig


def plot_axis_off(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < count:
            ax.imshow(fmap[0, i], cmap="gray")
        ax.axis("off")
    return fig


def plot_add_subplot(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig = plt.figure(figsize=(10, 10))
    for i in range(count):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        ax.imshow(fmap[0, i].numpy())
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def plot_pyplot_state(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    plt.figure()
    for i in range(count):
        plt.subplot(n_rows, n_cols, i + 1)
        plt.imshow(fmap[0, i])
        plt.axis("off")
    return plt.gcf()


def plot_then_show(fmap, n_maps=16, n_cols=4):
    fig = plot_delaxes(fmap, n_maps, n_cols)
    plt.show()
    return fig


def plot_show_inline(fmap, n_maps=16, n_cols=4):
    """Jupyter's inline backend closes the figures that plt.show() displayed."""
    fig = plot_delaxes(fmap, n_maps, n_cols)
    plt.show()
    plt.close(fig)
    return fig


def plot_rows_from_n_maps(fmap, n_maps=16, n_cols=4):
    count = min(n_maps, fmap.shape[1])
    fig, axes = plt.subplots(math.ceil(n_maps / n_cols), n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < count:
            ax.imshow(fmap[0, i])
        else:
            ax.set_visible(False)
    return fig


def plot_with_colorbars(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < count:
            fig.colorbar(ax.imshow(fmap[0, i]), ax=ax)
        else:
            fig.delaxes(ax)
    return fig


@pytest.mark.parametrize("plot", [
    plot_reference, plot_delaxes, plot_axis_off, plot_add_subplot, plot_pyplot_state, plot_then_show,
    plot_show_inline, plot_rows_from_n_maps, plot_with_colorbars,
], ids=lambda plot: plot.__name__)
def test_does_plot_check_accept_a_grid_of_the_first_maps(plot):
    assert grade.check_plot_feature_maps(plot) is None
    assert plt.get_fignums() == [], "the check must close the figures it made"


def test_does_the_reference_plot_work_on_a_real_feature_map(feature_maps):
    fig = plot_reference(feature_maps[3])
    assert isinstance(fig, Figure)
    assert sum(1 for ax in fig.axes if ax.images) == 16


def plot_channel_zero(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat[:count]):
        ax.imshow(fmap[0, 0])
    return fig


def plot_n_maps_wrapping(fmap, n_maps=16, n_cols=4):
    fig, axes = plt.subplots(math.ceil(n_maps / n_cols), n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat[:n_maps]):
        ax.imshow(fmap[0, i % fmap.shape[1]])
    return fig


def plot_n_maps_ignoring_channels(fmap, n_maps=16, n_cols=4):
    fig, axes = plt.subplots(math.ceil(n_maps / n_cols), n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat[:n_maps]):
        ax.imshow(fmap[0, i])
    return fig


def plot_four_columns(fmap, n_maps=16, n_cols=4):
    return plot_delaxes(fmap, n_maps, 4)


def plot_returns_none(fmap, n_maps=16, n_cols=4):
    plot_delaxes(fmap, n_maps, n_cols)


def plot_returns_axes(fmap, n_maps=16, n_cols=4):
    return plot_delaxes(fmap, n_maps, n_cols).axes


def plot_transposed(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat[:count]):
        ax.imshow(fmap[0, i].T)
    return fig


def plot_column_major(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)
    for i in range(count):
        axes[i % n_rows, i // n_rows].imshow(fmap[0, i])
    return fig


def plot_squeezed_axes(fmap, n_maps=16, n_cols=4):
    """Indexes axes[row, col] with plt.subplots' default squeeze: breaks when a single row is enough."""
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols)
    for i in range(count):
        axes[i // n_cols, i % n_cols].imshow(fmap[0, i])
    return fig


def plot_raises(fmap, n_maps=16, n_cols=4):
    raise ValueError("pas encore fait")


@pytest.mark.parametrize("plot", [
    plot_channel_zero, plot_n_maps_wrapping, plot_n_maps_ignoring_channels, plot_four_columns,
    plot_returns_none, plot_returns_axes, plot_transposed, plot_column_major, plot_squeezed_axes,
    plot_raises,
], ids=lambda plot: plot.__name__)
def test_does_plot_check_reject_a_wrong_figure(plot):
    message = rejected(grade.check_plot_feature_maps, plot)
    assert "plot_feature_maps" in message
    assert_french_without(message)


def test_does_plot_check_reject_something_that_is_not_a_function():
    rejected(grade.check_plot_feature_maps, plot_reference(torch.zeros(1, 2, 3, 3)))


def plot_min_max_scaled(fmap, n_maps=16, n_cols=4):
    count, n_rows = grid(fmap, n_maps, n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat[:count]):
        channel = fmap[0, i]
        ax.imshow((channel - channel.min()) / (channel.max() - channel.min()))
    return fig


def test_does_plot_check_accept_maps_rescaled_before_imshow():
    """imshow maps each image linearly to its colours: a min-max rescaled map looks the same."""
    assert grade.check_plot_feature_maps(plot_min_max_scaled) is None


def test_is_a_count_given_as_an_integral_float_tensor_accepted():
    assert grade.check_n_neurons(torch.tensor(64.0)) is None
    rejected(grade.check_n_neurons, torch.tensor(64.5))


def test_is_a_library_function_replaced_by_a_partial_reported(monkeypatch):
    import functools

    monkeypatch.setattr(F, "conv2d", functools.partial(torch.conv2d, padding=0))
    assert any(e["flag"] == "patched_library" for e in kernel_evidence())