"""One grading run per assignment at a time: ``course grade`` (local or on a cluster) and ``course rejudge``.

Two runs on the same assignment would both write ``autograded/`` and the gradebook, each overwriting what the
other recorded. Each run holds an exclusive ``fcntl`` lock on ``reports/.<assignment>.lock`` in the course root
for its whole length; the kernel releases it when the process ends, however it ends, so a crashed run never
leaves a stale lock behind.
"""
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from .setup_check import GradingSetupError


def lock_path(root, assignment):
    return Path(root) / "reports" / f".{assignment}.lock"


@contextmanager
def assignment_lock(root, assignment, command):
    """Hold the assignment's lock while the block runs; refuse at once (GradingSetupError) if a run holds it."""
    path = lock_path(root, assignment)
    path.parent.mkdir(exist_ok=True)
    stream = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.seek(0)
            holder = stream.read().strip() or "another process"
            raise GradingSetupError(
                f"Another grading run of '{assignment}' is in progress in {root} ({holder}); two runs would "
                f"overwrite each other's grades. Wait for it to end (its lock: {path}), then run the command "
                "again.") from None
        stream.seek(0)
        stream.truncate()
        stream.write(f"`{command}`, process {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        stream.flush()
        yield path
    finally:
        stream.close()  # closing the file releases the lock
