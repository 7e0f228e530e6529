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

from .bounds import (MAX_ARRAY_ELEMENTS, MAX_DEPTH, MAX_DIMENSIONS, MAX_INT, MAX_LINE_CHARS, MAX_NODES,
                     MAX_STRING_CHARS, QUOTED_CHARS)

#: What a student reads when the hand-over is not what ``handover.plain`` writes (forged, or cut).
MALFORMED = "La réponse n'a pas pu être lue par la correction\u00a0: ne modifiez pas les cellules de test."
#: What a student reads when a check stumbles on data that no rule foresaw (the instructor gets a log line).
UNREADABLE = ("La réponse n'a pas pu être vérifiée par la correction\u00a0: vérifiez son type et sa forme, "
              "et ne modifiez pas les cellules de test.")


class GradingError(AssertionError):
    """A check failed; the message is meant for the student (in French)."""


class Malformed(GradingError):
    """The hand-over is not plain data as ``handover.plain`` writes it: forged or broken, never an honest answer.

    The student reads a fixed French message; ``reason`` (English) says what was wrong, and ``cause`` names
    the unexpected exception a check raised, when that is how it was found (the judge logs those: they
    may be a check's own bug).
    """

    def __init__(self, reason, cause=None, message=MALFORMED):
        super().__init__(message)
        self.reason, self.cause = reason, cause


def fail(message):
    raise GradingError(french(message))


#: French typography: a no-break space before the high punctuation and inside guillemets.
NO_BREAK = {" :": "\u00a0:", " ;": "\u00a0;", " ?": "\u00a0?", " !": "\u00a0!", "« ": "«\u00a0", " »": "\u00a0»"}


def french(message):
    """``message`` with French typography, so that no line of a message ever starts with its own colon."""
    for plain_space, no_break in NO_BREAK.items():
        message = message.replace(plain_space, no_break)
    return message


def malformed(reason):
    raise Malformed(reason)


def check(function):
    """Make ``function`` a public check: a French message for any answer it cannot read.

    A check returns None when the answer is right and raises GradingError
    with the student's message otherwise. Handed-over data is untrusted: an
    unexpected error while reading odd data still reads as a French message
    (a :class:`Malformed` naming the error, for the judge's log), never as a
    crash of the judge.
    """
    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            with np.errstate(all="ignore"):  # forged extremes overflow: a wrong answer, not a warning on stderr
                function(*args, **kwargs)
        except GradingError as error:
            failure = error
        except Exception as error:  # odd data that no rule foresaw: still the answer at fault
            failure = Malformed("unexpected error in a check", cause=type(error).__name__, message=UNREADABLE)
        else:
            return None
        raise failure from None

    return run


# --- the plain data itself -------------------------------------------------------------

def require_plain(payload):
    """``payload`` if it is JSON data within :mod:`graders.bounds`, :class:`Malformed` otherwise.

    Run on a whole hand-over before any check reads it, so that no check ever meets a NaN or an
    infinity where a JSON number stands (``plain`` writes non-finite floats as text), an integer of
    thousands of digits, a string of megabytes (nor more text in all than a request line holds, should
    the same string be given many times over) or a nesting that would exhaust the stack. The tree is
    walked without recursion, and a container is measured before its items are queued: the cost is
    bounded by MAX_NODES whatever the payload.
    """
    stack, seen, chars = [(payload, 0)], 0, 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            malformed("nested too deep")
        kind = type(value)
        if kind is dict or kind is list:
            if seen + len(stack) + len(value) > MAX_NODES:
                malformed("too many values")
            if kind is dict and any(type(key) is not str or len(key) > QUOTED_CHARS for key in value):
                malformed("a key that is no short string")
            stack.extend((item, depth + 1) for item in (value.values() if kind is dict else value))
        elif kind is str:
            chars += len(value)
            if len(value) > MAX_STRING_CHARS or chars > MAX_LINE_CHARS:
                malformed("a string too long, or too much text")
        elif kind is int:
            if not -MAX_INT < value < MAX_INT:
                malformed("an integer too large")
        elif kind is float:
            if not math.isfinite(value):
                malformed("a non-finite JSON number")
        elif value is not None and kind is not bool:
            malformed(f"a {kind.__name__}, which is no JSON value")
    return payload


def integer(value):
    """A handed-over integer of the format itself (a count, a dimension): an int, never a bool nor a float."""
    if type(value) is not int or not -MAX_INT < value < MAX_INT:
        malformed("an integer of the format is not an int")
    return value


def items_of(value):
    """The items of a handed-over list, tuple or torch.Size (a JSON list)."""
    items = value.get("items") if isinstance(value, dict) else None
    if type(items) is not list:
        malformed("a list without its items")
    return items


def length_of(value):
    """How many items a handed-over list had in the kernel (``plain`` hands over the first ones only)."""
    return integer(value.get("length", len(items_of(value))))


def said(value, limit=QUOTED_CHARS):
    """A text handed over (a type name, an exception's message), as a message may quote it: short, only text,
    and encodable (a lone surrogate would stop whoever writes the message into the notebook)."""
    if not isinstance(value, str):
        return "?"
    return plain.text(value, limit).encode("utf-8", errors="replace").decode("utf-8")


def dimensions(shape):
    """A handed-over shape as a tuple of ints, each and their product within MAX_ARRAY_ELEMENTS."""
    if type(shape) is not list or len(shape) > MAX_DIMENSIONS:
        malformed("a shape that is no short list")
    shape = tuple(integer(n) for n in shape)
    if any(not 0 <= n <= MAX_ARRAY_ELEMENTS for n in shape) or math.prod(shape) > MAX_ARRAY_ELEMENTS:
        malformed("an impossible shape")
    return shape


# --- what was handed over -------------------------------------------------------------

INTEGERS = ("int", "numpy_int", "int_like")
FLOATS = ("float", "numpy_float", "float_like")
TYPE_NAMES = {"none": "None", "str": "str (texte)", "list": "list", "tuple": "tuple", "size": "torch.Size",
              "function": "fonction", "class": "classe", "tensor": "tenseur torch", "ndarray": "tableau numpy"}


def kind_of(value):
    """The tag of a handed-over value (None for anything that is no tagged value)."""
    kind = value.get("kind") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else None


def type_name(value):
    """How a handed-over value is named in a message: its type, as the student wrote it."""
    kind = kind_of(value)
    if kind in ("object", "function", "unreadable"):
        return said(value.get("type", "inconnu"), 80)
    if kind in INTEGERS:
        return "int"
    if kind in FLOATS:
        return "float"
    if kind == "bool":
        return "bool"
    return TYPE_NAMES.get(kind, said(kind, 80))


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
    """An :class:`Array` from a handed-over tensor or ndarray (None for anything else).

    Everything is checked before it is allocated: the shape claimed, the length of the packed text
    (whole values only up to ``plain.WHOLE_LIMIT``), the digest's own shape and statistics.
    """
    if kind_of(value) not in ("tensor", "ndarray") or value.get("numeric") is not True:
        return None
    shape = dimensions(value.get("shape"))
    dtype = value.get("dtype", "")
    if not isinstance(dtype, str):
        malformed("a dtype that is no text")
    array = Array(value["kind"], said(dtype, 80), shape, value.get("floating") is True)
    if "data" in value:
        if array.size > plain.WHOLE_LIMIT:
            malformed("whole values of an array too large to be handed over whole")
        array.values = _unpack(value["data"], array.size).reshape(shape)
        array.finite = bool(np.all(np.isfinite(array.values)))
    else:
        digest = value.get("digest")
        if type(digest) is not dict or dimensions(digest.get("shape")) != shape:
            malformed("an array with neither its values nor a digest of its shape")
        array.samples = _unpack(digest.get("samples"), len(plain.sample_indices(array.size)))
        array.stats = _stats(digest.get("stats", {}))
        array.finite = digest.get("finite") is True
    return array


def _unpack(data, count):
    """``count`` float64 values from their base64 text, whose length is checked before anything is decoded."""
    if not isinstance(data, str) or len(data) != 4 * -(-8 * count // 3):
        malformed("packed values of another length")
    try:
        return plain.unpack(data, count)
    except ValueError:  # not base64 text (binascii.Error and UnicodeEncodeError are ValueErrors)
        malformed("packed values that are no base64 text")


def _stats(stats):
    """A digest's statistics: finite numbers (never a bool, nor text such as "nan")."""
    if type(stats) is not dict or len(stats) > 8:
        malformed("statistics that are no short mapping")
    for number in stats.values():
        if type(number) not in (int, float) or not math.isfinite(number):
            malformed("a statistic that is no finite number")
    return {k: float(v) for k, v in stats.items()}


def readable(value, name):
    """``value``, unless the kernel could not even read it (its own methods failed)."""
    if kind_of(value) == "unreadable":
        fail(f"La réponse `{name}` n'a pas pu être vérifiée : l'objet ({type_name(value)}) n'a pas pu être lu. "
             "Vérifiez son type et sa forme.")
    return value


def as_int(value, name):
    """An integer count given as int, numpy integer, integral float or a one-element tensor of those."""
    kind = kind_of(readable(value, name))
    if kind == "bool":
        fail(f"`{name}` doit être un nombre entier, pas un booléen.")
    if kind in INTEGERS:
        return integer(value.get("value"))
    number = value.get("value") if kind in FLOATS else None
    if isinstance(number, float) and number.is_integer():
        return int(number)
    if kind in ("tensor", "ndarray"):
        array = read_array(value)
        if array is None or array.size != 1 or array.dtype == "bool" or array.values is None:
            fail(f"`{name}` doit être un nombre entier, pas un {type_name(value)} de forme {shape_of(value)}.")
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
        number = value.get("value")
        if isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number):
            return float(number)
        fail(f"`{name}` doit être un nombre fini.")
    if kind in ("tensor", "ndarray"):
        array = read_array(value)
        if array is None or array.size != 1 or array.values is None:
            fail(f"`{name}` doit être un nombre, pas un {type_name(value)} de forme {shape_of(value)}.")
        if array.finite:
            return float(array.values.reshape(-1)[0])
        fail(f"`{name}` doit être un nombre fini.")
    fail(f"`{name}` doit être un nombre, pas un objet de type {type_name(value)}.")


def as_shape(value, name):
    """A shape given as a tuple, a list or a ``torch.Size`` of integers."""
    if kind_of(readable(value, name)) not in ("tuple", "list", "size"):
        fail(f"`{name}` doit être une forme : un tuple, une liste ou un torch.Size d'entiers, "
             f"pas un objet de type {type_name(value)}.")
    items = items_of(value)
    if length_of(value) != len(items):
        fail(f"`{name}` a beaucoup trop de dimensions pour une forme.")
    return tuple(as_int(v, f"{name}[{i}]") for i, v in enumerate(items))


def shape_of(value):
    """The shape a handed-over tensor or ndarray claims, as a message names it."""
    return dimensions(value.get("shape"))


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
        fail(f"`{name}` a la forme {array.shape}, ce n'est pas la bonne : {hint}")


def is_close(actual, expected, rtol=1e-4, atol=1e-5):
    """True when two float64 arrays agree, ``atol`` being relative to the scale of ``expected``."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return bool(np.all(np.abs(actual - expected) <= atol * scale + rtol * np.abs(expected)))
