"""Detect a submission that replaced library functions graders relies on.

A student may (by mistake or on purpose) rebind ``torch.nn.functional.conv2d``,
``np.allclose`` or a module's ``forward``. Graders computes its references with
these libraries, so before any check it makes sure that each function it uses
still comes from the library itself: a function defined in the notebook has
its code in ``__main__`` or in an IPython cell, never in site-packages.
"""
import functools
import importlib
import inspect
import os

from .checks import fail


#: "module:attribute.path" of everything the references and checks go through.
WATCHED = (
    "numpy:allclose", "numpy:array", "numpy:asarray", "numpy:abs", "numpy:max", "numpy:all", "numpy:sum",
    "numpy:sqrt", "numpy:correlate", "numpy:argmax", "numpy:isfinite", "numpy:ndarray.__eq__",
    "scipy.signal:correlate2d",
    "torch:conv2d", "torch:tensor", "torch:from_numpy", "torch:manual_seed", "torch:no_grad",
    "torch.nn.functional:conv2d", "torch.nn.functional:relu", "torch.nn.functional:max_pool2d",
    "torch.nn.functional:softmax", "torch.nn.functional:linear", "torch.nn.functional:dropout",
    "torch.nn.functional:adaptive_avg_pool2d",
    "torch.nn:Module.__call__", "torch.nn:Module._call_impl", "torch.nn:Module.eval", "torch.nn:Module.train",
    "torch.nn:Module.register_forward_hook", "torch.nn:Conv2d.forward", "torch.nn:Conv2d._conv_forward",
    "torch.nn:ReLU.forward", "torch.nn:MaxPool2d.forward", "torch.nn:Linear.forward",
    "torch.nn:Sequential.forward", "torch.nn:Dropout.forward",
    "torch:Tensor.detach", "torch:Tensor.numpy", "torch:Tensor.double", "torch:Tensor.cpu",
    "torch:Tensor.tolist", "torch:Tensor.reshape", "torch:Tensor.clone",
    "torchvision.models:vgg16", "torchvision.models:resnet50",
    "matplotlib.figure:Figure.add_subplot", "matplotlib.axes:Axes.imshow",
)


def _resolve(spec):
    module_name, _, path = spec.partition(":")
    obj = importlib.import_module(module_name)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _library_file(obj):
    """The file that defines obj, or None for a compiled builtin."""
    obj = inspect.unwrap(obj) if callable(obj) else obj
    code = getattr(obj, "__code__", None) or getattr(getattr(obj, "__func__", None), "__code__", None)
    return code.co_filename if code is not None else None


@functools.lru_cache(maxsize=1)
def _library_roots():
    import numpy
    import scipy
    import torch

    return tuple(os.path.dirname(os.path.dirname(m.__file__)) for m in (numpy, scipy, torch))


def tampered():
    """The watched names that no longer point to the libraries' own code."""
    changed = []
    for spec in WATCHED:
        try:
            obj = _resolve(spec)
        except (ImportError, AttributeError):
            changed.append(spec)
            continue
        if isinstance(obj, functools.partial):  # the libraries bind none of these names to a partial
            changed.append(spec)
            continue
        filename = _library_file(obj)
        if filename is None:
            if getattr(obj, "__module__", None) == "__main__":
                changed.append(spec)
            continue
        if not os.path.abspath(filename).startswith(_library_roots()):
            changed.append(spec)
    return changed


def require_untouched_libraries():
    """Fail, with the names involved, when the submission replaced a library function."""
    changed = tampered()
    if changed:
        names = ", ".join(spec.replace(":", ".") for spec in changed)
        fail("Le notebook a remplacé des fonctions de bibliothèques dont la correction a besoin "
             f"({names}). Ne modifiez pas numpy, scipy, torch ou matplotlib : définissez vos propres fonctions.")
