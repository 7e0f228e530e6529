"""A submission whose outputs and answers try to run a script in whoever opens a page made from it.

Every attack leaves a mark if it runs: ``window.__pwned`` set, the page's
title changed to ``PWNED``, an element with id ``pwned`` added, or an alert.
Beside them, what the student legitimately made and must still see: a
figure (PNG), a pandas-style table, LaTeX, a markdown answer with math and
code.

``hostile_course(root)`` builds a course copy where this submission is
autograded (gradebook and ``autograded/`` folder), as the formgrader and
``nbgrader generate_feedback`` expect it.
"""
import base64
import copy
import io
import warnings

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

ASSIGNMENT, NOTEBOOK, STUDENT = "lab", "lab", "student"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
MARK = "PWNED"
#: What each attack's script does: every way of telling that it ran.
RUN = (f"window.__pwned = (window.__pwned || 0) + 1; document.title = '{MARK}';"
       "var p = document.createElement('p'); p.id = 'pwned'; p.textContent = 'pwned'; document.body.appendChild(p);"
       "alert('pwned');")
RUN_ATTRIBUTE = RUN.replace("'", "&#39;")

def figure_png():
    """The student's figure: a 40 x 30 PNG, base64 (as in a notebook)."""
    from PIL import Image

    stream = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(stream, format="PNG")
    return base64.b64encode(stream.getvalue()).decode("ascii")


TABLE = ('<div><style scoped>.dataframe tbody tr th { vertical-align: top; }</style>'
         '<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th><th>perte</th></tr>'
         '</thead><tbody><tr><th>0</th><td>0.25</td></tr><tr><th>1</th><td>0.125</td></tr></tbody></table></div>')
LATEX = r"$$\frac{\partial L}{\partial w} = 2\,x\,(w x - y)$$"
ANSWER = ("La convolution est **équivariante** par translation : $f(x - a) = (f * g)(x - a)$.\n\n"
          "```python\nprint(a < b)\n```\n\n"
          f'<img src="x" onerror="{RUN_ATTRIBUTE}"> <script>{RUN}</script>\n\n'
          f"[Mon lien](javascript:window.__pwned=1) <svg onload=\"{RUN_ATTRIBUTE}\"></svg>\n")


def hostile_outputs():
    """The outputs of the student's cell: attacks, then the figure, the table and LaTeX they made."""
    return [
        new_output("display_data", data={"text/html": f'<b>résultat</b><script>{RUN}</script>'
                                                      f'<img src="x" onerror="{RUN_ATTRIBUTE}">',
                                         "text/plain": "<IPython.core.display.HTML object>"}),
        new_output("display_data", data={"application/javascript": RUN,
                                         "text/plain": "<IPython.core.display.Javascript object>"}),
        new_output("display_data", data={"image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" '
                                                          f'onload="{RUN_ATTRIBUTE}"><script>{RUN}</script>'
                                                          '<circle cx="5" cy="5" r="4"/></svg>'}),
        new_output("display_data", data={"text/markdown": f"**gras** <img src=x onerror=\"{RUN_ATTRIBUTE}\">"}),
        new_output("display_data", data={"image/png": f'x" onerror="{RUN_ATTRIBUTE}'}),
        new_output("display_data", data={"application/vnd.jupyter.widget-view+json":
                                         {"model_id": "m1", "version_major": 2, "version_minor": 0},
                                         "text/html": f"<script>{RUN}</script>"}),
        new_output("display_data", data={"image/png": figure_png(), "text/plain": "<Figure size 40x30>"},
                   metadata={"image/png": {"width": 40, "height": f'30 onerror="{RUN_ATTRIBUTE}"'}}),
        new_output("execute_result", execution_count=1, data={"text/html": TABLE, "text/plain": "   perte"}),
        new_output("display_data", data={"text/latex": LATEX, "text/plain": "<Latex>"}),
    ]


def nbgrader_cell(kind, source, grade_id, **flags):
    cell = (new_code_cell if kind == "code" else new_markdown_cell)(source)
    meta = {"grade": False, "solution": False, "locked": False, "task": False, "grade_id": grade_id,
            "schema_version": 3}
    meta.update(flags)
    cell.metadata["nbgrader"] = meta
    return cell


def source_notebook():
    """The instructor's notebook: a given cell, a code answer, its test, an answer in words."""
    return new_notebook(metadata={"kernelspec": dict(KERNELSPEC)}, cells=[
        new_markdown_cell("# Un petit TP\n\nTracez la courbe de perte."),
        nbgrader_cell("code", "### BEGIN SOLUTION\nfigure = 1\n### END SOLUTION", "figure", solution=True),
        nbgrader_cell("code", "assert figure == 1", "test_figure", grade=True, locked=True, points=1),
        new_markdown_cell("### Question\n\nPourquoi la convolution est-elle équivariante ?"),
        nbgrader_cell("markdown", "### BEGIN SOLUTION\nParce que.\n### END SOLUTION", "explain", grade=True,
                      solution=True, points=1),
    ])


def hostile_notebook(source=None):
    """``source`` (by default the notebook above) as autograding leaves a hostile student's submission."""
    notebook = copy.deepcopy(source or source_notebook())
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "figure":
            cell.source = "figure = 1\nplot_and_attack()"
            cell.execution_count = 1
            cell.outputs = hostile_outputs()
        elif grade_id == "explain":
            cell.source = ANSWER
        elif grade_id == "test_figure":
            cell.execution_count = 2
            cell.metadata["course_grading"] = {"verdict": {"passed": True, "message": "Test réussi."}}
    notebook.cells.insert(2, new_raw_cell(f"<script>{RUN}</script>", metadata={"raw_mimetype": "text/html"}))
    notebook.cells.insert(3, new_markdown_cell(f"Une note à moi <img src=x onerror=\"{RUN_ATTRIBUTE}\">"))
    widget = {"model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
              "state": {"value": f"<img src=x onerror=\"{RUN_ATTRIBUTE}\">"}}
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"m1": widget}, "version_major": 2, "version_minor": 0}}
    return notebook


def save_grades(notebook, db_url):
    """What nbgrader autograde writes in the gradebook for ``notebook``."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades
    from sqlalchemy.exc import SAWarning

    resources = {"nbgrader": {"db_url": db_url, "assignment": ASSIGNMENT, "notebook": NOTEBOOK, "student": STUDENT}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling
        with Gradebook(db_url) as gradebook:
            gradebook.update_or_create_student(STUDENT, first_name="Alice", last_name="Martin")
            gradebook.update_or_create_submission(ASSIGNMENT, STUDENT)
        SaveAutoGrades()(copy.deepcopy(notebook), resources)


def hostile_course(root):
    """A course copy in ``root`` where the hostile submission is autograded; its gradebook's submission id."""
    from nbgrader.api import Gradebook

    from course import pipeline

    root = pipeline.copy_course(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    pipeline.generate_release(root, ASSIGNMENT)
    notebook = hostile_notebook()
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    save_grades(notebook, db_url)
    folder = root / "autograded" / STUDENT / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")
    with Gradebook(db_url) as gradebook:
        submission_id = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, STUDENT).id
    return root, submission_id


def feedback_path(root):
    return root / "feedback" / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.html"


__all__ = ["ANSWER", "ASSIGNMENT", "LATEX", "MARK", "NOTEBOOK", "RUN", "STUDENT", "TABLE", "feedback_path",
           "active_content", "figure_png", "hostile_course", "hostile_notebook", "hostile_outputs"]


def active_content(page, course_scripts=()):
    """What in an HTML page could run a script, but the scripts whose ``src`` starts with one of
    ``course_scripts`` or whose text is one of them: a list of short descriptions (empty: inert)."""
    from bs4 import BeautifulSoup

    found = []
    for element in BeautifulSoup(page, "html.parser").find_all(True):
        if element.name == "script":
            src, body = element.get("src", ""), element.string or ""
            if not any((src and src.startswith(mine)) or (not src and body == mine) for mine in course_scripts):
                found.append(f"<script> {src or body[:60]!r}")
        if element.name in ("iframe", "object", "embed", "svg", "math", "frame", "base", "form"):
            found.append(f"<{element.name}>")
        for name, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                found.append(f"{element.name}[{name}]")
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href", "srcdoc", "data") and \
                    value.strip().lower().startswith(("javascript:", "data:text", "vbscript:")):
                found.append(f"{element.name}[{name}={value[:40]!r}]")
    return found
