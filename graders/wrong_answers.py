"""The graders' catalogue of known wrong answers: what each check must refuse, and what it costs.

Each entry is the instructor's solution with one part answered wrong (the
code of one or more solution cells replaced) and the points each test cell
must lose for it. ``course grade``'s pre-flight grades every entry before any
student: if one does not lose exactly these points, a check is not live (no
judge, a check that passes anything) and grading stops. The demonstration's
sample with one mistake per part is made of the same entries.

Plain data (strings and numbers), read without importing the rest of graders.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class WrongAnswer:
    #: grade_id of a solution cell -> the wrong code written in it.
    answers: dict
    #: grade_id of a test cell -> the points it must lose; every other test cell keeps all its points.
    loses: dict
    #: What is wrong, for the instructor (English).
    what: str = ""


WRONG_ANSWERS = {
    "tp_convolution": (
        WrongAnswer(
            {"vgg_layer30": "with torch.no_grad():\n"
                            "    shape_layer30 = vgg.features[:31](img).shape\n"
                            "size_ratio = (img.shape[2] * img.shape[3]) / (shape_layer30[2] * shape_layer30[3])\n"},
            {"test_vgg_layer30_ratio": 1},
            "A: the ratio of spatial sizes only, forgetting the channels"),
        WrongAnswer(
            {"resnet_conv1": "n_neurons = resnet.conv1.out_channels\n"
                             "n_weights_per_kernel = resnet.conv1.weight[0].numel()\n"
                             "n_weights_conv1 = resnet.conv1.weight.numel() + n_neurons\n"},
            {"test_resnet_conv1_total": 1},
            "B: a bias counted per neuron (conv1 has none)"),
        WrongAnswer(
            {"hooks": "feature_maps = []\n"
                      "hooks = [vgg.features[i].register_forward_hook(\n"
                      "    lambda module, inputs, output: feature_maps.append(output.detach()))\n"
                      "    for i in (0, 10, 17, 28)]\n"
                      "with torch.no_grad():\n"
                      "    vgg(img_norm)\n"
                      "for hook in hooks:\n"
                      "    hook.remove()\n"},
            {"test_hooks_values": 1},
            "C: the hook keeps output.detach(), which the in-place ReLU overwrites"),
    ),
    "cnn_bases": (
        WrongAnswer(
            {"conv1d": "def conv1d(x, f):\n"
                       "    return np.convolve(x, f, mode='same')\n"},
            {"test_conv1d": 2},
            "A: the mathematicians' convolution, which flips the filter"),
        WrongAnswer(
            {"output_size": "def conv_output_size(n, kernel_size, padding=0, stride=1):\n"
                            "    return (n - kernel_size) // stride + 1\n"},
            {"test_output_size": 2},
            "B: the padding left out of the size formula"),
        WrongAnswer(
            {"conv_layer": "def conv_layer(x, filters, biases):\n"
                           "    c_out, c_in, kh, kw = filters.shape\n"
                           "    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))\n"
                           "    return np.einsum('chwij,ocij->ohw', windows, filters) + biases[:, None, None]\n",
             "pooling": "def max_pool2d(x, size=2):\n"
                        "    return np.lib.stride_tricks.sliding_window_view(x, (size, size)).max(axis=(2, 3))\n"
                        "\n"
                        "\n"
                        "def avg_pool2d(x, size=2):\n"
                        "    rows, cols = x.shape[0] // size, x.shape[1] // size\n"
                        "    return x[:rows * size, :cols * size].reshape(rows, size, cols, size).mean(axis=(1, 3))\n"},
            {"test_conv_layer_values": 2, "test_pooling_max": 1},
            "C: a convolution layer without its ReLU; a max-pooling whose windows overlap (stride 1)"),
        WrongAnswer(
            {"training": "trained_lenet = LeNet5()\n"},
            {"test_training": 3},
            "E: the model is built but never trained"),
    ),
}
