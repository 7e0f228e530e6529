"""Building blocks of every check: read what a kernel handed over (plain data,
see ``handover.plain``), lenient on form, then compare it with graders' own
references, strict on value.

A check never sees a student's object: only tagged numbers, strings and
arrays, decoded here. Messages are in French, say what is wrong and how to
look for it, and never give the expected value.
"""
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from handover import plain


class GradingError(AssertionError):
    """A check failed; the message is meant for the student (in French)."""


def fail(message):
    raise GradingError(message)


def check(function):
    """Make ``function`` a public check: a French message for any answer it cannot read.

    A check returns None when the answer is right and raises GradingError
    with the student's message otherwise. Handed-over data is untrusted: an
    unexpected error while reading odd data still reads as a French message.
    """
    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            function(*args, **kwargs)
        except GradingError as error:
            message = str(error)
        except Exception as error:  # malformed or odd data handed over: still the answer at fault
            message = (f"La réponse n'a pas pu être vérifiée ({type(error).__name__}). "
                       "Vérifiez son type et sa forme.")
        else:
            return None
        raise GradingError(message) from None

    return run


# --- what was handed over -------------------------------------------------------------

INTEGERS = ("int", "numpy_int", "int_like")
FLOATS = ("float", "numpy_float", "float_like")
TYPE_NAMES = {"none": "None", "str": "str (texte)", "list": "list", "tuple": "tuple", "size": "torch.Size",
              "function": "fonction", "class": "classe", "tensor": "tenseur torch", "ndarray": "tableau numpy"}


def kind_of(value):
    return value.get("kind") if isinstance(value, dict) else None


def type_name(value):
    """How a handed-over value is named in a message: its type, as the student wrote it."""
    kind = kind_of(value)
    if kind in ("object", "function", "unreadable"):
        return str(value.get("type", "inconnu"))
    if kind in INTEGERS:
        return "int"
    if kind in FLOATS:
        return "float"
    if kind == "bool":
        return "bool"
    return TYPE_NAMES.get(kind, str(kind))


@dataclass
class Array:
    """A tensor or an ndarray handed over: whole, or as a digest of a large one."""
    kind: str
    dtype: str
    shape: tuple
    floating: bool
    values: np.ndarray = None          # float64, of ``shape``; None for a digest
    samples: np.ndarray = None         # float64 values at plain.sample_indices(size)
    stats: dict = field(default_factory=dict)
    finite: bool = True

    @property
    def size(self):
        return math.prod(self.shape)

    def minimum(self):
        return float(self.values.min()) if self.values is not None else float(self.stats.get("min", math.nan))

    def close_to(self, expected, rtol=1e-4, atol=1e-5):
        """True when the values agree with ``expected`` (an array or a :class:`Reference`; ``atol`` relative
        to its scale), at every position handed over; a digest must also match its statistics."""
        expected = expected if isinstance(expected, Reference) else Reference(expected)
        if expected.shape != self.shape or not self.finite:
            return False
        tolerance = atol * expected.scale
        if self.values is not None:
            return bool(np.all(np.abs(self.values - expected.values) <= tolerance + rtol * np.abs(expected.values)))
        reference = expected.samples
        if self.samples is None or self.samples.shape != reference.shape:
            return False
        if not np.all(np.abs(self.samples - reference) <= tolerance + rtol * np.abs(reference)):
            return False
        own = expected.stats
        return all(abs(float(self.stats.get(k, math.inf)) - own[k]) <= 10 * (tolerance + rtol * abs(own[k]))
                   for k in ("min", "max", "mean", "rms"))


class Reference:
    """An expected array, with what comparing a digest needs computed once: a judge keeps its large
    references (feature maps) for a whole class."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float64)
        self.shape = tuple(self.values.shape)

    @functools.cached_property
    def scale(self):
        return max(1.0, float(np.max(np.abs(self.values), initial=0.0)))

    @functools.cached_property
    def samples(self):
        return self.values.reshape(-1)[plain.sample_indices(self.values.size)]

    @functools.cached_property
    def stats(self):
        return plain.digest(self.values)["stats"]


def read_array(value):
    """An :class:`Array` from a handed-over tensor or ndarray (None for anything else)."""
    if kind_of(value) not in ("tensor", "ndarray") or not value.get("numeric"):
        return None
    shape = tuple(int(n) for n in value["shape"])
    if any(n < 0 for n in shape) or len(shape) > 8:
        raise ValueError("impossible shape")
    array = Array(value["kind"], str(value.get("dtype", "")), shape, bool(value.get("floating")))
    size = math.prod(shape)
    if "data" in value:
        array.values = plain.unpack(value["data"], size).reshape(shape)
        array.finite = bool(np.all(np.isfinite(array.values)))
    else:
        digest = value.get("digest") or {}
        if [int(n) for n in digest.get("shape", [])] != list(shape):
            raise ValueError("digest of another shape")
        array.samples = plain.unpack(digest["samples"], len(plain.sample_indices(size)))
        array.stats = {k: float(v) for k, v in (digest.get("stats") or {}).items()}
        array.finite = bool(digest.get("finite"))
    return array


def readable(value, name):
    """``value``, unless the kernel could not even read it (its own methods failed)."""
    if kind_of(value) == "unreadable":
        fail(f"La réponse `{name}` n'a pas pu être vérifiée : l'objet ({type_name(value)}) n'a pas pu être lu. "
             "Vérifiez son type et sa forme.")
    return value


def as_int(value, name):
    """An integer count given as int, numpy integer, integral float or a one-element tensor of those."""
    kind = kind_of(readable(value, name))
    if kind == "bool":
        fail(f"`{name}` doit être un nombre entier, pas un booléen.")
    if kind in INTEGERS:
        return int(value["value"])
    if kind in FLOATS and isinstance(value["value"], float) and float(value["value"]).is_integer():
        return int(value["value"])
    if kind in ("tensor", "ndarray"):
        array = read_array(value)
        if array is None or array.size != 1 or array.dtype == "bool" or array.values is None:
            fail(f"`{name}` doit être un nombre entier, pas un {type_name(value)} de forme {tuple(value['shape'])}.")
        number = float(array.values.reshape(-1)[0])
        if number.is_integer():
            return int(number)
    fail(f"`{name}` doit être un nombre entier (int), pas un objet de type {type_name(value)}.")


def as_float(value, name):
    """A real number given as int, float, numpy scalar or one-element tensor."""
    kind = kind_of(readable(value, name))
    if kind == "bool":
        fail(f"`{name}` doit être un nombre, pas un booléen.")
    if kind in INTEGERS + FLOATS:
        number = value["value"]
        if isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number):
            return float(number)
        fail(f"`{name}` doit être un nombre fini.")
    if kind in ("tensor", "ndarray"):
        array = read_array(value)
        if array is None or array.size != 1 or array.values is None:
            fail(f"`{name}` doit être un nombre, pas un {type_name(value)} de forme {tuple(value['shape'])}.")
        if array.finite:
            return float(array.values.reshape(-1)[0])
        fail(f"`{name}` doit être un nombre fini.")
    fail(f"`{name}` doit être un nombre, pas un objet de type {type_name(value)}.")


def as_shape(value, name):
    """A shape given as a tuple, a list or a ``torch.Size`` of integers."""
    if kind_of(readable(value, name)) not in ("tuple", "list", "size"):
        fail(f"`{name}` doit être une forme : un tuple, une liste ou un torch.Size d'entiers, "
             f"pas un objet de type {type_name(value)}.")
    items = value["items"]
    if value.get("length", len(items)) != len(items):
        fail(f"`{name}` a beaucoup trop de dimensions pour une forme.")
    return tuple(as_int(v, f"{name}[{i}]") for i, v in enumerate(items))


def as_array(value, name, tensor_only=True):
    """The :class:`Array` of a tensor (or of an ndarray when ``tensor_only`` is False), with finite values."""
    array = read_array(readable(value, name))
    if array is None or (tensor_only and array.kind != "tensor"):
        wanted = "un tenseur torch" if tensor_only else "un tableau numpy ou un tenseur torch"
        fail(f"`{name}` doit être {wanted} de nombres, pas un objet de type {type_name(value)}.")
    if not array.finite:
        fail(f"`{name}` contient des valeurs infinies ou NaN.")
    return array


def require_shape(array, name, shape, hint):
    """``array`` has ``shape``; otherwise a message that names its actual shape and a hint, never the expected."""
    if array.shape != tuple(shape):
        fail(f"`{name}` a la forme {array.shape}, ce n'est pas la bonne : {hint}")


def is_close(actual, expected, rtol=1e-4, atol=1e-5):
    """True when two float64 arrays agree, ``atol`` being relative to the scale of ``expected``."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return bool(np.all(np.abs(actual - expected) <= atol * scale + rtol * np.abs(expected)))
