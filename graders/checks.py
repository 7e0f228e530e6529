"""Building blocks of every check: turn a student's answer into plain Python or
numpy values (lenient on form), then compare them with graders' own
references (strict on value).

A student's object is never trusted to compare itself: it is converted to an
``int``, a ``float``, a tuple of ints or a float64 ``ndarray`` first, so an
object whose ``__eq__`` always answers True gains nothing. Messages are in
French and say what is wrong without giving the expected value.
"""
import functools
import numbers

import numpy as np


class GradingError(AssertionError):
    """A check failed; the message is meant for the student (in French)."""


def fail(message):
    raise GradingError(message)


def check(function):
    """Make ``function`` a public check, called from a hidden test cell.

    nbgrader's feedback shows the traceback of a failed test: the error is
    raised again here with no traceback of its own, so the student sees the
    line of the test cell and the French message, never graders' code (which
    computes the answers). The libraries are checked for tampering first, and
    an unexpected error while checking odd input still reads as a French
    message. A check returns None, so a test cell never ends on a value.
    """
    @functools.wraps(function)
    def run(*args, **kwargs):
        from .integrity import require_untouched_libraries

        try:
            require_untouched_libraries()
            function(*args, **kwargs)
        except GradingError as error:
            message = str(error)
        except Exception as error:  # odd input reaching library code: still the student's answer at fault
            message = (f"La réponse n'a pas pu être vérifiée ({type(error).__name__} : {error}). "
                       "Vérifiez son type et sa forme.")
        else:
            return None
        raise GradingError(message) from None

    return run


def _tensor_type():
    import torch  # late: a check on plain numbers should not pay for importing torch

    return torch.Tensor


def _tensor_bool():
    import torch

    return torch.bool


def as_int(value, name):
    """An integer count given as int, numpy integer, integral float or a one-element tensor of those."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"`{name}` doit être un nombre entier, pas un booléen.")
    if isinstance(value, _tensor_type()):
        if value.numel() != 1 or value.dtype.is_complex or value.dtype == _tensor_bool():
            fail(f"`{name}` doit être un nombre entier, pas un tenseur de forme {tuple(value.shape)} "
                 f"et de type {value.dtype}.")
        value = value.detach().reshape(-1).tolist()[0]
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return int(value.__index__())
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(float(value))
    fail(f"`{name}` doit être un nombre entier (int), pas un objet de type {type(value).__name__}.")


def as_float(value, name):
    """A real number given as int, float, numpy scalar or one-element tensor."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"`{name}` doit être un nombre, pas un booléen.")
    if isinstance(value, _tensor_type()):
        if value.numel() != 1:
            fail(f"`{name}` doit être un nombre, pas un tenseur de forme {tuple(value.shape)}.")
        value = value.detach().reshape(-1).tolist()[0]
    if isinstance(value, (numbers.Real, np.floating, np.integer)):
        result = float(value)
        if np.isfinite(result):
            return result
        fail(f"`{name}` doit être un nombre fini, pas {result}.")
    fail(f"`{name}` doit être un nombre, pas un objet de type {type(value).__name__}.")


def as_shape(value, name):
    """A shape given as a tuple, a list or a ``torch.Size`` of integers."""
    if not isinstance(value, (tuple, list)):
        fail(f"`{name}` doit être une forme : un tuple, une liste ou un torch.Size d'entiers, "
             f"pas un objet de type {type(value).__name__}.")
    return tuple(as_int(v, f"{name}[{i}]") for i, v in enumerate(value))


def as_array(value, name, shape=None):
    """A float64 copy of a tensor or an ndarray, optionally of a given shape."""
    if isinstance(value, _tensor_type()):
        value = value.detach().cpu().double().numpy()
    elif not isinstance(value, np.ndarray):
        fail(f"`{name}` doit être un tenseur torch, pas un objet de type {type(value).__name__}.")
    array = np.array(value, dtype=np.float64, copy=True)
    if type(array) is not np.ndarray:  # noqa: E721 (exact type: no subclass may compare itself)
        fail(f"`{name}` doit être un tenseur torch ordinaire.")
    if shape is not None and array.shape != tuple(shape):
        fail(f"`{name}` a la forme {array.shape}, ce n'est pas celle attendue {tuple(shape)}.")
    if not np.all(np.isfinite(array)):
        fail(f"`{name}` contient des valeurs infinies ou NaN.")
    return array


def is_close(actual, expected, rtol=1e-4, atol=1e-5):
    """True when two float64 arrays agree, ``atol`` being relative to the scale of ``expected``."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return bool(np.all(np.abs(actual - expected) <= atol * scale + rtol * np.abs(expected)))
