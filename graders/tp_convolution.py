"""Judges of the lab ``tp_convolution``, one check per hidden test cell.

Each check receives what the kernel handed over (``handover.tp_convolution``
collects it, ``graders.checks`` reads it) and compares it with references
computed here: graders' own copy of the cat image, numpy/scipy for the
convolutions, its own VGG16 (same seed and cache rule as the lab) for the
outputs and feature maps, and meta-device models for shapes and counts.
"""
import functools

import numpy as np

from handover import tp_convolution as collected

from . import references
from .checks import (Reference, as_array, as_float, as_int, as_shape, check, fail, integer, is_close, items_of, kind_of,
                     length_of, malformed, read_array, said, type_name)


PREWITT_HORIZONTAL = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=np.float64)
PREWITT_VERTICAL = PREWITT_HORIZONTAL.T
HOOKED_LAYERS = (0, 10, 17, 28)
LAYER = 30


def _correlate_channels(image, kernel2d):
    """What F.conv2d computes for one output channel whose 3 input kernels are all kernel2d."""
    from scipy.signal import correlate2d

    return sum(correlate2d(image[0, c].astype(np.float64), kernel2d, mode="valid") for c in range(image.shape[1]))


@functools.lru_cache(maxsize=1)
def _prewitt_references():
    image = references.cat_image()
    return _correlate_channels(image, PREWITT_HORIZONTAL)[None, None], _correlate_channels(image, PREWITT_VERTICAL)[None, None]


# --- A. Prewitt ----------------------------------------------------------------

@check
def check_prewitt_kernel(kernel2):
    kernel = as_array(kernel2, "kernel2")
    if kernel.shape != (1, 3, 3, 3):
        fail(f"`kernel2` a la forme {kernel.shape} : il doit avoir la forme de `kernel1`.")
    values = kernel.values
    for sign in (1, -1):
        if np.array_equal(values, np.broadcast_to(sign * PREWITT_VERTICAL, values.shape)):
            return
    if any(np.array_equal(values, np.broadcast_to(s * PREWITT_HORIZONTAL, values.shape)) for s in (1, -1)):
        fail("`kernel2` détecte encore les variations horizontales, comme `kernel1` : "
             "le gradient vertical compare les lignes du haut et du bas, pas les colonnes.")
    if not all(np.array_equal(values[0, c], values[0, 0]) for c in range(3)):
        fail("Les trois canaux de `kernel2` doivent porter le même noyau 3×3 (répétez-le sur R, V, B).")
    fail("`kernel2` n'est pas le noyau de Prewitt vertical : revoyez ses coefficients.")


@check
def check_prewitt_outputs(output1, output2, output):
    expected1, expected2 = _prewitt_references()
    actual1, actual2, magnitude = (as_array(v, n, tensor_only=False) for v, n in ((output1, "output1"), (output2, "output2"),
                                                              (output, "output")))
    for array, name in ((actual1, "output1"), (actual2, "output2"), (magnitude, "output")):
        if array.shape != expected1.shape:
            fail(f"`{name}` a la forme {array.shape}, ce n'est pas la bonne : une convolution sans padding "
                 "fait perdre (taille du noyau − 1) pixels en hauteur et en largeur, et F.conv2d garde "
                 "les dimensions (lot, canaux).")
    if not actual1.close_to(expected1):
        if actual1.close_to(expected2) or actual1.close_to(-expected2):
            fail("`output1` ressemble au gradient vertical : `output1` doit venir de `kernel1`.")
        fail("`output1` n'est pas la convolution de `img` par `kernel1` (sans padding, avec F.conv2d).")
    if not (actual2.close_to(expected2) or actual2.close_to(-expected2)):
        fail("`output2` n'est pas la convolution de `img` par le noyau de Prewitt vertical.")
    if not magnitude.close_to(np.sqrt(expected1 ** 2 + expected2 ** 2)):
        fail("`output` doit être la norme du gradient : la racine de output1² + output2², pixel par pixel.")


# --- A. VGG16, layer 30 --------------------------------------------------------

@functools.lru_cache(maxsize=None)
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
        fail("`shape_layer30` doit avoir 4 dimensions (lot, canaux, hauteur, largeur).")
    if actual[:2] != expected[:2]:
        fail("Le nombre d'images ou de canaux de `shape_layer30` est faux : combien de filtres a la dernière convolution ?")
    if actual != expected:
        fail("La taille spatiale de `shape_layer30` est fausse : l'image fait 256×256 pixels, "
             "et chaque max-pooling divise la hauteur et la largeur par 2.")


@check
def check_size_ratio(size_ratio):
    actual = as_float(size_ratio, "size_ratio")
    input_shape = references.cat_image().shape
    expected = np.prod(input_shape) / np.prod(_layer_output_shape(LAYER, input_shape))
    if abs(actual - 1 / expected) < 1e-6 * expected:
        fail("`size_ratio` est inversé : on attend (nombre d'éléments en entrée) / (nombre d'éléments en sortie).")
    if abs(actual - expected) > 1e-6 * expected:
        fail("`size_ratio` est faux : comptez tous les éléments (canaux × hauteur × largeur) de l'entrée et de la sortie.")


# --- B. ResNet50, first layer --------------------------------------------------

@functools.lru_cache(maxsize=1)
def _resnet_conv1():
    from torchvision import models

    return references.on_meta(models.resnet50).conv1


@check
def check_n_neurons(n_neurons):
    if as_int(n_neurons, "n_neurons") != _resnet_conv1().out_channels:
        fail("`n_neurons` est faux : une couche a autant de neurones que de canaux de sortie.")


@check
def check_n_weights_per_kernel(n_weights_per_kernel):
    conv1 = _resnet_conv1()
    actual = as_int(n_weights_per_kernel, "n_weights_per_kernel")
    height, width = conv1.kernel_size
    if actual == height * width:
        fail("`n_weights_per_kernel` oublie les canaux d'entrée : un noyau s'étend sur tous les canaux de l'image.")
    if actual != conv1.weight[0].numel():
        fail("`n_weights_per_kernel` est faux : un noyau a (canaux d'entrée) × (hauteur) × (largeur) poids.")


@check
def check_n_weights_conv1(n_weights_conv1):
    conv1 = _resnet_conv1()
    actual = as_int(n_weights_conv1, "n_weights_conv1")
    expected = conv1.weight.numel()
    if actual == expected + conv1.out_channels:
        fail("`n_weights_conv1` compte un biais par neurone : regardez `bias` dans la description de conv1.")
    if actual != expected:
        fail("`n_weights_conv1` est faux : multipliez le nombre de neurones par le nombre de poids d'un noyau.")


# --- C. Evaluation mode --------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _reference_logits():
    import torch

    with torch.no_grad():
        return references.vgg16()(torch.from_numpy(references.cat_image_normalized())).double().numpy()


@check
def check_eval_mode(vgg, probs, predicted_class):
    if kind_of(vgg) != "module":
        fail("`vgg` n'est plus un modèle torch : ne le remplacez pas.")
    training_count = integer(vgg.get("training_count"))
    if training_count:
        training = vgg.get("training")
        first = said(training[0], 80) if type(training) is list and training else "vgg"
        fail(f"`vgg` est encore en mode entraînement ({training_count} modules, dont {first}) : "
             "le dropout rend alors les prédictions aléatoires.")
    logits = _reference_logits()
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    actual = as_array(probs, "probs", tensor_only=False)
    if actual.shape != expected.shape:
        fail(f"`probs` a la forme {actual.shape} : on attend une probabilité par classe, pour une image.")
    if actual.values is None or abs(actual.values.sum() - 1) > 1e-3:
        fail("La somme des valeurs de `probs` ne vaut pas 1 : appliquez le softmax sur la dimension des classes.")
    if not actual.close_to(expected, rtol=1e-3, atol=1e-6):
        fail("`probs` ne correspond pas à la sortie de `vgg` en mode évaluation sur `img_norm`.")
    if as_int(predicted_class, "predicted_class") != int(np.argmax(actual.values)):
        fail("`predicted_class` n'est pas l'indice de la plus grande probabilité de `probs`.")


# --- C. Hooks -------------------------------------------------------------------

def _as_feature_maps(feature_maps):
    if kind_of(feature_maps) not in ("list", "tuple"):
        fail(f"`feature_maps` doit être une liste de tenseurs, pas un objet de type {type_name(feature_maps)}.")
    count = length_of(feature_maps)
    if count != len(HOOKED_LAYERS):
        fail(f"`feature_maps` doit contenir {len(HOOKED_LAYERS)} tenseurs (un par couche observée, "
             f"un seul passage dans le réseau) ; il en contient {count}. Retirez les hooks après usage "
             "et ne relancez pas le modèle plusieurs fois.")
    items = items_of(feature_maps)
    if len(items) != count:  # handover cuts lists far beyond 4 items: fewer is a forgery, not a wrong answer
        malformed("fewer feature maps than the list held")
    return items


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


@functools.lru_cache(maxsize=1)
def _hooked_shapes():
    import torch
    from torchvision import models

    meta = references.on_meta(models.vgg16)
    return [tuple(o.shape) for o in _hooked_outputs(meta, torch.empty(references.cat_image().shape, device="meta"))]


def _feature_map(value, k):
    if kind_of(value) != "tensor":
        fail(f"`feature_maps[{k}]` doit être un tenseur torch, pas un objet de type {type_name(value)}.")
    return as_array(value, f"feature_maps[{k}]")


@check
def check_hook_shapes(feature_maps):
    maps = _as_feature_maps(feature_maps)
    for k, (fmap, shape) in enumerate(zip(maps, _hooked_shapes())):
        if _feature_map(fmap, k).shape != shape:
            fail(f"`feature_maps[{k}]` n'a pas la forme de la sortie de la couche {HOOKED_LAYERS[k]} de vgg.features "
                 "pour `img_norm` : vérifiez la couche observée et l'image passée au modèle.")


@functools.lru_cache(maxsize=1)
def _reference_feature_maps():
    import torch

    return tuple(Reference(o.double().numpy()) for o in
                 _hooked_outputs(references.vgg16(), torch.from_numpy(references.cat_image_normalized())))


@functools.lru_cache(maxsize=None)
def _after_relu(k):
    """Feature map ``k`` as a hook that kept the ReLU's in-place result would hold it."""
    return Reference(np.maximum(_reference_feature_maps()[k].values, 0))


@check
def check_hook_values(feature_maps):
    maps = _as_feature_maps(feature_maps)
    for k, (fmap, reference) in enumerate(zip(maps, _reference_feature_maps())):
        actual = _feature_map(fmap, k)
        if actual.shape != reference.shape:
            fail(f"`feature_maps[{k}]` n'est pas la sortie de la couche {HOOKED_LAYERS[k]} de vgg.features "
                 "pour `img_norm` (voir le test des formes).")
        if actual.close_to(reference, atol=1e-4):  # float32 sums over up to 4608 terms
            continue
        if actual.minimum() >= 0 and actual.close_to(_after_relu(k), atol=1e-4):
            fail(f"`feature_maps[{k}]` ne contient aucune valeur négative, alors qu'une convolution en produit : "
                 "ce sont les valeurs d'après la ReLU. Que fait cette ReLU au tenseur que votre hook a gardé ?")
        fail(f"`feature_maps[{k}]` n'est pas la sortie de la couche {HOOKED_LAYERS[k]} de vgg.features pour `img_norm`.")


# --- C. Plotting feature maps --------------------------------------------------

def _rescaled(image):
    """The image as imshow shows it: mapped linearly onto [0, 1] (so a student may rescale it first)."""
    image = np.asarray(image, dtype=np.float64)
    span = image.max() - image.min()
    return (image - image.min()) / span if span > 0 else np.zeros_like(image)


def _check_one_figure(figure, channels, height, width, n_maps, n_cols):
    call = f"plot_feature_maps(fmap de forme {(1, channels, height, width)}, n_maps={n_maps}, n_cols={n_cols})"
    kind = kind_of(figure)
    if kind == "raised":
        fail(f"{call} lève une erreur : {said(figure.get('type'))} : {said(figure.get('message'))}")
    if kind != "figure":
        fail(f"{call} doit renvoyer une figure matplotlib (Figure), pas un objet de type {type_name(figure)}.")
    expected_count = min(n_maps, channels)
    count = integer(figure.get("count"))
    if count != expected_count:
        fail(f"{call} affiche {count} images au lieu de {expected_count}.")
    fmap = collected.probe_maps(channels, height, width, seed=channels)
    for i, ax in enumerate(_axes(figure, count)):
        image = read_array(ax.get("image"))
        if image is None or image.values is None or image.shape != fmap.shape[2:] \
                or not is_close(_rescaled(image.values), _rescaled(fmap[0, i])):
            fail(f"{call} : l'image n° {i} n'est pas le canal {i} de fmap (ordre, canal ou dimensions).")
        place = _place(ax.get("place"))
        if place is None or place[0] != n_cols:
            fail(f"{call} : les images doivent être rangées sur {n_cols} colonnes.")
        if place[1:] != divmod(i, n_cols):
            fail(f"{call} : l'image n° {i} n'est pas à sa place (ligne {i // n_cols}, colonne {i % n_cols}).")


def _axes(figure, count):
    """The axes of a handed-over figure: one per image it shows (``handover`` keeps the first 64)."""
    axes = figure.get("axes")
    if type(axes) is not list or len(axes) != min(count, 64) or any(type(ax) is not dict for ax in axes):
        malformed("a figure whose axes are not one per image")
    return axes


def _place(place):
    """(columns, row, column) of an image in the figure's grid, None when it is in no grid."""
    if place is None:
        return None
    if type(place) is not list or len(place) != 3:
        malformed("a place in a grid that is no (columns, row, column)")
    return tuple(integer(n) for n in place)


@check
def check_plot_feature_maps(figures=None, function=None):
    if figures is None:
        fail("`plot_feature_maps` doit être une fonction.")
    if type(figures) is not list:
        malformed("figures that are no list")
    if len(figures) != len(collected.PLOT_CASES):
        fail("`plot_feature_maps` n'a pas pu être essayée sur toutes les cartes de test.")
    for figure, case in zip(figures, collected.PLOT_CASES):
        _check_one_figure(figure, *case)


#: grade_id of each hidden test cell -> its check.
TESTS = {
    "test_prewitt_kernel": check_prewitt_kernel,
    "test_prewitt_outputs": check_prewitt_outputs,
    "test_vgg_layer30_shape": check_layer30_shape,
    "test_vgg_layer30_ratio": check_size_ratio,
    "test_resnet_conv1_neurons": check_n_neurons,
    "test_resnet_conv1_kernel": check_n_weights_per_kernel,
    "test_resnet_conv1_total": check_n_weights_conv1,
    "test_eval_mode": check_eval_mode,
    "test_hooks_shapes": check_hook_shapes,
    "test_hooks_values": check_hook_values,
    "test_plot_feature_maps": check_plot_feature_maps,
}


def prepare():
    """Compute every reference once (a judge process calls this before the first submission)."""
    references.cat_image()
    _prewitt_references()
    _reference_logits()
    for reference in _reference_feature_maps():
        reference.scale, reference.samples, reference.stats  # noqa: B018 (computed once, here)
    _hooked_shapes()
    _layer_output_shape(LAYER, references.cat_image().shape)
    _resnet_conv1()
    references.vgg16.cache_clear()  # its outputs are kept; its 0.5 GB of weights are not needed any more
