"""The plain format in which a kernel hands values over to the judge.

Only data crosses: numbers, strings, lists and arrays, each tagged with the
kind of object it came from (a ``bool`` is not an ``int``, a ``torch.Size``
is not a list), never an object that could compare or describe itself. The
same module is imported by the judge (``graders.plain``) to decode, and to
compute digests of its own references with exactly the same rule.

A large array is handed over as a *digest*: its shape, a few statistics and
its values at positions chosen from its size only. A wrong array differs at
most of those positions; matching them means computing the right values.
"""
import base64
import functools
import math
import numbers

import numpy as np

#: Arrays up to this many elements are handed over whole; larger ones as a digest.
FULL_LIMIT = 4096
#: The same limit when the judge needs the whole array (a model's weights, its outputs).
WHOLE_LIMIT = 2**17
#: How many values a digest samples.
SAMPLES = 4096
#: Strings are cut to this length (messages of the student's exceptions, type names).
TEXT_LIMIT = 300
#: Lists and tuples longer than this are cut (the judge sees the true length).
ITEMS_LIMIT = 64


def text(value, limit=TEXT_LIMIT):
    value = str(value)
    return value if len(value) <= limit else value[:limit] + "…"


@functools.lru_cache(maxsize=64)
def sample_indices(size, count=SAMPLES):
    """Flat positions sampled from an array of ``size`` elements: the same on both sides."""
    if size <= count:
        indices = np.arange(size)
    else:
        indices = np.sort(np.random.default_rng(size).choice(size, size=count, replace=False))
    indices.setflags(write=False)
    return indices


def pack(array):
    """float64 values as base64 text (little-endian)."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f8").tobytes()).decode("ascii")


def unpack(data, count):
    raw = base64.b64decode(data.encode("ascii"), validate=True)
    if len(raw) != 8 * count:
        raise ValueError("packed array of the wrong length")
    return np.frombuffer(raw, dtype="<f8").astype(np.float64)


def digest(values):
    """Shape, statistics and sampled values of a float64 array (finite or not)."""
    values = np.asarray(values, dtype=np.float64)
    flat = values.reshape(-1)
    finite = bool(np.all(np.isfinite(flat)))
    stats = {}
    if flat.size and finite:
        stats = {"min": float(flat.min()), "max": float(flat.max()), "mean": float(flat.mean()),
                 "rms": float(np.sqrt(np.mean(flat ** 2)))}
    return {"shape": list(values.shape), "finite": finite, "stats": stats,
            "samples": pack(flat[sample_indices(flat.size)])}


def _array(kind, dtype, values, full):
    values = np.asarray(values)
    encoded = {"kind": kind, "dtype": text(dtype), "shape": [int(n) for n in values.shape]}
    numeric = values.dtype.kind in "biuf"
    encoded["numeric"] = numeric
    if not numeric:
        return encoded
    as_float = values.astype(np.float64)
    if as_float.size <= (WHOLE_LIMIT if full else FULL_LIMIT):
        encoded["data"] = pack(as_float.reshape(-1))
    else:
        encoded["digest"] = digest(as_float)
    return encoded


def encode(value, full=False, depth=0):
    """``value`` in the plain format; ``full``: arrays whole, whatever their size."""
    try:
        return _encode(value, full, depth)
    except Exception as error:  # a value whose own methods fail: that is what gets handed over
        return {"kind": "unreadable", "type": text(type(value).__name__), "error": text(type(error).__name__)}


def _encode(value, full, depth):
    torch = _torch()
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(value)}
    if torch is not None and isinstance(value, torch.Size):
        return {"kind": "size", "items": [encode(v, depth=depth + 1) for v in tuple.__iter__(value)]}
    if torch is not None and isinstance(value, torch.Tensor):
        tensor = torch.Tensor.detach(value).cpu()
        if tensor.dtype.is_complex:
            return {"kind": "tensor", "dtype": str(tensor.dtype), "shape": list(tensor.shape), "numeric": False}
        values = tensor.to(torch.float64).numpy() if tensor.dtype != torch.bool else tensor.numpy()
        encoded = _array("tensor", str(tensor.dtype).replace("torch.", ""), values, full)
        encoded["floating"] = bool(tensor.dtype.is_floating_point)
        return encoded
    if isinstance(value, np.ndarray):
        encoded = _array("ndarray", str(value.dtype), np.asarray(value), full)
        encoded["floating"] = value.dtype.kind == "f"
        return encoded
    if isinstance(value, numbers.Integral) or isinstance(value, np.integer):
        kind = "int" if type(value) is int else ("numpy_int" if isinstance(value, np.integer) else "int_like")
        return {"kind": kind, "value": int(int.__index__(value)) if isinstance(value, int) else int(value)}
    if isinstance(value, (numbers.Real, np.floating)):
        number = float(value)
        kind = "float" if type(value) is float else ("numpy_float" if isinstance(value, np.floating)
                                                      else "float_like")
        return {"kind": kind, "value": number if math.isfinite(number) else str(number)}
    if isinstance(value, str):
        return {"kind": "str", "value": text(value)}
    if isinstance(value, (list, tuple)) and depth < 4:
        items = list(value)
        return {"kind": "list" if isinstance(value, list) else "tuple", "length": len(items),
                "items": [encode(v, full, depth + 1) for v in items[:ITEMS_LIMIT]]}
    if isinstance(value, type):
        return {"kind": "class", "name": text(value.__name__)}
    if callable(value):
        return {"kind": "function", "type": text(type(value).__name__)}
    return {"kind": "object", "type": text(type(value).__name__)}


def raised(error):
    """An exception raised by the student's code, as data."""
    return {"kind": "raised", "type": text(type(error).__name__), "message": text(error)}


def _torch():
    import sys

    return sys.modules.get("torch")  # never imported just for encoding: a value can't be a tensor without it
