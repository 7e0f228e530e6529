"""What a Dask worker receives of the course, and how it tells that it runs another course (no cluster needed)."""
import copy

import pytest

from course.grading.cluster import ClusterPool, course_bundle, differences, fingerprint, unpack
from course.grading.setup_check import GradingSetupError


def test_does_the_bundle_hold_what_workers_execute_with_and_never_the_graders_or_the_solutions(tmp_path):
    files = {"course_config.py": "", "nbgrader_config.py": "", "data/cat.jpg": "jpg", "handover/__init__.py": "",
             "graders/tp.py": "secret", "source/lab/lab.ipynb": "solution", "source/lab/lab.md": "solution",
             "source/lab/cat.jpg": "jpg", "source/lab/assignment.toml": "wrong answers", "release/lab/lab.ipynb": "{}",
             "handover/__pycache__/x.pyc": "",
             "gradebook.db": "all grades"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "snapshot.db").write_text("snapshot")
    bundle = course_bundle(tmp_path, "lab", tmp_path / "snapshot.db")
    assert sorted(bundle) == ["course_config.py", "data/cat.jpg", "gradebook-snapshot.db", "handover/__init__.py",
                              "nbgrader_config.py", "release/lab/lab.ipynb", "source/lab/cat.jpg"]
    assert bundle["gradebook-snapshot.db"] == b"snapshot"


def test_is_a_shipped_path_that_leaves_its_folder_refused(tmp_path):
    with pytest.raises(ValueError, match="outside"):
        unpack({"../escaped.py": b""}, tmp_path / "course")
    assert not (tmp_path / "escaped.py").exists()


def test_does_a_worker_say_which_version_and_which_source_differ():
    here = fingerprint()
    assert differences(here, copy.deepcopy(here)) == []
    there = copy.deepcopy(here)
    there["versions"]["torch"] = "0.0.1"
    there["sources"]["course/grading/sandbox.py"] = "another hash"
    said = differences(here, there)
    assert said == [f"torch {here['versions']['torch']} on the main process, 0.0.1 here",
                    "the course's sources differ: course/grading/sandbox.py"]


@pytest.mark.parametrize("address", ["scheduler.example.org", "http://127.0.0.1:8786", "tcp://127.0.0.1:1"])
def test_is_a_scheduler_that_cannot_be_used_refused_with_the_fix(address, tmp_path):
    pool = ClusterPool(address, tmp_path, "lab", tmp_path / "snapshot.db")
    with pytest.raises(GradingSetupError, match=r"Could not use the Dask cluster at .* To fix: start its scheduler"):
        with pool:
            pass
