"""One configuration for every path: `course grade` changes only the settings that configuration.py lists.

The configuration a worker and the writer of `course grade` actually use is compared with the one plain
nbgrader loads (the course's nbgrader_config.py), and the differences with docs/architecture.md's table.
"""
from pathlib import Path

import pytest

import course_config
from course.grading import runner
from course.grading.configuration import execute_class
from course.grading.forkserver import ForkServer
from course.grading.judge import JudgePool

ASSIGNMENT = "tp_convolution"
ARCHITECTURE = course_config.ROOT / "docs" / "architecture.md"


def described(value):
    """A value as it configures: classes by identity, lists item by item, objects (hooks) by type and state."""
    if isinstance(value, (list, tuple)):
        return [described(item) for item in value]
    if value is None or isinstance(value, type) or type(value).__eq__ is not object.__eq__:
        return value
    return type(value), vars(value)


def settings(config):
    return {(section, name): described(value) for section in config for name, value in config[section].items()}


def changed(plain, other):
    """The ``Section.option`` names whose value differs between two configurations."""
    plain, other = settings(plain), settings(other)
    return {f"{section}.{name}" for section, name in plain.keys() | other.keys()
            if plain.get((section, name), "unset") != other.get((section, name), "unset")}


@pytest.fixture
def plain():
    """What plain `nbgrader autograde` and the formgrader load in the course root."""
    return runner.load_config(course_config.ROOT)


@pytest.fixture
def worker(tmp_path, monkeypatch):
    """A `course grade` worker as the run sets it up (its fork server not started: no sandbox needed here)."""
    monkeypatch.setattr(ForkServer, "start", lambda server, timeout=300: server)
    (tmp_path / "snapshot.db").write_bytes(b"")
    worker = runner.ClassWorker(course_config.ROOT, ASSIGNMENT, tmp_path / "snapshot.db", threads=3).setup()
    yield worker
    worker.teardown()


def recording_config(plain, monkeypatch, staging, executed):
    """The configuration `course grade`'s writer records one submission with."""
    used = []
    monkeypatch.setattr(runner, "_autograde", lambda config, *args: used.append(config))
    if executed:
        (staging / "student" / ASSIGNMENT).mkdir(parents=True)
        (staging / "student" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{}")
    with JudgePool() as judges:
        runner.record(plain, judges, course_config.ROOT, ASSIGNMENT, "student", staging)
    return used[0]


def documented(column):
    """The settings whose cell in ``column`` of docs/architecture.md's table says they differ from plain nbgrader
    (neither "as plain" nor the plain column's own words)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    table = text.split("## One configuration, and what `course grade` changes", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table.splitlines()
            if line.startswith("| `")]
    header = {"worker": 2, "writer": 3}[column]
    return {row[0].strip("`") for row in rows if row[header] != row[1] and not row[header].startswith("as plain")}


def test_does_a_class_worker_change_only_what_class_worker_settings_lists(plain, worker):
    execute = execute_class(plain).__name__
    assert changed(plain, worker.config) == {
        "CourseDirectory.db_url", "Autograde.pre_convert_hook", "GradingKernelManager.threads", "Execute.kernel_manager_class",
        "ForkedKernelManager.fork_server", "CheckedNotebookExporter.check_setup",
        "Autograde.autograde_preprocessors", f"{execute}.shutdown_kernel"}
    assert worker.config.ForkedKernelManager.fork_server is worker.fork_server
    assert worker.config.Autograde.autograde_preprocessors == [execute_class(plain)]
    assert worker.config.Autograde.pre_convert_hook.db_url == worker.config.CourseDirectory.db_url


def test_does_the_writer_change_only_what_recording_settings_lists(plain, monkeypatch, tmp_path):
    executed = recording_config(plain, monkeypatch, tmp_path / "staging", executed=True)
    not_executed = recording_config(plain, monkeypatch, tmp_path / "empty", executed=False)
    common = {"Autograde.autograde_preprocessors", "UseExecutedNotebook.executed_directory", "JudgeHandovers.judges",
              "CheckedNotebookExporter.check_setup", "Autograde.post_convert_hook"}
    assert changed(plain, not_executed) == common
    assert changed(plain, executed) == common | {"Autograde.sanitize_preprocessors"}
    assert executed.Autograde.sanitize_preprocessors == [] and not_executed.Autograde.sanitize_preprocessors


def test_does_the_architecture_page_list_every_difference(plain, worker, monkeypatch, tmp_path):
    executed = recording_config(plain, monkeypatch, tmp_path / "staging", executed=True)
    assert documented("worker") == changed(plain, worker.config)
    assert documented("writer") == changed(plain, executed)


def test_does_plain_nbgrader_get_what_course_config_sets(plain):
    """Every path starts from configure_nbgrader: the values of course_config.py reach their options."""
    assert plain.ContainedExecute.timeout == course_config.CELL_TIMEOUT_SECONDS
    assert plain.JudgeHandovers.verdict_timeout == course_config.JUDGE_TIMEOUT_SECONDS
    assert plain.GradingKernelManager.memory_limit == course_config.MEMORY_LIMIT_BYTES
    assert plain.CheckedNotebookExporter.probe_modules == list(course_config.PRELOAD_MODULES)
    assert plain.RemoveLeakedText.course_root == str(course_config.ROOT)
    assert "judges" not in plain.JudgeHandovers and "fork_server" not in plain.ForkedKernelManager
    assert Path(plain.CourseDirectory.root) == course_config.ROOT
