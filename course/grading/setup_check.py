"""Check the instructor's grading setup before any student is graded.

A kernel that cannot import ``handover`` or ``torch``, or a judge that cannot
start (``course.grading.judge``), would make every hidden test fail: every student would get 0 and nbgrader
would report success. The check runs one probe in a sandboxed kernel exactly
like the students' and stops the whole grading run when it fails.
"""
import textwrap

#: Run in a fresh grading kernel; prints OK when the grading environment is complete.
PROBE = textwrap.dedent("""\
    import handover.plain, handover.evidence, numpy, torch, torchvision
    print("OK")
""")


class GradingSetupError(BaseException):
    """The grading setup is broken: stop everything, record nothing.

    A BaseException on purpose: nbgrader turns any Exception raised while one
    student is graded into "this student failed" and goes on with the next,
    so a broken setup would cost every student their grade, one by one.
    """


def explain(error_text, python):
    return (
        "Grading stopped before any student was graded: the grading kernel cannot run the course's "
        f"hidden tests.\n\nThe kernel ({python}) said:\n{textwrap.indent(error_text.strip(), '    ')}\n\n"
        "To fix: run the grading from the course root with the course's environment installed "
        "(`make setup`, then `.venv/bin/nbgrader ...` or `.venv/bin/course grade ...`), or set "
        "GRADING_PYTHON in course_config.py to a Python where `pip install -e <course root>` was run. "
        "Nothing was recorded in the gradebook."
    )


def probe_kernel(kernel_manager, timeout=300):
    """Run :data:`PROBE` in a kernel of ``kernel_manager`` (not started); raise GradingSetupError if it fails."""
    import tempfile

    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(cells=[new_code_cell(PROBE)],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                     "language": "python"}})
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(notebook, km=kernel_manager, timeout=timeout, allow_errors=True,
                                resources={"metadata": {"path": folder}})
        try:
            client.execute()
        except Exception as error:  # the kernel did not even start
            raise GradingSetupError(explain(f"{type(error).__name__}: {error}", kernel_manager.grading_python))
    outputs = notebook.cells[0].outputs
    if any(o.get("text") == "OK\n" for o in outputs):
        return
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    text = "\n".join(errors or [o.get("text", "") for o in outputs]) or "no output"
    raise GradingSetupError(explain(text, kernel_manager.grading_python))
