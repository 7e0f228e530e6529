"""Check the instructor's grading setup before any student is graded.

A kernel that cannot import ``handover`` or ``torch``, or a judge that cannot
start (``course.grading.judge``), would make every hidden test fail: every student would get 0 and nbgrader
would report success. The check runs one probe in a sandboxed kernel exactly
like the students' and stops the whole grading run when it fails.
"""
import os
import textwrap

from .interpreter import is_this_python


def probe_source(modules):
    """Run in a fresh grading kernel; prints OK when it imports ``modules`` (course_config.PRELOAD_MODULES: what
    a graded kernel loads, handover and torch included)."""
    return f"import {', '.join(modules)}\nprint('OK')\n"


class GradingSetupError(BaseException):
    """The grading setup is broken: stop everything, record nothing.

    A BaseException on purpose: nbgrader turns any Exception raised while one
    student is graded into "this student failed" and goes on with the next,
    so a broken setup would cost every student their grade, one by one.
    """


def check_environment(root, config, warn):
    """The cheap checks of ``course doctor`` that concern grading, before anything is graded: raise
    GradingSetupError on an error (the sandbox cannot start, no grading Python, something in the course folder
    others may write), and ``warn`` each warning (what others may read)."""
    from course.deployment.doctor import grading_findings
    from course.deployment.findings import errors, report

    findings = grading_findings(root, config)
    if errors(findings):
        raise GradingSetupError("Grading stopped before any student was graded; nothing was recorded. The setup "
                                "check found:\n" + report(errors(findings)) + "\n(`course doctor` checks the "
                                "whole deployment.)")
    for finding in findings:
        warn(finding.format())


def explain(error_text, python, sandbox="bwrap", bwrap="bwrap"):
    """The message of a failed probe: the cause when the machine's setup is at fault (the sandbox cannot start:
    user namespaces; no grading Python), else what the kernel said and how to install the course's environment."""
    from course.deployment.userns import bwrap_failure, diagnose

    failure = bwrap_failure(bwrap) if sandbox == "bwrap" else None
    if failure:
        what, fix = diagnose(failure, bwrap)
        return (f"Grading stopped before any student was graded: the students' kernels cannot start in the "
                f"sandbox.\n\n{what}\n\nTo fix: {fix}\nNothing was recorded in the gradebook.")
    if not os.access(python, os.X_OK):
        return (f"Grading stopped before any student was graded: the course environment was not found (the grading "
                f"Python {python} does not exist).\n\nTo fix: set GRADING_PYTHON in course_config.py to the Python "
                "of the course environment (deploy/install.sh: /opt/cnn-course/bin/python), or run `make setup` in "
                "the course root to build its .venv. Nothing was recorded in the gradebook.")
    defaulted = (" The grading Python is the one running nbgrader: no course environment was found (no .venv in "
                 "the course root, GRADING_PYTHON not set in course_config.py).") \
        if "No module named" in error_text and is_this_python(python) else ""
    return (
        "Grading stopped before any student was graded: the grading kernel cannot run the course's "
        f"hidden tests.{defaulted}\n\nThe kernel ({python}) said:\n{textwrap.indent(error_text.strip(), '    ')}\n\n"
        "To fix: run the grading from the course root with the course's environment installed "
        "(`make setup`, then `.venv/bin/nbgrader ...` or `.venv/bin/course grade ...`; on a hub, the environment "
        "of deploy/install.sh), or set GRADING_PYTHON in course_config.py to a Python where "
        "`pip install -e <course root>` was run. Nothing was recorded in the gradebook."
    )


def probe_kernel(kernel_manager, modules, timeout=300):
    """Import ``modules`` in a kernel of ``kernel_manager`` (not started); raise GradingSetupError if it fails."""
    import tempfile

    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(cells=[new_code_cell(probe_source(modules))],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                     "language": "python"}})
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(notebook, km=kernel_manager, timeout=timeout, allow_errors=True,
                                resources={"metadata": {"path": folder}})
        try:
            client.execute()
        except Exception as error:  # the kernel did not even start
            raise GradingSetupError(explain(f"{type(error).__name__}: {error}", *_setup_of(kernel_manager)))
    outputs = notebook.cells[0].outputs
    if any(o.get("text") == "OK\n" for o in outputs):
        return
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    text = "\n".join(errors or [o.get("text", "") for o in outputs]) or "no output"
    raise GradingSetupError(explain(text, *_setup_of(kernel_manager)))


def _setup_of(kernel_manager):
    return kernel_manager.grading_python, kernel_manager.sandbox, kernel_manager.bwrap_path
