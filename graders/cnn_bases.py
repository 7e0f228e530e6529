"""Checks of the assignment ``cnn_bases``, one function per hidden test cell.

The references are computed here, with numpy and scipy (``np.correlate``,
``scipy.signal.correlate2d``) or torch's functional API on graders' own
weights, on inputs the notebook never shows: other lengths and seeds, odd
and non-square filters, negative shifts, non-square images, stride and
padding combinations. Only the answer under test comes from the student.
The training check rebuilds the digits test split itself
(:func:`digits_split`, the same rule as the notebook's given cell).
"""
import copy
import functools
import math

import numpy as np

from .checks import as_array, as_int, check, fail, is_close


# --- the student's functions and values --------------------------------------------

def _call(function, call, *args, **kwargs):
    """``function(*args, **kwargs)``; any error in the student's code becomes a French message."""
    if not callable(function):
        fail(f"`{call.split('(')[0]}` doit être une fonction, pas un objet de type {type(function).__name__}.")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        fail(f"`{call}` lève NotImplementedError : la fonction n'est pas encore écrite.")
    except Exception as error:  # the student's code: any failure is a wrong answer, reported as such
        fail(f"`{call}` lève une erreur : {type(error).__name__} : {error}")


def _numbers(value, call):
    """A float64 array from a numpy array, a torch tensor or a list of numbers."""
    import torch

    if isinstance(value, (list, tuple)):
        try:
            value = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            fail(f"`{call}` doit renvoyer un tableau numpy de nombres.")
    if not isinstance(value, (np.ndarray, torch.Tensor)):
        fail(f"`{call}` doit renvoyer un tableau numpy, pas un objet de type {type(value).__name__}.")
    return as_array(value, call)


def _strict_int(value, call):
    """An integer type (Python, numpy or a one-element integer tensor): never a float, never a bool."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"`{call}` renvoie un booléen : il faut un nombre entier.")
    if isinstance(value, (float, np.floating)):
        fail(f"`{call}` renvoie un nombre à virgule ({type(value).__name__}) : une taille est un entier (int). "
             "Utilisez la division entière `//`.")
    return as_int(value, call)


def _random(shape, seed, offset=0.0):
    return np.random.default_rng(seed).standard_normal(shape) + offset


# --- A. 1D convolution -----------------------------------------------------------------

#: (length of x, length of f, seed): other lengths than the notebook's, asymmetric filters.
CONV1D_CASES = ((37, 5, 11), (50, 7, 12), (12, 3, 13), (9, 9, 14), (20, 1, 15))


@check
def check_conv1d(conv1d):
    for n, m, seed in CONV1D_CASES:
        x, f = _random(n, seed), _random(m, seed + 100)
        call = f"conv1d(x, f) avec len(x) = {n} et len(f) = {m}"
        actual = _numbers(_call(conv1d, call, x.copy(), f.copy()), call)
        expected = np.correlate(x, f, mode="same")
        if actual.shape != expected.shape:
            if actual.shape == (n - m + 1,):
                fail(f"`{call}` a la longueur {n - m + 1} : la sortie doit garder la longueur de x. "
                     "Ajoutez des zéros de chaque côté de x (padding) avant de faire glisser le filtre.")
            if actual.shape == (n + m - 1,):
                fail(f"`{call}` a la longueur {n + m - 1} : trop de positions du filtre. "
                     "La sortie doit garder la longueur de x, une valeur par instant t.")
            fail(f"`{call}` a la forme {actual.shape} : on attend un tableau à une dimension de même longueur que x.")
        if is_close(actual, expected):
            continue
        if is_close(actual, np.convolve(x, f, mode="same")):
            fail(f"`{call}` retourne le filtre : c'est la convolution des mathématiciens. "
                 "Ici f_k multiplie x[t + k] (corrélation croisée), sans retourner f.")
        if any(is_close(actual, np.roll(expected, s)) for s in (-1, 1)):
            fail(f"`{call}` est décalé d'un pas : le coefficient central de f doit multiplier x[t].")
        fail(f"`{call}` ne donne pas la corrélation de x par f avec des zéros aux bords.")


@check
def check_gaussian_filter(gaussian_filter):
    for length in (5, 3, 8, 11, 1):
        call = f"gaussian_filter({length})"
        actual = _numbers(_call(gaussian_filter, call, length), call)
        t = np.linspace(-2, 2, length)
        raw = np.exp(-t ** 2 / 2)
        expected = raw / raw.sum()
        if actual.shape != expected.shape:
            fail(f"`{call}` a la forme {actual.shape} : on attend un tableau de {length} valeurs.")
        if is_close(actual, expected):
            continue
        if is_close(actual, raw) or is_close(actual, raw / raw.max()):
            fail(f"`{call}` n'est pas normalisé : divisez les valeurs par leur somme pour que le filtre somme à 1.")
        if abs(actual.sum() - 1) > 1e-6:
            fail(f"Les valeurs de `{call}` ne somment pas à 1.")
        fail(f"`{call}` n'est pas exp(-t²/2) échantillonné en {length} points régulièrement espacés de -2 à 2 "
             "(puis normalisé).")


#: (length of x, k): positive, negative and zero shifts, up to |k| = len(x) - 1.
SHIFT_CASES = ((12, 3), (12, -5), (9, 0), (15, 14), (15, -14), (7, 1))


def _shifted(x, k):
    out = np.zeros_like(x)
    if k >= 0:
        out[k:] = x[:len(x) - k]
    else:
        out[:k] = x[-k:]
    return out


@check
def check_shift(shift):
    for n, k in SHIFT_CASES:
        x = _random(n, 20 + n + k, offset=1.0)
        call = f"shift(x, {k}) avec len(x) = {n}"
        actual = _numbers(_call(shift, call, x.copy(), k), call)
        expected = _shifted(x, k)
        if actual.shape != expected.shape:
            fail(f"`{call}` a la forme {actual.shape} : le signal décalé doit garder la longueur de x.")
        if is_close(actual, expected):
            continue
        if k and is_close(actual, np.roll(x, k)):
            fail(f"`{call}` fait revenir de l'autre côté les valeurs qui sortent (comme np.roll) : "
                 "les places libérées doivent recevoir des zéros.")
        if k and is_close(actual, _shifted(x, -k)):
            fail(f"`{call}` décale dans le mauvais sens : k > 0 pousse le signal vers la droite "
                 "(vers les t plus grands), k < 0 vers la gauche.")
        fail(f"`{call}` n'est pas x décalé de {k} pas avec des zéros à la place libérée.")


# --- B. 2D multichannel convolution -------------------------------------------------------

#: (image shape (H, W, C), filter height and width): non-square images and filters.
CONV2D_CASES = (((7, 11, 3), (3, 5)), ((10, 6, 2), (5, 3)), ((9, 8, 1), (1, 3)), ((6, 13, 4), (3, 3)),
                ((5, 4, 2), (1, 1)))


def _correlate_image(image, filt):
    from scipy.signal import correlate2d

    return sum(correlate2d(image[..., c], filt[..., c], mode="same") for c in range(image.shape[-1]))


@check
def check_conv2d(conv2d_multichannel):
    for k, ((height, width, channels), (fh, fw)) in enumerate(CONV2D_CASES):
        image = _random((height, width, channels), 30 + k)
        filt = _random((fh, fw, channels), 40 + k)
        call = (f"conv2d_multichannel(image, filt) avec image de forme {image.shape} "
                f"et filt de forme {filt.shape}")
        actual = _numbers(_call(conv2d_multichannel, call, image.copy(), filt.copy()), call)
        expected = _correlate_image(image, filt)
        if actual.shape != expected.shape:
            if actual.shape == image.shape and channels > 1:
                fail(f"`{call}` garde un canal par canal de l'image : un filtre produit une seule carte, "
                     "la somme sur les canaux.")
            if actual.shape == (height - fh + 1, width - fw + 1):
                fail(f"`{call}` rétrécit l'image : ajoutez des zéros autour (padding) pour garder sa hauteur "
                     "et sa largeur.")
            fail(f"`{call}` a la forme {actual.shape} : on attend (hauteur, largeur) de l'image. "
                 "Le padding dépend de la hauteur du filtre en hauteur et de sa largeur en largeur.")
        if is_close(actual, expected):
            continue
        if is_close(actual, _correlate_image(image, filt[::-1, ::-1])):
            fail(f"`{call}` retourne le filtre (convolution des mathématiciens) : f[k, l, c] doit multiplier "
                 "x[i + k, j + l, c], sans retournement.")
        if channels > 1 and is_close(actual, expected / channels):
            fail(f"`{call}` fait la moyenne sur les canaux : la formule en fait la somme.")
        if channels > 1 and is_close(actual, _correlate_image(image[..., :1], filt[..., :1])):
            fail(f"`{call}` n'utilise que le premier canal : sommez les contributions de tous les canaux.")
        fail(f"`{call}` ne donne pas la somme sur les canaux des corrélations de chaque canal par le filtre, "
             "avec des zéros autour de l'image.")


# --- B. Output sizes --------------------------------------------------------------------

#: (n, kernel_size, padding, stride); None: the argument is left to its default.
OUTPUT_SIZE_CASES = ((31, 5, None, None), (17, 4, None, None), (30, 3, 1, None), (29, 7, 3, None),
                     (19, 2, None, 2), (10, 3, None, 3), (221, 7, 3, 2), (227, 11, 0, 4), (9, 3, 2, 4),
                     (6, 4, 1, 3), (5, 5, 2, 1), (1, 1, 0, 1), (13, 6, 2, 5))


@check
def check_output_size(conv_output_size):
    for n, kernel_size, padding, stride in OUTPUT_SIZE_CASES:
        kwargs = {name: value for name, value in (("padding", padding), ("stride", stride)) if value is not None}
        call = f"conv_output_size({n}, {kernel_size}" + "".join(f", {k}={v}" for k, v in kwargs.items()) + ")"
        actual = _strict_int(_call(conv_output_size, call, n, kernel_size, **kwargs), call)
        p, s = padding or 0, stride or 1
        expected = (n + 2 * p - kernel_size) // s + 1
        if actual == expected:
            continue
        if p and actual == (n - kernel_size) // s + 1:
            fail(f"`{call}` ignore le padding : il agrandit l'entrée de chaque côté.")
        if p and actual == (n + p - kernel_size) // s + 1:
            fail(f"`{call}` ne compte le padding que d'un côté : les zéros sont ajoutés des deux côtés.")
        if actual == -(-(n + 2 * p - kernel_size) // s) + 1:
            fail(f"`{call}` arrondit vers le haut : une dernière fenêtre qui dépasserait de l'entrée n'est pas "
                 "calculée, arrondissez vers le bas.")
        if actual == (n + 2 * p - kernel_size) // s:
            fail(f"`{call}` oublie une position : comptez aussi la première position du noyau.")
        fail(f"`{call}` est faux : comptez les positions du noyau dans l'entrée agrandie par le padding, "
             "en avançant de `stride` à chaque pas.")


# --- C. A convolution layer in numpy ------------------------------------------------------

#: (input shape (C_in, H, W), filters shape (C_out, C_in, kh, kw)): non-square inputs and kernels.
CONV_LAYER_CASES = (((3, 9, 11), (4, 3, 3, 2)), ((1, 8, 8), (2, 1, 5, 5)), ((2, 6, 7), (5, 2, 1, 1)),
                    ((4, 5, 12), (1, 4, 2, 4)))


def _layer_inputs(k):
    (c_in, height, width), filters_shape = CONV_LAYER_CASES[k]
    x = _random((c_in, height, width), 50 + k)
    filters = _random(filters_shape, 60 + k) / np.sqrt(np.prod(filters_shape[1:]))
    biases = 0.5 * _random(filters_shape[0], 70 + k)
    return x, filters, biases


def _cross_correlations(x, filters):
    """(C_out, H', W'): what a convolution layer computes before its bias and activation."""
    from scipy.signal import correlate2d

    return np.stack([sum(correlate2d(x[c], kernels[c], mode="valid") for c in range(x.shape[0]))
                     for kernels in filters])


def _run_conv_layer(conv_layer, k):
    x, filters, biases = _layer_inputs(k)
    call = f"conv_layer(x, filters, biases) avec x de forme {x.shape} et filters de forme {filters.shape}"
    actual = _numbers(_call(conv_layer, call, x.copy(), filters.copy(), biases.copy()), call)
    return call, actual, x, filters, biases


def _check_layer_shape(call, actual, x, filters):
    c_out, _, kh, kw = filters.shape
    expected = (c_out, x.shape[1] - kh + 1, x.shape[2] - kw + 1)
    if actual.shape == expected:
        return
    if actual.shape == (c_out,) + x.shape[1:]:
        fail(f"`{call}` garde la taille de l'entrée : la couche n'a pas de padding.")
    if actual.shape == expected[1:] + (c_out,):
        fail(f"`{call}` met les canaux en dernier : la sortie se range (canaux, hauteur, largeur), comme dans PyTorch.")
    if actual.shape == expected[1:]:
        fail(f"`{call}` renvoie une seule carte : il en faut une par filtre (un canal de sortie par filtre).")
    fail(f"`{call}` a la forme {actual.shape} : on attend (nombre de filtres, hauteur, largeur) ; "
         "sans padding, un noyau de hauteur kh fait perdre kh - 1 lignes.")


@check
def check_conv_layer_shape(conv_layer):
    for k in range(len(CONV_LAYER_CASES)):
        call, actual, x, filters, _ = _run_conv_layer(conv_layer, k)
        _check_layer_shape(call, actual, x, filters)


@check
def check_conv_layer_values(conv_layer):
    for k in range(len(CONV_LAYER_CASES)):
        call, actual, x, filters, biases = _run_conv_layer(conv_layer, k)
        _check_layer_shape(call, actual, x, filters)
        correlations = _cross_correlations(x, filters)
        with_bias = correlations + biases[:, None, None]
        if is_close(actual, np.maximum(with_bias, 0)):
            continue
        if is_close(actual, with_bias):
            fail(f"`{call}` n'applique pas la ReLU : la couche garde la partie positive, max(valeur, 0).")
        if is_close(actual, np.maximum(correlations, 0)):
            fail(f"`{call}` oublie le biais : chaque filtre ajoute son biais à toute sa carte.")
        if is_close(actual, np.maximum(correlations, 0) + biases[:, None, None]):
            fail(f"`{call}` ajoute le biais après la ReLU : il s'ajoute avant.")
        flipped = _cross_correlations(x, filters[..., ::-1, ::-1]) + biases[:, None, None]
        if is_close(actual, np.maximum(flipped, 0)):
            fail(f"`{call}` retourne les noyaux : une couche de convolution calcule une corrélation croisée, "
                 "les noyaux glissent sans être retournés.")
        fail(f"`{call}` ne donne pas ReLU(somme sur les canaux d'entrée des corrélations + biais).")


# --- C. Pooling -----------------------------------------------------------------------------

#: (shape (H, W), size or None for the default, offset of the values): odd sizes, all-negative maps.
POOLING_CASES = (((6, 8), None, 0.0), ((7, 9), 2, 0.0), ((9, 12), 3, 0.0), ((10, 5), 5, 0.0),
                 ((4, 6), 2, -5.0))


def _windows(x, size):
    rows, cols = x.shape[0] // size, x.shape[1] // size
    return x[:rows * size, :cols * size].reshape(rows, size, cols, size)


def _check_pooling(function, name, reduce, other, other_name):
    for k, (shape, size, offset) in enumerate(POOLING_CASES):
        x = _random(shape, 80 + k, offset=offset)
        call = f"{name}(x{'' if size is None else f', size={size}'}) avec x de forme {shape}"
        args = () if size is None else (size,)
        actual = _numbers(_call(function, call, x.copy(), *args), call)
        size = size or 2
        expected = reduce(_windows(x, size), axis=(1, 3))
        if actual.shape != expected.shape:
            if actual.shape == (shape[0] - size + 1, shape[1] - size + 1):
                fail(f"`{call}` fait glisser la fenêtre d'un pixel à la fois : les fenêtres ne se chevauchent "
                     "pas, elles avancent de `size` pixels.")
            if actual.shape == (-(-shape[0] // size), -(-shape[1] // size)):
                fail(f"`{call}` garde les fenêtres incomplètes du bord : les lignes et colonnes qui ne remplissent "
                     "pas une fenêtre entière sont ignorées.")
            fail(f"`{call}` a la forme {actual.shape} : chaque dimension doit être divisée par `size` "
                 "(division entière).")
        if is_close(actual, expected):
            continue
        if is_close(actual, other(_windows(x, size), axis=(1, 3))):
            fail(f"`{call}` calcule {other_name} de chaque fenêtre.")
        if is_close(actual, np.maximum(expected, 0)):
            fail(f"`{call}` est faux pour les fenêtres dont toutes les valeurs sont négatives : "
                 "ne partez pas de 0 pour chercher le maximum.")
        if is_close(actual, expected * size * size):
            fail(f"`{call}` fait la somme de chaque fenêtre : divisez par le nombre de pixels de la fenêtre.")
        fail(f"`{call}` ne résume pas correctement chaque fenêtre size x size (fenêtres sans chevauchement).")


@check
def check_max_pool(max_pool2d):
    _check_pooling(max_pool2d, "max_pool2d", np.max, np.mean, "la moyenne au lieu du maximum")


@check
def check_avg_pool(avg_pool2d):
    _check_pooling(avg_pool2d, "avg_pool2d", np.mean, np.max, "le maximum au lieu de la moyenne")


# --- D. LeNet-5 -------------------------------------------------------------------------------

LENET_INPUT = (1, 32, 32)
N_CLASSES = 10


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


def _lenet_class(LeNet5):
    import torch

    if not (isinstance(LeNet5, type) and issubclass(LeNet5, torch.nn.Module)):
        fail("`LeNet5` doit être une classe qui hérite de nn.Module : `class LeNet5(nn.Module): ...`.")


def _new_lenet(LeNet5):
    """``LeNet5()``, without touching the notebook's random state."""
    import torch

    _lenet_class(LeNet5)
    with torch.random.fork_rng(devices=[]):
        model = _call(LeNet5, "LeNet5()")
    if not isinstance(model, torch.nn.Module):
        fail("`LeNet5()` doit construire un modèle torch (nn.Module).")
    return model


def _parameter_shapes(model):
    return sorted(tuple(p.shape) for p in model.parameters())


def _require_lenet_parameters(model, name):
    actual = _parameter_shapes(model)
    if actual == sorted(lenet_shapes()):
        return
    convs = [s for s in actual if len(s) == 4]
    linears = [s for s in actual if len(s) == 2]
    if not [s for s in actual if len(s) == 1]:
        fail(f"`{name}` n'a aucun biais : les couches de LeNet-5 ont un biais par neurone (bias=True, le défaut).")
    if len(convs) != 2 or len(linears) != 3:
        fail(f"`{name}` a {len(convs)} couche(s) de convolution et {len(linears)} couche(s) linéaire(s) : "
             "LeNet-5 en a 2 et 3.")
    conv1, conv2 = lenet_shapes()[0], lenet_shapes()[2]
    if conv1 not in convs:
        fail(f"La première convolution de `{name}` est fausse : elle reçoit l'image (1 canal) et produit "
             "6 cartes avec des noyaux 5x5.")
    if conv2 not in convs:
        fail(f"La deuxième convolution de `{name}` est fausse : elle reçoit les 6 cartes et en produit 16, "
             "avec des noyaux 5x5.")
    fc1 = lenet_shapes()[4]
    if fc1 not in linears:
        if any(s[0] == fc1[0] for s in linears):
            fail(f"La première couche linéaire de `{name}` n'a pas le bon nombre d'entrées : il doit être celui "
                 "de la carte aplatie en sortie du deuxième pooling (canaux x hauteur x largeur). "
                 "Le pooling a-t-il bien réduit les cartes ?")
        fail(f"La première couche linéaire de `{name}` est fausse : elle produit 120 neurones.")
    fail(f"Les couches linéaires de `{name}` sont fausses : 120 puis 84 neurones, puis 10 scores.")


def _logits_of(model, x, call):
    """The model's output for ``x`` (a float32 array), in eval mode, on a copy: the student's model is left as is."""
    import torch

    model = copy.deepcopy(model)
    model.eval()
    with torch.no_grad():
        output = _call(model, call, torch.from_numpy(np.array(x, dtype=np.float32)))
    if not isinstance(output, torch.Tensor):
        fail(f"`{call}` doit renvoyer un tenseur torch, pas un objet de type {type(output).__name__}.")
    return as_array(output, call)


def _weights_by_shape(model):
    """The model's parameters as float64 tensors, keyed by shape (every LeNet-5 shape is unique)."""
    return {tuple(p.shape): p.detach().cpu().double() for p in model.parameters()}


def _lenet_logits(weights, x, pool="max", relu=True, flatten="chw"):
    """LeNet-5 computed by graders with torch's functional API, from weights keyed by shape."""
    import torch
    import torch.nn.functional as F

    w = [weights[shape] for shape in lenet_shapes()]
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
def check_lenet_layers(LeNet5):
    model = _new_lenet(LeNet5)
    _require_lenet_parameters(model, "LeNet5()")
    batch = 3
    x = _random((batch,) + LENET_INPUT, 90).astype(np.float32)
    output = _logits_of(model, x, f"LeNet5()(x) pour x de forme {x.shape}")
    if output.shape != (batch, N_CLASSES):
        fail(f"Pour un lot de forme {x.shape}, `LeNet5()` renvoie la forme {output.shape} : on attend un score "
             "par classe et par image, (taille du lot, 10).")


def _random_lenet_weights(seed):
    """Graders' own weights, He-scaled so that every layer keeps activations of order 1."""
    rng = np.random.default_rng(seed)
    weights = {}
    for shape in lenet_shapes():
        if len(shape) == 1:
            weights[shape] = 0.1 * rng.standard_normal(shape)
        else:
            weights[shape] = rng.standard_normal(shape) * np.sqrt(2 / np.prod(shape[1:]))
    return weights


@check
def check_lenet_forward(LeNet5):
    import torch

    model = _new_lenet(LeNet5)
    if _parameter_shapes(model) != sorted(lenet_shapes()):
        fail("Les couches de `LeNet5` n'ont pas les formes de LeNet-5 : corrigez d'abord l'architecture "
             "(voir le test précédent).")
    values = _random_lenet_weights(91)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(values[tuple(p.shape)]))
    weights = {shape: torch.from_numpy(v) for shape, v in values.items()}
    x = _random((4,) + LENET_INPUT, 92)
    call = "LeNet5()(x) (avec des poids fixés par la correction)"
    actual = _logits_of(model, x, call)
    expected = _lenet_logits(weights, x)
    if actual.shape != expected.shape:
        fail(f"`{call}` a la forme {actual.shape} : on attend (taille du lot, 10).")
    if is_close(actual, expected, rtol=1e-4, atol=1e-4):
        return

    def like(reference):
        return is_close(actual, reference, rtol=1e-4, atol=1e-4)

    shifted = expected - expected.max(axis=1, keepdims=True)
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    if like(softmax) or like(np.log(softmax)):
        fail(f"`{call}` applique un softmax à la sortie : le modèle doit renvoyer les scores bruts (logits), "
             "nn.CrossEntropyLoss s'occupe du softmax.")
    if like(np.maximum(expected, 0)):
        fail(f"`{call}` applique une ReLU à la sortie : la dernière couche linéaire donne directement les scores.")
    if like(_lenet_logits(weights, x, pool="avg")):
        fail(f"`{call}` utilise un average pooling : LeNet-5 prend ici le maximum de chaque fenêtre 2x2.")
    if like(_lenet_logits(weights, x, relu=False)):
        fail(f"`{call}` n'a pas de ReLU : il en faut une après chaque convolution et chaque couche cachée.")
    if like(_lenet_logits(weights, x, flatten="hwc")):
        fail(f"`{call}` aplatit les cartes canaux en dernier : gardez l'ordre de PyTorch (nn.Flatten).")
    fail(f"`{call}` ne calcule pas LeNet-5 : conv 5x5, ReLU, max-pooling 2x2, conv 5x5, ReLU, max-pooling 2x2, "
         "aplatissement, puis trois couches linéaires avec une ReLU entre elles.")


@check
def check_lenet_n_params(lenet_n_params):
    actual = as_int(lenet_n_params, "lenet_n_params")
    shapes = lenet_shapes()
    expected = sum(math.prod(s) for s in shapes)
    if actual == expected:
        return
    if actual == sum(math.prod(s) for s in shapes if len(s) > 1):
        fail("`lenet_n_params` oublie les biais : chaque neurone a aussi un biais, qui est un paramètre.")
    if actual == sum(math.prod(s) for s in shapes[:4]):
        fail("`lenet_n_params` ne compte que les convolutions : les couches linéaires ont aussi des paramètres.")
    fail("`lenet_n_params` est faux : additionnez les poids et les biais de toutes les couches "
         "(p.numel() pour chaque p de model.parameters()).")


# --- E. Training on the digits -------------------------------------------------------------------

DIGITS_TEST_SIZE = 0.25
DIGITS_SPLIT_SEED = 0
DIGITS_UPSCALE = 3
DIGITS_MARGIN = 4
MIN_TEST_ACCURACY = 0.95


@functools.lru_cache(maxsize=1)
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


@check
def check_training(trained_lenet):
    import torch

    if not isinstance(trained_lenet, torch.nn.Module):
        fail(f"`trained_lenet` doit être un modèle torch, pas un objet de type {type(trained_lenet).__name__}.")
    if type(trained_lenet).__name__ != "LeNet5":
        fail(f"`trained_lenet` doit être une instance de votre classe LeNet5, pas de {type(trained_lenet).__name__}.")
    _require_lenet_parameters(trained_lenet, "trained_lenet")
    _, _, x_test, y_test = digits_split()
    call = "trained_lenet(x_test)"
    logits = _logits_of(trained_lenet, x_test, call)
    if logits.shape != (len(x_test), N_CLASSES):
        fail(f"`{call}` a la forme {logits.shape} : on attend un score par classe pour chaque image.")
    predicted = logits.argmax(axis=1)
    # The predictions must come from the weights, through LeNet-5: graders recomputes them itself.
    own = _lenet_logits(_weights_by_shape(trained_lenet), x_test).argmax(axis=1)
    if np.mean(own == predicted) < 0.99:
        fail("Les prédictions de `trained_lenet` ne sont pas celles de LeNet-5 avec ses propres poids : "
             "sa méthode forward doit suivre l'architecture de l'exercice précédent.")
    accuracy = float(np.mean(predicted == y_test))
    if accuracy < 0.2:
        fail(f"`trained_lenet` reconnaît {accuracy:.0%} des chiffres du jeu de test, à peine mieux que le hasard "
             "(10 %) : le modèle ne semble pas entraîné. Vérifiez que l'optimiseur reçoit les paramètres de "
             "`trained_lenet` et que la boucle appelle backward() et step().")
    if accuracy < MIN_TEST_ACCURACY:
        fail(f"`trained_lenet` ne reconnaît que {accuracy:.1%} des chiffres du jeu de test ; il en faut au moins "
             f"{MIN_TEST_ACCURACY:.0%}. Entraînez-le sur tout x_train, assez d'époques, avec un taux "
             "d'apprentissage raisonnable (la précision sur x_train ne dit rien de celle sur x_test).")


def prepare():
    """Compute the references that do not depend on the answer once (called by the class runner's warm kernels)."""
    lenet_shapes()
    digits_split()
