"""Checks of the lab ``tp_convolution``, one function per hidden test cell.

Every reference comes from graders itself: its own copy of the cat image,
numpy/scipy for the convolutions, its own VGG16 (same seed and cache rule as
the lab) for the feature maps, and meta-device models for shapes and counts.
"""
import functools

import numpy as np

from . import references
from .checks import as_array, as_float, as_int, as_shape, check, fail, is_close


PREWITT_HORIZONTAL = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=np.float64)
PREWITT_VERTICAL = PREWITT_HORIZONTAL.T
HOOKED_LAYERS = (0, 10, 17, 28)
LAYER = 30


def _correlate_channels(image, kernel2d):
    """What F.conv2d computes for one output channel whose 3 input kernels are all kernel2d."""
    from scipy.signal import correlate2d

    return sum(correlate2d(image[0, c].astype(np.float64), kernel2d, mode="valid") for c in range(image.shape[1]))


# --- A. Prewitt ----------------------------------------------------------------

@check
def check_prewitt_kernel(kernel2):
    kernel = as_array(kernel2, "kernel2", shape=(1, 3, 3, 3))
    for sign in (1, -1):
        if np.array_equal(kernel, np.broadcast_to(sign * PREWITT_VERTICAL, kernel.shape)):
            return
    if any(np.array_equal(kernel, np.broadcast_to(s * PREWITT_HORIZONTAL, kernel.shape)) for s in (1, -1)):
        fail("`kernel2` détecte encore les variations horizontales, comme `kernel1` : "
             "le gradient vertical compare les lignes du haut et du bas, pas les colonnes.")
    if not all(np.array_equal(kernel[0, c], kernel[0, 0]) for c in range(3)):
        fail("Les trois canaux de `kernel2` doivent porter le même noyau 3x3 (répétez-le sur R, V, B).")
    fail("`kernel2` n'est pas le noyau de Prewitt vertical : revoyez ses coefficients.")


@check
def check_prewitt_outputs(output1, output2, output):
    image = references.cat_image()
    expected1 = _correlate_channels(image, PREWITT_HORIZONTAL)[None, None]
    expected2 = _correlate_channels(image, PREWITT_VERTICAL)[None, None]
    shape = expected1.shape
    actual1 = as_array(output1, "output1", shape=shape)
    actual2 = as_array(output2, "output2", shape=shape)
    magnitude = as_array(output, "output", shape=shape)
    if not is_close(actual1, expected1):
        if is_close(actual1, expected2) or is_close(actual1, -expected2):
            fail("`output1` ressemble au gradient vertical : `output1` doit venir de `kernel1`.")
        fail("`output1` n'est pas la convolution de `img` par `kernel1` (sans padding, avec F.conv2d).")
    if not (is_close(actual2, expected2) or is_close(actual2, -expected2)):
        fail("`output2` n'est pas la convolution de `img` par le noyau de Prewitt vertical.")
    if not is_close(magnitude, np.sqrt(expected1 ** 2 + expected2 ** 2)):
        fail("`output` doit être la norme du gradient : la racine de output1² + output2², pixel par pixel.")


# --- A. VGG16, layer 30 --------------------------------------------------------

def _layer_output_shape(layer, input_shape):
    import torch
    from torchvision import models

    vgg = references.on_meta(models.vgg16)
    return tuple(vgg.features[: layer + 1](torch.empty(input_shape, device="meta")).shape)


@check
def check_layer30_shape(shape_layer30):
    actual = as_shape(shape_layer30, "shape_layer30")
    expected = _layer_output_shape(LAYER, references.cat_image().shape)
    if len(actual) != len(expected):
        fail(f"`shape_layer30` doit avoir {len(expected)} dimensions (lot, canaux, hauteur, largeur).")
    if actual[:2] != expected[:2]:
        fail("Le nombre d'images ou de canaux de `shape_layer30` est faux : combien de filtres a la dernière convolution ?")
    if actual != expected:
        fail("La taille spatiale de `shape_layer30` est fausse : l'image fait 256x256 pixels, "
             "et chaque max-pooling divise la hauteur et la largeur par 2.")


@check
def check_size_ratio(size_ratio):
    actual = as_float(size_ratio, "size_ratio")
    input_shape = references.cat_image().shape
    expected = np.prod(input_shape) / np.prod(_layer_output_shape(LAYER, input_shape))
    if abs(actual - 1 / expected) < 1e-6 * expected:
        fail("`size_ratio` est inversé : on attend (nombre d'éléments en entrée) / (nombre d'éléments en sortie).")
    if abs(actual - expected) > 1e-6 * expected:
        fail("`size_ratio` est faux : comptez tous les éléments (canaux x hauteur x largeur) de l'entrée et de la sortie.")


# --- B. ResNet50, first layer --------------------------------------------------

def _resnet_conv1():
    from torchvision import models

    return references.on_meta(models.resnet50).conv1


@check
def check_n_neurons(n_neurons):
    if as_int(n_neurons, "n_neurons") != _resnet_conv1().out_channels:
        fail("`n_neurons` est faux : une couche a autant de neurones que de canaux de sortie.")


@check
def check_n_weights_per_kernel(n_weights_per_kernel):
    conv1 = _resnet_conv1()
    actual = as_int(n_weights_per_kernel, "n_weights_per_kernel")
    height, width = conv1.kernel_size
    if actual == height * width:
        fail("`n_weights_per_kernel` oublie les canaux d'entrée : un noyau s'étend sur tous les canaux de l'image.")
    if actual != conv1.weight[0].numel():
        fail("`n_weights_per_kernel` est faux : un noyau a (canaux d'entrée) x (hauteur) x (largeur) poids.")


@check
def check_n_weights_conv1(n_weights_conv1):
    conv1 = _resnet_conv1()
    actual = as_int(n_weights_conv1, "n_weights_conv1")
    expected = conv1.weight.numel()
    if actual == expected + conv1.out_channels:
        fail("`n_weights_conv1` compte un biais par neurone : regardez `bias` dans la description de conv1.")
    if actual != expected:
        fail("`n_weights_conv1` est faux : multipliez le nombre de neurones par le nombre de poids d'un noyau.")


# --- C. Evaluation mode --------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _reference_logits():
    import torch

    with torch.no_grad():
        return references.vgg16()(torch.from_numpy(references.cat_image_normalized())).double().numpy()


@check
def check_eval_mode(vgg, probs, predicted_class):
    import torch

    if not isinstance(vgg, torch.nn.Module):
        fail("`vgg` n'est plus un modèle torch : ne le remplacez pas.")
    training = [name or "vgg" for name, module in vgg.named_modules() if module.training]
    if training:
        fail(f"`vgg` est encore en mode entraînement ({len(training)} modules, dont {training[0]}) : "
             "le dropout rend alors les prédictions aléatoires.")
    logits = _reference_logits()
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    actual = as_array(probs, "probs", shape=expected.shape)
    if abs(actual.sum() - 1) > 1e-3:
        fail("Les valeurs de `probs` ne somment pas à 1 : appliquez softmax sur la dimension des classes.")
    if not is_close(actual, expected, rtol=1e-3, atol=1e-6):
        fail("`probs` ne correspond pas à la sortie de `vgg` en mode évaluation sur `img_norm`.")
    if as_int(predicted_class, "predicted_class") != int(np.argmax(expected)):
        fail("`predicted_class` n'est pas l'indice de la plus grande probabilité de `probs`.")


# --- C. Hooks -------------------------------------------------------------------

def _as_feature_maps(feature_maps):
    if not isinstance(feature_maps, (list, tuple)):
        fail(f"`feature_maps` doit être une liste de tenseurs, pas un objet de type {type(feature_maps).__name__}.")
    if len(feature_maps) != len(HOOKED_LAYERS):
        fail(f"`feature_maps` doit contenir {len(HOOKED_LAYERS)} tenseurs (un par couche observée, "
             f"un seul passage avant) ; il en contient {len(feature_maps)}. Retirez les hooks après usage "
             "et ne relancez pas le modèle plusieurs fois.")
    return list(feature_maps)


def _hooked_outputs(vgg, x):
    """The outputs of the hooked convolutions, copied before the in-place ReLUs change them."""
    import torch

    captured = []
    handles = [vgg.features[i].register_forward_hook(lambda m, i, o: captured.append(o.detach().clone()))
               for i in HOOKED_LAYERS]
    try:
        with torch.no_grad():
            vgg.features(x)
    finally:
        for handle in handles:
            handle.remove()
    return captured


@check
def check_hook_shapes(feature_maps):
    import torch
    from torchvision import models

    maps = _as_feature_maps(feature_maps)
    meta = references.on_meta(models.vgg16)
    expected = [tuple(o.shape) for o in _hooked_outputs(meta, torch.empty(references.cat_image().shape, device="meta"))]
    for k, (fmap, shape) in enumerate(zip(maps, expected)):
        if not isinstance(fmap, torch.Tensor):
            fail(f"`feature_maps[{k}]` doit être un tenseur torch, pas un objet de type {type(fmap).__name__}.")
        if tuple(fmap.shape) != shape:
            fail(f"`feature_maps[{k}]` n'a pas la forme de la sortie de la couche {HOOKED_LAYERS[k]} de vgg.features "
                 "pour `img_norm` : vérifiez la couche observée et l'image passée au modèle.")


@functools.lru_cache(maxsize=1)
def _reference_feature_maps():
    import torch

    return tuple(_hooked_outputs(references.vgg16(), torch.from_numpy(references.cat_image_normalized())))


@check
def check_hook_values(feature_maps):

    maps = _as_feature_maps(feature_maps)
    expected = _reference_feature_maps()
    for k, (fmap, reference) in enumerate(zip(maps, expected)):
        actual = as_array(fmap, f"feature_maps[{k}]", shape=reference.shape)
        reference = reference.double().numpy()
        if is_close(actual, reference, atol=1e-4):  # float32 sums over up to 4608 terms
            continue
        if actual.min() >= 0 and is_close(actual, np.maximum(reference, 0)):
            fail(f"`feature_maps[{k}]` ne contient aucune valeur négative : ce sont les valeurs après la ReLU. "
                 "La ReLU qui suit la convolution travaille en place : gardez une copie de la sortie dans le hook.")
        fail(f"`feature_maps[{k}]` n'est pas la sortie de la couche {HOOKED_LAYERS[k]} de vgg.features pour `img_norm`.")


# --- C. Plotting feature maps --------------------------------------------------

def _probe_maps(channels, height, width, seed):
    """Feature maps whose channels are all different from each other."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((1, channels, height, width)).astype(np.float32)


def _rescaled(image):
    """The image as imshow shows it: mapped linearly onto [0, 1] (so a student may rescale it first)."""
    image = np.asarray(image, dtype=np.float64)
    span = image.max() - image.min()
    return (image - image.min()) / span if span > 0 else np.zeros_like(image)


def _check_one_figure(plot_feature_maps, fmap, n_maps, n_cols):
    import matplotlib.pyplot as plt
    import torch
    from matplotlib.figure import Figure

    call = f"plot_feature_maps(fmap de forme {fmap.shape}, n_maps={n_maps}, n_cols={n_cols})"
    plt.close("all")
    try:
        figure = plot_feature_maps(torch.from_numpy(fmap.copy()), n_maps=n_maps, n_cols=n_cols)
    except Exception as error:  # the student's code: any failure is a wrong answer, reported as such
        fail(f"{call} lève une erreur : {type(error).__name__}: {error}")
    try:
        if not isinstance(figure, Figure):
            fail(f"{call} doit renvoyer une figure matplotlib (Figure), pas un objet de type {type(figure).__name__}.")
        shown = [ax for ax in figure.axes if ax.images]
        expected_count = min(n_maps, fmap.shape[1])
        if len(shown) != expected_count:
            fail(f"{call} affiche {len(shown)} images au lieu de {expected_count}.")
        for i, ax in enumerate(shown):
            image = np.asarray(ax.images[0].get_array(), dtype=np.float64)
            if image.shape != fmap.shape[2:] or not is_close(_rescaled(image), _rescaled(fmap[0, i])):
                fail(f"{call} : l'image n°{i} n'est pas le canal {i} de fmap (ordre, canal ou dimensions).")
            spec = ax.get_subplotspec()
            if spec is not None:  # a colorbar nests its axis in a sub-grid: the layout is that of the top grid
                spec = spec.get_topmost_subplotspec()
            if spec is None or spec.get_geometry()[1] != n_cols:
                fail(f"{call} : les images doivent être rangées sur {n_cols} colonnes.")
            if (spec.rowspan.start, spec.colspan.start) != divmod(i, n_cols):
                fail(f"{call} : l'image n°{i} n'est pas à sa place (ligne {i // n_cols}, colonne {i % n_cols}).")
    finally:
        plt.close("all")


@check
def check_plot_feature_maps(plot_feature_maps):
    if not callable(plot_feature_maps):
        fail("`plot_feature_maps` doit être une fonction.")
    # fewer maps than n_maps, a grid with spare axes; more maps than n_maps; a full grid; a single row
    for channels, height, width, n_maps, n_cols in ((5, 7, 9, 16, 4), (20, 6, 6, 6, 4), (12, 5, 8, 12, 3),
                                                    (3, 4, 5, 16, 4)):
        _check_one_figure(plot_feature_maps, _probe_maps(channels, height, width, seed=channels), n_maps, n_cols)


def prepare():
    """Compute every reference once (the class runner's warm kernels call this before any submission)."""
    references.cat_image()
    _reference_logits()
    _reference_feature_maps()
