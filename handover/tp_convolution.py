"""What the hidden tests of ``tp_convolution`` hand over, one function per check.

Each function is named after the check of ``graders.tp_convolution`` that
judges it, and takes the student's names as the test cell passes them.
"""
import numpy as np

from . import publish
from .calls import quiet
from .plain import encode, raised

#: (channels, height, width, n_maps, n_cols) of the maps plot_feature_maps is called on: fewer maps than
#: n_maps (spare grid cells), more maps than n_maps, a full grid, a single row.
PLOT_CASES = ((5, 7, 9, 16, 4), (20, 6, 6, 6, 4), (12, 5, 8, 12, 3), (3, 4, 5, 16, 4))
#: How many modules still in training mode are named (the count is always given).
NAMED_MODULES = 10


def probe_maps(channels, height, width, seed):
    """Feature maps whose channels all differ from each other (float32, (1, C, H, W))."""
    return np.random.default_rng(seed).standard_normal((1, channels, height, width)).astype(np.float32)


def _hand_over(check, **values):
    publish(check, {name: encode(value) for name, value in values.items()})


def prewitt_kernel(kernel2):
    _hand_over("prewitt_kernel", kernel2=kernel2)


def prewitt_outputs(output1, output2, output):
    _hand_over("prewitt_outputs", output1=output1, output2=output2, output=output)


def layer30_shape(shape_layer30):
    _hand_over("layer30_shape", shape_layer30=shape_layer30)


def size_ratio(size_ratio):
    _hand_over("size_ratio", size_ratio=size_ratio)


def n_neurons(n_neurons):
    _hand_over("n_neurons", n_neurons=n_neurons)


def n_weights_per_kernel(n_weights_per_kernel):
    _hand_over("n_weights_per_kernel", n_weights_per_kernel=n_weights_per_kernel)


def n_weights_conv1(n_weights_conv1):
    _hand_over("n_weights_conv1", n_weights_conv1=n_weights_conv1)


def _model_mode(model):
    import torch

    if not isinstance(model, torch.nn.Module):
        return {"kind": "not_module", "type": type(model).__name__}
    training = [name or "vgg" for name, module in model.named_modules() if module.training]
    return {"kind": "module", "training_count": len(training), "training": training[:NAMED_MODULES]}


def eval_mode(vgg, probs, predicted_class):
    try:
        mode = _model_mode(vgg)
    except Exception as error:
        mode = raised(error)
    publish("eval_mode", {"vgg": mode, "probs": encode(probs), "predicted_class": encode(predicted_class)})


def hook_shapes(feature_maps):
    _hand_over("hook_shapes", feature_maps=feature_maps)


def hook_values(feature_maps):
    _hand_over("hook_values", feature_maps=feature_maps)


def _figure(plot_feature_maps, channels, height, width, n_maps, n_cols):
    """What plot_feature_maps draws for probe maps: each image shown and its place in the grid."""
    import matplotlib.pyplot as plt
    import torch
    from matplotlib.figure import Figure

    plt.close("all")
    try:
        with quiet():
            figure = plot_feature_maps(torch.from_numpy(probe_maps(channels, height, width, seed=channels)),
                                       n_maps=n_maps, n_cols=n_cols)
        if not isinstance(figure, Figure):
            return encode(figure)
        shown = []
        for ax in figure.axes:
            if not ax.images:
                continue
            spec = ax.get_subplotspec()
            if spec is not None:  # a colorbar nests its axis in a sub-grid: the layout is that of the top grid
                spec = spec.get_topmost_subplotspec()
            place = None if spec is None else [spec.get_geometry()[1], spec.rowspan.start, spec.colspan.start]
            shown.append({"image": encode(np.asarray(ax.images[0].get_array(), dtype=np.float64)), "place": place})
        return {"kind": "figure", "axes": shown[:64], "count": len(shown)}
    except Exception as error:  # the student's code: any failure is what gets handed over
        return raised(error)
    finally:
        plt.close("all")


def plot_feature_maps(plot_feature_maps):
    if not callable(plot_feature_maps):
        publish("plot_feature_maps", {"function": {"kind": "not_callable", "value": encode(plot_feature_maps)}})
        return
    publish("plot_feature_maps", {"figures": [_figure(plot_feature_maps, *case) for case in PLOT_CASES]})
