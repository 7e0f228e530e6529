"""A real Dask cluster on loopback, started from the command line as a site would: `dask scheduler` and
`dask worker --nthreads 1` processes (each with its nanny), for the cluster tests and the benchmark."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import course

#: The checkout under test: workers import this very ``course`` package, as the main process does.
CHECKOUT = Path(course.__file__).resolve().parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dask_command(*args):
    return [str(Path(sys.executable).parent / "dask"), *args]


class LocalCluster:
    """One scheduler and ``workers`` one-thread workers on 127.0.0.1; each process in its own session, ended by
    its process group (its nanny, worker and fork server with it)."""

    def __init__(self, folder, workers=2, pythonpath=None, scheduler_env=None):
        self.folder, self.processes, self.pythonpath = Path(folder), [], pythonpath or str(CHECKOUT)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.dashboard = f"127.0.0.1:{free_port()}"
        port = self.address.rsplit(":", 1)[1]
        try:
            self.scheduler = self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", port,
                                                       "--dashboard-address", self.dashboard], scheduler_env)
            for n in range(workers):
                self.add_worker(f"w{n}")
            if workers:
                self.wait_for_workers(workers)
        except BaseException:  # no `with` block will end what started
            self.close()
            raise

    def _start(self, name, args, extra_env=None, pythonpath=None):
        env = dict(os.environ, PYTHONPATH=pythonpath or self.pythonpath, **(extra_env or {}))
        log = open(self.folder / f"{name}.log", "w")
        process = subprocess.Popen(["nice", "-n", "19", *dask_command(*args)], stdout=log, stderr=subprocess.STDOUT,
                                   env=env, start_new_session=True,
                                   cwd=self.folder)  # not the course's: a site's workers run anywhere
        self.processes.append(process)
        return process

    def add_worker(self, name, pythonpath=None):
        return self._start(name, ["worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                                  "--no-dashboard", "--name", name], pythonpath=pythonpath)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout="30s", set_as_default=False)

    def wait_for_workers(self, count, timeout=120):
        with self.client() as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill_scheduler(self):
        os.killpg(self.scheduler.pid, signal.SIGKILL)

    def close(self):
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


#: Run on each worker (``client.run``): its process id and the keys of the tasks it is executing now. A lambda,
#: so that cloudpickle sends it by value: the workers do not import tests/support.
executing = lambda dask_worker: (os.getpid(), [str(task.key) for task in dask_worker.state.executing])  # noqa: E731
