"""A kernel manager that runs each submission's kernel in a bubblewrap sandbox.

During autograding nbgrader starts the kernel as the instructor, inside the
course directory: without a sandbox, a submission could read the solutions in
``source/``, rewrite ``gradebook.db`` or read the instructor's secrets. Here the
kernel sees only what it needs, read-only (the system, the Python
installation, the ``graders`` package and the course data), its own working
directory (the autograded copy of the submission) and a private ``/tmp``. It
has no network (the kernel talks to nbgrader over Unix sockets), no
environment variables of the instructor, and a memory limit, so that a
runaway submission dies alone instead of taking the batch down.
"""
import os
import shutil
import sys
import sysconfig
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, Integer, List, Unicode

#: Environment variables passed on to the sandboxed kernel; all others are dropped.
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ", "TORCH_HOME", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE",
                    "OPENBLAS_L2_SIZE", "PYDEVD_DISABLE_FILE_VALIDATION")


def torch_home():
    """The instructor's torch cache (where pretrained weights are looked for), as torch.hub finds it."""
    return os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")


class SandboxError(RuntimeError):
    """The sandbox was asked for but cannot be set up on this machine."""


class SandboxedKernelManager(AsyncKernelManager):
    """Start kernels inside ``bwrap`` with a read-only view of the system."""

    sandbox = CaselessStrEnum(
        ["bwrap", "none"], default_value="bwrap", config=True,
        help="'bwrap' isolates the kernel; 'none' runs it as a plain process (trusted notebooks only).",
    )
    memory_limit = Integer(
        0, config=True, help="Address-space limit of the kernel process in bytes (0: no limit).",
    )
    readable_paths = List(
        Unicode(), config=True,
        help="Extra paths the kernel may read (e.g. the graders package and the course data).",
    )
    bwrap_path = Unicode("bwrap", config=True, help="The bubblewrap executable.")

    _private_dir = None

    async def _async_pre_start_kernel(self, **kw):
        if self.sandbox == "none":
            return await super()._async_pre_start_kernel(**kw)
        bwrap = shutil.which(self.bwrap_path)
        if bwrap is None:
            raise SandboxError(
                "bubblewrap ('bwrap') is not installed, so submissions cannot be isolated. "
                "Install it (apt-get install bubblewrap) or set SANDBOX = 'none' in course_config.py "
                "if every notebook graded here is trusted."
            )
        # A private folder for the connection file and the Unix sockets, so the
        # kernel sees no other kernel's keys.
        self._private_dir = tempfile.mkdtemp(prefix="course-kernel-")
        self.transport = "ipc"
        self.connection_file = os.path.join(self._private_dir, "kernel.json")
        self.ip = os.path.join(self._private_dir, "ipc")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        workdir = os.path.realpath(kw.get("cwd") or os.getcwd())
        kw["env"] = self._sandbox_environment(kw.get("env") or os.environ)
        return self._bwrap_command(bwrap, workdir) + self._limits() + kernel_cmd, kw

    def _sandbox_environment(self, env):
        kept = {name: env[name] for name in KEPT_ENVIRONMENT if name in env}
        kept.update(HOME="/tmp", MPLCONFIGDIR="/tmp/matplotlib", PYTHONDONTWRITEBYTECODE="1",
                    TORCH_HOME=torch_home())
        return kept

    def _limits(self):
        if not self.memory_limit:
            return []
        return ["prlimit", f"--as={self.memory_limit}", "--core=0", "--"]

    def _bwrap_command(self, bwrap, workdir):
        # In its own PID namespace the kernel would take its parent for dead (its
        # parent PID is 1): bwrap --die-with-parent does that watch instead.
        command = [bwrap, "--die-with-parent", "--new-session", "--unshare-all", "--unsetenv", "JPY_PARENT_PID",
                   "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for path in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"):
            if os.path.lexists(path):
                command += ["--ro-bind", path, path] if not os.path.islink(path) else \
                    ["--symlink", os.readlink(path), path]
        # The Python installation, the virtual environment and what it imports from.
        python_paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)),
                        sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        readable = sorted(python_paths | set(self.readable_paths) | {torch_home()})
        for path in readable:
            if os.path.exists(path):
                command += ["--ro-bind", path, path]
        command += ["--bind", self._private_dir, self._private_dir,
                    "--bind", workdir, workdir, "--chdir", workdir, "--"]
        return command

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if self._private_dir and not restart:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    cleanup_resources = _async_cleanup_resources
