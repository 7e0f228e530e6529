"""A kernel manager that runs each submission's kernel in a bubblewrap sandbox.

During autograding nbgrader starts the kernel as the instructor, inside the
course directory: without a sandbox, a submission could read the solutions in
``source/``, rewrite ``gradebook.db`` or read the instructor's secrets. Here the
kernel sees, read-only, the system, the grading Python environment, the
``handover`` package (the kernel's side of grading; ``graders``, which holds
the references, never enters the sandbox) and the course data (at neutral paths under
``/opt/course``, so no path of the grading machine reaches the feedback), and
the files handed in. It writes only to two size-limited tmpfs: its folder and
its private ``/tmp``, so a submission never fills the instructor's disk. It
has no network (the kernel talks over Unix sockets), none of the instructor's
environment variables, and its processes together are bounded in memory and
number (:mod:`course.grading.watchdog`). Interrupts go through the kernel's
control channel: a signal sent from outside never crosses bwrap's session.
"""
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from traitlets import CaselessStrEnum, Integer, List, Unicode, default

from .execution.private_api import KernelManagerOverrides, check_private_api
from .interpreter import is_this_python
from .required import require
from .watchdog import TreeWatchdog

#: Environment variables passed on to the sandboxed kernel; all others are dropped.
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "PYDEVD_DISABLE_FILE_VALIDATION")
#: Where the kernel finds the course's own files.
COURSE_DIR = "/opt/course"
TORCH_DIR = "/opt/torch"
#: The submission's folder as the kernel sees it.
WORK_DIR = "/home/student/work"


def torch_home():
    """The instructor's torch cache (where pretrained weights are looked for), as torch.hub finds it."""
    return os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")


class SandboxError(RuntimeError):
    """The sandbox was asked for but cannot be set up on this machine."""


@functools.lru_cache(maxsize=None)
def python_paths(python):
    """The folders an interpreter needs to run (its prefixes, its executable's folder, site-packages)."""
    probe = ("import json, os, sys, sysconfig; p = sysconfig.get_paths(); print(json.dumps(["
             "sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)), "
             "p['purelib'], p['platlib']]))")
    if is_this_python(python):  # not the same binary: one base interpreter serves many environments
        namespace = {}
        exec(probe.replace("print(", "result = ("), namespace)
        return tuple(json.loads(namespace["result"]))
    output = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout
    return tuple(json.loads(output))


#: Run by the kernel before any cell: the folder of the submission goes last on sys.path, so a file handed in
#: beside the notebook (numpy.py, a handover/ folder...) never shadows a library or the course's modules, while
#: a student's own helper module (under a name of its own) still imports.
LIBRARIES_FIRST = ("--IPKernelApp.exec_lines=import sys; "
                   "sys.path[:] = [p for p in sys.path if p not in ('', '.', sys.path and __import__('os').getcwd())]"
                   " + ['']; del sys")

def bwrap_command(bwrap, python, handover_dir, data_dir, tmp_limit, extra_readable=()):
    """bwrap's arguments shared by every kernel sandbox: a read-only system, no network, no instructor paths."""
    # In its own PID namespace the kernel would take its parent for dead: bwrap --die-with-parent watches instead.
    # The private, size-limited /tmp comes before the binds: the Python environment may live under the host's /tmp.
    command = [bwrap, "--die-with-parent", "--new-session", "--unshare-all", "--unsetenv", "JPY_PARENT_PID",
               "--dev", "/dev", "--proc", "/proc",
               "--size", str(tmp_limit), "--tmpfs", "/tmp", "--size", str(tmp_limit), "--tmpfs", "/dev/shm"]
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        if os.path.islink(path):
            command += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            command += ["--ro-bind", path, path]
    for path in sorted(set(python_paths(python)) | set(extra_readable)):
        if os.path.exists(path):
            command += ["--ro-bind", path, path]
    if os.path.isdir(torch_home()):
        command += ["--ro-bind", torch_home(), TORCH_DIR]
    command += ["--ro-bind", str(handover_dir), f"{COURSE_DIR}/handover"]
    if data_dir and os.path.isdir(data_dir):
        command += ["--ro-bind", str(data_dir), f"{COURSE_DIR}/data"]
    return command


def read_only_root():
    """Everything but the size-limited tmpfs read-only, so memory-backed folders such as the sandbox's root
    cannot be filled. Put after every mount that needs a new folder."""
    return ["--remount-ro", "/dev", "--remount-ro", "/"]


def kernel_environment(env, threads=0):
    """The kernel's environment: a few harmless variables of the host, the rest set here."""
    kept = {name: env[name] for name in KEPT_ENVIRONMENT if name in env}
    kept.update(HOME="/tmp", MPLCONFIGDIR="/tmp/matplotlib", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=COURSE_DIR, TORCH_HOME=TORCH_DIR, PYTHONWARNINGS="ignore")
    if threads:
        kept.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return kept


NOT_CONFIGURED = " None: not configured (the kernel refuses to start; course_config.configure_nbgrader sets it)."


class GradingKernelManager(KernelManagerOverrides):
    """What every kernel of a submission shares, however it starts: the grading Python, the course files it
    may read, its bounds and their watchdog. :class:`SandboxedKernelManager` starts it in bwrap,
    :class:`course.grading.forkserver.ForkedKernelManager` forks it from a warm process; the course's
    configuration (``c.GradingKernelManager``) applies to both."""

    sandbox = CaselessStrEnum(
        ["bwrap", "none"], default_value=None, allow_none=True, config=True,
        help="'bwrap' isolates the kernel; 'none' runs it as a plain process (trusted notebooks only)."
             + NOT_CONFIGURED,
    )
    grading_python = Unicode(
        sys.executable, config=True,
        help="The Python that runs the kernels: the environment where the course (torch, numpy...) is installed "
             "(default: the Python running this).",
    )
    handover_dir = Unicode(None, allow_none=True, config=True,
                           help="The handover package, bound read-only at /opt/course/handover." + NOT_CONFIGURED)
    data_dir = Unicode(config=True, help="The course data, bound read-only at /opt/course/data (empty: none).")
    readable_paths = List(Unicode(), config=True, help="Extra host paths the kernel may read.")
    memory_limit = Integer(None, allow_none=True, config=True,
                           help="Bytes of memory for all the kernel's processes together; 0: no bound." + NOT_CONFIGURED)
    process_limit = Integer(None, allow_none=True, config=True,
                            help="Processes the kernel may run at once; 0: no bound." + NOT_CONFIGURED)
    workdir_limit = Integer(None, allow_none=True, config=True,
                            help="Bytes the kernel may write into its folder." + NOT_CONFIGURED)
    tmp_limit = Integer(None, allow_none=True, config=True,
                        help="Bytes the kernel may write into its /tmp." + NOT_CONFIGURED)
    threads = Integer(0, config=True, help="Threads for torch/BLAS in the kernel (0: the libraries' default).")
    bwrap_path = Unicode("bwrap", config=True, help="The bubblewrap executable.")

    #: The bound that made the watchdog stop the kernel (a LimitHit), or None.
    limit_hit = None
    #: Whether the first process of the kernel's tree counts towards its bounds.
    watch_root = True
    _watchdog = None

    @default("session")
    def _bounded_session(self):
        # What the kernel sends is the student's: a message that cannot be read is dropped, never fatal.
        from .kernel_messages import BoundedSession

        return BoundedSession(parent=self)

    def require_configured(self):
        """GradingSetupError unless the course's configuration gave every bound."""
        require(self, "sandbox", "handover_dir", "memory_limit", "process_limit", "workdir_limit", "tmp_limit")

    def format_kernel_cmd(self, extra_arguments=None):
        """Always the grading environment's own Python, whatever kernelspec the notebook names."""
        return [self.grading_python, "-m", "ipykernel_launcher", "-f", self.connection_file, LIBRARIES_FIRST,
                *(extra_arguments or [])]

    # --- the steps of a kernel's life (KernelManagerOverrides) --------------------------------------------

    def before_start(self, kw):
        check_private_api()
        self.require_configured()
        self.limit_hit = None
        return kw

    def command_for(self, kernel_cmd, kw):
        return kernel_cmd, kw

    def after_launch(self):
        self._start_watchdog()

    def before_cleanup(self):
        self._stop_watchdog()

    def after_cleanup(self, restart):
        pass

    # --- the watchdog of the bounds --------------------------------------------------------------------------

    def _start_watchdog(self):
        if (self.memory_limit or self.process_limit) and self.provisioner.pid:
            self._watchdog = TreeWatchdog(self.provisioner.pid, self._stop_for_limit,
                                          memory_limit=self.memory_limit, process_limit=self.process_limit,
                                          include_root=self.watch_root)
            self._watchdog.start()

    def _stop_watchdog(self):
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None

    def _stop_for_limit(self, hit):
        """Called from the watchdog's thread: record the bound, then end every process of the kernel."""
        self.limit_hit = hit
        self.log.warning("Kernel stopped: %s", hit.detail)
        self.kill_tree()

    def kill_tree(self):
        """End every process of the kernel (each way of starting it knows how)."""
        raise NotImplementedError


class SandboxedKernelManager(GradingKernelManager):
    """Start each kernel inside ``bwrap``, with the course's bounds."""

    _private_dir = None
    _bwrap = None

    def before_start(self, kw):
        kw = super().before_start(kw)
        if self.sandbox == "none":
            return kw
        bwrap = shutil.which(self.bwrap_path)
        if bwrap is None:
            raise SandboxError(
                "bubblewrap ('bwrap') is not installed, so submissions cannot be isolated. "
                "Install it (apt-get install bubblewrap) or set SANDBOX = 'none' in course_config.py "
                "if every notebook graded here is trusted."
            )
        self._bwrap = bwrap
        # A private folder for the connection file and the Unix sockets, so the
        # kernel sees no other kernel's keys.
        if self._private_dir:  # a restart: the previous kernel's keys and sockets go
            shutil.rmtree(self._private_dir, ignore_errors=True)
        self._private_dir = tempfile.mkdtemp(prefix="course-kernel-", dir="/tmp")
        self.transport = "ipc"
        self.connection_file = os.path.join(self._private_dir, "kernel.json")
        self.ip = os.path.join(self._private_dir, "ipc")
        # A signal cannot reach a kernel in its own session: ask it over the control channel.
        self.kernel_spec.interrupt_mode = "message"
        return kw

    def command_for(self, kernel_cmd, kw):
        """The kernel's command inside bwrap, in its own folder, under its per-process limits."""
        if self.sandbox == "none":
            return kernel_cmd, kw
        workdir = os.path.realpath(kw.get("cwd") or os.getcwd())
        kw["env"] = kernel_environment(kw.get("env") or os.environ, self.threads)
        kw["cwd"] = self._private_dir  # bwrap's own cwd; the kernel's is set by --chdir
        command = bwrap_command(self._bwrap, self.grading_python, self.handover_dir, self.data_dir, self.tmp_limit,
                                self.readable_paths)
        command += self._workdir_arguments(workdir)
        command += ["--bind", self._private_dir, self._private_dir, "--chdir", WORK_DIR, "--"]
        return command + self._process_limits() + kernel_cmd, kw

    def _workdir_arguments(self, workdir):
        """The submission's folder: a size-limited tmpfs holding read-only views of the files handed in."""
        arguments = ["--size", str(self.workdir_limit), "--tmpfs", WORK_DIR]
        for name in sorted(os.listdir(workdir)):
            arguments += ["--ro-bind", os.path.join(workdir, name), f"{WORK_DIR}/{name}"]
        return arguments + read_only_root()

    def _process_limits(self):
        # Per process, a backstop for the watchdog: no core dumps, no file larger than the folder's room.
        limits = ["--core=0", f"--fsize={self.workdir_limit}"]
        if self.memory_limit:  # address space: torch reserves far more than it uses, hence the margin
            limits.append(f"--as={2 * self.memory_limit}")
        return ["prlimit", *limits, "--"]

    def kill_tree(self):
        try:
            os.killpg(self.provisioner.pid, signal.SIGKILL)
        except (OSError, AttributeError, TypeError):
            pass

    def after_cleanup(self, restart):
        if self._private_dir and not restart:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None
