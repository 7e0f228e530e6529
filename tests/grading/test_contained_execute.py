"""ContainedExecute: a timeout, a flood of output or a dead kernel costs only the cells concerned.

Most tests run plain local kernels (nbgrader's default kernel manager) for
speed; the ``sandboxed`` ones go through the course's bwrap sandbox.
"""
import re
import time

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade
from traitlets.config import Config

import course_config
from course.grading import incidents
from course.grading.preprocessors import ContainedExecute
from course.grading.execution.cells import NOTEBOOK_TIMEOUT_ENAME, TIMEOUT_ENAME
from course.grading.execution.kernel_death import KernelDeath

pytestmark = pytest.mark.slow

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
#: A loop the interrupt cannot stop: SIGINT (what ipykernel raises on an interrupt request) is ignored.
STUBBORN = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)"
SANDBOXED = "course.grading.sandbox.SandboxedKernelManager"
KILLED_HERE, NOT_RUN = KernelDeath().killed_here_message, KernelDeath().not_run_message
#: What these tests ran with before the course's limits became required (ContainedExecute's old defaults).
LIMITS = dict(notebook_timeout=0, interrupt_grace=10.0, output_limit=2**20)


def notebook_of(*sources):
    cells = []
    for source in sources:
        cell = new_code_cell(source)
        if source.startswith("# test"):  # graded like an nbgrader test cell
            cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"t{len(cells)}", "locked": True, "points": 1,
                                         "solution": False, "task": False, "schema_version": 3}
        cells.append(cell)
    return new_notebook(cells=cells, metadata={"kernelspec": dict(KERNELSPEC)})


def run(*sources, folder=".", config=None, **options):
    notebook = notebook_of(*sources)
    options = {"timeout": 60, **LIMITS, **options}
    ContainedExecute(config=config or Config(), **options).preprocess(notebook, {"metadata": {"path": str(folder)}})
    nbformat.validate(notebook)
    return notebook


def text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


#: The sandbox's old defaults: no memory or process bound, 512 MiB for the folder and /tmp.
SANDBOX_LIMITS = dict(sandbox="bwrap", memory_limit=0, process_limit=0, workdir_limit=512 * 2**20,
                      tmp_limit=512 * 2**20)


def sandbox_config():
    config = Config()
    config.GradingKernelManager.update(SANDBOX_LIMITS, handover_dir=str(course_config.ROOT / "handover"))
    return config


# --- a dead kernel (moved from tests/preprocessors, SurviveKernelDeath) ---------------------


def test_do_cells_before_the_death_keep_their_outputs():
    notebook = run("print('avant')", "import os; os._exit(3)", "print('après')")
    assert notebook.cells[0].outputs[0]["text"] == "avant\n"


def test_is_the_killing_cell_marked_with_a_french_error():
    notebook = run("x = 1", "import os; os._exit(3)", "y = 2")
    (output,) = notebook.cells[1].outputs
    assert output.output_type == "error" and output.evalue == KILLED_HERE


def test_are_the_cells_after_the_death_marked_as_not_run():
    notebook = run("import os; os._exit(3)", "a = 1", "b = 2")
    assert [c.outputs[0].evalue for c in notebook.cells[1:]] == [NOT_RUN, NOT_RUN]


def test_does_a_notebook_whose_kernel_survives_run_as_usual():
    notebook = run("1 + 1", "raise ValueError('boom')", "print('fin')")
    assert notebook.cells[0].outputs[0]["data"]["text/plain"] == "2"
    assert notebook.cells[1].outputs[0].ename == "ValueError"
    assert notebook.cells[2].outputs[0]["text"] == "fin\n"
    assert incidents.of(notebook) == []


def test_is_the_result_a_valid_notebook():
    nbformat.validate(run("import os; os._exit(3)", "z = 0"))


def test_is_a_dead_kernel_reported_as_an_incident():
    notebook = run("x = 1", "import os; os._exit(3)", "y = 2")
    (incident,) = incidents.of(notebook)
    assert incident.kind == "kernel_died" and incident.cell == "cell 1"
    assert "« import os; os._exit(3) »" in incident.message


class LimitedKernelManager(AsyncKernelManager):
    """Stands for the sandbox after its watchdog killed the kernel for using too much memory."""

    limit_hit = ("memory_limit", "the submission used 7 GiB (limit 6 GiB)",
                 "Le notebook a dépassé la mémoire autorisée pour la correction : le noyau a été arrêté.")


def test_does_a_kernel_killed_for_a_limit_name_that_limit():
    notebook = run("import os; os._exit(9)", "a = 1", kernel_manager_class=LimitedKernelManager)
    assert notebook.cells[0].outputs[-1].evalue == LimitedKernelManager.limit_hit[2]
    assert notebook.cells[1].outputs[0].evalue == NOT_RUN
    (incident,) = incidents.of(notebook)
    assert (incident.kind, incident.detail.split(";")[0], incident.message) == LimitedKernelManager.limit_hit


# --- timeouts ----------------------------------------------------------------------------


def test_is_a_cell_past_its_timeout_interrupted_and_the_kernel_kept():
    started = time.monotonic()
    notebook = run("x = 41", "y = 1\nimport time\nwhile True:\n    time.sleep(0.05)", "print(x + y)",
                   timeout=3, interrupt_grace=5)
    (error,) = errors(notebook.cells[1])
    assert error.ename == TIMEOUT_ENAME and "3\u00a0secondes" in error.evalue
    assert text(notebook.cells[2]) == "42\n"  # same kernel: y, set before the loop, is still there
    assert time.monotonic() - started < 3 + 5
    (incident,) = incidents.of(notebook)
    assert incident.kind == "cell_timeout" and incident.detail.endswith("interrupted")


def test_is_an_uninterruptible_cell_stopped_by_restarting_and_replaying_the_kernel(tmp_path):
    notebook = run("x = 41\nopen('runs.txt', 'a').write('run\\n')\nprint('une fois')", "y = 1\n" + STUBBORN,
                   "print(x + 1, 'y' in globals(), open('runs.txt').read().count('run'))",
                   folder=tmp_path, timeout=3, interrupt_grace=1)
    assert text(notebook.cells[0]) == "une fois\n"  # the replay printed nothing into the notebook
    (error,) = errors(notebook.cells[1])
    assert error.ename == TIMEOUT_ENAME and "redémarré" in error.evalue
    # A new kernel (y is gone), rebuilt by running the first cell again (x is back, runs.txt has 2 lines).
    assert text(notebook.cells[2]) == "42 False 2\n"
    (incident,) = incidents.of(notebook)
    assert incident.kind == "cell_timeout" and "restarted, 1 earlier code cells replayed" in incident.detail


def test_does_a_timed_out_test_cell_score_zero_and_the_next_one_its_points():
    notebook = run("# test\nimport time\ntime.sleep(30)", "# test\nassert True", timeout=2, interrupt_grace=3)
    assert determine_grade(notebook.cells[0]) == (0, 1.0)
    assert determine_grade(notebook.cells[1]) == (1.0, 1.0)


def test_does_the_notebook_budget_stop_the_running_cell_and_skip_the_rest():
    started = time.monotonic()
    notebook = run("import time\ntime.sleep(1)", "print('partie 2')\ntime.sleep(30)", "print('jamais')", "z = 1",
                   timeout=20, notebook_timeout=5, interrupt_grace=3)
    assert time.monotonic() - started < 5 + 3 + 2
    assert text(notebook.cells[1]) == "partie 2\n"
    assert errors(notebook.cells[1])[0].ename == NOTEBOOK_TIMEOUT_ENAME
    assert "5\u00a0secondes" in errors(notebook.cells[1])[0].evalue
    for cell in notebook.cells[2:]:
        (error,) = cell.outputs
        assert error.ename == NOTEBOOK_TIMEOUT_ENAME and "non exécutée" in error.evalue and "5\u00a0secondes" in error.evalue
    assert [i.kind for i in incidents.of(notebook)] == ["notebook_timeout"]


def test_does_the_notebook_budget_stop_an_uninterruptible_cell_too():
    started = time.monotonic()
    notebook = run("x = 1", STUBBORN, "# test\nassert x == 1", timeout=20, notebook_timeout=4, interrupt_grace=1)
    assert time.monotonic() - started < 4 + 1 + 5
    assert errors(notebook.cells[1])[0].ename == NOTEBOOK_TIMEOUT_ENAME
    assert determine_grade(notebook.cells[2]) == (0, 1.0)


# --- outputs ------------------------------------------------------------------------------


def kept_bytes(cell):
    return sum(len(o.get("text", "").encode()) for o in cell.outputs if o.output_type == "stream")


def test_is_a_flood_of_output_capped_while_the_cell_runs():
    flood = "for i in range(200_000):\n    print('x' * 99)\nprint('fini')"  # 20 MB
    notebook = run(flood, "print('suite')", output_limit=64_000)
    cell = notebook.cells[0]
    assert kept_bytes(cell) == 64_000
    note = cell.outputs[-1]
    assert note.output_type == "display_data" and "[Sortie tronquée]" in note.data["text/plain"]
    assert "62,5\u00a0ko" in note.data["text/plain"]
    assert text(notebook.cells[1]) == "suite\n"
    (incident,) = incidents.of(notebook)
    assert incident.kind == "output_capped"


def test_does_capping_keep_the_error_so_a_failing_test_still_scores_zero():
    notebook = run("# test\nprint('x' * 100_000)\nassert False, 'raté'", output_limit=1000)
    assert errors(notebook.cells[0])[0].ename == "AssertionError"
    assert determine_grade(notebook.cells[0]) == (0, 1.0)


def test_does_capping_keep_a_later_stderr_so_the_grade_is_unchanged():
    notebook = run("# test\nimport sys\nprint('x' * 100_000)\nprint('attention', file=sys.stderr)", output_limit=1000)
    assert determine_grade(notebook.cells[0]) == (0, 1.0)  # as without the cap: stderr scores 0


def test_does_capping_let_a_passing_test_keep_its_points():
    notebook = run("# test\nfor i in range(1000):\n    print(i)", output_limit=100)
    assert determine_grade(notebook.cells[0]) == (1.0, 1.0)


def test_does_a_cell_under_the_limit_keep_all_its_outputs():
    notebook = run("print('a' * 500)\n1 + 1", output_limit=1000)
    assert [o.output_type for o in notebook.cells[0].outputs] == ["stream", "execute_result"]
    assert incidents.of(notebook) == []


# --- what the student reads ------------------------------------------------------------------


FRENCH = re.compile(r"[éèêàç]|\b(cellule|noyau|le|la|les)\b")


def test_are_the_added_errors_french_and_free_of_grading_paths(tmp_path):
    notebooks = [run("import os; os._exit(1)", "a = 1", folder=tmp_path),
                 run(STUBBORN, "b = 1", folder=tmp_path, timeout=2, interrupt_grace=1),
                 run("import time; time.sleep(30)", "c = 1", folder=tmp_path, timeout=20, notebook_timeout=3,
                     interrupt_grace=2)]
    added = [o for nb in notebooks for cell in nb.cells for o in cell.outputs if o.output_type == "error"]
    assert len(added) == 5  # died + not run, timeout, budget + not run
    for output in added:
        assert set(output) == {"output_type", "ename", "evalue", "traceback"}
        assert FRENCH.search(output.evalue) and output.traceback == [output.evalue]
        assert "/" not in output.evalue and str(tmp_path) not in output.evalue
        graded = notebook_of("# test\npass").cells[0]
        graded.outputs = [output]
        assert determine_grade(graded) == (0, 1.0)
    for notebook in notebooks:
        for incident in incidents.of(notebook):
            assert FRENCH.search(incident.message) and str(tmp_path) not in incident.message


# --- in the course's sandbox ---------------------------------------------------------------------


def test_is_a_timed_out_cell_interrupted_inside_the_sandbox():
    started = time.monotonic()
    notebook = run("x = 41", "y = 1\nimport time\nwhile True:\n    time.sleep(0.05)", "print(x + y)",
                   timeout=3, interrupt_grace=8, kernel_manager_class=SANDBOXED, config=sandbox_config())
    assert errors(notebook.cells[1])[0].ename == TIMEOUT_ENAME
    assert text(notebook.cells[2]) == "42\n"  # the same kernel: really interrupted, not restarted
    assert incidents.of(notebook)[0].detail.endswith("interrupted")
    assert time.monotonic() - started < 3 + 8


def test_is_an_uninterruptible_cell_inside_the_sandbox_stopped_by_a_restart():
    notebook = run("x = 41", "y = 1\n" + STUBBORN, "print(x + 1, 'y' in globals())",
                   timeout=3, interrupt_grace=1, kernel_manager_class=SANDBOXED, config=sandbox_config())
    assert "redémarré" in errors(notebook.cells[1])[0].evalue
    assert text(notebook.cells[2]) == "42 False\n"


# --- the course's values, and the messages, come from the configuration ----------------------------------------


def test_does_execution_refuse_to_start_without_the_courses_limits():
    from course.grading.setup_check import GradingSetupError

    with pytest.raises(GradingSetupError, match="ContainedExecute.notebook_timeout.*configure_nbgrader"):
        ContainedExecute(config=Config(), timeout=60).preprocess(notebook_of("x = 1"), {"metadata": {"path": "."}})


def test_can_a_french_message_be_configured_like_the_feedbacks():
    config = Config()
    config.KernelDeath.not_run_message = "Pas exécutée."
    notebook = run("import os; os._exit(3)", "a = 1", config=config)
    assert notebook.cells[1].outputs[0].evalue == "Pas exécutée."


def test_do_the_messages_follow_french_typography():
    from traitlets import Unicode

    from course.grading.execution import budget, kernel_death, outputs, timeouts

    classes = (budget.NotebookBudget, kernel_death.KernelDeath, outputs.OutputCap, timeouts.CellTimeout)
    messages = [trait.default_value for cls in classes for trait in cls.class_traits(config=True).values()
                if isinstance(trait, Unicode)]
    assert len(messages) == 13
    for message in messages:
        assert not re.search(r" [:;?!]", message), message
