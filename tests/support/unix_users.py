"""Unix users made for a test, and commands run as them (never as root).

CI runs as root, which hides permission bugs: the tests that matter for ordinary users create users with
``useradd`` and drop to them through ``subprocess``'s ``user=``/``group=``/``extra_groups=``.
"""
import grp
import os
import pwd
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class UnixUser:
    name: str
    uid: int
    gid: int
    home: Path

    @property
    def groups(self):
        return os.getgrouplist(self.name, self.gid)


class UnixUsers:
    """Creates users with a common random prefix and removes them (and their processes, homes) at close."""

    def __init__(self):
        self.prefix = "c" + secrets.token_hex(3)
        self.created = []
        self.groups = []

    def group(self, name):
        """A group for the session (an existing one is reused and left in place)."""
        try:
            grp.getgrnam(name)
        except KeyError:
            subprocess.run(["groupadd", name], check=True)
            self.groups.append(name)
        return name

    def create(self, role, groups=()):
        name = f"{self.prefix}{role}"[:32]
        command = ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name]
        if groups:
            command[1:1] = ["--groups", ",".join(groups)]
        subprocess.run(command, check=True)
        self.created.append(name)
        entry = pwd.getpwnam(name)
        return UnixUser(name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))

    def close(self):
        for name in self.created:
            subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        for name in self.created:
            subprocess.run(["userdel", "--force", "--remove", name], check=False, capture_output=True)
        for name in self.groups:
            subprocess.run(["groupdel", name], check=False, capture_output=True)


def user_environment(user, path_first=(), **extra):
    """A login-like environment: what a fresh shell of ``user`` would have, plus ``extra``."""
    path = os.pathsep.join([*map(str, path_first), "/usr/local/bin", "/usr/bin", "/bin"])
    env = {"HOME": str(user.home), "USER": user.name, "LOGNAME": user.name, "PATH": path,
           "LANG": "C.UTF-8", "SHELL": "/bin/bash"}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def run_as(user, command, *, env, cwd=None, check=True, timeout=1800, **kwargs):
    """Run ``command`` as ``user`` (its uid, gid and groups), with ``env`` only."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    result = subprocess.run(command, user=user.uid, group=user.gid, extra_groups=user.groups, env=env,
                            cwd=str(cwd or user.home), timeout=timeout, umask=0o022, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{command} as {user.name} exited {result.returncode}\n"
                             f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result
