"""Kernels forked from a warm sandboxed process: the heavy imports, once per worker.

Starting a kernel, importing torch, torchvision and matplotlib and building
the lab's given models cost several seconds of CPU per submission, none of it
the student's work. A :class:`ForkServer` starts :mod:`course.grading.zygote`
once in a bubblewrap sandbox; the zygote imports the heavy modules and builds
the given models, then forks one kernel per submission, each in namespaces of
its own (see the zygote's docstring). :class:`ForkedKernelManager` is the
jupyter_client side: nbgrader's execution talks to a forked kernel exactly as
to any other.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from traitlets import Instance

from .execution.private_api import ProcessGivenProvisioner
from .sandbox import (WORK_DIR, GradingKernelManager, SandboxError, bwrap_command, kernel_environment, python_paths,
                      read_only_root)

ZYGOTE = Path(__file__).with_name("zygote.py")
ZYGOTE_INSIDE = "/opt/course-zygote/zygote.py"


class ForkServerError(RuntimeError):
    """The fork server could not start (its message says why: usually an import that failed)."""


def host_pid(ancestor, namespace_pid):
    """The host PID of the descendant of ``ancestor`` whose PID in the zygote's namespace is ``namespace_pid``."""
    import psutil

    try:
        descendants = psutil.Process(ancestor).children(recursive=True)
    except psutil.Error:
        return None
    for process in descendants:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                for line in status:
                    if line.startswith("NSpid:"):
                        pids = line.split()[1:]
                        if len(pids) >= 2 and int(pids[1]) == namespace_pid:
                            return process.pid
        except OSError:
            continue
    return None


def kept_under_tmp(paths):
    """The outermost existing folders of ``paths`` under /tmp: each kernel's fresh /tmp must still show them."""
    inside = sorted({p for p in paths if os.path.exists(p) and (p + "/").startswith("/tmp/")}, key=len)
    outermost = []
    for path in inside:
        if not any((path + "/").startswith(kept + "/") for kept in outermost):
            outermost.append(path)
    return outermost


class ForkServer:
    """One warm zygote; ``spawn`` gives a fresh kernel process for one submission.

    Its kernel managers find it in their configuration (``c.ForkedKernelManager.fork_server``).
    """

    def __init__(self, manager, preload=(), prebuilt=()):
        """``manager``: a GradingKernelManager whose settings (paths, limits, threads) the kernels share;
        ``preload``: modules to import; ``prebuilt``: models to build (``prebuilt`` in an assignment's
        declaration, see course/assignments.py)."""
        self.settings = manager
        self.preload = list(preload)
        self.prebuilt = [{"builder": builder, "seed": seed, "calls": calls, "kwargs": {"weights": None}}
                         for builder, seed, calls in prebuilt]
        self.spool = Path(tempfile.mkdtemp(prefix="course-forkserver-", dir="/tmp"))
        self.process = None
        self.warm_up_seconds = None
        self._events, self._lock, self._changed = {}, threading.Lock(), threading.Condition()
        self._slots = 0

    def start(self, timeout=300):
        self.settings.require_configured()
        bwrap = shutil.which(self.settings.bwrap_path)
        if bwrap is None:
            raise SandboxError("bubblewrap ('bwrap') is not installed: apt-get install bubblewrap")
        s = self.settings
        command = bwrap_command(bwrap, s.grading_python, s.handover_dir, s.data_dir, s.tmp_limit, s.readable_paths)
        command += ["--ro-bind", str(ZYGOTE), ZYGOTE_INSIDE, "--bind", str(self.spool), "/spool",
                    "--dir", WORK_DIR, "--dir", "/run/kernel", "--dir", "/run/oldtmp"]
        self.keep = kept_under_tmp(list(python_paths(s.grading_python)) + list(s.readable_paths))
        command += read_only_root() + ["--cap-add", "ALL", "--chdir", "/tmp", "--"]
        config = {"preload": self.preload, "prebuilt": self.prebuilt}
        environment = kernel_environment(os.environ, threads=1)
        self.process = subprocess.Popen(command + [s.grading_python, ZYGOTE_INSIDE, json.dumps(config)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=environment, text=True, bufsize=1, start_new_session=True)
        threading.Thread(target=self._read_events, daemon=True).start()
        ready = self._wait_for(lambda: self._events.get("ready") or self._events.get("failed") or
                               self._events.get("ended"), timeout)
        if not ready or "error" in ready or ready.get("event") == "ended":
            error = (ready or {}).get("error") or self._stderr_tail() or "no answer from the zygote"
            self.stop()
            raise ForkServerError(f"the warm kernel process could not start:\n{error}")
        self.warm_up_seconds = ready["seconds"]
        return self

    def _stderr_tail(self):
        try:
            return self.process.stderr.read()[-3000:] if self.process.poll() is not None else ""
        except (OSError, ValueError):
            return ""

    def _read_events(self):
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._changed:
                if event["event"] in ("ready", "failed"):
                    self._events[event["event"]] = event
                else:
                    self._events.setdefault(event["slot"], {})[event["event"]] = event
                self._changed.notify_all()
        with self._changed:
            self._events["ended"] = {"event": "ended"}
            self._changed.notify_all()

    def _wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            return predicate()

    def _request(self, request):
        with self._lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()

    def new_slot(self):
        """A fresh spool folder: ``files/`` (what the kernel's folder will hold), ``run/`` (its sockets)."""
        with self._lock:
            self._slots += 1
            slot = str(self._slots)
        for name in ("files", "run"):
            (self.spool / slot / name).mkdir(parents=True)
        return slot

    def spawn(self, slot, env, limits, threads, arguments=(), timeout=60):
        """Fork a kernel for ``slot``; the host PID of its process tree's root."""
        self._request({"op": "spawn", "slot": slot, "env": env, "limits": limits, "threads": threads,
                       "workdir": WORK_DIR, "arguments": list(arguments), "keep": self.keep})
        spawned = self._wait_for(lambda: self._events.get(slot, {}).get("spawned") or self._events.get("ended"),
                                 timeout)
        if not spawned or "pid" not in spawned:
            raise ForkServerError("the warm kernel process stopped answering")
        pid = host_pid(self.process.pid, spawned["pid"])
        # The kernel's own namespaces and mounts are set up after the fork: a failure there is the setup's (a
        # mount the machine refuses, say), and its cause is worth more to the instructor than "Kernel died".
        events = self._events.setdefault(slot, {})
        started = self._wait_for(lambda: next((events[name] for name in ("started", "broken", "exited")
                                               if name in events), None) or self._events.get("ended"), timeout)
        if not started or started["event"] != "started":
            said = (started or {}).get("error") or (f"it ended with status {started['status']}" if started and
                                                    "status" in started else "no answer from the warm process")
            raise ForkServerError(f"the sandbox of a forked kernel could not be set up: {said}")
        return pid

    def exit_status(self, slot):
        exited = self._events.get(slot, {}).get("exited")
        if exited:
            return exited["status"]
        return -9 if "ended" in self._events else None

    def kill(self, slot):
        if self.process and self.process.poll() is None:
            self._request({"op": "kill", "slot": slot})

    def release(self, slot):
        shutil.rmtree(self.spool / slot, ignore_errors=True)

    def stop(self):
        if self.process and self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.spool, ignore_errors=True)

    def __deepcopy__(self, memo):
        # A running process, not a value: every copy of a configuration that names the server names this one
        # (traitlets deep-copies configured values into each object it configures).
        return self


class ForkedProcess:
    """What jupyter_client's provisioner needs of a kernel process (a Popen's surface)."""

    stdin = stdout = stderr = None

    def __init__(self, server, slot, pid):
        self.server, self.slot, self.pid = server, slot, pid

    def poll(self):
        return self.server.exit_status(self.slot)

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked kernel", timeout)
            time.sleep(0.05)
        return self.poll()

    def send_signal(self, signum):
        # Interrupts travel as control messages; the only signals that matter here end the kernel.
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.server.kill(self.slot)

    def kill(self):
        self.server.kill(self.slot)

    terminate = kill


class ForkedKernelManager(GradingKernelManager):
    """A kernel manager whose kernels come from this worker's :class:`ForkServer` (``fork_server``)."""

    # nbclient builds the kernel manager from the configuration alone (``kernel_manager_class(config=...)``):
    # the worker hands its running server through it.
    fork_server = Instance(ForkServer, allow_none=True, help="This worker's running fork server.").tag(config=True)
    slot = None
    #: The tree's first process only waits for the kernel (PID 1 of its namespace): a copy of the warm
    #: process, whose shared pages would otherwise count twice against the submission's memory.
    watch_root = False

    def before_start(self, kw):
        """A fresh slot of the fork server holding a copy of the submission's folder; the kernel's sockets in it."""
        kw = super().before_start(kw)
        if self.fork_server is None:
            raise ForkServerError("no fork server was handed to this kernel manager "
                                  "(c.ForkedKernelManager.fork_server)")
        if self.slot is not None:  # a restart: a new slot, a new fork
            self.fork_server.release(self.slot)
        self.slot = self.fork_server.new_slot()
        run = self.fork_server.spool / self.slot / "run"
        workdir = os.path.realpath(kw.get("cwd") or os.getcwd())
        shutil.copytree(workdir, self.fork_server.spool / self.slot / "files", dirs_exist_ok=True)
        self.kernel_id = self.kernel_id or str(uuid.uuid4())
        if self.provisioner is None:
            self.provisioner = ProcessGivenProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                       parent=self)
        self.transport = "ipc"
        self.connection_file = str(run / "host.json")
        self.ip = str(run / "ipc")
        self.kernel_spec.interrupt_mode = "message"
        return kw

    def launch_process(self, cmd, env):
        """Ask the fork server for the kernel (ProcessGivenProvisioner): the connection file names the sockets as
        the kernel sees them."""
        info = dict(self.provisioner.connection_info)
        info["ip"] = "/run/kernel/ipc"
        for key, value in list(info.items()):
            if isinstance(value, bytes):
                info[key] = value.decode()
        Path(self.connection_file).parent.joinpath("kernel.json").write_text(json.dumps(info))
        limits = {"workdir": self.workdir_limit, "tmp": self.tmp_limit, "memory": self.memory_limit}
        arguments = cmd[cmd.index("-f") + 2:] if "-f" in cmd else []  # e.g. nbgrader's in-memory history
        pid = self.fork_server.spawn(self.slot, kernel_environment(env or os.environ, self.threads),
                                     limits, self.threads, arguments)
        return ForkedProcess(self.fork_server, self.slot, pid)

    def kill_tree(self):
        self.fork_server.kill(self.slot)

    def after_cleanup(self, restart):
        if self.slot is not None and not restart:
            self.fork_server.release(self.slot)
            self.slot = None
