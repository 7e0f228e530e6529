"""Plain nbgrader commands typed in the course root use course_config.py."""
import subprocess
import sys

import nbformat

import course_config


def nbgrader(root, *args):
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, capture_output=True, text=True,
                          env={"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": str(root)})


def test_does_plain_generate_assignment_apply_the_course_settings(course_copy):
    result = nbgrader(course_copy, "generate_assignment", "tp_convolution")
    assert result.returncode == 0, result.stderr
    release = course_copy / "release" / "tp_convolution"
    assert sorted(p.name for p in release.iterdir()) == ["cat.jpg", "tp_convolution.ipynb"]
    notebook = nbformat.read(release / "tp_convolution.ipynb", as_version=4)
    assert any(course_config.CODE_STUB in cell.source for cell in notebook.cells)


def test_does_nbgrader_load_the_course_config_without_error(course_copy):
    result = nbgrader(course_copy, "db", "assignment", "list")
    assert result.returncode == 0
    assert "Exception while loading config" not in result.stderr, result.stderr


def test_does_autograde_execute_with_the_course_preprocessor_in_the_sandbox():
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    config = Config()
    course_config.configure_nbgrader(config)
    executes = [p for p in config.Autograde.autograde_preprocessors if issubclass(p, Execute)]
    assert len(executes) == 1 and executes[0] is not Execute
    assert config.Execute.kernel_manager_class == "course.grading.sandbox.SandboxedKernelManager"


def test_does_the_kernel_run_the_courses_own_python():
    from traitlets.config import Config

    config = Config()
    course_config.configure_nbgrader(config, root=course_config.ROOT)
    assert config.GradingKernelManager.grading_python == str(course_config.ROOT / ".venv" / "bin" / "python")
