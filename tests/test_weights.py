"""Offline pretrained weights: the torch cache, file hashes and torchvision's loading path."""
import hashlib
import os
import stat

import pytest
import torch
import torchvision
from torchvision.models import ResNet18_Weights, VGG16_Weights

import course_config
from course import weights
from course.weights import WeightsError


@pytest.fixture(autouse=True)
def torch_home(tmp_path, monkeypatch):
    """A private, empty torch cache: the real one (~/.cache/torch) is never touched."""
    home = tmp_path / "torch_home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(url, *args, **kwargs):
        raise AssertionError(f"tried to download {url}")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)


def checkpoint(directory, name="tiny"):
    """A small checkpoint named as torch.hub names them: name-<sha256 prefix>.pth."""
    directory.mkdir(parents=True, exist_ok=True)
    raw = directory / "raw.pth"
    torch.save({"weight": torch.arange(6.0).reshape(2, 3), "bias": torch.zeros(2)}, raw)
    prefix = hashlib.sha256(raw.read_bytes()).hexdigest()[:8]
    return raw.rename(directory / f"{name}-{prefix}.pth")


def test_is_the_cache_under_torch_home(torch_home):
    assert weights.cache_dir() == torch_home / "hub" / "checkpoints"


def test_are_the_course_weights_those_of_the_configuration():
    names = [f"{type(w).__name__}.{w.name}" for w in weights.course_weights()]
    assert names == list(course_config.PRETRAINED_WEIGHTS)


def test_is_the_expected_filename_that_of_the_url():
    assert weights.expected_filename(VGG16_Weights.IMAGENET1K_V1) == "vgg16-397923af.pth"


def test_does_verify_accept_a_file_whose_name_carries_its_hash(tmp_path):
    assert weights.verify(checkpoint(tmp_path))


def test_does_verify_reject_a_corrupted_file(tmp_path):
    path = checkpoint(tmp_path)
    path.write_bytes(path.read_bytes() + b"\0")
    assert not weights.verify(path)


def test_does_verify_reject_a_name_without_hash(tmp_path):
    path = checkpoint(tmp_path).rename(tmp_path / "tiny.pth")
    with pytest.raises(WeightsError, match="tiny.pth"):
        weights.verify(path)


def test_does_install_place_the_file_in_the_cache(tmp_path, torch_home):
    path = checkpoint(tmp_path / "downloads")
    installed = weights.install([path])
    assert installed == [weights.cache_dir() / path.name]
    assert installed[0].read_bytes() == path.read_bytes()
    # Atomic copy: no temporary file is left next to it.
    assert list(weights.cache_dir().iterdir()) == installed
    assert torch.load(installed[0])["weight"].shape == (2, 3)


def test_does_install_accept_a_file_already_in_the_cache(tmp_path):
    path = weights.install([checkpoint(tmp_path)])[0]
    assert weights.install([path]) == [path]


def test_does_install_refuse_a_file_whose_hash_does_not_match(tmp_path):
    path = checkpoint(tmp_path)
    path.write_bytes(path.read_bytes() + b"\0")
    prefix = path.stem.split("-")[1]
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(WeightsError) as error:
        weights.install([path])
    assert path.name in str(error.value) and prefix in str(error.value) and actual in str(error.value)
    assert not weights.cache_dir().exists() or list(weights.cache_dir().iterdir()) == []


def test_does_install_refuse_a_name_without_hash(tmp_path):
    path = checkpoint(tmp_path).rename(tmp_path / "tiny.pth")
    with pytest.raises(WeightsError):
        weights.install([path])


def test_does_status_report_missing_files_for_an_empty_cache():
    statuses = weights.status()
    assert [s.path.name for s in statuses] == [weights.expected_filename(w) for w in weights.course_weights()]
    assert all(not s.present and not s.valid for s in statuses)
    assert all(s.path.parent == weights.cache_dir() for s in statuses)


def test_does_status_report_a_file_that_does_not_verify():
    cache = weights.cache_dir()
    cache.mkdir(parents=True)
    (cache / "vgg16-397923af.pth").write_bytes(b"truncated")
    vgg = {s.name: s for s in weights.status()}["VGG16_Weights.IMAGENET1K_V1"]
    assert vgg.present and not vgg.valid


def test_does_the_cli_verify_fail_on_a_bad_file_only(capsys):
    assert weights.main(["verify"]) == 0
    cache = weights.cache_dir()
    cache.mkdir(parents=True)
    (cache / "vgg16-397923af.pth").write_bytes(b"truncated")
    assert weights.main(["verify"]) == 1
    assert "BAD HASH" in capsys.readouterr().out


def test_does_the_cli_install_and_report(tmp_path, capsys):
    path = checkpoint(tmp_path)
    assert weights.main(["install", str(path)]) == 0
    assert (weights.cache_dir() / path.name).exists()
    assert weights.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "installed" in out and "missing" in out


def test_does_torchvision_load_the_weights_from_the_cache(torch_home):
    state = torchvision.models.resnet18().state_dict()
    cache = torch_home / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(state, cache / weights.expected_filename(ResNet18_Weights.IMAGENET1K_V1))

    model = torchvision.models.resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[key], state[key]) for key in state)


def test_does_the_cli_install_shared_weights_every_user_can_read_where_torch_looks(tmp_path, torch_home,
                                                                                   monkeypatch, capsys):
    path = checkpoint(tmp_path / "downloads")
    path.chmod(0o600)
    shared = tmp_path / "shared"
    old_umask = os.umask(0o077)  # an administrator's strict umask must not make the cache private
    try:
        assert weights.main(["install", "--shared", str(shared), str(path)]) == 0
    finally:
        os.umask(old_umask)
    placed = shared / "hub" / "checkpoints" / path.name
    assert placed.read_bytes() == path.read_bytes()
    assert stat.S_IMODE(placed.stat().st_mode) == 0o644
    assert [stat.S_IMODE(p.stat().st_mode) for p in (shared, shared / "hub", placed.parent)] == [0o755] * 3
    assert not torch_home.exists()  # the caller's own cache is left alone
    monkeypatch.setenv("TORCH_HOME", str(shared))
    assert weights.cache_dir() == placed.parent
    assert f"installed {placed}" in capsys.readouterr().out


def test_does_the_cli_refuse_a_bad_file_for_the_shared_cache(tmp_path, capsys):
    path = checkpoint(tmp_path)
    path.write_bytes(path.read_bytes() + b"\0")
    assert weights.main(["install", "--shared", str(tmp_path / "shared"), str(path)]) == 1
    assert "does not start with" in capsys.readouterr().out
    assert list((tmp_path / "shared" / "hub" / "checkpoints").iterdir()) == []
