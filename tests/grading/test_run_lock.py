"""One grading run per assignment: a second is refused while one holds the lock, and a run that dies leaves none."""
import subprocess
import sys
import time

import pytest

from course.grading.run_lock import assignment_lock, lock_path
from course.grading.setup_check import GradingSetupError

HOLDER = """
import sys, time
from course.grading.run_lock import assignment_lock
with assignment_lock(sys.argv[1], "lab", "course grade"):
    print("holding", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def holder(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "holding"
    yield process
    process.kill()
    process.wait()


def test_is_a_second_run_of_the_assignment_refused_naming_the_first(tmp_path, holder):
    with pytest.raises(GradingSetupError, match=rf"Another grading run of 'lab' is in progress .*`course grade`, "
                                                rf"process {holder.pid}"):
        with assignment_lock(tmp_path, "lab", "course rejudge"):
            pass


def test_may_another_assignment_run_at_the_same_time(tmp_path, holder):
    with assignment_lock(tmp_path, "other", "course grade") as path:
        assert path == lock_path(tmp_path, "other")


def test_does_a_run_that_was_killed_leave_no_lock_behind(tmp_path, holder):
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            with assignment_lock(tmp_path, "lab", "course grade"):
                return
        except GradingSetupError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
