"""Judges of the assignment ``cnn_bases``, one check per hidden test cell.

The kernel calls the student's functions on the inputs of
``handover.cnn_bases`` (other lengths and seeds than the notebook's, odd and
non-square filters, negative shifts, non-square images, stride and padding
combinations) and hands the results over. The references are computed here,
on the same inputs, with numpy and scipy (``np.correlate``,
``scipy.signal.correlate2d``) or torch's functional API on graders' own
weights. The training check recomputes the predictions itself from the
handed-over weights, on the digits test split.
"""
import functools
import math

import numpy as np

from handover import cnn_bases as cases
from handover.cnn_bases import digits_split  # noqa: F401 (the rule is shared with the kernel side)

from .checks import (INTEGERS, FLOATS, Array, as_array, as_int, check, dimensions, fail, items_of, kind_of, length_of,
                     malformed, read_array, said, type_name)


# --- what the student's functions gave ---------------------------------------------------

def _result(result, call):
    """The value a student's function returned; a French message if it raised or is no function."""
    kind = kind_of(result)
    if kind == "not_callable":
        fail(f"`{call.split('(')[0]}` doit être une fonction, pas un objet de type {type_name(result.get('value'))}.")
    if kind == "raised":
        if result.get("type") == "NotImplementedError":
            fail(f"`{call}` lève NotImplementedError : la fonction n'est pas encore écrite.")
        fail(f"`{call}` lève une erreur : {said(result.get('type'))} : {said(result.get('message'))}")
    return result


def _list_values(value):
    """Nested lists or tuples of numbers as a float64 array (ValueError otherwise)."""
    if kind_of(value) in INTEGERS + FLOATS:
        number = value.get("value")
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ValueError("not a number")
        return np.float64(number)
    if kind_of(value) in ("list", "tuple") and length_of(value) == len(items_of(value)):
        return np.array([_list_values(v) for v in items_of(value)], dtype=np.float64)
    raise ValueError("not a list of numbers")


def _numbers(result, call):
    """An :class:`Array` from a numpy array, a torch tensor or a list of numbers."""
    value = _result(result, call)
    if kind_of(value) in ("list", "tuple"):
        try:
            values = _list_values(value)
        except ValueError:
            fail(f"`{call}` doit renvoyer un tableau numpy de nombres.")
        return Array("ndarray", "float64", values.shape, True, values=values, finite=bool(np.all(np.isfinite(values))))
    if read_array(value) is None:
        fail(f"`{call}` doit renvoyer un tableau numpy, pas un objet de type {type_name(value)}.")
    return as_array(value, call, tensor_only=False)


def _strict_int(result, call):
    """An integer type (Python, numpy or a one-element integer tensor): never a float, never a bool."""
    value = _result(result, call)
    if kind_of(value) == "bool":
        fail(f"`{call}` renvoie un booléen : il faut un nombre entier.")
    if kind_of(value) in FLOATS:
        fail(f"`{call}` renvoie un nombre à virgule ({type_name(value)}) : une taille est un entier (int). "
             "Utilisez la division entière `//`.")
    return as_int(value, call)


# --- A. 1D convolution -----------------------------------------------------------------

def _results(results, count):
    if not isinstance(results, list) or len(results) != count:
        fail("La fonction n'a pas pu être essayée sur toutes les entrées de test.")
    return results


@check
def check_conv1d(results):
    for result, (n, m, seed) in zip(_results(results, len(cases.CONV1D_CASES)), cases.CONV1D_CASES):
        x, f = cases.conv1d_inputs(n, m, seed)
        call = f"conv1d(x, f) avec len(x) = {n} et len(f) = {m}"
        actual = _numbers(result, call)
        expected = np.correlate(x, f, mode="same")
        if actual.shape != expected.shape:
            if actual.shape == (n - m + 1,):
                fail(f"`{call}` a la longueur {n - m + 1} : la sortie doit garder la longueur de x. "
                     "Ajoutez des zéros de chaque côté de x (padding) avant de faire glisser le filtre.")
            if actual.shape == (n + m - 1,):
                fail(f"`{call}` a la longueur {n + m - 1} : trop de positions du filtre. "
                     "La sortie doit garder la longueur de x, une valeur par instant t.")
            fail(f"`{call}` a la forme {actual.shape} : on attend un tableau à une dimension de même longueur que x.")
        if actual.close_to(expected):
            continue
        if actual.close_to(np.convolve(x, f, mode="same")):
            fail(f"`{call}` retourne le filtre : c'est la convolution des mathématiciens. "
                 "Ici f_k multiplie x[t + k] (corrélation croisée), sans retourner f.")
        if any(actual.close_to(np.roll(expected, s)) for s in (-1, 1)):
            fail(f"`{call}` est décalé d'un pas : le coefficient central de f doit multiplier x[t].")
        fail(f"`{call}` ne donne pas la corrélation croisée de x par f avec des zéros aux bords.")


@check
def check_gaussian_filter(results):
    for result, length in zip(_results(results, len(cases.GAUSSIAN_LENGTHS)), cases.GAUSSIAN_LENGTHS):
        call = f"gaussian_filter({length})"
        actual = _numbers(result, call)
        t = np.linspace(-2, 2, length)
        raw = np.exp(-t ** 2 / 2)
        expected = raw / raw.sum()
        if actual.shape != expected.shape:
            fail(f"`{call}` a la forme {actual.shape} : on attend un tableau de {length} valeurs.")
        if actual.close_to(expected):
            continue
        if actual.close_to(raw) or actual.close_to(raw / raw.max()):
            fail(f"`{call}` n'est pas normalisé : divisez les valeurs par leur somme pour que la somme du filtre vaille 1.")
        if actual.values is None or abs(actual.values.sum() - 1) > 1e-6:
            fail(f"La somme des valeurs de `{call}` ne vaut pas 1.")
        fail(f"`{call}` n'est pas exp(-t²/2) échantillonné en {length} points régulièrement espacés de -2 à 2 "
             "(puis normalisé).")


def _shifted(x, k):
    out = np.zeros_like(x)
    if k >= 0:
        out[k:] = x[:len(x) - k]
    else:
        out[:k] = x[-k:]
    return out


@check
def check_shift(results):
    for result, (n, k) in zip(_results(results, len(cases.SHIFT_CASES)), cases.SHIFT_CASES):
        x = cases.shift_input(n, k)
        call = f"shift(x, {k}) avec len(x) = {n}"
        actual = _numbers(result, call)
        expected = _shifted(x, k)
        if actual.shape != expected.shape:
            fail(f"`{call}` a la forme {actual.shape} : le signal décalé doit garder la longueur de x.")
        if actual.close_to(expected):
            continue
        if k and actual.close_to(np.roll(x, k)):
            fail(f"`{call}` fait revenir de l'autre côté les valeurs qui sortent (comme np.roll) : "
                 "les places libérées doivent recevoir des zéros.")
        if k and actual.close_to(_shifted(x, -k)):
            fail(f"`{call}` décale dans le mauvais sens : k > 0 pousse le signal vers la droite "
                 "(vers les t plus grands), k < 0 vers la gauche.")
        fail(f"`{call}` n'est pas x décalé de {k} pas avec des zéros aux places libérées.")


# --- B. 2D multichannel convolution -------------------------------------------------------

def _correlate_image(image, filt):
    from scipy.signal import correlate2d

    return sum(correlate2d(image[..., c], filt[..., c], mode="same") for c in range(image.shape[-1]))


@check
def check_conv2d(results):
    for k, result in enumerate(_results(results, len(cases.CONV2D_CASES))):
        (height, width, channels), (fh, fw) = cases.CONV2D_CASES[k]
        image, filt = cases.conv2d_inputs(k)
        call = (f"conv2d_multichannel(image, filt) avec image de forme {image.shape} "
                f"et filt de forme {filt.shape}")
        actual = _numbers(result, call)
        expected = _correlate_image(image, filt)
        if actual.shape != expected.shape:
            if actual.shape == image.shape and channels > 1:
                fail(f"`{call}` garde un canal par canal de l'image : un filtre produit une seule carte, "
                     "la somme sur les canaux.")
            if actual.shape == (height - fh + 1, width - fw + 1):
                fail(f"`{call}` rétrécit l'image : ajoutez des zéros autour (padding) pour garder sa hauteur "
                     "et sa largeur.")
            fail(f"`{call}` a la forme {actual.shape} : on attend (hauteur, largeur) de l'image. "
                 "Le padding dépend de la hauteur du filtre en hauteur et de sa largeur en largeur.")
        if actual.close_to(expected):
            continue
        if actual.close_to(_correlate_image(image, filt[::-1, ::-1])):
            fail(f"`{call}` retourne le filtre (convolution des mathématiciens) : f[k, l, c] doit multiplier "
                 "x[i + k, j + l, c], sans retournement.")
        if channels > 1 and actual.close_to(expected / channels):
            fail(f"`{call}` fait la moyenne sur les canaux : la formule en fait la somme.")
        if channels > 1 and actual.close_to(_correlate_image(image[..., :1], filt[..., :1])):
            fail(f"`{call}` n'utilise que le premier canal : sommez les contributions de tous les canaux.")
        fail(f"`{call}` ne donne pas la somme sur les canaux des corrélations croisées de chaque canal par le filtre, "
             "avec des zéros autour de l'image.")


# --- B. Output sizes --------------------------------------------------------------------

@check
def check_output_size(results):
    for result, case in zip(_results(results, len(cases.OUTPUT_SIZE_CASES)), cases.OUTPUT_SIZE_CASES):
        n, kernel_size, padding, stride = case
        kwargs = cases.output_size_arguments(*case)
        call = f"conv_output_size({n}, {kernel_size}" + "".join(f", {k}={v}" for k, v in kwargs.items()) + ")"
        actual = _strict_int(result, call)
        p, s = padding or 0, stride or 1
        expected = (n + 2 * p - kernel_size) // s + 1
        if actual == expected:
            continue
        if p and actual == (n - kernel_size) // s + 1:
            fail(f"`{call}` ignore le padding : il agrandit l'entrée de chaque côté.")
        if p and actual == (n + p - kernel_size) // s + 1:
            fail(f"`{call}` ne compte le padding que d'un côté : les zéros sont ajoutés des deux côtés.")
        if actual == -(-(n + 2 * p - kernel_size) // s) + 1:
            fail(f"`{call}` arrondit vers le haut : une dernière fenêtre qui dépasserait de l'entrée n'est pas "
                 "calculée, arrondissez vers le bas.")
        if actual == (n + 2 * p - kernel_size) // s:
            fail(f"`{call}` oublie une position : comptez aussi la première position du noyau.")
        fail(f"`{call}` est faux : comptez les positions du noyau dans l'entrée agrandie par le padding, "
             "en avançant de `stride` à chaque pas.")


# --- C. A convolution layer in numpy ------------------------------------------------------

def _cross_correlations(x, filters):
    """(C_out, H', W'): what a convolution layer computes before its bias and activation."""
    from scipy.signal import correlate2d

    return np.stack([sum(correlate2d(x[c], kernels[c], mode="valid") for c in range(x.shape[0]))
                     for kernels in filters])


def _conv_layer_result(result, k):
    x, filters, biases = cases.conv_layer_inputs(k)
    call = f"conv_layer(x, filters, biases) avec x de forme {x.shape} et filters de forme {filters.shape}"
    return call, _numbers(result, call), x, filters, biases


def _check_layer_shape(call, actual, x, filters):
    c_out, _, kh, kw = filters.shape
    expected = (c_out, x.shape[1] - kh + 1, x.shape[2] - kw + 1)
    if actual.shape == expected:
        return
    if actual.shape == (c_out,) + x.shape[1:]:
        fail(f"`{call}` garde la taille de l'entrée : la couche n'a pas de padding.")
    if actual.shape == expected[1:] + (c_out,):
        fail(f"`{call}` met les canaux en dernier : la sortie se range (canaux, hauteur, largeur), comme dans PyTorch.")
    if actual.shape == expected[1:]:
        fail(f"`{call}` renvoie une seule carte : il en faut une par filtre (un canal de sortie par filtre).")
    fail(f"`{call}` a la forme {actual.shape} : on attend (nombre de filtres, hauteur, largeur) ; "
         "sans padding, un noyau de hauteur kh fait perdre kh − 1 lignes.")


@check
def check_conv_layer_shape(results):
    for k, result in enumerate(_results(results, len(cases.CONV_LAYER_CASES))):
        call, actual, x, filters, _ = _conv_layer_result(result, k)
        _check_layer_shape(call, actual, x, filters)


@check
def check_conv_layer_values(results):
    for k, result in enumerate(_results(results, len(cases.CONV_LAYER_CASES))):
        call, actual, x, filters, biases = _conv_layer_result(result, k)
        _check_layer_shape(call, actual, x, filters)
        correlations = _cross_correlations(x, filters)
        with_bias = correlations + biases[:, None, None]
        if actual.close_to(np.maximum(with_bias, 0)):
            continue
        if actual.close_to(with_bias):
            fail(f"`{call}` n'applique pas la ReLU : la couche garde la partie positive, max(valeur, 0).")
        if actual.close_to(np.maximum(correlations, 0)):
            fail(f"`{call}` oublie le biais : chaque filtre ajoute son biais à toute sa carte.")
        if actual.close_to(np.maximum(correlations, 0) + biases[:, None, None]):
            fail(f"`{call}` ajoute le biais après la ReLU : il s'ajoute avant.")
        flipped = _cross_correlations(x, filters[..., ::-1, ::-1]) + biases[:, None, None]
        if actual.close_to(np.maximum(flipped, 0)):
            fail(f"`{call}` retourne les noyaux : une couche de convolution calcule une corrélation croisée, "
                 "les noyaux glissent sans être retournés.")
        fail(f"`{call}` ne donne pas ReLU(somme sur les canaux d'entrée des corrélations croisées + biais).")


# --- C. Pooling -----------------------------------------------------------------------------

def _windows(x, size):
    rows, cols = x.shape[0] // size, x.shape[1] // size
    return x[:rows * size, :cols * size].reshape(rows, size, cols, size)


def _check_pooling(results, name, reduce, other, other_name):
    for k, result in enumerate(_results(results, len(cases.POOLING_CASES))):
        shape, size, _ = cases.POOLING_CASES[k]
        x = cases.pooling_input(k)
        call = f"{name}(x{'' if size is None else f', size={size}'}) avec x de forme {shape}"
        actual = _numbers(result, call)
        size = size or 2
        expected = reduce(_windows(x, size), axis=(1, 3))
        if actual.shape != expected.shape:
            if actual.shape == (shape[0] - size + 1, shape[1] - size + 1):
                fail(f"`{call}` fait glisser la fenêtre d'un pixel à la fois : les fenêtres ne se chevauchent "
                     "pas, elles avancent de `size` pixels.")
            if actual.shape == (-(-shape[0] // size), -(-shape[1] // size)):
                fail(f"`{call}` garde les fenêtres incomplètes du bord : les lignes et colonnes qui ne remplissent "
                     "pas une fenêtre entière sont ignorées.")
            fail(f"`{call}` a la forme {actual.shape} : chaque dimension doit être divisée par `size` "
                 "(division entière).")
        if actual.close_to(expected):
            continue
        if actual.close_to(other(_windows(x, size), axis=(1, 3))):
            fail(f"`{call}` calcule {other_name} de chaque fenêtre.")
        if actual.close_to(np.maximum(expected, 0)):
            fail(f"`{call}` est faux pour les fenêtres dont toutes les valeurs sont négatives : "
                 "ne partez pas de 0 pour chercher le maximum.")
        if actual.close_to(expected * size * size):
            fail(f"`{call}` fait la somme de chaque fenêtre : divisez par le nombre de pixels de la fenêtre.")
        fail(f"`{call}` ne résume pas correctement chaque fenêtre size × size (fenêtres sans chevauchement).")


@check
def check_max_pool(results):
    _check_pooling(results, "max_pool2d", np.max, np.mean, "la moyenne au lieu du maximum")


@check
def check_avg_pool(results):
    _check_pooling(results, "avg_pool2d", np.mean, np.max, "le maximum au lieu de la moyenne")


# --- D. LeNet-5 -------------------------------------------------------------------------------

N_CLASSES = 10
MIN_TEST_ACCURACY = 0.95


@functools.lru_cache(maxsize=1)
def lenet_shapes():
    """The parameter shapes of graders' own LeNet-5, in order: (conv1 w, b, conv2 w, b, fc1 w, b, ...)."""
    import torch
    from torch import nn

    with torch.device("meta"):
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, N_CLASSES),
        )
    return tuple(tuple(p.shape) for p in model.parameters())


def _built_model(values, name):
    """The parameter shapes of ``LeNet5()``, as handed over; French messages when it is no model class."""
    if kind_of(values.get("class")) != "module_class":
        fail("`LeNet5` doit être une classe qui hérite de nn.Module : `class LeNet5(nn.Module): ...`.")
    built = values.get("built")
    if kind_of(built) == "raised":
        fail(f"`LeNet5()` lève une erreur : {said(built.get('type'))} : {said(built.get('message'))}")
    if kind_of(built) != "module":
        fail("`LeNet5()` doit construire un modèle torch (nn.Module).")
    parameters = built.get("parameters")
    if type(parameters) is not list:
        malformed("a model without the shapes of its parameters")
    return [dimensions(shape) for shape in parameters]


def _require_lenet_parameters(shapes, name):
    actual = sorted(shapes)
    if actual == sorted(lenet_shapes()):
        return
    convs = [s for s in actual if len(s) == 4]
    linears = [s for s in actual if len(s) == 2]
    if not [s for s in actual if len(s) == 1]:
        fail(f"`{name}` n'a aucun biais : les couches de LeNet-5 ont un biais par neurone (bias=True, la valeur par défaut).")
    if len(convs) != 2 or len(linears) != 3:
        fail(f"`{name}` a {len(convs)} couche(s) de convolution et {len(linears)} couche(s) linéaire(s) : "
             "LeNet-5 en a 2 et 3.")
    conv1, conv2 = lenet_shapes()[0], lenet_shapes()[2]
    if conv1 not in convs:
        fail(f"La première convolution de `{name}` est fausse : elle reçoit l'image (1 canal) et produit "
             "6 cartes avec des noyaux 5×5.")
    if conv2 not in convs:
        fail(f"La deuxième convolution de `{name}` est fausse : elle reçoit les 6 cartes et en produit 16, "
             "avec des noyaux 5×5.")
    fc1 = lenet_shapes()[4]
    if fc1 not in linears:
        if any(s[0] == fc1[0] for s in linears):
            fail(f"La première couche linéaire de `{name}` n'a pas le bon nombre d'entrées : il doit être celui "
                 "de la carte aplatie en sortie du deuxième pooling (canaux × hauteur × largeur). "
                 "Le pooling a-t-il bien réduit les cartes ?")
        fail(f"La première couche linéaire de `{name}` est fausse : elle a 120 neurones.")
    fail(f"Les couches linéaires de `{name}` sont fausses : 120 puis 84 neurones, puis 10 scores.")


def _output(values, call):
    output = values.get("output")
    if kind_of(output) == "raised":
        fail(f"`{call}` lève une erreur : {said(output.get('type'))} : {said(output.get('message'))}. "
             "Suivez la forme du tenseur couche après couche (print(x.shape) dans forward).")
    if kind_of(output) != "tensor":
        fail(f"`{call}` doit renvoyer un tenseur torch, pas un objet de type {type_name(output)}.")
    return as_array(output, call)


def percent(share, digits):
    """A share written the French way: 97,5 % (decimal comma, no-break space before %, as the notebooks)."""
    return f"{100 * share:.{digits}f}".replace(".", ",") + "\u00a0%"


def _lenet_logits(weights, x, pool="max", relu=True, flatten="chw"):
    """LeNet-5 computed by graders with torch's functional API, from float64 weights keyed by shape."""
    import torch
    import torch.nn.functional as F

    w = [torch.from_numpy(np.asarray(weights[shape], dtype=np.float64)) for shape in lenet_shapes()]
    activation = F.relu if relu else (lambda t: t)
    pooling = F.max_pool2d if pool == "max" else F.avg_pool2d
    with torch.no_grad():
        h = torch.from_numpy(np.array(x, dtype=np.float64))
        h = pooling(activation(F.conv2d(h, w[0], w[1])), 2)
        h = pooling(activation(F.conv2d(h, w[2], w[3])), 2)
        if flatten == "hwc":
            h = h.permute(0, 2, 3, 1)
        h = h.reshape(h.shape[0], -1)
        h = activation(F.linear(h, w[4], w[5]))
        h = activation(F.linear(h, w[6], w[7]))
        return F.linear(h, w[8], w[9]).numpy()


@check
def check_lenet_layers(**values):
    _require_lenet_parameters(_built_model(values, "LeNet5()"), "LeNet5()")
    shape = (cases.LAYERS_BATCH,) + cases.LENET_INPUT
    output = _output(values, f"LeNet5()(x) pour x de forme {shape}")
    if output.shape != (cases.LAYERS_BATCH, N_CLASSES):
        fail(f"Pour un lot de forme {shape}, `LeNet5()` renvoie la forme {output.shape} : on attend un score "
             "par classe et par image, (taille du lot, 10).")


@check
def check_lenet_forward(**values):
    if sorted(_built_model(values, "LeNet5()")) != sorted(lenet_shapes()):
        fail("Les couches de `LeNet5` n'ont pas les formes de LeNet-5 : corrigez d'abord l'architecture "
             "(voir le test précédent).")
    weights = {shape: cases.lenet_weight(shape) for shape in lenet_shapes()}
    x = cases.random((cases.FORWARD_BATCH,) + cases.LENET_INPUT, cases.FORWARD_INPUT_SEED)
    call = "LeNet5()(x) (avec des poids fixés par la correction)"
    actual = _output(values, call)
    expected = _lenet_logits(weights, x)
    if actual.shape != expected.shape:
        fail(f"`{call}` a la forme {actual.shape} : on attend (taille du lot, 10).")

    def like(reference):
        return actual.close_to(reference, rtol=1e-4, atol=1e-4)

    if like(expected):
        return
    shifted = expected - expected.max(axis=1, keepdims=True)
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    if like(softmax) or like(np.log(softmax)):
        fail(f"`{call}` applique un softmax à la sortie : le modèle doit renvoyer les scores bruts (logits), "
             "nn.CrossEntropyLoss s'occupe du softmax.")
    if like(np.maximum(expected, 0)):
        fail(f"`{call}` applique une ReLU à la sortie : la dernière couche linéaire donne directement les scores.")
    if like(_lenet_logits(weights, x, pool="avg")):
        fail(f"`{call}` utilise un average pooling : LeNet-5 prend ici le maximum de chaque fenêtre 2×2.")
    if like(_lenet_logits(weights, x, relu=False)):
        fail(f"`{call}` n'a pas de ReLU : il en faut une après chaque convolution et chaque couche cachée.")
    if like(_lenet_logits(weights, x, flatten="hwc")):
        fail(f"`{call}` aplatit les cartes en mettant les canaux en dernier : gardez l'ordre de PyTorch (nn.Flatten).")
    fail(f"`{call}` ne calcule pas LeNet-5 : convolution 5×5, ReLU, max-pooling 2×2, convolution 5×5, ReLU, max-pooling 2×2, "
         "aplatissement, puis trois couches linéaires avec une ReLU entre elles.")


@check
def check_lenet_n_params(lenet_n_params):
    actual = as_int(lenet_n_params, "lenet_n_params")
    shapes = lenet_shapes()
    expected = sum(math.prod(s) for s in shapes)
    if actual == expected:
        return
    if actual == sum(math.prod(s) for s in shapes if len(s) > 1):
        fail("`lenet_n_params` oublie les biais : chaque neurone a aussi un biais, qui est un paramètre.")
    if actual == sum(math.prod(s) for s in shapes[:4]):
        fail("`lenet_n_params` ne compte que les convolutions : les couches linéaires ont aussi des paramètres.")
    fail("`lenet_n_params` est faux : additionnez les poids et les biais de toutes les couches "
         "(p.numel() pour chaque p de model.parameters()).")


# --- E. Training on the digits -------------------------------------------------------------------

@check
def check_training(model, parameters=(), output=None):
    if kind_of(model) != "module":
        fail(f"`trained_lenet` doit être un modèle torch, pas un objet de type {type_name(model)}.")
    if model.get("class") != "LeNet5":
        fail(f"`trained_lenet` doit être une instance de votre classe LeNet5, pas de {said(model.get('class'), 80)}.")
    if type(parameters) not in (list, tuple):
        malformed("parameters that are no list")
    arrays = [read_array(p) for p in parameters]
    if any(a is None or a.values is None for a in arrays):
        _require_lenet_parameters([a.shape for a in arrays if a is not None], "trained_lenet")
        fail("Les paramètres de `trained_lenet` n'ont pas les formes de LeNet-5.")
    _require_lenet_parameters([a.shape for a in arrays], "trained_lenet")
    if not all(a.finite for a in arrays):
        fail("Les poids de `trained_lenet` contiennent des valeurs infinies ou NaN : l'entraînement a divergé "
             "(taux d'apprentissage trop grand ?).")
    _, _, x_test, y_test = digits_split()
    call = "trained_lenet(x_test)"
    logits = _output({"output": output}, call)
    if logits.shape != (len(x_test), N_CLASSES) or logits.values is None:
        fail(f"`{call}` a la forme {logits.shape} : on attend un score par classe pour chaque image.")
    # The predictions are graders' own, from the handed-over weights through LeNet-5; the model's own
    # forward pass must agree with them.
    own = _lenet_logits({a.shape: a.values for a in arrays}, x_test).argmax(axis=1)
    if np.mean(own == logits.values.argmax(axis=1)) < 0.99:
        fail("Les prédictions de `trained_lenet` ne sont pas celles de LeNet-5 avec ses propres poids : "
             "sa méthode forward doit suivre l'architecture de l'exercice précédent.")
    accuracy = float(np.mean(own == y_test))
    if accuracy < 0.2:
        fail(f"`trained_lenet` reconnaît {percent(accuracy, 0)} des chiffres du jeu de test, à peine mieux que le hasard "
             "(10 %) : le modèle ne semble pas entraîné. Vérifiez que l'optimiseur reçoit les paramètres de "
             "`trained_lenet` et que la boucle appelle backward() et step().")
    if accuracy < MIN_TEST_ACCURACY:
        fail(f"`trained_lenet` ne reconnaît que {percent(accuracy, 1)} des chiffres du jeu de test ; il en faut au moins "
             f"{percent(MIN_TEST_ACCURACY, 0)}. Entraînez-le sur tout x_train, pendant assez d'époques, avec un taux "
             "d'apprentissage raisonnable (l'exactitude sur x_train ne dit rien de celle sur x_test).")


#: grade_id of each hidden test cell -> its check.
TESTS = {
    "test_conv1d": check_conv1d,
    "test_gaussian_filter": check_gaussian_filter,
    "test_shift": check_shift,
    "test_conv2d": check_conv2d,
    "test_output_size": check_output_size,
    "test_conv_layer_shape": check_conv_layer_shape,
    "test_conv_layer_values": check_conv_layer_values,
    "test_pooling_max": check_max_pool,
    "test_pooling_avg": check_avg_pool,
    "test_lenet_layers": check_lenet_layers,
    "test_lenet_forward": check_lenet_forward,
    "test_lenet_n_params": check_lenet_n_params,
    "test_training": check_training,
}


def prepare():
    """Compute the references that do not depend on the answer once (a judge process calls this first)."""
    lenet_shapes()
    digits_split()
