"""A realistic class of ``tp_convolution`` submissions, with the score each must get.

Each entry (:class:`ClassSubmission`) has a student id, a function writing its
folder ``<root>/submitted/<student>/tp_convolution/`` in a course copy whose
release exists (``pipeline.copy_course`` then ``pipeline.generate_release``),
and its expected score per test cell (grade_id -> points)::

    from class_submissions import HEALTHY, FAULTS, write_class
    write_class(root, HEALTHY)                     # or entry.write(root), entry.write(root, "other_id")
    assert pipeline.scores(root, "tp_convolution")[entry.student] == entry.expected

``HEALTHY`` (15): the instructor's solution, four full-mark solutions written
differently, seven typical mistakes, the blank release and two broken
notebooks (a syntax error, exceptions in the middle of cells). Every expected
score was checked by grading the class with plain nbgrader
(``pipeline.autograde``) on 2026-11-23: all 15 match.

``FAULTS`` (10, ``fault`` names the kind): a reference solution but for one
fault, with the scores the finished engine must give. Measured on 2026-11-23,
each fault graded alone (``nbgrader autograde tp_convolution --force
--student ID --ContainedExecute.timeout=30 --Execute.timeout=30``):

============================  ==========  =============================================================
fault (expected total)        course cfg  stock nbgrader 0.9.6 (no course/grading, no sandbox)
============================  ==========  =============================================================
duplicated_cell (16)          16          0: "One or more notebooks ... use an old version of the nbgrader
                                          metadata format" (DeduplicateIds empties the copy), run aborted
test_cells_tampered (16)      16          15: the deleted test_resnet_conv1_total is not graded (0);
                                          the emptied test_eval_mode is restored by OverwriteCells
renamed (16)                  16          0: "No notebooks found", error for the student
invalid_json (0)              0           0, but only as an error (NotJSONError), no feedback
unknown_kernelspec (16)       16          16 (OverwriteKernelspec)
infinite_loop (16)            16          16 (interrupted after the timeout)
huge_output (16)              16          16, with the 50 MB kept in the autograded notebook
kernel_death (9)              9           0: DeadKernelError aborts the submission
disk_fill (16)                16          16, after writing 3 GiB into autograded/ and 3 GiB into the
                                          machine's /tmp (this notebook deletes its files)
memory_bomb (11)              11          16: nothing bounds memory, the 8 GiB fit on a 23 GB machine
============================  ==========  =============================================================

With the course configuration every fault gets its expected score today,
through plain nbgrader and through ``course grade --jobs 2`` alike (disk_fill:
its folder refuses writes at 512 MiB, EFBIG, its /tmp at 448 MiB, ENOSPC).
``infinite_loop`` defines ``plot_feature_maps`` before ``while True: pass``:
the interrupt stops the loop in the same kernel, the function exists and
its test passes, hence full marks (the brief expected test_plot_feature_maps
to lose its 2 points, which only a kernel restart would do).
"""
import copy
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from course.samples import BLANK, REFERENCE, Sample, _solution_code, build_submission

ASSIGNMENT = "tp_convolution"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

#: grade_id -> points of every test cell (the course contract: 16 points).
POINTS = {
    "test_prewitt_kernel": 1.0, "test_prewitt_outputs": 2.0,
    "test_vgg_layer30_shape": 2.0, "test_vgg_layer30_ratio": 1.0,
    "test_resnet_conv1_neurons": 1.0, "test_resnet_conv1_kernel": 1.0, "test_resnet_conv1_total": 1.0,
    "test_eval_mode": 2.0,
    "test_hooks_shapes": 2.0, "test_hooks_values": 1.0,
    "test_plot_feature_maps": 2.0,
}


def scores(lost=None, everything=False):
    """grade_id -> expected score: full marks minus ``lost`` (grade_id -> points), or 0 everywhere."""
    lost = lost or {}
    return {g: 0.0 if everything else p - lost.get(g, 0) for g, p in POINTS.items()}


FULL_MARKS = scores()
#: Every test cell from ``eval_mode`` on (what a kernel stopped in part C costs).
PART_C = {"test_eval_mode": 2, "test_hooks_shapes": 2, "test_hooks_values": 1, "test_plot_feature_maps": 2}


@dataclass(frozen=True)
class ClassSubmission:
    student: str
    #: ``writer(root, student)``: writes ``<root>/submitted/<student>/tp_convolution/``, returns the folder.
    writer: Callable
    #: grade_id of each test cell -> the points this submission must get.
    expected: dict = field(default_factory=lambda: dict(FULL_MARKS))
    description: str = ""
    #: For FAULTS: the kind of fault ("" for a healthy submission).
    fault: str = ""

    def write(self, root, student=None):
        return self.writer(Path(root), student or self.student)

    @property
    def total(self):
        return sum(self.expected.values())


# --- writers ----------------------------------------------------------------------------


def _fresh_folder(root, student):
    """The student's folder, a copy of the release (cat.jpg included)."""
    folder = root / "submitted" / student / ASSIGNMENT
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(root / "release" / ASSIGNMENT, folder)
    return folder


class After(str):
    """An answer: the instructor's solution of the cell, then this code."""


def _notebook(root, answers, default=REFERENCE):
    """The release notebook with its solution cells filled in (course/samples.py's rules)."""
    release_nb = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source_nb = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    answers = {grade_id: _solution_code(source_nb.cells[_index(source_nb, grade_id)]) + "\n" + answer
               if isinstance(answer, After) else answer for grade_id, answer in answers.items()}
    return build_submission(Sample("-", answers, default), release_nb, source_nb)


def answered(answers=None, default=REFERENCE, edit=None, filename=NOTEBOOK, truncate=None):
    """A writer: the release with ``answers`` (grade_id -> REFERENCE, BLANK or code), others ``default``.

    ``edit(notebook)`` changes the notebook in place before it is written as
    ``filename``; ``truncate`` (0 to 1) keeps only that fraction of the file.
    """
    def writer(root, student):
        folder = _fresh_folder(root, student)
        notebook = _notebook(root, answers or {}, default)
        if edit is not None:
            edit(notebook)
        if filename != NOTEBOOK:
            (folder / NOTEBOOK).unlink()
        path = folder / filename
        nbformat.write(notebook, path)
        if truncate is not None:
            data = path.read_bytes()
            path.write_bytes(data[:int(len(data) * truncate)])
        return folder

    return writer


def _index(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def duplicate_cell(grade_id):
    """Jupyter's copy/paste: the cell, metadata included (same grade_id), right after itself, with a new id."""
    def edit(notebook):
        i = _index(notebook, grade_id)
        twin = copy.deepcopy(notebook.cells[i])
        twin.id = uuid.uuid4().hex[:8]
        notebook.cells.insert(i + 1, twin)
    return edit


def tamper_test_cells(deleted, emptied):
    def edit(notebook):
        notebook.cells[_index(notebook, emptied)].source = "pass"
        del notebook.cells[_index(notebook, deleted)]
    return edit


def set_kernelspec(name):
    def edit(notebook):
        notebook.metadata.kernelspec = {"name": name, "display_name": f"Python 3 ({name})", "language": "python"}
    return edit


# --- answers ------------------------------------------------------------------------------
# Full-mark solutions written differently from the instructor's.

ALT_A = {
    "prewitt": "kernel2 = torch.tensor([[-1.0, -1.0, -1.0],\n"
               "                        [0.0, 0.0, 0.0],\n"
               "                        [1.0, 1.0, 1.0]]).repeat(1, 3, 1, 1)\n"
               "output1 = F.conv2d(img, kernel1)\n"
               "output2 = F.conv2d(img, kernel2)\n"
               "output = torch.hypot(output1, output2)\n",
    "vgg_layer30": "# 5 max-pooling de 2 : 256 / 2**5 = 8 ; la dernière convolution a 512 filtres\n"
                   "shape_layer30 = (1, 512, 256 // 2**5, 256 // 2**5)\n"
                   "size_ratio = (3 * 256 * 256) / (512 * 8 * 8)\n"
                   "print(\"forme en sortie :\", tuple(shape_layer30), \"; rapport des tailles :\", size_ratio)\n",
    "resnet_conv1": "n_neurons = resnet.conv1.weight.shape[0]\n"
                    "n_weights_per_kernel = resnet.conv1.weight[0].numel()\n"
                    "n_weights_conv1 = resnet.conv1.weight.numel()\n"
                    "print(n_neurons, n_weights_per_kernel, n_weights_conv1)\n",
    "eval_mode": "vgg.eval()\n"
                 "with torch.no_grad():\n"
                 "    logits = vgg(img_norm)\n"
                 "probs = F.softmax(logits, dim=1)\n"
                 "predicted_class = probs.argmax().item()\n",
    "hooks": "captured = {}\n\n\n"
             "def make_hook(layer):\n"
             "    def hook(module, inputs, output):\n"
             "        captured[layer] = output.clone()\n"
             "    return hook\n\n\n"
             "handles = [vgg.features[i].register_forward_hook(make_hook(i)) for i in (0, 10, 17, 28)]\n"
             "with torch.no_grad():\n"
             "    vgg(img_norm)\n"
             "for h in handles:\n"
             "    h.remove()\n"
             "feature_maps = [captured[i] for i in (0, 10, 17, 28)]\n"
             "for fmap in feature_maps:\n"
             "    print(tuple(fmap.shape))\n",
    "plot_feature_maps": "def plot_feature_maps(fmap, n_maps=16, n_cols=4):\n"
                         "    count = min(n_maps, fmap.shape[1])\n"
                         "    n_rows = -(-count // n_cols)\n"
                         "    fig = plt.figure(figsize=(2 * n_cols, 2 * n_rows))\n"
                         "    for i in range(count):\n"
                         "        ax = fig.add_subplot(n_rows, n_cols, i + 1)\n"
                         "        ax.imshow(fmap[0, i].detach().numpy())\n"
                         "        ax.axis(\"off\")\n"
                         "    return fig\n",
}

ALT_B = {
    "prewitt": "# le signe opposé détecte les mêmes contours\n"
               "kernel2 = -torch.tensor([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]).expand(1, 3, 3, 3)\n"
               "output1 = F.conv2d(img, kernel1)\n"
               "output2 = F.conv2d(img, kernel2)\n"
               "output = (output1**2 + output2**2) ** 0.5\n",
    "vgg_layer30": "with torch.no_grad():\n"
                   "    shape_layer30 = vgg.features(img).shape\n"
                   "size_ratio = img.numel() / shape_layer30.numel()\n"
                   "print(\"forme en sortie :\", tuple(shape_layer30), \"; rapport des tailles :\", size_ratio)\n",
    "resnet_conv1": "n_neurons = 64\n"
                    "n_weights_per_kernel = resnet.conv1.in_channels * resnet.conv1.kernel_size[0] "
                    "* resnet.conv1.kernel_size[1]\n"
                    "n_weights_conv1 = n_neurons * n_weights_per_kernel\n"
                    "print(n_neurons, n_weights_per_kernel, n_weights_conv1)\n",
    "eval_mode": "vgg.train(False)\n"
                 "probs = torch.softmax(vgg(img_norm).detach(), 1)\n"
                 "predicted_class = int(torch.argmax(probs))\n",
    "hooks": "class Recorder:\n"
             "    def __init__(self):\n"
             "        self.outputs = []\n\n"
             "    def __call__(self, module, inputs, output):\n"
             "        self.outputs.append(output.clone())\n\n\n"
             "recorder = Recorder()\n"
             "handles = [vgg.features[i].register_forward_hook(recorder) for i in [0, 10, 17, 28]]\n"
             "with torch.no_grad():\n"
             "    vgg(img_norm)\n"
             "for handle in handles:\n"
             "    handle.remove()\n"
             "feature_maps = recorder.outputs\n"
             "for fmap in feature_maps:\n"
             "    print(tuple(fmap.shape))\n",
    "plot_feature_maps": "def plot_feature_maps(fmap, n_maps=16, n_cols=4):\n"
                         "    n = min(n_maps, fmap.shape[1])\n"
                         "    n_rows = (n + n_cols - 1) // n_cols\n"
                         "    fig, axes = plt.subplots(n_rows, n_cols)\n"
                         "    axes = np.array(axes).reshape(-1)\n"
                         "    for i, ax in enumerate(axes):\n"
                         "        if i < n:\n"
                         "            ax.imshow(fmap[0, i])\n"
                         "        else:\n"
                         "            fig.delaxes(ax)\n"
                         "    return fig\n",
}

ALT_C = {
    "prewitt": "kernel2 = torch.rot90(kernel1, k=-1, dims=(2, 3))\n"
               "output1 = F.conv2d(img, kernel1)\n"
               "output2 = F.conv2d(img, kernel2)\n"
               "output = torch.linalg.vector_norm(torch.stack([output1, output2]), dim=0)\n",
    "vgg_layer30": "x = img\n"
                   "with torch.no_grad():\n"
                   "    for layer in vgg.features[:31]:\n"
                   "        x = layer(x)\n"
                   "shape_layer30 = tuple(x.shape)\n"
                   "size_ratio = img.numel() / x.numel()\n"
                   "print(\"forme en sortie :\", tuple(shape_layer30), \"; rapport des tailles :\", size_ratio)\n",
    "resnet_conv1": "n_neurons = resnet.conv1.weight.size(0)\n"
                    "n_weights_per_kernel = resnet.conv1.weight.size(1) * resnet.conv1.weight.size(2) "
                    "* resnet.conv1.weight.size(3)\n"
                    "n_weights_conv1 = sum(p.numel() for p in resnet.conv1.parameters())\n"
                    "print(n_neurons, n_weights_per_kernel, n_weights_conv1)\n",
    "eval_mode": "vgg = vgg.eval()\n"
                 "with torch.inference_mode():\n"
                 "    probs = vgg(img_norm).softmax(-1)\n"
                 "predicted_class = probs[0].argmax().item()\n",
    "hooks": "feature_maps = []\n"
             "handles = []\n"
             "for i in (0, 10, 17, 28):\n"
             "    handles.append(vgg.features[i].register_forward_hook(\n"
             "        lambda m, inp, out: feature_maps.append(out.detach().clone())))\n"
             "try:\n"
             "    with torch.no_grad():\n"
             "        vgg(img_norm)\n"
             "finally:\n"
             "    for handle in handles:\n"
             "        handle.remove()\n",
    "plot_feature_maps": "def plot_feature_maps(fmap, n_maps=16, n_cols=4):\n"
                         "    count = min(n_maps, fmap.shape[1])\n"
                         "    n_rows = math.ceil(count / n_cols)\n"
                         "    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)\n"
                         "    for i in range(count):\n"
                         "        axes[i // n_cols][i % n_cols].imshow(fmap[0, i], cmap=\"gray\")\n"
                         "    for j in range(count, n_rows * n_cols):\n"
                         "        axes.flat[j].remove()\n"
                         "    return fig\n",
}

ALT_D = {
    "prewitt": "vertical = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], dtype=np.float32)\n"
               "kernel2 = torch.from_numpy(vertical).expand_as(kernel1).clone()\n"
               "output1 = F.conv2d(img, kernel1, padding=0, stride=1)\n"
               "output2 = F.conv2d(img, kernel2, padding=0, stride=1)\n"
               "output = torch.sqrt(torch.square(output1) + torch.square(output2))\n",
    "vgg_layer30": "h = w = 256\n"
                   "channels = 3\n"
                   "for layer in vgg.features[:31]:\n"
                   "    if isinstance(layer, torch.nn.Conv2d):\n"
                   "        channels = layer.out_channels\n"
                   "    elif isinstance(layer, torch.nn.MaxPool2d):\n"
                   "        h, w = h // 2, w // 2\n"
                   "shape_layer30 = [1, channels, h, w]\n"
                   "size_ratio = (3 * 256 * 256) / (channels * h * w)\n"
                   "print(\"forme en sortie :\", tuple(shape_layer30), \"; rapport des tailles :\", size_ratio)\n",
    "resnet_conv1": "n_neurons, c, kh, kw = resnet.conv1.weight.shape\n"
                    "n_weights_per_kernel = c * kh * kw\n"
                    "n_weights_conv1 = n_neurons * n_weights_per_kernel\n"
                    "print(n_neurons, n_weights_per_kernel, n_weights_conv1)\n",
    "eval_mode": "vgg.eval()\n"
                 "probs = F.softmax(vgg(img_norm), dim=1).detach()\n"
                 "predicted_class = int(np.argmax(probs.numpy()))\n",
    "hooks": "from functools import partial\n\n"
             "outputs = {}\n\n\n"
             "def store(name, module, inputs, output):\n"
             "    outputs[name] = output.detach().clone()\n\n\n"
             "handles = [vgg.features[i].register_forward_hook(partial(store, i)) for i in (0, 10, 17, 28)]\n"
             "with torch.no_grad():\n"
             "    _ = vgg(img_norm)\n"
             "for handle in handles:\n"
             "    handle.remove()\n"
             "feature_maps = [outputs[i] for i in sorted(outputs)]\n"
             "for fmap in feature_maps:\n"
             "    print(tuple(fmap.shape))\n",
    "plot_feature_maps": "def plot_feature_maps(fmap, n_maps=16, n_cols=4):\n"
                         "    count = min(n_maps, fmap.shape[1])\n"
                         "    n_rows = (count - 1) // n_cols + 1\n"
                         "    fig = plt.figure(figsize=(3 * n_cols, 3 * n_rows))\n"
                         "    for i in range(count):\n"
                         "        plt.subplot(n_rows, n_cols, i + 1)\n"
                         "        plt.imshow(fmap[0, i].numpy())\n"
                         "        plt.xticks([])\n"
                         "        plt.yticks([])\n"
                         "    return fig\n",
}

# Typical mistakes.

PREWITT_SAME_KERNEL = {"prewitt": "kernel2 = kernel1.clone()\n"
                                  "output1 = F.conv2d(img, kernel1)\n"
                                  "output2 = F.conv2d(img, kernel2)\n"
                                  "output = torch.sqrt(output1**2 + output2**2)\n"}
PREWITT_PADDED = {"prewitt": "kernel2 = kernel1.transpose(2, 3)\n"
                             "output1 = F.conv2d(img, kernel1, padding=1)\n"
                             "output2 = F.conv2d(img, kernel2, padding=1)\n"
                             "output = torch.sqrt(output1**2 + output2**2)\n"}
PREWITT_L1 = {"prewitt": "kernel2 = kernel1.transpose(2, 3)\n"
                         "output1 = F.conv2d(img, kernel1)\n"
                         "output2 = F.conv2d(img, kernel2)\n"
                         "output = output1.abs() + output2.abs()\n"}
LAYER30_EXCLUDED = {"vgg_layer30": "with torch.no_grad():\n"
                                   "    shape_layer30 = vgg.features[:30](img).shape\n"
                                   "size_ratio = img.numel() / math.prod(shape_layer30)\n"}
LAYER30_224 = {"vgg_layer30": "# ImageNet : 224x224, 5 max-pooling -> 7x7\n"
                              "shape_layer30 = (1, 512, 7, 7)\n"
                              "size_ratio = (3 * 224 * 224) / (512 * 7 * 7)\n"}
RATIO_INVERTED = {"vgg_layer30": "with torch.no_grad():\n"
                                 "    shape_layer30 = vgg.features[:31](img).shape\n"
                                 "size_ratio = math.prod(shape_layer30) / img.numel()\n"}
CHANNELS_FORGOTTEN = {"resnet_conv1": "n_neurons = resnet.conv1.out_channels\n"
                                      "n_weights_per_kernel = resnet.conv1.kernel_size[0] * resnet.conv1.kernel_size[1]\n"
                                      "n_weights_conv1 = n_neurons * n_weights_per_kernel\n"}
NO_EVAL = {"eval_mode": "with torch.no_grad():\n"
                        "    probs = vgg(img_norm).softmax(dim=1)\n"
                        "predicted_class = int(probs.argmax(dim=1))\n"}
NO_SOFTMAX = {"eval_mode": "vgg.eval()\n"
                           "with torch.no_grad():\n"
                           "    probs = vgg(img_norm)\n"
                           "predicted_class = int(probs.argmax(dim=1))\n"}
HOOK_WITHOUT_COPY = {"hooks": "feature_maps = []\n"
                              "handles = [vgg.features[i].register_forward_hook(\n"
                              "    lambda module, inputs, output: feature_maps.append(output.detach()))\n"
                              "    for i in (0, 10, 17, 28)]\n"
                              "with torch.no_grad():\n"
                              "    vgg(img_norm)\n"
                              "for handle in handles:\n"
                              "    handle.remove()\n"}
HOOKS_KEPT_TWO_PASSES = {"hooks": "feature_maps = []\n"
                                  "for i in (0, 10, 17, 28):\n"
                                  "    vgg.features[i].register_forward_hook(\n"
                                  "        lambda m, inp, out: feature_maps.append(out.clone()))\n"
                                  "with torch.no_grad():\n"
                                  "    vgg(img_norm)\n"
                                  "    print(vgg(img_norm).argmax())  # on vérifie la prédiction\n"
                                  "print(len(feature_maps))\n"}
PLOT_ROWS_FLOORED = {"plot_feature_maps": "def plot_feature_maps(fmap, n_maps=16, n_cols=4):\n"
                                          "    count = min(n_maps, fmap.shape[1])\n"
                                          "    n_rows = count // n_cols\n"
                                          "    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)\n"
                                          "    for i in range(count):\n"
                                          "        axes.flat[i].imshow(fmap[0, i])\n"
                                          "    return fig\n"}
PLOT_COLUMN_MAJOR = {"plot_feature_maps": "def plot_feature_maps(fmap, n_maps=16, n_cols=4):\n"
                                          "    count = min(n_maps, fmap.shape[1])\n"
                                          "    n_rows = math.ceil(count / n_cols)\n"
                                          "    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False)\n"
                                          "    for i, ax in enumerate(axes.T.flat):\n"
                                          "        if i < count:\n"
                                          "            ax.imshow(fmap[0, i])\n"
                                          "        ax.axis(\"off\")\n"
                                          "    return fig\n"}

# Broken notebooks.

SYNTAX_ERROR = {"vgg_layer30": "with torch.no_grad():\n"
                               "    shape_layer30 = vgg.features[:31](img.shape\n"
                               "size_ratio = img.numel() / math.prod(shape_layer30)\n"}
EXCEPTIONS_MIDWAY = {
    "prewitt": "kernel2 = kernel1.transpose(2, 3)\n"
               "output1 = F.conv2d(image, kernel1)\n"  # NameError: `image`
               "output2 = F.conv2d(img, kernel2)\n"
               "output = torch.sqrt(output1**2 + output2**2)\n",
    "resnet_conv1": "n_neurons = resnet.conv1.out_channels\n"
                    "n_weights_per_kernel = resnet.conv1.weight[0].numel()\n"
                    "print(\"biais :\", resnet.conv1.bias.shape)\n"  # AttributeError: conv1 has no bias
                    "n_weights_conv1 = resnet.conv1.weight.numel()\n",
}

HEALTHY = (
    ClassSubmission("reference", answered(), description="the instructor's solution"),
    ClassSubmission("alt_repeat_hypot", answered(ALT_A),
                    description="full marks: tensor(...).repeat, torch.hypot, shape by hand, weight.numel(), "
                                "closure dict hooks, fig.add_subplot"),
    ClassSubmission("alt_expand_pow", answered(ALT_B),
                    description="full marks: negated kernel with expand, (o1**2+o2**2)**0.5, vgg.features(img), "
                                "kernel_size product, hook class with __call__, plt.subplots without squeeze"),
    ClassSubmission("alt_rot90_loop", answered(ALT_C),
                    description="full marks: rot90, vector_norm, layer loop, parameters() sum, inference_mode, "
                                "hooks removed in finally, squeeze=False and Axes.remove"),
    ClassSubmission("alt_numpy_pyplot", answered(ALT_D),
                    description="full marks: kernel from numpy, torch.square, size counted from the architecture, "
                                "weight.shape unpacked, partial hooks, pyplot's plt.subplot"),
    ClassSubmission("same_kernel", answered({**PREWITT_SAME_KERNEL, **HOOK_WITHOUT_COPY}),
                    scores({"test_prewitt_kernel": 1, "test_prewitt_outputs": 2, "test_hooks_values": 1}),
                    description="kernel2 = kernel1; hook keeps output.detach() (overwritten by the in-place ReLU)"),
    ClassSubmission("padding_layer29", answered({**PREWITT_PADDED, **LAYER30_EXCLUDED}),
                    scores({"test_prewitt_outputs": 2, "test_vgg_layer30_shape": 2, "test_vgg_layer30_ratio": 1}),
                    description="convolutions with padding=1; vgg.features[:30] (layer 30 left out)"),
    ClassSubmission("channels_forgotten", answered({**CHANNELS_FORGOTTEN, **NO_EVAL}),
                    scores({"test_resnet_conv1_kernel": 1, "test_resnet_conv1_total": 1, "test_eval_mode": 2}),
                    description="kernel weights without the input channels; vgg left in training mode"),
    ClassSubmission("imagenet_224", answered({**LAYER30_224, **PREWITT_L1}),
                    scores({"test_vgg_layer30_shape": 2, "test_prewitt_outputs": 2}),
                    description="shape for a 224x224 image (the ratio is still 6); |o1| + |o2| instead of the norm"),
    ClassSubmission("ratio_inverted", answered({**RATIO_INVERTED, **NO_SOFTMAX}),
                    scores({"test_vgg_layer30_ratio": 1, "test_eval_mode": 2}),
                    description="size_ratio output/input; probs are the logits (no softmax)"),
    ClassSubmission("hooks_kept", answered({**HOOKS_KEPT_TWO_PASSES, **PLOT_ROWS_FLOORED}),
                    scores({"test_hooks_shapes": 2, "test_hooks_values": 1, "test_plot_feature_maps": 2}),
                    description="hooks never removed and two passes (8 maps); rows = count // n_cols"),
    ClassSubmission("column_major", answered(PLOT_COLUMN_MAJOR), scores({"test_plot_feature_maps": 2}),
                    description="feature maps laid out column by column"),
    ClassSubmission("blank", answered(default=BLANK), scores(everything=True), description="the release, untouched"),
    ClassSubmission("syntax_error", answered(SYNTAX_ERROR),
                    scores({"test_vgg_layer30_shape": 2, "test_vgg_layer30_ratio": 1}),
                    description="a SyntaxError in the vgg_layer30 cell; the rest runs"),
    ClassSubmission("exceptions_midway", answered(EXCEPTIONS_MIDWAY),
                    scores({"test_prewitt_outputs": 2, "test_resnet_conv1_total": 1}),
                    description="NameError after kernel2 is set; AttributeError before n_weights_conv1"),
)


# --- faults -------------------------------------------------------------------------------

def after(grade_id, code):
    """The instructor's answer of ``grade_id`` followed by ``code``."""
    return {grade_id: After(code)}


INFINITE_LOOP = "\nwhile True:\n    pass\n"
HUGE_OUTPUT = "print('x' * 50_000_000)\n"
KERNEL_DEATH = "import os\nos._exit(1)\n"
DISK_FILL = """\
import os
chunk = b"\\0" * (64 * 2**20)
for folder in (".", "/tmp"):
    path = os.path.join(folder, "remplissage.bin")
    written = 0
    try:
        with open(path, "wb") as stream:
            while written < 3 * 2**30:
                stream.write(chunk)
                stream.flush()
                written += len(chunk)
    except OSError as error:
        print(folder, ":", written // 2**20, "Mio écrits, puis", type(error).__name__, error)
    finally:
        if os.path.exists(path):
            os.remove(path)
"""
MEMORY_BOMB = """\
import os
import time
children = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        block = b"\\1" * 2**30  # 1 Gio écrit, donc résident
        time.sleep(30)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
"""


def _fault(kind, writer, expected, description):
    return ClassSubmission(f"fault_{kind}", writer, expected, description, fault=kind)


FAULTS = (
    _fault("duplicated_cell", answered(edit=duplicate_cell("prewitt")), FULL_MARKS,
           "the prewitt solution cell pasted right after itself, metadata (grade_id) included"),
    _fault("test_cells_tampered",
           answered(edit=tamper_test_cells(deleted="test_resnet_conv1_total", emptied="test_eval_mode")), FULL_MARKS,
           "test_resnet_conv1_total deleted, test_eval_mode replaced by `pass`"),
    _fault("renamed", answered(filename=f"{ASSIGNMENT} (1).ipynb"), FULL_MARKS,
           "the notebook handed in as 'tp_convolution (1).ipynb'"),
    _fault("invalid_json", answered(truncate=0.5), scores(everything=True),
           "the notebook file cut in the middle (invalid JSON)"),
    _fault("unknown_kernelspec", answered(edit=set_kernelspec("python3-student-custom")), FULL_MARKS,
           "kernelspec 'python3-student-custom', unknown to the grader"),
    _fault("infinite_loop", answered(after("plot_feature_maps", INFINITE_LOOP)), FULL_MARKS,
           "plot_feature_maps defined, then `while True: pass` in the same cell (stopped by the cell timeout)"),
    _fault("huge_output", answered(after("vgg_layer30", HUGE_OUTPUT)), FULL_MARKS,
           "prints 50 MB after the vgg_layer30 answer"),
    _fault("kernel_death", answered(after("eval_mode", KERNEL_DEATH)), scores(PART_C),
           "os._exit(1) after the eval_mode answer"),
    _fault("disk_fill", answered(after("resnet_conv1", DISK_FILL)), FULL_MARKS,
           "writes up to 3 GiB into its folder then /tmp in 64 MiB chunks, going on after OSError"),
    _fault("memory_bomb", answered(after("hooks", MEMORY_BOMB)),
           scores({"test_hooks_shapes": 2, "test_hooks_values": 1, "test_plot_feature_maps": 2}),
           "after the hooks answer, 8 forked children write 1 GiB each (over MEMORY_LIMIT_BYTES)"),
)

def write_class(root, entries):
    """Write every entry's folder under ``root``; the entries."""
    for entry in entries:
        entry.write(root)
    return entries
