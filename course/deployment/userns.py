"""Can this user run the sandbox? bubblewrap needs unprivileged user namespaces, which many platforms turn off.

Without them every sandboxed kernel dies at start and nbgrader only says "Kernel died". So the sandbox is
tried for real (:func:`bwrap_failure`: bwrap as the sandbox runs it, but running ``true``), and when it fails
the kernel's and the platform's settings name the fix (:func:`diagnose`).
"""
import os
import shutil
import subprocess
from pathlib import Path

#: What the kernel says, and where (each file exists only on some kernels).
UNPRIVILEGED_CLONE = Path("/proc/sys/kernel/unprivileged_userns_clone")  # Debian before 11, older Ubuntu
MAX_NAMESPACES = Path("/proc/sys/user/max_user_namespaces")  # every Linux since 4.9
APPARMOR_RESTRICTION = Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")  # Ubuntu 23.10 and later

#: A profile that lets bwrap create user namespaces under Ubuntu's AppArmor restriction (line breaks as printf
#: reads them).
APPARMOR_PROFILE = (r"abi <abi/4.0>,\ninclude <tunables/global>\n"
                    r"profile bwrap /usr/bin/bwrap flags=(unconfined) {\n  userns,\n}\n")

PERSIST = "(to keep it after a reboot, write the setting to /etc/sysctl.d/90-userns.conf)"


def bwrap_failure(bwrap="bwrap", timeout=30):
    """None when bwrap can sandbox a process here; otherwise what went wrong (bwrap's own words)."""
    path = shutil.which(bwrap)
    if path is None:
        return f"bubblewrap ('{bwrap}') is not installed"
    try:
        result = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                                capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as problem:
        return f"{path} could not run: {problem}"
    if result.returncode == 0:
        return None
    return (result.stderr or result.stdout).strip() or f"{path} exited with status {result.returncode}"


def _read(path):
    try:
        return path.read_text().strip()
    except OSError:
        return None


def in_container():
    """A name for the container platform this runs in, or None."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return "kubernetes"
    if os.path.exists("/run/.containerenv"):
        return "podman"
    if os.path.exists("/.dockerenv"):
        return "docker"
    cgroups = _read(Path("/proc/1/cgroup")) or ""
    for name in ("kubepods", "docker", "containerd", "lxc"):
        if name in cgroups:
            return "kubernetes" if name == "kubepods" else name
    return None


def diagnose(failure, bwrap="bwrap"):
    """(what is wrong, the command that fixes it) for a bwrap that cannot sandbox (``failure``: its words)."""
    if shutil.which(bwrap) is None:
        return (f"bubblewrap ('{bwrap}') is not installed, so no submission can be isolated.",
                "apt-get install bubblewrap   (as root)")
    said = f"bwrap said: {failure}"
    if _read(UNPRIVILEGED_CLONE) == "0":
        return (f"Unprivileged user namespaces are turned off (kernel.unprivileged_userns_clone = 0, Debian before "
                f"11), and bubblewrap needs them to sandbox the students' kernels. {said}",
                f"sysctl -w kernel.unprivileged_userns_clone=1   (as root; {PERSIST})")
    if _read(MAX_NAMESPACES) == "0":
        return (f"User namespaces are turned off (user.max_user_namespaces = 0), and bubblewrap needs them to "
                f"sandbox the students' kernels. {said}",
                f"sysctl -w user.max_user_namespaces=15000   (as root; {PERSIST})")
    if _read(APPARMOR_RESTRICTION) == "1":
        return (f"AppArmor restricts unprivileged user namespaces (Ubuntu 24.04 and later: "
                f"kernel.apparmor_restrict_unprivileged_userns = 1), and bubblewrap needs them to sandbox the "
                f"students' kernels. {said}",
                "as root, give bwrap an AppArmor profile that allows them:\n"
                f"printf '{APPARMOR_PROFILE}' > /etc/apparmor.d/bwrap && apparmor_parser -r /etc/apparmor.d/bwrap")
    platform = in_container()
    if platform:
        return (f"This runs in a container ({platform}) started without user namespaces (its seccomp or AppArmor "
                f"profile forbids them), and bubblewrap needs them to sandbox the students' kernels. {said}",
                "start the container with them allowed:\n"
                "Docker/Podman: docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined ...\n"
                "Kubernetes: in the pod's securityContext, seccompProfile: {type: Unconfined} and "
                "appArmorProfile: {type: Unconfined}")
    return (f"bubblewrap cannot create the sandbox's namespaces (user namespaces unavailable to this user?), so "
            f"no submission can be isolated. {said}",
            "allow unprivileged user namespaces on this machine (see `sysctl user.max_user_namespaces`, "
            "kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns), or, only if every "
            "notebook graded here is trusted, set SANDBOX = 'none' in course_config.py")
