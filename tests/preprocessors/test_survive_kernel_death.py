"""SurviveKernelDeath: a kernel that dies costs only the cells it could not run."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course.preprocessors import SurviveKernelDeath
from course.preprocessors.survive_kernel_death import KILLED_HERE, NOT_RUN


def run(*sources):
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    SurviveKernelDeath(timeout=60).preprocess(notebook, {"metadata": {"path": "."}})
    return notebook


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


def test_is_the_result_a_valid_notebook():
    nbformat.validate(run("import os; os._exit(3)", "z = 0"))
