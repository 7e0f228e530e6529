"""deploy/jupyterhub_config.py, read as JupyterHub reads it: the settings each user's server gets."""
from types import SimpleNamespace

import pytest
from traitlets.config import PyFileConfigLoader

import course_config

CONFIG = course_config.ROOT / "deploy" / "jupyterhub_config.py"


def load(monkeypatch, tmp_path, **settings):
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True, exist_ok=True)
    (env / "bin" / "jupyterhub-singleuser").touch()
    defaults = {"COURSE_ENV": env, "WEIGHTS_DIR": tmp_path / "weights", "HUB_STATE_DIR": tmp_path / "state",
                "HUB_SITE_CONFIG": tmp_path / "site.py", "COURSE_INSTRUCTORS": ""}
    for name, value in {**defaults, **settings}.items():
        monkeypatch.setenv(name, str(value))
    return PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config(), env


def spawned(config, name):
    """What the pre-spawn hook makes of a user's server."""
    spawner = SimpleNamespace(user=SimpleNamespace(name=name), notebook_dir="", cmd=list(config.Spawner.cmd),
                              environment=dict(config.Spawner.environment))
    config.Spawner.pre_spawn_hook(spawner)
    return spawner


def test_does_every_server_run_from_the_course_environment_with_the_shared_weights(monkeypatch, tmp_path):
    config, env = load(monkeypatch, tmp_path)
    assert config.Spawner.cmd == [str(env / "bin" / "jupyterhub-singleuser")]
    assert config.Spawner.environment["PATH"].split(":")[0] == str(env / "bin")
    assert config.Spawner.environment["TORCH_HOME"] == str(tmp_path / "weights")
    assert config.Spawner.default_url == "/lab"
    assert "PYTHONPATH" not in config.Spawner.env_keep and "VIRTUAL_ENV" not in config.Spawner.env_keep


def test_does_an_instructors_server_start_in_the_course_folder(monkeypatch, tmp_path):
    config, env = load(monkeypatch, tmp_path, COURSE_INSTRUCTORS="alice=/home/alice/cnn-course, bob=/srv/c")
    alice = spawned(config, "alice")
    assert alice.notebook_dir == "/home/alice/cnn-course"
    # The formgrader reads nbgrader_config.py from the server's working folder.
    assert alice.cmd[:4] == ["/bin/sh", "-c", 'cd "$0" && exec "$@"', "/home/alice/cnn-course"]
    assert alice.cmd[4:] == config.Spawner.cmd
    assert "JUPYTER_CONFIG_PATH" not in alice.environment
    config.Spawner.pre_spawn_hook(alice)  # a restart of the same server (JupyterHub keeps its spawner)
    assert alice.cmd[4:] == config.Spawner.cmd


def test_does_a_students_server_read_the_students_settings_first(monkeypatch, tmp_path):
    config, env = load(monkeypatch, tmp_path, COURSE_INSTRUCTORS="alice=/home/alice/cnn-course")
    carol = spawned(config, "carol")
    assert carol.notebook_dir == "" and carol.cmd == config.Spawner.cmd
    assert carol.environment["JUPYTER_CONFIG_PATH"] == str(env / "etc" / "jupyter-students")
    assert "JUPYTER_CONFIG_PATH" not in config.Spawner.environment  # (not shared with the next server)


def test_does_the_site_file_have_the_last_word(monkeypatch, tmp_path):
    (tmp_path / "site.py").write_text('c.JupyterHub.authenticator_class = "dummy"\n')
    config, _ = load(monkeypatch, tmp_path)
    assert config.JupyterHub.authenticator_class == "dummy"


@pytest.mark.parametrize("instructors", ["alice", "alice=relative/folder", "=/srv/c"])
def test_does_a_malformed_instructors_list_stop_the_hub(monkeypatch, tmp_path, instructors):
    with pytest.raises(ValueError, match="COURSE_INSTRUCTORS"):
        load(monkeypatch, tmp_path, COURSE_INSTRUCTORS=instructors)


def test_does_a_missing_course_environment_stop_the_hub_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_ENV", str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit, match="run deploy/install.sh first"):
        PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
