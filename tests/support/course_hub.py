"""The course on a real JupyterHub, set up by running docs/hub.md's own commands, for the deployment tests.

The guide's shell blocks are each preceded by ``<!-- e2e: WHO STEP -->`` (WHO: root, instructor or student;
one ``variables`` block). The tests run every block, in their order, as the named Unix user, after exports of
the test's own values for the guide's variables; :meth:`Guide.unrun` says which were not run.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from unix_users import run_as, user_environment

REPOSITORY = Path(__file__).resolve().parents[2]
GUIDE = REPOSITORY / "docs" / "hub.md"
REPORTS = REPOSITORY / "reports" / "hub"
BLOCK = re.compile(r"<!-- e2e: (?P<step>[^>]+?) -->\n```sh\n(?P<code>.*?)```", re.S)
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSWORD = secrets.token_urlsafe(12)


class Guide:
    """docs/hub.md's shell blocks, by step ("root install", "student fetch"...), and which were run."""

    def __init__(self, path=GUIDE):
        text = path.read_text(encoding="utf-8")
        self.blocks = {match["step"].strip(): match["code"] for match in BLOCK.finditer(text)}
        self.unmarked = text.count("```sh") - len(self.blocks)
        self.variables = re.findall(r"^export (\w+)=", self.blocks.pop("variables"), re.M)
        self.run = set()

    def script(self, step, values):
        missing = set(self.variables) - set(values)
        assert not missing, f"the test gives no value to the guide's {sorted(missing)}"
        exports = "".join(f"export {name}={shell_quote(values[name])}\n" for name in self.variables)
        self.run.add(step)
        return exports + self.blocks[step]

    def unrun(self):
        return sorted(set(self.blocks) - self.run)


def shell_quote(value):
    return "'" + str(value).replace("'", "'\\''") + "'"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def snapshot_bundle(destination):
    """The repository as it stands (tracked and new files, uncommitted changes included), as a git bundle
    any user can clone (a repository owned by root would be refused as of "dubious ownership")."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=REPOSITORY, capture_output=True, check=True).stdout.decode().split("\0")
    tree = destination / "snapshot"
    for name in filter(None, files):
        source = REPOSITORY / name
        if source.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", "-C", str(tree)]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + command, check=True, capture_output=True)
    bundle = destination / "cnn-course.bundle"
    subprocess.run(git + ["bundle", "create", "-q", str(bundle), "HEAD", "--branches"], check=True,
                   capture_output=True)
    bundle.chmod(0o644)
    shutil.rmtree(tree)
    return bundle


def fake_weights(folder):
    """A tiny checkpoint named as torch.hub names them (the official files are 0.5 GB)."""
    import hashlib

    raw = os.urandom(4096)
    path = folder / f"tiny-{hashlib.sha256(raw).hexdigest()[:8]}.pth"
    path.write_bytes(raw)
    path.chmod(0o600)
    return path


SITE_CONFIG = """
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.slow_spawn_timeout = 0  # the API answers at once; the test waits for the servers itself
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.JupyterHub.services = [{{"name": "e2e", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "e2e", "services": ["e2e"],
                             "scopes": ["admin:users", "admin:servers", "access:servers", "list:users"]}}]
"""


@dataclass
class CourseHub:
    """A running hub of the course, its users, and the guide's values."""
    deployment: object
    instructor: object
    students: list
    values: dict
    guide: Guide
    url: str = ""
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    process: object = None
    log: Path = None

    timings: dict = field(default_factory=dict)
    spawns: list = field(default_factory=list)

    def timed(self, name, function, *args, **kwargs):
        """``function(*args, **kwargs)``, its wall time kept in ``timings`` (the suite must stay fast)."""
        start = time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            self.timings[name] = round(time.monotonic() - start, 1)

    # --- running the guide's blocks
    def environment(self, user):
        """A terminal of ``user``'s JupyterLab on the hub: PATH starts with the course environment."""
        return user_environment(user, [self.deployment.bin], TORCH_HOME=self.deployment.weights)

    def as_root(self, step):
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", self.guide.script(step, self.values)],
                                env={"PATH": ROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8"},
                                cwd=self.deployment.site, capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, f"guide step {step!r} as root:\n{result.stdout}\n{result.stderr}"
        return result

    def as_user(self, user, step, timeout=1800):
        script = self.guide.script(step, self.values)
        return run_as(user, ["bash", "-euo", "pipefail", "-c", script], env=self.environment(user),
                      timeout=timeout)

    def run_as_instructor(self, command, check=True):
        """A command of the instructor's terminal that the guide does not show (plain nbgrader autograde)."""
        return run_as(self.instructor, ["bash", "-euo", "pipefail", "-c", command],
                      env=self.environment(self.instructor), check=check)

    def python_as(self, user, code, *, cwd=None, stdin=None, check=True):
        """``code`` run by the course environment's Python, as ``user``."""
        return run_as(user, [str(self.deployment.bin / "python"), "-c", code], env=self.environment(user),
                      cwd=cwd, input=stdin, check=check)

    # --- the hub
    def start(self):
        port = free_port()
        Path(self.values["HUB_SITE_CONFIG"]).write_text(SITE_CONFIG.format(
            port=port, hub_port=free_port(), proxy_port=free_port(), password=PASSWORD, token=self.token))
        self.url = f"http://127.0.0.1:{port}"
        self.log = self.deployment.site / "jupyterhub.log"
        script = self.guide.script("root start-hub", self.values)
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                ["bash", "-euo", "pipefail", "-c", script], cwd=self.deployment.site,
                env={"PATH": ROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8"}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.request("GET", "/hub/api/", timeout=10)[0] == 200:  # (the proxy answers 404 at first)
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            assert self.process.poll() is None, f"the hub stopped:\n{self.log.read_text()[-5000:]}"
            assert time.monotonic() < deadline, f"the hub did not answer:\n{self.log.read_text()[-5000:]}"
            time.sleep(0.5)

    def stop(self):
        if self.log is not None and self.log.exists():  # kept for a failed run (reports/ is ignored by git)
            REPORTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.log, REPORTS / "jupyterhub.log")
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the hub stops the users' servers it started
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def request(self, method, path, body=None, timeout=600):
        """(status, decoded JSON or text) of a request to the hub, with the test service's token."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, raw.decode(errors="replace")

    def api(self, method, path, body=None, timeout=600):
        status, answer = self.request(method, path, body, timeout)
        if status >= 400:
            raise AssertionError(f"{method} {path}: {status} {str(answer)[:2000]}\n"
                                 f"--- hub log\n{self.log.read_text()[-4000:]}")
        return answer

    def start_servers(self, users, wait=True):
        """Each user's server, started by the hub's spawner (as a user would by logging in)."""
        names = [user.name for user in users]
        self.api("POST", "/hub/api/users", {"usernames": names})
        # The hub answers a spawn request once the server is up: ask for all of them at once, in the background.
        pool = ThreadPoolExecutor(len(names))
        self.spawns = [pool.submit(self.api, "POST", f"/hub/api/users/{name}/server") for name in names]
        pool.shutdown(wait=False)
        if wait:
            self.wait_for_servers(users)

    def wait_for_servers(self, users):
        for spawn in self.spawns:
            spawn.result(timeout=300)
        deadline = time.monotonic() + 240
        for name in (user.name for user in users):
            while not self.api("GET", f"/hub/api/users/{name}").get("servers", {}).get("", {}).get("ready"):
                assert time.monotonic() < deadline, f"{name}'s server did not start:\n{self.log.read_text()[-5000:]}"
                time.sleep(1)


def variables(deployment, instructor, students, bundle, weights_file):
    site = deployment.site
    return {
        "COURSE_REPO": bundle, "COURSE_SRC": site / "src", "COURSE_ENV": deployment.env,
        "EXCHANGE_ROOT": deployment.exchange, "WEIGHTS_DIR": deployment.weights,
        "INSTRUCTORS_GROUP": deployment.instructors_group, "INSTRUCTOR": instructor.name,
        "COURSE_DIR": instructor.home / "cnn-course", "STUDENTS": " ".join(s.name for s in students),
        "HUB_STATE_DIR": site / "hub-state", "HUB_SITE_CONFIG": site / "jupyterhub_site.py",
        "WEIGHT_FILES": weights_file, "ASSIGNMENT": "tp_convolution",
    }


def set_up(deployment, unix_users, students=3):
    """The guide, from the machine's packages to the first release, then the hub and the users' servers."""
    instructor = unix_users.create("hubins", groups=[deployment.instructors_group])
    students = [unix_users.create(f"hubstu{i}") for i in range(1, students + 1)]
    guide = Guide()
    values = variables(deployment, instructor, students, snapshot_bundle(deployment.site),
                       fake_weights(deployment.site))
    hub = CourseHub(deployment, instructor, students, values, guide)
    for step in ("root packages", "root install", "root weights"):
        hub.timed(step, hub.as_root, step)
    hub.timed("instructor clone", hub.as_user, instructor, "instructor clone")
    hub.as_root("root permissions")
    hub.timed("instructor permissions", hub.as_user, instructor, "instructor permissions")  # course doctor: clean
    try:
        hub.timed("hub start", hub.start)
        hub.timed("servers", hub.start_servers, [instructor, *students], wait=False)
        hub.timed("instructor release", hub.as_user, instructor, "instructor release")  # while the servers start
        hub.timed("servers ready", hub.wait_for_servers, [instructor, *students])
    except BaseException:
        hub.stop()  # (a hub left running would outlive the session)
        raise
    return hub
