"""Read a cell's code, without running it, for the lines of attack of ``flags``.

``scan_code(source, cell_label)`` returns ``Finding``\\ s. The cell is first
turned into plain Python by IPython's own input transformer (``%magic`` ->
``get_ipython().run_line_magic(...)``, ``!cmd`` -> ``get_ipython().system(...)``),
then parsed with ``ast``. What a name refers to is resolved through the
cell's imports and simple assignments (``import torch as t``, ``from torch
import nn``, ``T = torch.Tensor``, ``ip = get_ipython()``), through
``getattr(x, "name")`` with a name built from constants (``'ex' + 'ec'``,
``'cexe'[::-1]``, ``''.join([...])``), ``sys.modules['x']``, ``vars(x)`` and
``x.__dict__``. Code hidden in a string (``exec("...")``, ``exec(base64.b64decode(...))``,
a ``%%capture`` or ``%%writefile`` body) is decoded when it is constant and
scanned as well. A cell that still does not parse (an unfinished answer,
say) is scanned line by line with regular expressions; its findings say so
in ``where``.

The rules aim at no finding on ordinary student code: calling a library
(``np.allclose(a, b)``), setting its documented options
(``plt.rcParams[...] = ...``, ``torch.backends.cudnn.deterministic = True``,
``warnings.filterwarnings("ignore")``), reading one's own files
(``Image.open("cat.jpg")``) or reading an ordinary environment variable are
not flagged.
"""
import ast
import base64
import binascii
import builtins
import codecs
import re
import warnings
import zlib

from . import flags as F
from .files import SENSITIVE, shadowed, shadowing_reason
from .finding import Finding, short

__all__ = ["Context", "FAILED_NOTE", "Finding", "LONG_NOTE", "REGEX_NOTE", "notebook_context", "scan_code"]

#: Appended to ``where`` when a cell was scanned with regular expressions (it does not parse).
REGEX_NOTE = "(regex scan: not valid Python)"
#: Appended to ``where`` when the analysis of a cell failed (absurdly nested code...) and regexes took over.
FAILED_NOTE = "(regex scan: too complex to analyse)"
#: Appended to ``where`` when a cell was too long to analyse (more than ``MAX_SOURCE`` characters).
LONG_NOTE = "(regex scan: cell too long to analyse)"
#: Cells longer than this are scanned with regular expressions only (a notebook cell is rarely longer
#: than a few kB; the analysis of 500 kB of code takes a few seconds).
MAX_SOURCE = 500_000
#: Deepest nesting of code hidden in code (exec of a decoded string of an exec...).
MAX_DEPTH = 4
#: Longest decoded payload kept for a nested scan.
MAX_DECODED = 200_000

# --- what the rules know about -------------------------------------------------------------------

#: Top-level modules whose attributes the grading relies on: replacing one is ``patched_library``.
LIBRARIES = frozenset({
    "torch", "torchvision", "numpy", "scipy", "matplotlib", "IPython", "ipykernel", "builtins", "PIL",
    "sklearn", "math", "functools", "inspect", "operator", "numbers", "pandas",
})
#: Attribute stores into a library that are documented settings, not patches.
ALLOWED_STORES = ("torch.backends.",)
ALLOWED_STORE_NAMES = frozenset({"ast_node_interactivity"})
#: The course's own modules.
GRADER_ROOTS = ("graders", "handover", "course.grading", "course")

#: Dotted names (and everything under them) whose mere use is evidence.
REFERENCES = {
    F.SYS_MODULES: ("sys.modules",),
    F.SYS_PATH: ("sys.meta_path", "sys.path_hooks", "sys.path_importer_cache", "site", "importlib.machinery",
                 "importlib.abc", "importlib.invalidate_caches", "pkgutil.extend_path", "os.chdir", "os.fchdir",
                 "zipimport"),
    F.PATCHED_GRADERS: GRADER_ROOTS,
    F.SILENCED_ERRORS: ("sys.excepthook", "sys.__excepthook__", "sys.unraisablehook", "threading.excepthook",
                        "sys.__stderr__", "contextlib.redirect_stderr", "os.dup2", "sys.tracebacklimit",
                        "warnings.showwarning", "warnings.formatwarning"),
    F.KILLS_KERNEL: ("os._exit", "posix._exit", "sys.exit", "builtins.exit", "builtins.quit", "os.kill", "os.killpg",
                     "os.abort", "signal", "_thread.interrupt_main", "faulthandler._sigsegv", "faulthandler._sigabrt",
                     "faulthandler._fatal_error", "faulthandler._stack_overflow", "os.pidfd_open"),
    F.DETECTS_GRADING: ("os.environb", "posix.environ", "getpass", "pwd", "os.getlogin", "os.getuid", "os.geteuid",
                        "socket.gethostname", "socket.getfqdn", "platform.node", "platform.uname", "os.uname",
                        "sys.argv", "sys.orig_argv", "os.getppid", "psutil", "nbgrader", "nbclient",
                        "ipykernel.connect", "jupyter_client"),
    F.DYNAMIC_CODE: ("builtins.exec", "builtins.eval", "builtins.compile", "builtins.__import__", "builtins.execfile",
                     "importlib.import_module", "importlib.reload", "importlib.__import__", "importlib.util", "runpy",
                     "base64.b64decode", "base64.b32decode", "base64.b32hexdecode", "base64.b16decode",
                     "base64.a85decode", "base64.b85decode", "base64.z85decode", "base64.decodebytes",
                     "base64.standard_b64decode", "base64.urlsafe_b64decode", "base64.decode",
                     "binascii.a2b_base64", "binascii.a2b_hex", "binascii.unhexlify", "binascii.a2b_uu",
                     "binascii.a2b_qp", "builtins.bytes.fromhex", "builtins.bytearray.fromhex",
                     "codecs.decode", "codecs.encode", "codecs.getdecoder", "codecs.lookup", "codecs.iterdecode",
                     "zlib.decompress", "gzip.decompress", "bz2.decompress", "lzma.decompress", "marshal",
                     "pickle.loads", "pickle.load", "pickle.Unpickler", "_pickle", "dill", "cloudpickle.loads",
                     "cloudpickle.load", "ctypes", "_ctypes", "cffi", "types.FunctionType", "types.CodeType",
                     "types.LambdaType", "subprocess", "os.system", "os.popen", "os.execl", "os.execle", "os.execlp",
                     "os.execlpe", "os.execv", "os.execve", "os.execvp", "os.execvpe", "os.spawnl", "os.spawnle",
                     "os.spawnlp", "os.spawnlpe", "os.spawnv", "os.spawnve", "os.spawnvp", "os.spawnvpe",
                     "os.posix_spawn", "os.posix_spawnp", "pty.spawn", "code.InteractiveInterpreter",
                     "code.InteractiveConsole", "code.interact"),
    F.READS_GRADING_FILES: ("sys._getframe", "sys._current_frames", "inspect.currentframe", "inspect.stack",
                            "inspect.trace", "inspect.getouterframes", "inspect.getinnerframes", "gc.get_objects",
                            "gc.get_referrers", "gc.get_referents", "traceback.walk_stack", "linecache.getline",
                            "linecache.getlines", "sqlite3"),
}
_REFERENCE_RULES = tuple((prefix, flag) for flag, prefixes in REFERENCES.items() for prefix in prefixes)

#: Attribute names that are evidence on whatever object they are read or set.
ATTRIBUTES = {
    F.SILENCED_ERRORS: ("showtraceback", "_showtraceback", "set_custom_exc", "custom_exceptions", "InteractiveTB",
                        "SyntaxTB", "showsyntaxerror", "_render_traceback_", "excepthook"),
    F.DYNAMIC_CODE: ("input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                     "ast_transformers", "register_magic_function", "register_magics", "run_cell", "run_cell_async",
                     "run_code", "run_ast_nodes", "safe_execfile", "safe_run_module", "exec_module"),
    F.KILLS_KERNEL: ("do_shutdown", "ask_exit"),
    F.READS_GRADING_FILES: ("f_back", "f_locals", "f_globals", "tb_frame", "gi_frame", "cr_frame", "co_consts",
                            "co_names", "__closure__", "cell_contents", "__globals__"),
    F.FORGED_HANDOVER: ("iopub_socket", "iopub_thread", "pub_socket", "send_multipart"),
}
_ATTRIBUTE_RULES = {name: flag for flag, names in ATTRIBUTES.items() for name in names}

#: Classes whose subclasses may fake a number, an array, a tensor or a shape.
VALUE_TYPES = ("builtins.int", "builtins.float", "builtins.complex", "builtins.bool", "builtins.str",
               "builtins.bytes", "builtins.tuple", "builtins.list", "builtins.dict", "numpy.ndarray", "numpy.generic",
               "numpy.number", "numpy.integer", "numpy.floating", "numpy.float64", "numpy.float32", "numpy.int64",
               "numpy.int32", "numpy.bool_", "torch.Tensor", "torch.nn.Parameter", "torch.nn.parameter.Parameter",
               "torch.Size", "fractions.Fraction", "decimal.Decimal", "numbers")
#: Methods of such a subclass that change how it compares or converts.
VALUE_OVERRIDES = frozenset({
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__", "__int__", "__index__",
    "__complex__", "__abs__", "__sub__", "__rsub__", "__round__", "__hash__", "__array__", "__array_ufunc__",
    "__array_function__", "__array_priority__", "__torch_function__", "__len__", "__iter__", "__getitem__",
    "__instancecheck__", "__class__", "__new__",
})

#: Calls that name a file or folder to read or list (every constant path argument is checked).
FILE_CALLS = frozenset({
    "builtins.open", "io.open", "os.open", "codecs.open", "os.listdir", "os.scandir", "os.walk", "os.fwalk",
    "os.stat", "os.lstat", "os.readlink", "os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.getsize",
    "os.path.islink", "os.path.realpath", "os.path.abspath", "glob.glob", "glob.iglob", "shutil.copy",
    "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move", "shutil.rmtree", "shutil.make_archive",
    "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "numpy.load", "numpy.loadtxt", "numpy.genfromtxt",
    "numpy.fromfile", "numpy.memmap", "torch.load", "PIL.Image.open", "linecache.getline", "linecache.getlines",
    "pkgutil.get_data", "sqlite3.connect", "os.remove", "os.unlink", "os.rename", "os.replace", "os.symlink",
    "os.link", "os.mkdir", "os.makedirs", "os.chmod", "tarfile.open", "zipfile.ZipFile", "fileinput.input",
    "runpy.run_path", "importlib.util.spec_from_file_location", "os.chdir", "matplotlib.pyplot.imread",
    "imageio.imread", "imageio.v3.imread", "skimage.io.imread",
})
#: Calls creating a file or folder: (path, index of the argument that names what is created).
WRITE_CALLS = {"os.mkdir": 0, "os.makedirs": 0, "os.symlink": 1, "os.link": 1, "os.rename": 1, "os.replace": 1,
               "shutil.copy": 1, "shutil.copy2": 1, "shutil.copyfile": 1, "shutil.copytree": 1, "shutil.move": 1}
#: Methods of a ``pathlib.Path`` that create what it names.
PATH_WRITES = frozenset({"write_text", "write_bytes", "touch", "mkdir", "symlink_to", "hardlink_to"})
OPEN_CALLS = frozenset({"builtins.open", "io.open", "codecs.open"})
#: Calls that run code given as a string.
EXEC_CALLS = frozenset({"builtins.exec", "builtins.eval", "builtins.compile", "IPython.get_ipython().run_cell",
                        "IPython.get_ipython().run_cell_async", "IPython.get_ipython().ex",
                        "IPython.get_ipython().ev", "IPython.get_ipython().run_code"})
#: Calls returning the working directory (comparing it with a string tells a grading run).
CWD_CALLS = frozenset({"os.getcwd", "os.getcwdb", "pathlib.Path.cwd", "pathlib.Path().resolve",
                       "pathlib.Path().absolute", "os.path.abspath", "os.path.realpath"})
STRING_TESTS = frozenset({"startswith", "endswith", "find", "rfind", "index", "rindex", "count", "split",
                          "__contains__", "match", "search", "fullmatch", "__eq__", "partition", "rpartition"})
SETATTR_CALLS = frozenset({"builtins.setattr", "builtins.delattr", "builtins.object.__setattr__",
                           "builtins.object.__delattr__", "builtins.type.__setattr__", "builtins.type.__delattr__"})
#: Environment variables whose reading tells who or where the code runs.
ENV_PREFIXES = ("NBGRADER", "JPY_", "JUPYTER", "KERNEL", "IPYKERNEL", "SUDO_", "GITHUB_", "GITLAB_", "CONDA_")
ENV_NAMES = frozenset({"HOME", "USER", "USERNAME", "LOGNAME", "HOSTNAME", "PWD", "OLDPWD", "CI", "PATH",
                       "VIRTUAL_ENV", "SHELL", "MAIL", "PYTHONPATH", "TMPDIR", "PS1", "HOSTTYPE"})
#: Absolute paths a notebook may use freely.
FREE_PATHS = ("/tmp", "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/shm")
#: Shell commands / cell magics.
PYTHON_CELL_MAGICS = frozenset({"capture", "time", "timeit", "prun", "debug", "writefile"})
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system", "sx", "perl", "ruby"})
SUBPROCESS_CELL_MAGICS = frozenset({"python", "python2", "python3", "pypy"})

# --- text rules (string constants, shell commands, and the regex fallback) --------------------------

_STRING_RULES = (
    (F.FORGED_HANDOVER, re.compile(r"vnd\.course\.handover|handover\+json", re.I)),
    (F.PATCHED_GRADERS, re.compile(r"^(graders|handover)(\.(?!(py|pyc|pyw|so|pth)$)[A-Za-z_]\w*)*$")),
    (F.DETECTS_GRADING, re.compile(r"nbgrader|(?<![a-z])(autograded|submitted)(?![a-z])", re.I)),
    (F.READS_GRADING_FILES, re.compile(r"/opt/course|gradebook|nbgrader_config|course_config|"
                                       r"(^|/)(graders|handover)/|(^|[/\\])\.\.([/\\]|$)", re.I)),
    (F.SYS_PATH, re.compile(r"\bPYTHONPATH=")),
)
_SHELL_RULES = (
    (F.READS_GRADING_FILES, re.compile(r"(^|[\s'\"=])(\.\./|\.\.(?=[\s'\"]|$)|~/|/(?!tmp\b|dev/null\b)[A-Za-z_.])"
                                       r"|\b(graders|handover)\b")),
    (F.DETECTS_GRADING, re.compile(r"(^|[;&|(`]\s*)(env|printenv|hostname|whoami|uname)\b|"
                                   r"\$\{?(NBGRADER\w*|HOME|USER|LOGNAME|HOSTNAME|PWD)\b")),
    (F.KILLS_KERNEL, re.compile(r"\b(kill|pkill|killall|shutdown|reboot)\b")),
    (F.DYNAMIC_CODE, re.compile(r"\b(python[\d.]*|bash|sh|zsh|perl|ruby|node)\s+-[ce]\b|\|\s*(sh|bash|python[\d.]*)\b"
                                r"|\bbase64\s+(-d|--decode)\b|\beval\b")),
    (F.SYS_PATH, re.compile(r"PYTHONPATH|\bsite-packages\b|(^|[;&|]\s*)cd\s")),
    (F.SHADOWING_FILES, re.compile(r"\b(sitecustomize|usercustomize)\b|\.pth\b")),
)
_FALLBACK_RULES = (
    (F.PATCHED_LIBRARY, re.compile(
        r"\b(torch|np|numpy|scipy|plt|matplotlib|mpl|nn|F|TF|IPython|builtins|__builtins__|get_ipython\(\))"
        r"(\.(?!backends\b)\w+)+\s*(=(?!=)|\+=)|\b(setattr|delattr)\s*\(|\bvars\s*\([^)]*\)\s*\[[^\]]*\]\s*=(?!=)"
        r"|__dict__\s*\[[^\]]*\]\s*=(?!=)|\bdel\s+(torch|np|numpy|nn|F)\.")),
    (F.PATCHED_GRADERS, re.compile(r"\b(graders|handover)\b")),
    (F.SYS_MODULES, re.compile(r"\bsys\s*\.\s*modules\b|\bfrom\s+sys\s+import\b.*\bmodules\b")),
    (F.SYS_PATH, re.compile(r"\bsys\s*\.\s*(path\s*(\.\s*(insert|append|extend|remove|pop|clear)\b|\+?=(?!=)|\[)"
                            r"|meta_path|path_hooks|path_importer_cache)|PYTHONPATH|\bsite\s*\.|\bimport\s+site\b"
                            r"|\bos\s*\.\s*chdir\b|^\s*%cd\b")),
    (F.SILENCED_ERRORS, re.compile(r"showtraceback|set_custom_exc|custom_exceptions|InteractiveTB|excepthook|"
                                   r"sys\s*\.\s*stderr\s*=(?!=)|redirect_stderr|%xmode|tracebacklimit|"
                                   r"_render_traceback_|warnings\s*\.\s*(showwarning|formatwarning)\s*=(?!=)")),
    (F.ALWAYS_EQUAL, re.compile(r"__(eq|ne)__\s*=\s*lambda|\bdef\s+__(eq|ne)__\b|__instancecheck__|"
                                r"\bclass\s+\w+\s*\(\s*(int|float|complex|str|tuple|list|(torch\.)?Tensor|"
                                r"(np|numpy)\.ndarray)\s*[,)]")),
    (F.READS_GRADING_FILES, re.compile(r"(^|[/\\'\"])\.\.([/\\'\"]|$)|gradebook|/opt/course|\b__file__\b|"
                                       r"inspect\s*\.\s*(getsource\w*|getfile|stack|currentframe)|_getframe|"
                                       r"\bf_(back|locals|globals)\b|co_consts|__closure__|__globals__|"
                                       r"\b(open|listdir|scandir|walk|glob|Path)\s*\(\s*[rbf]?['\"](/(?!tmp\b)|~)")),
    (F.DETECTS_GRADING, re.compile(r"\bos\s*\.\s*(environ|getenv|getlogin|uname)|getpass|gethostname|"
                                   r"platform\s*\.\s*(node|uname)|nbgrader|autograded|\bsubmitted\b|"
                                   r"getcwd\(\)\s*(==|!=|\.startswith|\.endswith)|\bin\s+os\s*\.\s*getcwd\(|"
                                   r"\bsys\s*\.\s*argv\b|^\s*%env\b")),
    (F.DYNAMIC_CODE, re.compile(r"(?<![.\w])(exec|eval|compile|__import__|execfile)\s*\(|import_module|"
                                r"\b(b64decode|b32decode|b16decode|a85decode|b85decode|unhexlify|fromhex)\b|"
                                r"\bcodecs\s*\.\s*(decode|encode)|\bmarshal\b|\bpickle\s*\.\s*loads?\b|\bctypes\b|"
                                r"\bsubprocess\b|\bos\s*\.\s*(system|popen|exec\w*|spawn\w*)\s*\(|\brun_cell\b|"
                                r"input_transformers|ast_transformers|^\s*%run\b")),
    (F.KILLS_KERNEL, re.compile(r"\bos\s*\.\s*(_exit|kill|killpg|abort)\b|\bsys\s*\.\s*exit\b|"
                                r"(?<![.\w])(exit|quit)\s*\(|\bsignal\s*\.|\bSystemExit\b|\bimport\s+signal\b|"
                                r"do_shutdown|ask_exit")),
    (F.FORGED_HANDOVER, re.compile(r"vnd\.course|handover\+json|iopub_socket|send_multipart")),
    (F.SHADOWING_FILES, re.compile(r"%%writefile\s+(-a\s+)?['\"]?(graders|handover|sitecustomize|usercustomize)"
                                   r"|\.pth\b")),
)

_BUILTIN_NAMES = frozenset(dir(builtins))
_transformer = None


def _transform(source):
    """The cell as plain Python (magics and shell escapes made into calls), or the source unchanged."""
    global _transformer
    if _transformer is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _transformer = TransformerManager()
    try:
        return _transformer.transform_cell(source)
    except Exception:  # IPython gives up on some broken input: the parser will tell
        return source


def _parse(code):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning: invalid escape sequence... in student code
        try:
            return ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return None


def _is_outside(path):
    """Does a path name something outside the notebook's folder?"""
    path = path.strip()
    if not path or "\n" in path:
        return False
    if path.startswith("~"):
        return True
    if path.startswith("/"):
        return not any(path == free or path.startswith(free + "/") for free in FREE_PATHS)
    return ".." in re.split(r"[/\\]", path)


def _env_suspicious(key):
    key = key.upper()
    return key in ENV_NAMES or key.startswith(ENV_PREFIXES)


def _matches(path, prefix):
    return path == prefix or path.startswith(prefix + ".")


def _root(path):
    return path.split(".")[0].split("(")[0]


def _normalize(path):
    parts = path.split(".")
    if "__builtins__" in parts:
        parts = ["builtins"] + parts[parts.index("__builtins__") + 1:]
    return ".".join(parts)


# --- the collector ------------------------------------------------------------------------------


class _Sink:
    """Findings of one cell, one per (flag, line), in line order."""

    def __init__(self, label, lines, note=""):
        self.label = label
        self.lines = lines
        self.note = note
        self.found = {}

    def add(self, flag, line, evidence):
        key = (flag, line)
        if key not in self.found:
            where = f"{self.label}, line {line}" + (f" {self.note}" if self.note else "")
            self.found[key] = Finding(flag, where, short(evidence))

    def line(self, number):
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def findings(self):
        return [self.found[key] for key in sorted(self.found, key=lambda k: (k[1], list(F.FLAGS).index(k[0])
                                                                             if k[0] in F.FLAGS else 99))]


class _Place:
    """Maps a line of the code being scanned to a line of the cell and its evidence text."""

    def __init__(self, sink, code_lines, offset=0, fixed=None, prefix=""):
        self.sink = sink
        self.code_lines = code_lines
        self.offset = offset
        self.fixed = fixed  # code hidden in a string: everything is on the line of that string
        self.prefix = prefix

    def report(self, flag, lineno):
        if self.fixed is not None:
            inner = self.code_lines[lineno - 1].strip() if 0 < lineno <= len(self.code_lines) else ""
            evidence = f"{self.prefix} [{inner}]" if inner else self.prefix
            self.sink.add(flag, self.fixed, evidence)
            return
        line = lineno + self.offset
        text = self.sink.line(line)
        if not text.strip() and 0 < lineno <= len(self.code_lines):
            text = self.code_lines[lineno - 1]
        self.sink.add(flag, line, text.strip())

    def nested(self, lineno, code):
        """Where code found in a string on ``lineno`` is reported: that line, with the inner line as evidence."""
        if self.fixed is not None:
            return _Place(self.sink, code.splitlines(), fixed=self.fixed, prefix=self.prefix)
        line = lineno + self.offset
        return _Place(self.sink, code.splitlines(), fixed=line, prefix=short(self.sink.line(line).strip(), 100))

    def shifted(self, lineno, code, by):
        """Where the body of a cell magic (starting ``by`` lines below ``lineno``) is reported."""
        if self.fixed is not None:
            return self.nested(lineno, code)
        return _Place(self.sink, code.splitlines(), offset=self.offset + lineno - 1 + by)


# --- the analysis -------------------------------------------------------------------------------


#: Names a notebook conventionally gives its modules: used when no cell binds the name otherwise.
CONVENTIONAL = {
    "np": "numpy", "numpy": "numpy", "torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional",
    "plt": "matplotlib.pyplot", "mpl": "matplotlib", "matplotlib": "matplotlib", "TF": "torchvision.transforms.functional",
    "torchvision": "torchvision", "models": "torchvision.models", "scipy": "scipy", "Image": "PIL.Image",
    "sys": "sys", "os": "os", "IPython": "IPython", "math": "math", "warnings": "warnings", "builtins": "builtins",
    "importlib": "importlib", "inspect": "inspect", "base64": "base64", "signal": "signal",
    "subprocess": "subprocess", "socket": "socket", "platform": "platform", "getpass": "getpass",
    "ctypes": "ctypes", "pickle": "pickle", "marshal": "marshal", "codecs": "codecs", "types": "types",
    "graders": "graders", "handover": "handover", "pd": "pandas", "pathlib": "pathlib", "Path": "pathlib.Path",
    "glob": "glob", "shutil": "shutil", "gc": "gc", "site": "site", "io": "io", "functools": "functools",
}


class Context:
    """What the other cells of a notebook define: module aliases, bound names, constant strings...

    ``notebook_context(sources)`` builds one; ``scan_code`` uses it so that a
    cell using ``np`` imported by the setup cell is read correctly.
    """

    def __init__(self):
        self.aliases = {}
        self.bound = set()
        self.constants = {}
        self.cwd_names = set()
        self.true_functions = set()
        self.false_functions = set()

    def copy(self):
        other = Context()
        other.aliases = {name: set(paths) for name, paths in self.aliases.items()}
        other.bound = set(self.bound)
        other.constants = dict(self.constants)
        other.cwd_names = set(self.cwd_names)
        other.true_functions = set(self.true_functions)
        other.false_functions = set(self.false_functions)
        return other


def notebook_context(sources):
    """The ``Context`` of a notebook's code cells (sources that do not parse are skipped)."""
    context = Context()
    for source in sources:
        if len(source) > MAX_SOURCE:
            continue
        tree = _parse(source) or _parse(_transform(source))
        if tree is not None:
            names = _Names(tree, context)
            context = names.context
    return context


class _Names:
    """Pass 1 over a tree: the names it binds, on top of a context."""

    def __init__(self, tree, context=None):
        self.tree = tree
        self.context = context.copy() if context is not None else Context()
        self.local = set()
        self.docstrings = set()
        self._collect()

    def _collect(self):
        context = self.context
        self.nodes = list(ast.walk(self.tree))
        binders = []
        for node in self.nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.For)):
                binders.append(node)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                        and isinstance(body[0].value.value, str):
                    self.docstrings.add(body[0].value)
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.local.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.local.add(node.name)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    verdict = _constant_result(node)
                    if verdict is True:
                        context.true_functions.add(node.name)
                    elif verdict is False:
                        context.false_functions.add(node.name)
            elif isinstance(node, ast.arg):
                self.local.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.local.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    self.local.add((alias.asname or alias.name).split(".")[0])
        context.bound |= self.local
        for _ in range(3):  # a = np; b = a; ... (until nothing changes)
            before = self._size()
            for node in binders:
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            self._alias(alias.asname, {alias.name})
                        else:
                            root = alias.name.split(".")[0]
                            self._alias(root, {root})
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        if alias.name != "*":
                            self._alias(alias.asname or alias.name, {f"{node.module}.{alias.name}"})
                elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        self._bind(target, node.value)
                elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) \
                        and isinstance(node.iter, (ast.List, ast.Tuple, ast.Set)):
                    paths = set().union(*(self.resolver.resolve(e) for e in node.iter.elts)) \
                        if node.iter.elts else set()
                    if paths:
                        self._alias(node.target.id, paths)
            if self._size() == before:
                break

    def _size(self):
        context = self.context
        return (sum(map(len, context.aliases.values())), len(context.constants), len(context.cwd_names),
                len(context.true_functions), len(context.false_functions))

    @property
    def resolver(self):
        return _Resolver(self.context)

    def _alias(self, name, paths):
        paths = {_normalize(p) for p in paths if p}
        if paths:
            self.context.aliases.setdefault(name, set()).update(paths)

    def _bind(self, target, value):
        if isinstance(target, ast.Name):
            resolver = self.resolver
            paths = resolver.resolve(value)
            if paths:
                self._alias(target.id, paths)
            text = resolver.fold(value)
            if text is not None:
                self.context.constants.setdefault(target.id, text)
            if resolver.has_cwd(value):
                self.context.cwd_names.add(target.id)
            if isinstance(value, ast.Lambda):
                verdict = _constant_value(value.body)
                if verdict is True:
                    self.context.true_functions.add(target.id)
                elif verdict is False:
                    self.context.false_functions.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts):
                self._bind(t, v)



class _Resolver:
    """What an expression stands for (a dotted name) or evaluates to (a constant string), in a context."""

    def __init__(self, context):
        self.context = context

    def resolve(self, node, depth=0):
        """The dotted names ``node`` may stand for ({"torch.nn.Module"}, {"os._exit"}...), or an empty set."""
        if depth > 20:
            return set()
        if isinstance(node, ast.Name):
            if node.id in self.context.aliases:
                return set(self.context.aliases[node.id])
            if node.id == "__builtins__":
                return {"builtins"}
            if node.id == "get_ipython" and node.id not in self.context.bound:
                return {"IPython.get_ipython"}
            if node.id in CONVENTIONAL and node.id not in self.context.bound:
                return {CONVENTIONAL[node.id]}
            if node.id in _BUILTIN_NAMES and node.id not in self.context.bound:
                return {f"builtins.{node.id}"}
            return set()
        if isinstance(node, ast.Attribute):
            return {_normalize(f"{p}.{node.attr}") for p in self.resolve(node.value, depth + 1)}
        if isinstance(node, ast.Subscript):
            bases = self.resolve(node.value, depth + 1)
            key = self.fold(node.slice)
            result = set()
            for base in bases:
                if base == "sys.modules" and isinstance(key, str):
                    result.add(key)
                elif base.endswith(".__dict__"):
                    result.add(_normalize(f"{base[:-9]}.{key if isinstance(key, str) else '*'}"))
                elif base == "builtins" and isinstance(key, str):
                    result.add(f"builtins.{key}")
            return result
        if isinstance(node, ast.Call):
            funcs = self.resolve(node.func, depth + 1)
            result = set()
            for func in funcs:
                if func.endswith("get_ipython"):
                    result.add("IPython.get_ipython()")
                elif func in ("builtins.getattr", "builtins.object.__getattribute__", "builtins.type.__getattribute__",
                              "inspect.getattr_static") and len(node.args) >= 2:
                    name = self.fold(node.args[1])
                    name = name if isinstance(name, str) and name.isidentifier() else "*"
                    result |= {_normalize(f"{p}.{name}") for p in self.resolve(node.args[0], depth + 1)}
                elif func in ("builtins.__import__", "importlib.import_module", "importlib.__import__") and node.args:
                    name = self.fold(node.args[0])
                    if isinstance(name, str):
                        result.add(name)
                elif func == "importlib.reload" and node.args:
                    result |= self.resolve(node.args[0], depth + 1)
                elif func == "sys.modules.get" and node.args:
                    name = self.fold(node.args[0])
                    if isinstance(name, str):
                        result.add(name)
                elif func == "builtins.vars" and node.args:
                    result |= {f"{p}.__dict__" for p in self.resolve(node.args[0], depth + 1)}
                elif func in ("builtins.globals", "builtins.locals"):
                    result.add("__main__.__dict__")
                elif func in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"):
                    result.add("pathlib.Path()")
            return result
        return set()

    def fold(self, node, depth=0):
        """The constant ``str`` (or ``bytes``) an expression evaluates to, or None."""
        if depth > 30 or node is None:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, (str, bytes)) else None
        if isinstance(node, ast.Name):
            return self.context.constants.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue):
                    inner = self.fold(value.value, depth + 1)
                    if not isinstance(inner, str):
                        return None
                    parts.append(inner)
                else:
                    return None
            return "".join(parts)
        if isinstance(node, ast.BinOp):
            left, right = self.fold(node.left, depth + 1), self.fold(node.right, depth + 1)
            if isinstance(node.op, ast.Add) and type(left) is type(right) and left is not None:
                return left + right
            if isinstance(node.op, ast.Div) and isinstance(left, str) and isinstance(right, str):
                return f"{left.rstrip('/')}/{right}"  # pathlib.Path('a') / 'b'
            if isinstance(node.op, ast.Mult) and isinstance(left, (str, bytes)) and isinstance(node.right, ast.Constant) \
                    and isinstance(node.right.value, int) and 0 <= node.right.value <= 100:
                return left * node.right.value
            return None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            value = self.fold(node.value, depth + 1)
            bounds = [b.value if isinstance(b, ast.Constant) and isinstance(b.value, int) else
                      (-b.operand.value if isinstance(b, ast.UnaryOp) and isinstance(b.op, ast.USub)
                       and isinstance(b.operand, ast.Constant) and isinstance(b.operand.value, int) else "?")
                      if b is not None else None for b in (node.slice.lower, node.slice.upper, node.slice.step)]
            if value is None or "?" in bounds or bounds[2] == 0:
                return None
            return value[slice(*bounds)]
        if isinstance(node, ast.Call):
            return self._fold_call(node, depth)
        return None

    def _fold_call(self, node, depth):
        func = node.func
        args = [self.fold(a, depth + 1) for a in node.args]
        if isinstance(func, ast.Attribute):
            method = func.attr
            value = self.fold(func.value, depth + 1)
            if method == "join" and isinstance(value, str) and len(node.args) == 1:
                items = self._fold_items(node.args[0], depth)
                return value.join(items) if items is not None else None
            if isinstance(value, str) and method in ("lower", "upper", "strip", "lstrip", "rstrip", "title",
                                                     "capitalize", "swapcase", "casefold") and not node.args:
                return getattr(value, method)()
            if isinstance(value, (str, bytes)) and method == "replace" and len(args) == 2 \
                    and all(type(a) is type(value) for a in args):
                return value.replace(*args)
            if isinstance(value, str) and method == "encode":
                return value.encode("utf-8", "replace")
            if isinstance(value, bytes) and method == "decode":
                return value.decode("utf-8", "replace")
        paths = self.resolve(func)
        try:
            if paths & {"base64.b64decode", "base64.standard_b64decode", "base64.decodebytes"} and args \
                    and args[0] is not None:
                return base64.b64decode(args[0])[:MAX_DECODED]
            if "base64.urlsafe_b64decode" in paths and args and args[0] is not None:
                return base64.urlsafe_b64decode(args[0])[:MAX_DECODED]
            if "base64.b32decode" in paths and args and args[0] is not None:
                return base64.b32decode(args[0])[:MAX_DECODED]
            if "base64.b16decode" in paths and args and args[0] is not None:
                return base64.b16decode(args[0], casefold=True)[:MAX_DECODED]
            if "base64.b85decode" in paths and args and args[0] is not None:
                return base64.b85decode(args[0])[:MAX_DECODED]
            if "base64.a85decode" in paths and args and args[0] is not None:
                return base64.a85decode(args[0])[:MAX_DECODED]
            if paths & {"binascii.unhexlify", "binascii.a2b_hex", "builtins.bytes.fromhex",
                        "builtins.bytearray.fromhex"} and args and args[0] is not None:
                return binascii.unhexlify(args[0])[:MAX_DECODED]
            if "zlib.decompress" in paths and args and isinstance(args[0], bytes):
                return zlib.decompressobj().decompress(args[0], MAX_DECODED)
            if paths & {"codecs.decode", "codecs.encode"} and args and args[0] is not None:
                encoding = args[1] if len(args) > 1 else "utf-8"
                if isinstance(encoding, str) and encoding.replace("-", "_").lower() in (
                        "rot13", "rot_13", "base64", "base_64", "hex", "hex_codec", "zlib", "utf_8", "utf8",
                        "latin_1", "ascii", "base64_codec"):
                    decoded = (codecs.decode if "codecs.decode" in paths else codecs.encode)(args[0], encoding)
                    return decoded[:MAX_DECODED]
            if "builtins.chr" in paths and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, int):
                return chr(node.args[0].value)
            if paths & {"builtins.str", "builtins.bytes"} and len(args) == 1 and isinstance(args[0], (str, bytes)):
                return args[0]
            if "builtins.bytes" in paths and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)):
                values = [e.value for e in node.args[0].elts if isinstance(e, ast.Constant)]
                if len(values) == len(node.args[0].elts) and all(isinstance(v, int) and 0 <= v < 256 for v in values):
                    return bytes(values)
            if paths & {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"} and args \
                    and all(isinstance(a, str) for a in args):
                return "/".join(a.rstrip("/") for a in args[:-1]) + ("/" if len(args) > 1 else "") + args[-1]
        except (ValueError, TypeError, binascii.Error, zlib.error, LookupError, OverflowError):
            return None
        return None

    def _fold_items(self, node, depth):
        """The constant strings of a list, tuple, generator or map(chr, ...) (for ''.join)."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.fold(e, depth + 1) for e in node.elts]
            return items if all(isinstance(i, str) for i in items) else None
        if isinstance(node, ast.Call) and "builtins.map" in self.resolve(node.func) and len(node.args) == 2 \
                and "builtins.chr" in self.resolve(node.args[0]) and isinstance(node.args[1], (ast.List, ast.Tuple)):
            values = [e.value for e in node.args[1].elts if isinstance(e, ast.Constant)]
            if len(values) == len(node.args[1].elts) and all(isinstance(v, int) and 0 <= v < 0x110000 for v in values):
                return [chr(v) for v in values]
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)) and len(node.generators) == 1:
            gen = node.generators[0]
            if isinstance(node.elt, ast.Call) and "builtins.chr" in self.resolve(node.elt.func) \
                    and isinstance(gen.target, ast.Name) and len(node.elt.args) == 1 \
                    and isinstance(node.elt.args[0], ast.Name) and node.elt.args[0].id == gen.target.id \
                    and isinstance(gen.iter, (ast.List, ast.Tuple)) and not gen.ifs:
                values = [e.value for e in gen.iter.elts if isinstance(e, ast.Constant)]
                if len(values) == len(gen.iter.elts) and all(isinstance(v, int) and 0 <= v < 0x110000
                                                             for v in values):
                    return [chr(v) for v in values]
        return None

    def has_cwd(self, node):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and self.resolve(sub.func) & CWD_CALLS:
                return True
            if isinstance(sub, ast.Name) and sub.id in self.context.cwd_names:
                return True
        return False



class _Analysis(_Resolver):
    """Pass 2 over a tree: every rule, node by node."""

    def __init__(self, tree, place, depth, context=None):
        names = _Names(tree, context)
        super().__init__(names.context)
        self.tree = tree
        self.nodes = names.nodes
        self.place = place
        self.depth = depth
        self.docstrings = names.docstrings
        self.parents = {}
        for node in self.nodes:
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    # ..... rules ..........................................................................

    def flag(self, flag, node):
        self.place.report(flag, getattr(node, "lineno", 1))

    def run(self):
        for node in self.nodes:
            handler = getattr(self, f"_on_{type(node).__name__}", None)
            if handler is not None:
                handler(node)

    def _reference(self, path, node):
        for prefix, flag in _REFERENCE_RULES:
            if _matches(path, prefix):
                self.flag(flag, node)

    def _attribute_name(self, name, node, store=False):
        flag = _ATTRIBUTE_RULES.get(name)
        if flag:
            self.flag(flag, node)
        if store and name == "__code__":
            self.flag(F.DYNAMIC_CODE, node)

    def _store(self, path, node, value=None):
        """``path`` (a dotted name) is assigned, deleted or set with setattr."""
        root = _root(path)
        name = path.rsplit(".", 1)[-1]
        if any(_matches(path, prefix) for prefix in GRADER_ROOTS):
            self.flag(F.PATCHED_GRADERS, node)
        if root in LIBRARIES and "." in path and not path.startswith(ALLOWED_STORES) \
                and name not in ALLOWED_STORE_NAMES:
            self.flag(F.PATCHED_LIBRARY, node)
        if path in ("sys.path", "sys.meta_path", "sys.path_hooks"):
            self.flag(F.SYS_PATH, node)
        if path in ("sys.stderr", "sys.__stderr__", "sys.tracebacklimit") or root == "warnings" and "." in path:
            self.flag(F.SILENCED_ERRORS, node)
        if path.startswith("sys.modules"):
            self.flag(F.SYS_MODULES, node)
        self._attribute_name(name, node, store=True)
        if value is not None:
            self._always_equal_value(name, value, node)

    def _always_equal_value(self, name, value, node):
        if name not in ("__eq__", "__ne__"):
            return
        verdict = self._value_verdict(value)
        if verdict is (name == "__eq__"):
            self.flag(F.ALWAYS_EQUAL, node)

    def _value_verdict(self, value):
        if isinstance(value, ast.Lambda):
            return _constant_value(value.body)
        if isinstance(value, ast.Name):
            if value.id in self.context.true_functions:
                return True
            if value.id in self.context.false_functions:
                return False
        return None

    # ..... per node type ..................................................................

    def _on_Import(self, node):
        for alias in node.names:
            self._reference(alias.name, node)

    def _on_ImportFrom(self, node):
        if node.module and not node.level:
            self._reference(node.module, node)
            for alias in node.names:
                if alias.name != "*":
                    self._reference(f"{node.module}.{alias.name}", node)

    def _on_Name(self, node):
        for path in self.resolve(node):
            self._reference(path, node)
            if path == "os.environ":
                self._environ(node)
        if node.id in ("__builtins__",) and isinstance(node.ctx, ast.Store):
            self.flag(F.PATCHED_LIBRARY, node)

    def _on_Attribute(self, node):
        paths = self.resolve(node)
        store = isinstance(node.ctx, (ast.Store, ast.Del))
        for path in paths:
            self._reference(path, node)
            if path in ("os.environ", "posix.environ"):
                self._environ(node)
            if path.rsplit(".", 1)[-1] in ("__file__", "__path__", "__spec__", "__loader__", "__cached__") \
                    and any(_matches(path, prefix) for prefix in GRADER_ROOTS):
                self.flag(F.READS_GRADING_FILES, node)
        if store:
            for path in {f"{p}.{node.attr}" for p in self.resolve(node.value)}:
                self._store(_normalize(path), node, self._assigned_value(node))
        self._attribute_name(node.attr, node, store=store)
        if store and node.attr in ("__eq__", "__ne__"):
            value = self._assigned_value(node)
            if value is not None:
                self._always_equal_value(node.attr, value, node)
        if node.attr == "register" and isinstance(node.value, ast.Attribute) and node.value.attr == "events":
            self.flag(F.DYNAMIC_CODE, node)
        if node.attr in ("parent", "parents") and self.has_cwd(node.value):
            self.flag(F.READS_GRADING_FILES, node)

    def _assigned_value(self, target):
        parent = self.parents.get(target)
        if isinstance(parent, ast.Assign) and target in parent.targets:
            return parent.value
        return None

    def _on_Subscript(self, node):
        store = isinstance(node.ctx, (ast.Store, ast.Del))
        key = self.fold(node.slice)
        for base in self.resolve(node.value):
            if store and base == "sys.path":
                self.flag(F.SYS_PATH, node)
            if base.endswith(".__dict__"):
                path = _normalize(f"{base[:-9]}.{key if isinstance(key, str) else '*'}")
                if store:
                    self._store(path, node, self._assigned_value(node))
                else:
                    self._reference(path, node)
                    self._attribute_name(path.rsplit(".", 1)[-1], node)
                if not isinstance(key, str) and _root(base) in ("builtins", "__main__", "os", "sys", "importlib"):
                    self.flag(F.DYNAMIC_CODE, node)
        for path in self.resolve(node):
            self._reference(path, node)

    def _on_Constant(self, node):
        if node in self.docstrings:
            return
        value = node.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):
            self._text(value, node)

    def _text(self, text, node, rules=_STRING_RULES):
        for flag, pattern in rules:
            if pattern.search(text):
                self.flag(flag, node)

    def _folded(self, node):
        text = self.fold(node)
        if text is None:
            return
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        self._text(text, node)

    _on_BinOp = _folded
    _on_JoinedStr = _folded

    def _on_ClassDef(self, node):
        bases = set().union(*(self.resolve(b) for b in node.bases)) if node.bases else set()
        value_type = any(_matches(base, prefix) for base in bases for prefix in VALUE_TYPES)
        members = {}
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                members[statement.name] = statement
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        members[target.id] = statement.value
        self._class_members(members, value_type, node)
        if "_render_traceback_" in members:
            self.flag(F.SILENCED_ERRORS, node)

    def _class_members(self, members, value_type, node):
        for name in ("__eq__", "__ne__"):
            member = members.get(name)
            if member is None:
                continue
            verdict = _constant_result(member) if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                else self._value_verdict(member)
            if verdict is (name == "__eq__"):
                self.flag(F.ALWAYS_EQUAL, node)
        if {"__instancecheck__", "__subclasscheck__", "__class__"} & set(members):
            self.flag(F.ALWAYS_EQUAL, node)
        if value_type and VALUE_OVERRIDES & set(members):
            self.flag(F.ALWAYS_EQUAL, node)

    def _on_FunctionDef(self, node):
        if node.name == "_render_traceback_":
            self.flag(F.SILENCED_ERRORS, node)

    _on_AsyncFunctionDef = _on_FunctionDef

    def _on_Raise(self, node):
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if exc is not None and "builtins.SystemExit" in self.resolve(exc):
            self.flag(F.KILLS_KERNEL, node)

    def _on_Compare(self, node):
        if self.has_cwd(node):
            self.flag(F.DETECTS_GRADING, node)

    def _environ(self, node):
        """``node`` is ``os.environ``: judge what is done with it."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.Subscript) and parent.value is node:
            key = self.fold(parent.slice)
            if isinstance(parent.ctx, ast.Load):
                if not isinstance(key, str) or _env_suspicious(key):
                    self.flag(F.DETECTS_GRADING, node)
            elif key == "PYTHONPATH":
                self.flag(F.SYS_PATH, node)
            return
        if isinstance(parent, ast.Attribute) and parent.value is node:
            call = self.parents.get(parent)
            args = call.args if isinstance(call, ast.Call) and call.func is parent else []
            key = self.fold(args[0]) if args else None
            if parent.attr in ("get", "pop", "setdefault", "__getitem__", "__contains__", "getenv"):
                if parent.attr == "setdefault" and key == "PYTHONPATH":
                    self.flag(F.SYS_PATH, node)
                elif not isinstance(key, str) or _env_suspicious(key):
                    self.flag(F.DETECTS_GRADING, node)
            elif parent.attr in ("update", "__setitem__", "putenv"):
                keys = []
                for arg in args:
                    if isinstance(arg, ast.Dict):
                        keys += [self.fold(k) for k in arg.keys if k is not None]
                    else:
                        keys.append(self.fold(arg))
                if isinstance(call, ast.Call):
                    keys += [k.arg for k in call.keywords]
                if "PYTHONPATH" in keys:
                    self.flag(F.SYS_PATH, node)
            elif parent.attr in ("copy", "items", "keys", "values", "__iter__", "__repr__", "__str__", "_data",
                                 "__dict__"):
                self.flag(F.DETECTS_GRADING, node)
            return
        if isinstance(parent, ast.Compare) and node in parent.comparators:
            key = self.fold(parent.left)
            if not isinstance(key, str) or _env_suspicious(key):
                self.flag(F.DETECTS_GRADING, node)
            return
        if isinstance(parent, (ast.Assign, ast.NamedExpr)) and parent.value is node:
            return  # env = os.environ: its uses are judged where they are
        self.flag(F.DETECTS_GRADING, node)  # the whole environment: printed, copied, iterated...

    def _on_Call(self, node):
        funcs = self.resolve(node.func)
        for path in self.resolve(node):
            self._reference(path, node)
            self._attribute_name(path.rsplit(".", 1)[-1], node)
        self._folded(node)
        for func in funcs:
            self._call(func, node)
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in STRING_TESTS and self.has_cwd(node.func.value):
                self.flag(F.DETECTS_GRADING, node)
            if method in ("setattr", "delattr", "__setattr__", "__delattr__") and funcs.isdisjoint(SETATTR_CALLS):
                self._setattr_like(node, method)
            if method in PATH_WRITES or (method == "open" and self._write_mode(node, 0)):
                target = self.fold(node.func.value)
                if isinstance(target, str):
                    self._written(target, node)
            if method in ("update", "__setitem__", "setdefault", "pop", "clear", "popitem", "__delitem__"):
                for base in self.resolve(node.func.value):
                    if base.endswith(".__dict__"):
                        self._store(f"{base[:-9]}.*", node)
                    elif base == "sys.path":
                        self.flag(F.SYS_PATH, node)

    def _call(self, func, node):
        args = node.args
        name = func.rsplit(".", 1)[-1]
        if func in SETATTR_CALLS:
            self._setattr_like(node, name)
        elif func in ("os.getenv", "os.getenvb", "posix.getenv"):
            key = self.fold(args[0]) if args else None
            if not isinstance(key, str) or _env_suspicious(key):
                self.flag(F.DETECTS_GRADING, node)
        elif func in ("os.putenv", "os.unsetenv") and args and self.fold(args[0]) == "PYTHONPATH":
            self.flag(F.SYS_PATH, node)
        elif func in ("sys.path.insert", "sys.path.append", "sys.path.extend", "sys.path.remove", "sys.path.pop",
                      "sys.path.clear", "sys.path.__setitem__", "sys.path.__iadd__", "sys.path.reverse",
                      "sys.path.sort", "sys.path.__delitem__"):
            self.flag(F.SYS_PATH, node)
        elif func in ("builtins.type",) and len(args) == 3 and isinstance(args[2], ast.Dict):
            bases = set()
            if isinstance(args[1], (ast.Tuple, ast.List)):
                bases = set().union(*(self.resolve(b) for b in args[1].elts)) if args[1].elts else set()
            members = {self.fold(k): v for k, v in zip(args[2].keys, args[2].values) if k is not None}
            members = {k: v for k, v in members.items() if isinstance(k, str)}
            value_type = any(_matches(base, prefix) for base in bases for prefix in VALUE_TYPES)
            self._class_members(members, value_type, node)
        elif name == "register" and (_matches(func, "numbers") or _matches(func, "collections.abc")
                                     or func.startswith("builtins.") or func.startswith("numpy.")
                                     or func.startswith("torch.")):
            self.flag(F.ALWAYS_EQUAL, node)
        elif func in ("unittest.mock.patch", "mock.patch", "unittest.mock.patch.object", "mock.patch.object",
                      "unittest.mock.patch.multiple", "mock.patch.multiple", "unittest.mock.patch.dict",
                      "mock.patch.dict"):
            target = self.fold(args[0]) if args else None
            if isinstance(target, str):
                self._store(target, node)
            elif args:
                attribute = self.fold(args[1]) if len(args) > 1 else None
                for base in self.resolve(args[0]):
                    self._store(f"{base}.{attribute if isinstance(attribute, str) else '*'}", node)
        elif func in ("builtins.getattr", "builtins.hasattr") and len(args) >= 2 \
                and not isinstance(self.fold(args[1]), str):
            if any(_root(base) in ("builtins", "os", "sys", "importlib", "ctypes", "subprocess", "signal", "IPython",
                                   "graders", "handover", "posix", "inspect", "gc", "marshal", "pickle", "codecs",
                                   "base64", "__main__") for base in self.resolve(args[0])):
                self.flag(F.DYNAMIC_CODE, node)
        elif func in ("inspect.getsource", "inspect.getsourcefile", "inspect.getfile", "inspect.getsourcelines",
                      "inspect.findsource", "inspect.getmodule", "inspect.getcomments", "dis.dis", "dis.Bytecode",
                      "dis.get_instructions", "dis.show_code", "dis.code_info") and args:
            if any(any(_matches(base, prefix) for prefix in GRADER_ROOTS) for base in self.resolve(args[0])):
                self.flag(F.READS_GRADING_FILES, node)
        elif func == "os.path.dirname" and args and self.has_cwd(args[0]):
            self.flag(F.READS_GRADING_FILES, node)
        elif func in ("re.match", "re.search", "re.fullmatch", "re.findall") and any(self.has_cwd(a) for a in args):
            self.flag(F.DETECTS_GRADING, node)
        if func in EXEC_CALLS:
            self._exec(node)
        if func.startswith("IPython.get_ipython().") and name in ("run_line_magic", "run_cell_magic", "magic",
                                                                  "system", "system_raw", "system_piped",
                                                                  "getoutput"):
            self._magic(name, node)
        if func in FILE_CALLS:
            for arg in list(args) + [k.value for k in node.keywords]:
                path = self.fold(arg)
                if isinstance(path, bytes):
                    path = path.decode("latin-1")
                if isinstance(path, str) and _is_outside(path):
                    self.flag(F.READS_GRADING_FILES, node)
        if func in OPEN_CALLS and args and self._write_mode(node, 1):
            target = self.fold(args[0])
            if isinstance(target, str):
                self._written(target, node)
        if func in WRITE_CALLS and len(args) > WRITE_CALLS[func]:
            target = self.fold(args[WRITE_CALLS[func]])
            if isinstance(target, str):
                self._written(target, node)

    def _write_mode(self, node, position):
        mode = None
        if len(node.args) > position:
            mode = self.fold(node.args[position])
        for keyword in node.keywords:
            if keyword.arg == "mode":
                mode = self.fold(keyword.value)
        return isinstance(mode, str) and any(c in mode for c in "wax+")

    def _written(self, path, node):
        """Code creates the file or folder ``path``: is it one that would shadow a module?"""
        path = path.strip()
        parts = [p for p in re.split(r"[/\\]", path) if p not in ("", ".")]
        if not parts:
            return
        if path.startswith(("/", "~")) or ".." in parts:
            reason = shadowing_reason(parts[-1]) if parts[-1].endswith(".pth") or \
                parts[-1].split(".")[0] in SENSITIVE else ""
        elif len(parts) == 1:
            reason = shadowing_reason(parts[0])
        else:
            top = parts[0]
            reason = shadowed(top, package=top in SENSITIVE or parts[1] == "__init__.py") if top.isidentifier() \
                else ""
            reason = reason or (shadowing_reason(parts[-1]) if parts[-1].endswith(".pth") else "")
        if reason:
            self.flag(F.SHADOWING_FILES, node)

    def _setattr_like(self, node, name):
        args = node.args
        if len(args) < 2:
            return
        target = self.fold(args[0])
        if isinstance(target, str) and "." in target:  # monkeypatch.setattr("numpy.allclose", f)
            self._store(target, node, args[1] if len(args) > 1 else None)
            return
        attribute = self.fold(args[1])
        attribute = attribute if isinstance(attribute, str) else "*"
        value = args[2] if len(args) > 2 else None
        for base in self.resolve(args[0]):
            self._store(_normalize(f"{base}.{attribute}"), node, value)
        self._attribute_name(attribute, node, store=True)
        if value is not None:
            self._always_equal_value(attribute, value, node)

    def _exec(self, node):
        if not node.args:
            return
        code = self.fold(node.args[0])
        if isinstance(code, bytes):
            code = code.decode("utf-8", "replace")
        if isinstance(code, str) and self.depth < MAX_DEPTH:
            _scan_python(code, self.place.nested(node.lineno, code), self.depth + 1, self.context)

    def _magic(self, kind, node):
        args = [self.fold(a) for a in node.args]
        if not args or not all(isinstance(a, str) for a in args):
            self.flag(F.DYNAMIC_CODE, node)  # a magic or command built at run time
            return
        if kind in ("system", "system_raw", "system_piped", "getoutput"):
            self._shell(args[0], node)
            return
        if kind == "magic":  # get_ipython().magic("xmode Minimal"): the old spelling
            name, _, line = args[0].lstrip("%").partition(" ")
            kind, args = "run_line_magic", [name, line]
        name = args[0]
        line = args[1] if len(args) > 1 else ""
        if kind == "run_line_magic":
            self._line_magic(name, line, node)
        elif kind == "run_cell_magic":
            body = args[2] if len(args) > 2 else ""
            self._cell_magic(name, line, body, node)

    def _line_magic(self, name, line, node):
        words = line.split()
        if name == "xmode":
            self.flag(F.SILENCED_ERRORS, node)
        elif name == "env":
            if not words:
                self.flag(F.DETECTS_GRADING, node)
            else:
                key = re.split(r"[=\s]", line.strip(), maxsplit=1)[0]
                assigning = "=" in line or len(words) > 1
                if key == "PYTHONPATH":
                    self.flag(F.SYS_PATH if assigning else F.DETECTS_GRADING, node)
                elif not assigning and _env_suspicious(key):
                    self.flag(F.DETECTS_GRADING, node)
        elif name in ("run", "load"):
            if name == "run":
                self.flag(F.DYNAMIC_CODE, node)
            if any(_is_outside(w) for w in words):
                self.flag(F.READS_GRADING_FILES, node)
        elif name in ("cd", "pushd", "popd", "bookmark"):
            self.flag(F.SYS_PATH, node)
            if any(_is_outside(w) for w in words):
                self.flag(F.READS_GRADING_FILES, node)
        elif name in ("sx", "system", "sc"):
            self._shell(line, node)
        elif name in ("pycat", "less", "more", "cat", "ls", "ll", "lf", "lk", "lx", "ldir"):
            if any(_is_outside(w) for w in words):
                self.flag(F.READS_GRADING_FILES, node)
        elif name == "config":
            if re.search(r"TB|traceback|xmode|exception|ast_transformers|input_transformers", line, re.I):
                self.flag(F.SILENCED_ERRORS, node)
        elif name == "save" and words:
            target = next((w for w in words if not w.startswith("-")), "")
            self._written(target if target.endswith(".py") else f"{target}.py", node)
        elif name in ("killbgscripts", "kill_embedded", "exit_raise"):
            self.flag(F.KILLS_KERNEL, node)
        self._text(line, node)

    def _cell_magic(self, name, line, body, node):
        lineno = node.lineno
        if name in PYTHON_CELL_MAGICS:
            if name == "writefile":
                target = next((w for w in line.split() if not w.startswith("-")), "")
                self._written(target.strip("'\""), node)
            if self.depth < MAX_DEPTH:
                _scan_python(body, self.place.shifted(lineno, body, 1), self.depth + 1, self.context)
        elif name in SHELL_CELL_MAGICS:
            if name == "script" and re.match(r"\s*(python|pypy)", line):
                self.flag(F.DYNAMIC_CODE, node)
                if self.depth < MAX_DEPTH:
                    _scan_python(body, self.place.shifted(lineno, body, 1), self.depth + 1, self.context)
            else:
                self._shell_lines(body, lineno)
        elif name in SUBPROCESS_CELL_MAGICS:
            self.flag(F.DYNAMIC_CODE, node)
            if self.depth < MAX_DEPTH:
                _scan_python(body, self.place.shifted(lineno, body, 1), self.depth + 1, self.context)
        else:  # html, javascript, markdown, latex...: their text only
            for number, text in enumerate(body.splitlines(), start=1):
                for flag, pattern in _STRING_RULES[:1]:
                    if pattern.search(text):
                        self.place.shifted(lineno, body, 1).report(flag, number)
        self._text(line, node)

    def _shell(self, command, node):
        self._text(command, node, _SHELL_RULES)
        self._text(command, node, _STRING_RULES[:3])

    def _shell_lines(self, body, lineno):
        place = self.place.shifted(lineno, body, 1)
        for number, text in enumerate(body.splitlines(), start=1):
            for flag, pattern in _SHELL_RULES + _STRING_RULES[:3]:
                if pattern.search(text):
                    place.report(flag, number)


def _constant_value(node):
    """True/False when an expression is a constant truthy/falsy value, else None."""
    if isinstance(node, ast.Constant) and node.value is not NotImplemented and node.value is not Ellipsis:
        return bool(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _constant_value(node.operand)
        return None if inner is None else not inner
    if isinstance(node, ast.Attribute) and node.attr in ("True_", "False_"):
        return node.attr == "True_"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool" and node.args:
        return _constant_value(node.args[0])
    return None


def _constant_result(function):
    """True/False when every return of ``function`` gives a constant truthy/falsy value; None otherwise."""
    returns = []
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return):
            returns.append(node.value)
        stack.extend(ast.iter_child_nodes(node))
    if not returns:
        trivial = all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
                      for s in function.body)
        return False if trivial else None
    verdicts = {(_constant_value(value) if value is not None else False) for value in returns}
    return verdicts.pop() if len(verdicts) == 1 else None


def _scan_python(code, place, depth, context=None):
    """Scan ``code`` (plain Python or IPython) into ``place``; False when it could not be parsed."""
    tree = _parse(code)  # plain Python needs no IPython transform (magics and shell escapes never parse)
    if tree is None:
        tree = _parse(_transform(code))
    if tree is None:
        return False
    _Analysis(tree, place, depth, context).run()
    return True


def _regex_scan(source, sink):
    for number, text in enumerate(source.splitlines(), start=1):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for flag, pattern in _FALLBACK_RULES:
            if pattern.search(text):
                sink.add(flag, number, stripped)


def scan_code(source, cell_label, context=None):
    """The findings in one cell's code.

    ``cell_label`` names the cell in ``where`` ("cell 8 (prewitt)"). ``context``
    (``notebook_context`` of the notebook's code cells) tells what names the
    other cells defined; without it, the conventional names (``np``, ``torch``,
    ``F``, ``plt``...) stand for their modules unless the cell binds them.
    """
    if not isinstance(source, str):
        source = "".join(source) if isinstance(source, list) else str(source)
    lines = source.splitlines()
    sink = _Sink(cell_label, lines)
    if len(source) > MAX_SOURCE:
        parsed, note = False, LONG_NOTE  # padding a cell must not hide its end
    else:
        try:
            parsed = _scan_python(source, _Place(sink, lines), 0, context)
            note = REGEX_NOTE
        except Exception:  # RecursionError on code nested thousands deep...: never let a cell escape the scan
            parsed, note = False, FAILED_NOTE
    if not parsed:
        sink = _Sink(cell_label, lines, note=note)
        _regex_scan(source, sink)
    return sink.findings()
