"""What the hidden tests of ``cnn_bases`` hand over, one function per check.

The inputs the student's functions are called on live here (the judge
computes its references on the very same inputs): other lengths and seeds
than the notebook's, odd and non-square filters, negative shifts, non-square
images, stride and padding combinations. Nothing here is an answer.
"""
import copy

import numpy as np

from . import publish
from .calls import call, quiet
from .plain import encode, raised

#: (length of x, length of f, seed): other lengths than the notebook's, asymmetric filters.
CONV1D_CASES = ((37, 5, 11), (50, 7, 12), (12, 3, 13), (9, 9, 14), (20, 1, 15))
GAUSSIAN_LENGTHS = (5, 3, 8, 11, 1)
#: (length of x, k): positive, negative and zero shifts, up to |k| = len(x) - 1.
SHIFT_CASES = ((12, 3), (12, -5), (9, 0), (15, 14), (15, -14), (7, 1))
#: (image shape (H, W, C), filter height and width): non-square images and filters.
CONV2D_CASES = (((7, 11, 3), (3, 5)), ((10, 6, 2), (5, 3)), ((9, 8, 1), (1, 3)), ((6, 13, 4), (3, 3)),
                ((5, 4, 2), (1, 1)))
#: (n, kernel_size, padding, stride); None: the argument is left to its default.
OUTPUT_SIZE_CASES = ((31, 5, None, None), (17, 4, None, None), (30, 3, 1, None), (29, 7, 3, None),
                     (19, 2, None, 2), (10, 3, None, 3), (221, 7, 3, 2), (227, 11, 0, 4), (9, 3, 2, 4),
                     (6, 4, 1, 3), (5, 5, 2, 1), (1, 1, 0, 1), (13, 6, 2, 5))
#: (input shape (C_in, H, W), filters shape (C_out, C_in, kh, kw)): non-square inputs and kernels.
CONV_LAYER_CASES = (((3, 9, 11), (4, 3, 3, 2)), ((1, 8, 8), (2, 1, 5, 5)), ((2, 6, 7), (5, 2, 1, 1)),
                    ((4, 5, 12), (1, 4, 2, 4)))
#: (shape (H, W), size or None for the default, offset of the values): odd sizes, all-negative maps.
POOLING_CASES = (((6, 8), None, 0.0), ((7, 9), 2, 0.0), ((9, 12), 3, 0.0), ((10, 5), 5, 0.0),
                 ((4, 6), 2, -5.0))
LENET_INPUT = (1, 32, 32)
LAYERS_BATCH, LAYERS_SEED = 3, 90
FORWARD_BATCH, FORWARD_WEIGHTS_SEED, FORWARD_INPUT_SEED = 4, 91, 92

DIGITS_TEST_SIZE = 0.25
DIGITS_SPLIT_SEED = 0
DIGITS_UPSCALE = 3
DIGITS_MARGIN = 4


def random(shape, seed, offset=0.0):
    return np.random.default_rng(seed).standard_normal(shape) + offset


def conv1d_inputs(n, m, seed):
    return random(n, seed), random(m, seed + 100)


def shift_input(n, k):
    return random(n, 20 + n + k, offset=1.0)


def conv2d_inputs(k):
    (height, width, channels), (fh, fw) = CONV2D_CASES[k]
    return random((height, width, channels), 30 + k), random((fh, fw, channels), 40 + k)


def output_size_arguments(n, kernel_size, padding, stride):
    return {name: value for name, value in (("padding", padding), ("stride", stride)) if value is not None}


def conv_layer_inputs(k):
    (c_in, height, width), filters_shape = CONV_LAYER_CASES[k]
    x = random((c_in, height, width), 50 + k)
    filters = random(filters_shape, 60 + k) / np.sqrt(np.prod(filters_shape[1:]))
    biases = 0.5 * random(filters_shape[0], 70 + k)
    return x, filters, biases


def pooling_input(k):
    shape, _, offset = POOLING_CASES[k]
    return random(shape, 80 + k, offset=offset)


def lenet_weight(shape, seed=FORWARD_WEIGHTS_SEED):
    """The value the judge gives a parameter of this shape (He-scaled; biases small)."""
    rng = np.random.default_rng([seed, *shape])
    if len(shape) == 1:
        return 0.1 * rng.standard_normal(shape)
    return rng.standard_normal(shape) * np.sqrt(2 / np.prod(shape[1:]))


def digits_split():
    """The notebook's given rule: (x_train, y_train, x_test, y_test).

    scikit-learn's 8x8 digits (values 0..16) scaled to [0, 1], each pixel
    repeated 3x3 (24x24) with a margin of 4 zeros (32x32), as float32 arrays
    (N, 1, 32, 32); labels int64; a stratified split, a quarter for the test.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16
    images = images.repeat(DIGITS_UPSCALE, axis=1).repeat(DIGITS_UPSCALE, axis=2)
    margin = DIGITS_MARGIN
    images = np.pad(images, ((0, 0), (margin, margin), (margin, margin)))[:, None]
    labels = digits.target.astype(np.int64)
    train, test = train_test_split(np.arange(len(labels)), test_size=DIGITS_TEST_SIZE,
                                   random_state=DIGITS_SPLIT_SEED, stratify=labels)
    arrays = (images[train], labels[train], images[test], labels[test])
    for array in arrays:
        array.setflags(write=False)
    return arrays


# --- the hand-overs ----------------------------------------------------------------------------

def conv1d(conv1d):
    publish("conv1d", {"results": [call(conv1d, *conv1d_inputs(*case)) for case in CONV1D_CASES]})


def gaussian_filter(gaussian_filter):
    publish("gaussian_filter", {"results": [call(gaussian_filter, length) for length in GAUSSIAN_LENGTHS]})


def shift(shift):
    publish("shift", {"results": [call(shift, shift_input(n, k), k) for n, k in SHIFT_CASES]})


def conv2d(conv2d_multichannel):
    publish("conv2d", {"results": [call(conv2d_multichannel, *conv2d_inputs(k)) for k in range(len(CONV2D_CASES))]})


def output_size(conv_output_size):
    publish("output_size", {"results": [call(conv_output_size, case[0], case[1], **output_size_arguments(*case))
                                        for case in OUTPUT_SIZE_CASES]})


def _conv_layer_results(conv_layer):
    return [call(conv_layer, *conv_layer_inputs(k)) for k in range(len(CONV_LAYER_CASES))]


def conv_layer_shape(conv_layer):
    publish("conv_layer_shape", {"results": _conv_layer_results(conv_layer)})


def conv_layer_values(conv_layer):
    publish("conv_layer_values", {"results": _conv_layer_results(conv_layer)})


def _pooling_results(function):
    results = []
    for k, (_, size, _) in enumerate(POOLING_CASES):
        results.append(call(function, pooling_input(k), *(() if size is None else (size,))))
    return results


def max_pool(max_pool2d):
    publish("max_pool", {"results": _pooling_results(max_pool2d)})


def avg_pool(avg_pool2d):
    publish("avg_pool", {"results": _pooling_results(avg_pool2d)})


# --- LeNet-5 ------------------------------------------------------------------------------------

def _is_module_class(LeNet5):
    import torch

    return isinstance(LeNet5, type) and issubclass(LeNet5, torch.nn.Module)


def _new_model(LeNet5):
    """``LeNet5()`` in the plain format, and the model; the notebook's random state is left as it was."""
    import torch

    with torch.random.fork_rng(devices=[]):
        try:
            with quiet():
                model = LeNet5()
        except Exception as error:  # the student's code: any failure is what gets handed over
            return raised(error), None
    if not isinstance(model, torch.nn.Module):
        return encode(model), None
    return {"kind": "module", "parameters": [list(p.shape) for p in model.parameters()]}, model


def _outputs(model, x):
    """The model's output for ``x`` in eval mode, on a copy: the student's model is left as is."""
    import torch

    try:
        model = copy.deepcopy(model)
        model.eval()
        with torch.no_grad(), quiet():
            return encode(model(torch.from_numpy(np.array(x, dtype=np.float32))), full=True)
    except Exception as error:  # the student's code: any failure is what gets handed over
        return raised(error)


def _lenet(check, LeNet5, prepare=None, x=None):
    if not _is_module_class(LeNet5):
        publish(check, {"class": encode(LeNet5)})
        return
    built, model = _new_model(LeNet5)
    values = {"class": {"kind": "module_class"}, "built": built}
    if model is not None:
        if prepare is not None:
            prepare(model)
        values["output"] = _outputs(model, x)
    publish(check, values)


def lenet_layers(LeNet5):
    _lenet("lenet_layers", LeNet5, x=random((LAYERS_BATCH,) + LENET_INPUT, LAYERS_SEED).astype(np.float32))


def _set_judge_weights(model):
    import torch

    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(lenet_weight(tuple(p.shape))))


def lenet_forward(LeNet5):
    _lenet("lenet_forward", LeNet5, prepare=_set_judge_weights,
           x=random((FORWARD_BATCH,) + LENET_INPUT, FORWARD_INPUT_SEED))


def lenet_n_params(lenet_n_params):
    publish("lenet_n_params", {"lenet_n_params": encode(lenet_n_params)})


def training(trained_lenet):
    import torch

    if not isinstance(trained_lenet, torch.nn.Module):
        publish("training", {"model": encode(trained_lenet)})
        return
    _, _, x_test, _ = digits_split()
    publish("training", {
        "model": {"kind": "module", "class": type(trained_lenet).__name__},
        "parameters": [encode(p, full=True) for p in list(trained_lenet.parameters())[:32]],
        "output": _outputs(trained_lenet, x_test),
    })
