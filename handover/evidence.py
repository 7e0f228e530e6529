"""What the kernel says about itself when it hands values over: evidence for the
integrity report, never a verdict (a tampered kernel may lie here too)."""
import builtins
import functools
import inspect
import os
import sys

#: "module:attribute.path" of library functions a submission has no reason to replace.
WATCHED = (
    "numpy:allclose", "numpy:array", "numpy:asarray", "numpy:array_equal", "numpy:isclose", "numpy:ndarray.__eq__",
    "numpy.testing:assert_allclose",
    "torch:allclose", "torch:equal", "torch:tensor", "torch:from_numpy", "torch:Tensor.__eq__",
    "torch:Tensor.detach", "torch:Tensor.numpy", "torch:Tensor.tolist", "torch:Tensor.clone",
    "torch.nn.functional:conv2d", "torch.nn.functional:relu", "torch.nn.functional:max_pool2d",
    "torch.nn:Module.__call__", "torch.nn:Module._call_impl", "torch.nn:Module.eval", "torch.nn:Module.train",
    "torch.nn:Module.register_forward_hook", "torch.nn:Conv2d.forward",
    "matplotlib.figure:Figure.add_subplot", "matplotlib.axes:Axes.imshow",
    "IPython.core.interactiveshell:InteractiveShell.showtraceback",
    "IPython.core.interactiveshell:InteractiveShell._showtraceback",
    "IPython.core.interactiveshell:InteractiveShell.run_cell",
    "IPython.display:publish_display_data",
)
#: Modules whose code must come from the installed libraries or the course.
GUARDED_MODULES = ("numpy", "torch", "torchvision", "scipy", "matplotlib", "IPython", "ipykernel", "handover",
                   "graders")
BUILTINS = ("isinstance", "type", "len", "abs", "float", "int", "print", "open", "getattr", "hasattr", "all", "any")


def _roots():
    roots = {os.path.dirname(os.path.dirname(os.__file__)), os.path.dirname(__file__), sys.prefix, sys.base_prefix}
    return tuple(os.path.realpath(r) for r in roots)


def _outside(path, roots):
    return path is None or not os.path.realpath(path).startswith(roots)


def _resolve(spec):
    module_name, _, path = spec.partition(":")
    obj = sys.modules.get(module_name)
    if obj is None:
        return None
    for part in path.split("."):
        obj = inspect.getattr_static(obj, part, None)
        if obj is None:
            return None
    return obj


def _code_file(obj):
    """The file defining a function ("" for a compiled one), or the "<partial>" a partial is made in."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, functools.partial):
        return "<functools.partial>"
    code = getattr(obj, "__code__", None)
    if code is not None:
        return code.co_filename
    module = sys.modules.get(getattr(type(obj), "__module__", "") or "")
    return getattr(module, "__file__", "") or "" if not isinstance(obj, type) else ""


def kernel_evidence():
    """A list of {"flag", "detail"}: what looks changed in this kernel."""
    found = []
    try:
        roots = _roots()
        for spec in WATCHED:
            obj = _resolve(spec)
            filename = _code_file(obj) if obj is not None else ""
            if filename and _outside(filename, roots):
                found.append({"flag": "patched_library", "detail": f"{spec} is defined in {filename}"})
        for name in GUARDED_MODULES:
            module = sys.modules.get(name)
            if module is not None and _outside(getattr(module, "__file__", None), roots):
                flag = "patched_graders" if name in ("graders", "handover") else "sys_modules"
                found.append({"flag": flag, "detail": f"sys.modules[{name!r}] is not the installed module "
                                                      f"({getattr(module, '__file__', None)})"})
        expected = set(filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))) | {os.getcwd()}
        for entry in sys.path:
            if not entry or entry.startswith("__editable__"):  # '' and an editable install's path hook
                continue
            if _outside(entry, roots) and os.path.realpath(entry) not in {os.path.realpath(p) for p in expected}:
                found.append({"flag": "sys_path", "detail": f"sys.path holds {entry!r}"})
        for name in BUILTINS:
            if hasattr(getattr(builtins, name, None), "__code__"):
                found.append({"flag": "patched_library", "detail": f"builtins.{name} was replaced"})
        shell = _shell()
        if shell is not None:
            replaced = [n for n in ("showtraceback", "_showtraceback", "showsyntaxerror") if _replaced(shell, n, roots)]
            if replaced:
                found.append({"flag": "silenced_errors", "detail": f"the shell's {', '.join(replaced)} replaced"})
            if getattr(shell, "custom_exceptions", ()):
                found.append({"flag": "silenced_errors", "detail": "custom exception handlers installed"})
            found += _hooks(shell, roots)
    except Exception as error:  # evidence is best effort: a broken kernel still hands its values over
        found.append({"flag": "unreadable_kernel", "detail": type(error).__name__})
    return found[:50]


def _replaced(shell, name, roots):
    """A shell method replaced on the instance (ipykernel itself puts back its own bound method) or on its class."""
    own = getattr(type(shell), name, None)
    if name in vars(shell) and getattr(vars(shell)[name], "__func__", None) is not own:
        return True
    filename = _code_file(own) if own is not None else ""
    return bool(filename) and _outside(filename, roots)


def _hooks(shell, roots):
    """Code of the notebook that IPython runs around every cell: events, input transformers, display hook."""
    found = []
    callbacks = getattr(getattr(shell, "events", None), "callbacks", {}) or {}
    for event, functions in callbacks.items():
        for function in functions:
            filename = _code_file(getattr(function, "__func__", function))
            if filename and _outside(filename, roots):
                found.append({"flag": "kernel_hooks", "detail": f"a {event} event handler from {filename}"})
    for attribute in ("input_transformers_post", "ast_transformers"):
        for transformer in getattr(shell, attribute, []) or []:
            filename = _code_file(getattr(transformer, "__call__", transformer))
            if not filename or _outside(filename, roots):
                found.append({"flag": "kernel_hooks", "detail": f"an entry of shell.{attribute}"})
    hook = sys.displayhook
    if hook is not sys.__displayhook__ and not type(hook).__module__.startswith(("ipykernel.", "IPython.")):
        found.append({"flag": "kernel_hooks", "detail": "sys.displayhook replaced"})
    return found


def _shell():
    module = sys.modules.get("IPython")
    get_ipython = getattr(module, "get_ipython", None) if module is not None else None
    return get_ipython() if callable(get_ipython) else None


