"""``course doctor`` on a course folder of this machine (as root: the checks that need Unix users are in
tests/deployment/test_permissions.py), and the fix it names for each platform without user namespaces."""
import subprocess
import sys

import pytest

from course.deployment import userns


def doctor(root):
    return subprocess.run([sys.executable, "-m", "course", "doctor"], cwd=root, capture_output=True, text=True,
                          timeout=900)


def use_exchange(root, exchange):
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"get_config().Exchange.root = {str(exchange)!r}  # noqa: F821\n")


def test_does_doctor_name_a_configuration_that_cannot_load_and_its_fix(course_copy):
    config = course_copy / "course_config.py"
    config.write_text("import a_module_this_python_lacks\n" + config.read_text())
    said = doctor(course_copy)
    assert said.returncode == 1, said.stderr[-3000:]
    assert "ERROR   [configuration] The course configuration (course_config.py in" in said.stdout, said.stdout
    assert "No module named 'a_module_this_python_lacks'" in said.stdout
    assert "fix: start the instructor's Jupyter server (the formgrader) and nbgrader from the course environment" \
        in said.stdout


def test_does_doctor_find_exchange_folders_others_can_list(course_copy, tmp_path):
    exchange = tmp_path / "exchange"
    for folder, mode in (("", 0o1777), ("cnn-pytorch", 0o755), ("cnn-pytorch/inbound", 0o777),
                         ("cnn-pytorch/feedback", 0o755)):
        (exchange / folder).mkdir(exist_ok=True)
        (exchange / folder).chmod(mode)
    use_exchange(course_copy, exchange)
    said = doctor(course_copy)
    assert said.returncode == 1
    inbound, feedback = exchange / "cnn-pytorch" / "inbound", exchange / "cnn-pytorch" / "feedback"
    assert f"Others may list {inbound} (mode 777): every student sees every hand-in" in said.stdout, said.stdout
    assert f"fix: chmod 2733 {inbound}" in said.stdout
    assert f"Others may list {feedback} (mode 755): every student sees every feedback file name" in said.stdout
    assert f"fix: chmod 711 {feedback}" in said.stdout


PLATFORMS = {
    "Debian before 11": ("UNPRIVILEGED_CLONE", "0", "sysctl -w kernel.unprivileged_userns_clone=1"),
    "a limit of 0": ("MAX_NAMESPACES", "0", "sysctl -w user.max_user_namespaces=15000"),
    "Ubuntu 24.04": ("APPARMOR_RESTRICTION", "1", "apparmor_parser -r /etc/apparmor.d/bwrap"),
}


@pytest.mark.parametrize("setting, value, fix", PLATFORMS.values(), ids=PLATFORMS.keys())
def test_does_the_sandbox_check_name_the_fix_of_each_platform(setting, value, fix, tmp_path, monkeypatch):
    for name in ("UNPRIVILEGED_CLONE", "MAX_NAMESPACES", "APPARMOR_RESTRICTION"):
        monkeypatch.setattr(userns, name, tmp_path / name)  # as the kernel shows them: absent, or a value
    (tmp_path / setting).write_text(value + "\n")
    what, said_fix = userns.diagnose("bwrap: No permissions to create new namespace")
    assert "namespaces" in what and "No permissions to create new namespace" in what
    assert fix in said_fix


def test_does_the_sandbox_check_name_the_fix_in_a_container(tmp_path, monkeypatch):
    for name in ("UNPRIVILEGED_CLONE", "MAX_NAMESPACES", "APPARMOR_RESTRICTION"):
        monkeypatch.setattr(userns, name, tmp_path / name)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    what, fix = userns.diagnose("bwrap: Creating new namespace failed: Operation not permitted")
    assert "container (kubernetes)" in what
    assert "--security-opt seccomp=unconfined --security-opt apparmor=unconfined" in fix
    assert "seccompProfile: {type: Unconfined}" in fix


def test_does_the_sandbox_check_pass_where_bwrap_works():
    assert userns.bwrap_failure() is None
