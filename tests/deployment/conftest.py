"""The course as deployed on a shared machine (deploy/install.sh), used by Unix users made for the test.

The shared environment is built once per checkout and machine (about 80 s and 6 GB the first time) under
/var/tmp, then only updated by deploy/install.sh at each session, exactly as an administrator updates it.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from unix_users import UnixUsers

REPOSITORY = Path(__file__).resolve().parents[2]
ENVIRONMENTS = Path("/var/tmp/cnn-course-test-envs")


@dataclass(frozen=True)
class Deployment:
    env: Path  # the course environment (read-only for users)
    site: Path  # the session's machine-wide folders: exchange, weights, course sources
    exchange: Path
    weights: Path
    instructors_group: str

    @property
    def bin(self):
        return self.env / "bin"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/deployment/" in str(item.fspath):
            item.add_marker(pytest.mark.hub)


@pytest.fixture(scope="session")
def unix_users():
    if os.geteuid() != 0:
        pytest.skip("creates Unix users: run as root (CI does)")
    for tool in ("useradd", "userdel", "groupadd", "pkill"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing (Debian's passwd and procps packages)")
    users = UnixUsers()
    yield users
    users.close()


@pytest.fixture(scope="session")
def deployment(unix_users):
    """deploy/install.sh run as root, as docs/hub.md says, into folders every user can reach."""
    checkout = hashlib.sha256(str(REPOSITORY).encode()).hexdigest()[:8]
    key = f"{checkout}-{hashlib.sha256((REPOSITORY / 'pyproject.toml').read_bytes()).hexdigest()[:8]}"
    ENVIRONMENTS.mkdir(mode=0o755, parents=True, exist_ok=True)
    env = ENVIRONMENTS / key
    for stale in ENVIRONMENTS.glob(f"{checkout}-*"):  # this checkout's environments for older dependencies
        if stale.is_dir() and stale != env:
            shutil.rmtree(stale, ignore_errors=True)
    site = Path(tempfile.mkdtemp(prefix="cnn-site-", dir="/var/tmp"))
    site.chmod(0o755)
    group = unix_users.group(f"{unix_users.prefix}instr")
    settings = {"COURSE_ENV": str(env), "EXCHANGE_ROOT": str(site / "exchange"),
                "WEIGHTS_DIR": str(site / "weights"), "INSTRUCTORS_GROUP": group}
    with open(ENVIRONMENTS / f"{key}.lock", "w") as lock:  # one install at a time per environment
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(["sh", str(REPOSITORY / "deploy" / "install.sh")], env={**os.environ, **settings},
                                capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"deploy/install.sh failed:\n{result.stdout}\n{result.stderr}"
    yield Deployment(env, site, site / "exchange", site / "weights", group)
    shutil.rmtree(site, ignore_errors=True)


@pytest.fixture(scope="session")
def course_hub(deployment, unix_users):
    """A real JupyterHub of the course, set up by docs/hub.md's commands up to the first release, with an
    instructor and three students whose servers run (tests/support/course_hub.py)."""
    import course_hub as hub_support

    if shutil.which("configurable-http-proxy") is None:
        pytest.fail("configurable-http-proxy (JupyterHub's proxy) is missing: npm install -g configurable-http-proxy "
                    "(npm from Debian's nodejs and npm packages; `make setup` does it)")
    hub = hub_support.set_up(deployment, unix_users)
    yield hub
    hub.stop()
