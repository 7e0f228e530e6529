"""The visible tests of tp_convolution speak French and accept what the hidden checks accept.

Each test cell's visible part is taken from the student release (where the hidden
block is already gone) and run in a plain dict namespace, after the setup cell that
defines its helpers (``defined``, ``is_integer``...). Small stand-ins replace the
photo and VGG16: no kernel, no model build, a few seconds in all.
"""
import re

import nbformat
import numpy as np
import pytest
import torch

import course_config

RELEASE = course_config.ROOT / "release" / "tp_convolution" / "tp_convolution.ipynb"
FRENCH = re.compile(r"doit|n'est pas|défini|forme|nombre|tenseur|liste|figure|mode")


@pytest.fixture(scope="module")
def cells():
    notebook = nbformat.read(RELEASE, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


@pytest.fixture(scope="module")
def setup_code(cells):
    """The compiled setup cell; each run executes it in its own namespace, as a kernel would."""
    return compile(cells["setup"], "<setup>", "exec")


class StandInVGG(torch.nn.Module):
    """A module with a Dropout, like VGG16's classifier, that can be put in evaluation mode."""

    def __init__(self):
        super().__init__()
        self.dropout = torch.nn.Dropout()


def good_answers():
    """A namespace where every answer has an accepted form (values are not what is tested here)."""
    vgg = StandInVGG().eval()
    return {
        "img": torch.zeros(1, 3, 256, 256),
        "kernel1": torch.ones(1, 3, 3, 3),
        "kernel2": torch.ones(1, 3, 3, 3),
        "output1": torch.zeros(1, 1, 254, 254),
        "output2": torch.zeros(1, 1, 254, 254),
        "output": torch.zeros(1, 1, 254, 254),
        "shape_layer30": torch.Size([1, 2, 3, 4]),
        "size_ratio": 2.5,
        "n_neurons": 3,
        "n_weights_per_kernel": 5,
        "n_weights_conv1": 15,
        "vgg": vgg,
        "categories": [f"classe {k}" for k in range(1000)],
        "probs": torch.full((1, 1000), 1e-3),
        "predicted_class": 7,
        "feature_maps": [torch.zeros(1, 2, 4, 4) for _ in range(4)],
        "plot_feature_maps": reference_plot,
    }


def reference_plot(fmap, n_maps=16, n_cols=4):
    import math

    import matplotlib.pyplot as plt

    count = min(n_maps, fmap.shape[1])
    fig, axes = plt.subplots(math.ceil(count / n_cols), n_cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < count:
            ax.imshow(fmap[0, i].numpy())
        else:
            fig.delaxes(ax)
    return fig


def run(cells, setup_code, grade_id, **changes):
    """Run the visible part of a test cell with the good answers, changed as given (None: undefined)."""
    namespace = {}
    exec(setup_code, namespace)  # noqa: S102 (the course's own release; imports are cached after the first)
    namespace.update(good_answers())
    for name, value in changes.items():
        if value is None:
            namespace.pop(name, None)
        else:
            namespace[name] = value
    exec(compile(cells[grade_id], f"<{grade_id}>", "exec"), namespace)  # noqa: S102


def fails_in_french(cells, setup_code, grade_id, **changes):
    with pytest.raises(AssertionError) as raised:
        run(cells, setup_code, grade_id, **changes)
    message = str(raised.value)
    assert FRENCH.search(message), message
    return message


TEST_CELLS = ["test_prewitt_kernel", "test_prewitt_outputs", "test_vgg_layer30_shape", "test_vgg_layer30_ratio",
              "test_resnet_conv1_neurons", "test_resnet_conv1_kernel", "test_resnet_conv1_total", "test_eval_mode",
              "test_hooks_shapes", "test_hooks_values", "test_plot_feature_maps"]


@pytest.mark.parametrize("grade_id", TEST_CELLS)
def test_do_the_good_forms_pass(cells, setup_code, grade_id):
    run(cells, setup_code, grade_id)


def test_are_the_hidden_blocks_absent_from_what_is_run(cells):
    assert all("graders" not in cells[grade_id] for grade_id in TEST_CELLS)


# --- a missing answer: a French AssertionError, never a NameError ---------------------------

MISSING = [("test_prewitt_kernel", "kernel2"), ("test_prewitt_outputs", "output1"),
           ("test_prewitt_outputs", "output"), ("test_vgg_layer30_shape", "shape_layer30"),
           ("test_vgg_layer30_ratio", "size_ratio"), ("test_resnet_conv1_neurons", "n_neurons"),
           ("test_resnet_conv1_kernel", "n_weights_per_kernel"), ("test_resnet_conv1_total", "n_weights_conv1"),
           ("test_eval_mode", "probs"), ("test_eval_mode", "predicted_class"),
           ("test_hooks_shapes", "feature_maps"), ("test_hooks_values", "feature_maps"),
           ("test_plot_feature_maps", "plot_feature_maps")]


@pytest.mark.parametrize("grade_id, name", MISSING)
def test_does_a_missing_name_fail_in_french(cells, setup_code, grade_id, name):
    message = fails_in_french(cells, setup_code, grade_id, **{name: None})
    assert name in message and "n'est pas défini" in message


# --- counts: any integer type, never a bool nor a string ------------------------------------

COUNTS = [("test_resnet_conv1_neurons", "n_neurons"), ("test_resnet_conv1_kernel", "n_weights_per_kernel"),
          ("test_resnet_conv1_total", "n_weights_conv1"), ("test_eval_mode", "predicted_class")]


@pytest.mark.parametrize("grade_id, name", COUNTS)
@pytest.mark.parametrize("value", [3, np.int64(3), 3.0, np.float32(3.0), torch.tensor(3), torch.tensor([3]),
                                   torch.tensor(3.0)], ids=repr)
def test_is_an_integer_of_any_type_accepted(cells, setup_code, grade_id, name, value):
    run(cells, setup_code, grade_id, **{name: value})


@pytest.mark.parametrize("grade_id, name", COUNTS)
@pytest.mark.parametrize("value, words", [
    ("64", "texte"), (True, "booléen"), (np.bool_(True), "booléen"), (torch.Size([3]), "torch.Size"),
    (torch.tensor([3, 4]), "tenseur"), (torch.tensor(True), "tenseur"), (3.5, "float"), ([3], "list"),
], ids=repr)
def test_is_a_wrong_count_refused_in_french(cells, setup_code, grade_id, name, value, words):
    message = fails_in_french(cells, setup_code, grade_id, **{name: value})
    assert "nombre entier" in message and words in message, message


# --- size_ratio: any real number ------------------------------------------------------------

@pytest.mark.parametrize("value", [6, 2.5, np.float64(2.5), np.float32(2.5), np.int32(6), torch.tensor(2.5),
                                   torch.tensor([2.5])], ids=repr)
def test_is_any_real_ratio_accepted(cells, setup_code, value):
    run(cells, setup_code, "test_vgg_layer30_ratio", size_ratio=value)


@pytest.mark.parametrize("value", ["6", True, float("nan"), float("inf"), torch.tensor([1.0, 2.0]), -2.0, 0],
                         ids=repr)
def test_is_a_wrong_ratio_refused_in_french(cells, setup_code, value):
    fails_in_french(cells, setup_code, "test_vgg_layer30_ratio", size_ratio=value)


# --- shapes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [(1, 2, 3, 4), [1, 2, 3, 4], torch.Size([1, 2, 3, 4]), (np.int64(1), 2, 3, 4)],
                         ids=repr)
def test_is_a_shape_of_any_form_accepted(cells, setup_code, value):
    run(cells, setup_code, "test_vgg_layer30_shape", shape_layer30=value)


@pytest.mark.parametrize("value, words", [
    ("(1, 2, 3, 4)", "texte"), (torch.tensor([1, 2, 3, 4]), "tenseur"), (("1", "2", "3", "4"), "tuple"),
    ((1, 2, 3), "4 dimensions"), (1234, "int"),
], ids=repr)
def test_is_a_wrong_shape_refused_in_french(cells, setup_code, value, words):
    message = fails_in_french(cells, setup_code, "test_vgg_layer30_shape", shape_layer30=value)
    assert words in message, message


# --- Prewitt ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, words", [
    (torch.ones(1, 3, 3, 3, dtype=torch.int64), "réels"), (np.ones((1, 3, 3, 3)), "tenseur torch"),
    (torch.ones(3, 3), "forme"), ("kernel", "tenseur torch"),
], ids=["integer tensor", "ndarray", "3x3", "string"])
def test_is_a_wrong_kernel2_refused_in_french(cells, setup_code, value, words):
    message = fails_in_french(cells, setup_code, "test_prewitt_kernel", kernel2=value)
    assert words in message, message


def test_is_a_double_kernel2_accepted(cells, setup_code):
    run(cells, setup_code, "test_prewitt_kernel", kernel2=torch.ones(1, 3, 3, 3, dtype=torch.float64))


@pytest.mark.parametrize("value, words", [
    (torch.zeros(1, 1, 256, 256), "padding"), (torch.zeros(254, 254), "forme"), (torch.zeros(1, 3, 254, 254), "forme"),
    ([[0.0]], "tenseur torch"),
], ids=["padded", "2d", "3 channels", "list"])
def test_is_a_wrong_output_refused_in_french(cells, setup_code, value, words):
    message = fails_in_french(cells, setup_code, "test_prewitt_outputs", output2=value)
    assert "output2" in message and words in message, message


def test_is_a_numpy_output_accepted(cells, setup_code):
    run(cells, setup_code, "test_prewitt_outputs", output=np.zeros((1, 1, 254, 254)))


# --- evaluation mode ------------------------------------------------------------------------------

def test_is_a_model_in_training_mode_refused_in_french(cells, setup_code):
    message = fails_in_french(cells, setup_code, "test_eval_mode", vgg=StandInVGG().train())
    assert "mode entraînement" in message


@pytest.mark.parametrize("value, words", [(torch.zeros(1000), "forme"), (torch.zeros(1, 10), "forme"),
                                          ([0.1] * 1000, "tenseur torch")], ids=["1d", "10 classes", "list"])
def test_are_wrong_probs_refused_in_french(cells, setup_code, value, words):
    message = fails_in_french(cells, setup_code, "test_eval_mode", probs=value)
    assert words in message, message


def test_are_numpy_probs_and_a_tensor_class_accepted(cells, setup_code):
    run(cells, setup_code, "test_eval_mode", probs=np.full((1, 1000), 1e-3),
        predicted_class=torch.tensor([7]))


# --- hooks ------------------------------------------------------------------------------------------

def test_is_a_tuple_of_feature_maps_accepted(cells, setup_code):
    maps = tuple(torch.zeros(1, 2, 4, 4) for _ in range(4))
    run(cells, setup_code, "test_hooks_shapes", feature_maps=maps)
    run(cells, setup_code, "test_hooks_values", feature_maps=maps)


WRONG_MAPS = {"one tensor": torch.zeros(4, 1, 2, 4, 4), "ndarrays": [np.zeros((1, 2, 4, 4))] * 4, "dict": {"a": 1}}


@pytest.mark.parametrize("grade_id", ["test_hooks_shapes", "test_hooks_values"])
@pytest.mark.parametrize("value", WRONG_MAPS.values(), ids=WRONG_MAPS.keys())
def test_are_wrong_feature_maps_refused_in_french(cells, setup_code, grade_id, value):
    fails_in_french(cells, setup_code, grade_id, feature_maps=value)


def test_are_eight_maps_refused_in_french(cells, setup_code):
    message = fails_in_french(cells, setup_code, "test_hooks_shapes", feature_maps=[torch.zeros(1, 2, 4, 4)] * 8)
    assert "4 tenseurs" in message and "8" in message


def test_are_maps_of_the_wrong_dimension_refused_in_french(cells, setup_code):
    message = fails_in_french(cells, setup_code, "test_hooks_shapes", feature_maps=[torch.zeros(2, 4, 4)] * 4)
    assert "feature_maps[0]" in message and "forme" in message


def test_are_integer_maps_refused_in_french(cells, setup_code):
    maps = [torch.zeros(1, 2, 4, 4, dtype=torch.int64)] * 4
    message = fails_in_french(cells, setup_code, "test_hooks_values", feature_maps=maps)
    assert "réels" in message


# --- plotting ---------------------------------------------------------------------------------------

def test_is_a_function_that_raises_reported_in_french(cells, setup_code):
    def broken(fmap, n_maps=16, n_cols=4):
        raise NotImplementedError()

    message = fails_in_french(cells, setup_code, "test_plot_feature_maps", plot_feature_maps=broken)
    assert "NotImplementedError" in message


def test_is_a_function_that_returns_nothing_refused_in_french(cells, setup_code):
    def returns_nothing(fmap, n_maps=16, n_cols=4):
        reference_plot(fmap, n_maps, n_cols)

    message = fails_in_french(cells, setup_code, "test_plot_feature_maps", plot_feature_maps=returns_nothing)
    assert "figure" in message and "None" in message


def test_is_a_figure_with_every_map_refused_in_french(cells, setup_code):
    def every_map(fmap, n_maps=16, n_cols=4):
        return reference_plot(fmap, fmap.shape[1], n_cols)

    message = fails_in_french(cells, setup_code, "test_plot_feature_maps", plot_feature_maps=every_map)
    assert "4 images" in message


def test_does_the_plot_test_leave_no_figure_open(cells, setup_code):
    import matplotlib.pyplot as plt

    run(cells, setup_code, "test_plot_feature_maps")
    assert plt.get_fignums() == []
