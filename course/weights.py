"""Pretrained weights, offline.

Pretrained ImageNet weights cannot be downloaded at grading time. The notebooks
load them through torchvision's weights API when they are in the torch cache
(TORCH_HOME), and otherwise go on with random weights. The course tooling can
place weight files in a cache and verify them against the hash in their file
name, so an instructor prepares a hub once.
"""
import argparse
import hashlib
import os
import posixpath
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import course_config

# torch.hub's convention: ``name-<first hex digits of the SHA-256>.ext``.
HASH_REGEX = re.compile(r"-([a-f0-9]+)\.")
CHUNK = 1 << 20


class WeightsError(ValueError):
    """A weight file has no hash in its name or does not match it."""


def cache_dir():
    """Where torchvision looks for weight files (honours TORCH_HOME)."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def shared_cache_dir(torch_home):
    """Where torchvision looks when ``TORCH_HOME=torch_home`` (torch.hub's layout: ``hub/checkpoints``)."""
    return Path(torch_home) / "hub" / "checkpoints"


def course_weights():
    """The torchvision weight enums the course uses (``course_config.PRETRAINED_WEIGHTS``)."""
    from torchvision.models import get_weight

    return [get_weight(name) for name in course_config.PRETRAINED_WEIGHTS]


def expected_filename(weights):
    """The file name torchvision looks for in the cache for ``weights``."""
    return posixpath.basename(urlparse(weights.url).path)


def hash_prefix(path):
    """The SHA-256 prefix carried by the file name, or WeightsError if there is none."""
    match = HASH_REGEX.search(Path(path).name)
    if match is None:
        raise WeightsError(f"{Path(path).name}: the name carries no hash (expected name-<sha256 prefix>.ext)")
    return match.group(1)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path):
    """True iff the file's SHA-256 starts with the prefix in its name."""
    return sha256(path).startswith(hash_prefix(path))


def _mismatch(path, prefix, actual):
    return WeightsError(f"{path}: SHA-256 {actual} does not start with {prefix}, the hash in its name")


#: A shared cache is read by every user of a hub and written by root only.
SHARED_FILE_MODE = 0o644
SHARED_DIR_MODE = 0o755


def install(paths, cache=None, mode=None):
    """Copy each verified file into the cache; refuse (WeightsError) a file that does not verify.

    ``mode``: the copies' permissions (default: the source's).
    """
    cache = Path(cache) if cache is not None else cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    installed = []
    for path in map(Path, paths):
        prefix = hash_prefix(path)
        target = cache / path.name
        if target.exists() and target.samefile(path):
            actual = sha256(path)
            if not actual.startswith(prefix):
                raise _mismatch(path, prefix, actual)
            if mode is not None:
                target.chmod(mode)
            installed.append(target)
            continue
        # Hash the bytes while copying them, and only publish the copy (os.replace is
        # atomic within a directory) once it verifies: torchvision never sees a partial file.
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{path.name}.", suffix=".tmp")
        try:
            digest = hashlib.sha256()
            with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
            if not digest.hexdigest().startswith(prefix):
                raise _mismatch(path, prefix, digest.hexdigest())
            if mode is None:
                shutil.copymode(path, tmp)
            else:
                os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        installed.append(target)
    return installed


def install_shared(paths, torch_home):
    """Install into a cache every user reads (``TORCH_HOME=torch_home``): folders 0755, files 0644, whatever
    the umask; each file verified again once in place."""
    cache = shared_cache_dir(torch_home)
    for folder in (Path(torch_home), cache.parent, cache):
        folder.mkdir(mode=SHARED_DIR_MODE, exist_ok=True)
        folder.chmod(SHARED_DIR_MODE)  # mkdir's mode is masked by the umask; an existing folder keeps its own
    installed = install(paths, cache, mode=SHARED_FILE_MODE)
    for target in installed:
        if not verify(target):
            raise _mismatch(target, hash_prefix(target), sha256(target))
    return installed


@dataclass
class WeightStatus:
    name: str       # e.g. "VGG16_Weights.IMAGENET1K_V1"
    path: Path      # where torchvision looks for it
    present: bool
    valid: bool     # False when missing


def status(cache=None):
    """For each course weight: its expected file, whether it is present, whether it verifies."""
    cache = Path(cache) if cache is not None else cache_dir()
    result = []
    for weights in course_weights():
        path = cache / expected_filename(weights)
        present = path.is_file()
        result.append(WeightStatus(f"{type(weights).__name__}.{weights.name}", path, present,
                                   present and verify(path)))
    return result


def _report(statuses):
    for s in statuses:
        state = "ok" if s.valid else ("BAD HASH" if s.present else "missing")
        print(f"{state:8} {s.name:32} {s.path.name}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course weights",
        description="Place and verify pretrained weights in the torch cache (TORCH_HOME), for offline grading.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="show which course weights are in the cache and whether they verify")
    install_parser = commands.add_parser("install", help="verify weight files and copy them into the cache")
    install_parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    install_parser.add_argument(
        "--shared", type=Path, metavar="PATH",
        help="install into a cache for every user of a hub instead of yours: PATH is their TORCH_HOME (files "
             "go to PATH/hub/checkpoints, readable by everyone)")
    commands.add_parser("verify", help="verify the course weights in the cache (exit 1 if one is bad)")
    args = parser.parse_args(argv)

    shared = getattr(args, "shared", None)
    print(f"cache: {shared_cache_dir(shared) if shared else cache_dir()}")
    if args.command == "install":
        try:
            placed = install_shared(args.files, shared) if shared else install(args.files)
            for path in placed:
                print(f"installed {path}")
        except (WeightsError, OSError) as error:
            print(f"error: {error}")
            return 1
        expected = {expected_filename(w) for w in course_weights()}
        for path in args.files:
            if path.name not in expected:
                print(f"note: {path.name} is not one of the course weights ({', '.join(sorted(expected))})")
        return 0

    statuses = status()
    _report(statuses)
    if args.command == "verify":
        bad = [s for s in statuses if s.present and not s.valid]
        if bad:
            print(f"{len(bad)} bad file(s): delete them and install good copies")
            return 1
        if not all(s.present for s in statuses):
            print("missing weights: the notebooks will use random weights instead")
    return 0
