"""``course grade --scheduler tcp://HOST:PORT``: submissions execute on a Dask cluster's workers.

The roles stay those of a local run (:mod:`.runner`): the workers only execute, the main process (this
client) runs the pre-flight's checks, judges and is the only writer. What changes is where submissions
execute, and how they travel, since the workers share no file system with the course:

- the course's files a worker needs (``course_config.py``, ``nbgrader_config.py``, ``data/``, ``handover/``,
  the assignment's release and the non-notebook files of its source, and the gradebook snapshot) go once, as
  bytes, inside a :class:`CourseWorkerPlugin` (dask's per-worker state), with the models to pre-build. Neither
  ``graders/`` (workers never judge), the source notebooks nor the assignment's declaration (they hold the
  solutions and wrong answers) leave this machine;
- the plugin checks that its worker runs the same engine (the ``course`` package's sources, by hash) and the
  same package versions as this process, and refuses otherwise, saying which differs;
- it holds one :class:`~.runner.ClassWorker` (a warm, sandboxed fork server) for the worker's lifetime, so
  kernels stay warm between submissions as on local workers;
- each submission (its handed-in files) goes as bytes, and its executed notebooks come back as bytes.

The pre-flight's notebooks execute on the cluster too, first in the queue, as locally.

Faults are dask's: a task whose worker dies is run again on another worker (the task has no side effect
outside the worker's private folders, and the client records each submission once, when its one result
arrives); a task that ends ``distributed.scheduler.allowed-failures`` workers comes back as ``KilledWorker``
and the submission is recorded as failed; a lost scheduler stops the run (:class:`ClusterLost`).
"""
import hashlib
import importlib.metadata
import logging
import os
import platform
import shutil
import sys
import tempfile
import threading
import uuid
from collections import Counter
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from .setup_check import GradingSetupError

#: Whose versions a worker must share with the main process: the engine and what runs a submission.
PACKAGES = ("cnn-course", "nbgrader", "nbconvert", "nbclient", "nbformat", "jupyter_client", "ipykernel", "torch",
            "torchvision", "numpy", "dask", "distributed")
#: The course's files a worker needs, besides the assignment's release and source files.
COURSE_FILES = ("course_config.py", "nbgrader_config.py", "data", "handover")
#: Never shipped: caches, checkpoints.
NEVER_SHIPPED = ("__pycache__", ".ipynb_checkpoints")
#: Of source/<assignment>: the instructor's notebooks (solutions; .md: their jupytext twins) and the declaration
#: (wrong answers and solutions; a worker receives only the models it pre-builds).
SOURCE_NOT_SHIPPED = ("*.ipynb", "*.md", "assignment.toml")


class WorkerRefused(Exception):
    """A Dask worker does not run the same course or packages as the main process.

    An Exception, not a GradingSetupError (a BaseException), on the worker: dask turns an Exception raised by a
    plugin's set-up into an error sent to the client, not into a broken worker. The client raises it again as
    a GradingSetupError, which stops the run.
    """


class ClusterLost(GradingSetupError):
    """The Dask scheduler went away during the run."""


# --- what travels -----------------------------------------------------------------------------------------

def pack(folder, skip=()):
    """The regular files under ``folder`` as {relative POSIX path: bytes} (symbolic links are not followed)."""
    folder, files = Path(folder), {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part in NEVER_SHIPPED for part in relative.parts) or any(relative.match(p) for p in skip):
            continue
        if path.is_file() and not path.is_symlink():
            files[relative.as_posix()] = path.read_bytes()
    return files


def unpack(files, folder):
    """Write {relative path: bytes} under ``folder`` (which is emptied first); refuse paths that leave it."""
    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in files.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise ValueError(f"{name}: outside the folder it is unpacked into")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def course_bundle(root, assignment, snapshot):
    """What a worker needs of the course in ``root`` to execute ``assignment``'s submissions, as bytes."""
    root, bundle = Path(root), {}
    for name in COURSE_FILES:
        path = root / name
        if path.is_dir():
            bundle.update({f"{name}/{k}": v for k, v in pack(path).items()})
        elif path.is_file():
            bundle[name] = path.read_bytes()
    bundle.update({f"release/{assignment}/{k}": v for k, v in pack(root / "release" / assignment).items()})
    source = pack(root / "source" / assignment, skip=SOURCE_NOT_SHIPPED)  # nbgrader copies these over hand-ins
    bundle.update({f"source/{assignment}/{k}": v for k, v in source.items()})
    bundle["gradebook-snapshot.db"] = Path(snapshot).read_bytes()
    return bundle


def digest(files):
    hashed = hashlib.sha256()
    for name in sorted(files):
        hashed.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return hashed.hexdigest()


# --- same course, same packages -----------------------------------------------------------------------------

def fingerprint():
    """This process's package versions and the hash of each file of the ``course`` package it imports."""
    import course

    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    package = Path(course.__file__).parent
    sources = {f"course/{k}": hashlib.sha256(v).hexdigest() for k, v in pack(package).items()}
    return {"versions": versions, "sources": sources}


def differences(expected, found):
    """What differs between the main process's fingerprint and a worker's, one phrase each (none: the same)."""
    said = [f"{name} {expected['versions'][name]} on the main process, {found['versions'].get(name)} here"
            for name in expected["versions"] if found["versions"].get(name) != expected["versions"][name]]
    changed = sorted(name for name in set(expected["sources"]) | set(found["sources"])
                     if expected["sources"].get(name) != found["sources"].get(name))
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        said.append(f"the course's sources differ: {shown}")
    return said


# --- the worker's side ----------------------------------------------------------------------------------------

class CourseWorkerPlugin(WorkerPlugin):
    """One course's assignment on one Dask worker: its files, and a warm :class:`~.runner.ClassWorker`.

    ``setup`` (when registered, and on every worker that joins later) checks the worker and unpacks the course;
    the fork server starts with the first submission, in the worker's task thread (not its event loop), and
    stays warm until the plugin is removed (the run's end) or the worker stops.
    """

    def __init__(self, name, assignment, bundle, expected, workers_by_host, prebuilt):
        self.name, self.assignment, self.bundle, self.expected = name, assignment, bundle, expected
        self.prebuilt = prebuilt  #: the models the warm kernels pre-build (from the declaration, which stays here)
        self.workers_by_host, self.digest = workers_by_host, digest(bundle)
        self.class_worker = self.folder = self._lock = None  # made on the worker (a lock does not pickle)

    def setup(self, worker):
        said = differences(self.expected, fingerprint())
        if said:
            raise WorkerRefused(f"The Dask worker {worker.address} ({sys.executable}) refuses to grade "
                                f"{self.assignment}: it does not run the same course as the main process: "
                                f"{'; '.join(said)}. To fix: install the same course and package versions on every "
                                "worker (the course repository's `pip install -e .`, or deploy/install.sh), then "
                                "restart the workers.")
        self._lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="course-cluster-"))
        unpack(self.bundle, self.folder / "course")
        self.bundle = None  # its bytes are on disk now
        self.host = worker.address.split("://")[-1].rsplit(":", 1)[0]

    def execute(self, student, files):
        """Execute one submission handed in as ``files``; (Outcome, the executed folder's files)."""
        with self._lock:  # one submission at a time: the worker's kernels have its share of the cores
            worker = self._class_worker()
            root = self.folder / "course"
            unpack(files, root / "submitted" / student / self.assignment)
            staging = self.folder / "executed"
            shutil.rmtree(staging, ignore_errors=True)  # a task run again starts from nothing
            try:
                outcome = worker.execute(root, student, staging)
                executed = staging / student / self.assignment
                return outcome, pack(executed) if executed.is_dir() else {}
            finally:
                shutil.rmtree(staging, ignore_errors=True)
                shutil.rmtree(root / "submitted", ignore_errors=True)

    def _class_worker(self):
        from .runner import ClassWorker

        if self.class_worker is None:
            root = self.folder / "course"
            sys.modules.pop("course_config", None)  # the shipped one, not another run's (nbgrader_config imports it)
            # Its kernels' share of this machine's cores, as a local worker's (cores / workers).
            threads = max(1, (os.cpu_count() or 1) // self.workers_by_host.get(self.host, 1))
            self.class_worker = ClassWorker(root, self.assignment, root / "gradebook-snapshot.db", threads,
                                            prebuilt=self.prebuilt).setup()
        return self.class_worker

    def teardown(self, worker):
        if self.class_worker is not None:
            self.class_worker.teardown()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def execute_on_worker(plugin_name, plugin_digest, student, files):
    """A Dask task: this worker's plugin executes one submission. Idempotent: only private folders change."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if plugin is None or getattr(plugin, "digest", None) != plugin_digest:
        raise WorkerRefused(f"The Dask worker {worker.address} does not hold this run's course ({plugin_name}): "
                            "another run replaced it, or the plugin's set-up failed (see the worker's log).")
    if plugin.folder is None:  # set-up refused (a worker that joined after the start): say why again
        plugin.setup(worker)
    outcome, executed = plugin.execute(student, files)
    outcome.worker = worker.address
    return outcome, executed


# --- the client's side ------------------------------------------------------------------------------------------

class ClusterPool:
    """Where submissions execute, on a Dask cluster: the counterpart of :class:`~.runner.LocalPool`."""

    def __init__(self, address, root, assignment, snapshot, log=print):
        self.address, self.root, self.assignment, self.snapshot = address, Path(root), assignment, snapshot
        self.log = log
        self.client = self.plugin_name = self.plugin_digest = None
        self.run = uuid.uuid4().hex[:8]

    def __enter__(self):
        from distributed import Client

        try:
            self.client = Client(self.address, timeout="20s", set_as_default=False)
            self.client.wait_for_workers(1, timeout=60)
        except (OSError, TimeoutError, ValueError) as error:  # ValueError: not an address Dask knows
            if self.client is not None:
                self.client.close()
            raise GradingSetupError(f"Could not use the Dask cluster at {self.address} ({type(error).__name__}: "
                                    f"{error}). To fix: start its scheduler and at least one worker (`dask scheduler`, "
                                    "`dask worker ADDRESS --nthreads 1`; docs/scale.md), or grade locally without "
                                    "--scheduler.") from None
        try:
            self._register()
        except BaseException:
            self.client.close()
            raise
        logging.getLogger("distributed.client").addFilter(self._while_connected)
        return self

    def _while_connected(self, record):
        """Drop the traceback distributed's client logs when it fails to reconnect to a lost scheduler: the run
        stops with one sentence that says so (ClusterLost)."""
        return not (record.exc_info and self.client is not None and self.client.status != "running")

    def _register(self):
        import course_config
        from course import assignments

        workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
        per_host = dict(Counter(w["host"] for w in workers))  # the workers sharing each machine's cores
        key = hashlib.sha256(str(self.root).encode()).hexdigest()[:8]
        self.plugin_name = f"course-grade:{course_config.COURSE_ID}:{self.assignment}:{key}"
        plugin = CourseWorkerPlugin(self.plugin_name, self.assignment,
                                    course_bundle(self.root, self.assignment, self.snapshot), fingerprint(), per_host,
                                    assignments.load(self.assignment, self.root).prebuilt)
        self.plugin_digest = plugin.digest
        try:
            self.client.register_plugin(plugin, name=self.plugin_name)
        except WorkerRefused as error:
            raise GradingSetupError(str(error)) from None

    def describe(self):
        workers = len(self.client.scheduler_info(n_workers=-1)["workers"])
        return f"{workers} Dask worker(s) of {self.address}; dashboard: {self.client.dashboard_link}"

    def submit(self, root, student, staging):
        """Send one hand-in (``root``/submitted/``student``) to the cluster; a future of its Outcome, its executed
        notebooks written into ``staging`` when the result arrives."""
        files = pack(Path(root) / "submitted" / student / self.assignment)
        kind = "preflight" if Path(root) != self.root else "class"
        future = self.client.submit(execute_on_worker, self.plugin_name, self.plugin_digest, student, files,
                                    key=f"course-grade-{self.run}-{kind}-{student}", pure=False)
        return Delivery(self, future, student, Path(staging))

    def as_completed(self, deliveries):
        from distributed import as_completed

        by_future = {delivery.future: delivery for delivery in deliveries}
        for future in as_completed(list(by_future), loop=self.client.loop):
            yield by_future[future]

    def __exit__(self, *exc):
        try:
            if self.client.status == "running" and self.plugin_name:
                self.client.unregister_worker_plugin(self.plugin_name)  # stops the warm fork servers
        except Exception:  # the scheduler is gone: its workers' plugins go with their processes
            pass
        self.client.close()  # after a lost scheduler, this cancels the reconnection, which logs its traceback
        logging.getLogger("distributed.client").removeFilter(self._while_connected)
        return False


class Delivery:
    """One submission sent to the cluster: ``result()`` is its Outcome, with the executed notebooks in staging."""

    def __init__(self, pool, future, student, staging):
        self.pool, self.future, self.student, self.staging = pool, future, student, staging

    def cancel(self):
        self.future.cancel()

    def result(self):
        from distributed import KilledWorker

        from .runner import Outcome

        try:
            outcome, executed = self.future.result()
        except KilledWorker as error:
            return Outcome(self.student, "failed", reason=(
                f"the submission's task ended Dask workers repeatedly (KilledWorker: {error}); it was not "
                "retried further (the scheduler's distributed.scheduler.allowed-failures). Look for a kernel "
                "that escapes its bounds, or a worker with too little memory."), worker="(killed workers)")
        except WorkerRefused as error:
            raise GradingSetupError(str(error)) from None
        except Exception as error:
            if self.pool.client.status != "running" or self.future.cancelled():
                raise ClusterLost(
                    f"The Dask scheduler at {self.pool.address} was lost during the run ({type(error).__name__}: "
                    f"{error}). The students recorded before it went keep their grades in the gradebook; the run "
                    "report was not written. Restart the scheduler and its workers, then run the same command "
                    "again (it grades the class again).") from None
            raise
        unpack(executed, self.staging / self.student / self.pool.assignment)
        return outcome
