"""Run a command as a user on a machine without user namespaces, for real, without changing the machine.

``user.max_user_namespaces`` is a limit of each user namespace: set to 0 inside a namespace of its own, it
forbids new user namespaces to every process in there, exactly as ``sysctl -w user.max_user_namespaces=0``
would for the whole machine (as on many container platforms). The command runs in such a namespace that maps
every uid and gid to itself (so files keep their owners), as ``user``, without any capability.
"""
import os
import subprocess
import time

#: Run in the new namespace by its root (who alone may lower the limit), then becomes the user. The limit is
#: lowered by a program started once the ids are mapped: only then does root there get its capabilities.
LOWER_THEN_DROP = ('echo 0 > /proc/sys/user/max_user_namespaces && uid=$1 gid=$2 && shift 2 && '
                   'exec setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"')
WAIT_FOR_MAPS = 'read go && exec sh -c "$0" sh "$@"'



def run_without_user_namespaces(user, command, *, env, cwd, timeout=900):
    """``subprocess.run``'s result of ``command`` run as ``user`` where no user namespace can be created."""
    process = subprocess.Popen(["unshare", "--user", "--", "sh", "-c", WAIT_FOR_MAPS,
                                LOWER_THEN_DROP, str(user.uid), str(user.gid), *command],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, cwd=str(cwd))
    try:
        _wait_for_own_namespace(process.pid)
        for name in ("uid_map", "gid_map"):  # written from outside, by root: every id maps to itself
            with open(f"/proc/{process.pid}/{name}", "w") as stream:
                stream.write("0 0 4294967295\n")
        stdout, stderr = process.communicate("go\n", timeout=timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _wait_for_own_namespace(pid, seconds=30):
    ours = os.readlink("/proc/self/ns/user")
    deadline = time.monotonic() + seconds
    while os.readlink(f"/proc/{pid}/ns/user") == ours:
        if time.monotonic() > deadline:
            raise TimeoutError("unshare --user did not create its namespace")
        time.sleep(0.01)
