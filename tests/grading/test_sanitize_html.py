"""Pages made from a submission never run the student's script: the sanitizer alone, the pages it makes
(nbconvert's templates, the French feedback template with its Content-Security-Policy), and the real
``nbgrader generate_feedback`` and formgrader's feedback button on a hostile submission.

The browser's view of the same pages is in ``test_browser_pages.py``.
"""
import base64
import copy
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell
from traitlets.config import Config

import course_config
from course import pipeline
from course.grading.configuration import configure_feedback
from course.grading.feedback import FeedbackExporter, SanitizeStudentHTML, preprocessors
from course.grading.feedback.exporter import csp_sha256
from hostile_pages import (ANSWER, ASSIGNMENT, LATEX, MARK, NOTEBOOK, TABLE, active_content, feedback_path, figure_png,
                           hostile_course, hostile_notebook)

MATHJAX = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/"
SCRIPT_NOTE = SanitizeStudentHTML().script_note


def sanitized(notebook):
    notebook, _ = SanitizeStudentHTML()(copy.deepcopy(notebook), {"metadata": {"path": "."}})
    return notebook


def one_output(data, metadata=None):
    notebook = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data=data,
                                                                              metadata=metadata or {})])])
    return sanitized(notebook).cells[0].outputs[0]


def classic_page(notebook, sanitize=True):
    """The page nbconvert's classic template makes (the formgrader's ``formgrade`` template extends it)."""
    exporter = HTMLExporter(template_name="classic")
    if sanitize:
        exporter.register_preprocessor(SanitizeStudentHTML, enabled=True)
    page, _ = exporter.from_notebook_node(copy.deepcopy(notebook))
    return page


def template_scripts():
    """The scripts the classic template itself writes (from a page of an empty notebook): src or text."""
    soup = BeautifulSoup(classic_page(new_notebook(), sanitize=False), "html.parser")
    return [script.get("src") or script.string for script in soup.find_all("script")]




# --- the sanitizer, output by output ------------------------------------------------------------


def test_does_a_students_script_in_html_output_disappear_with_a_french_note():
    output = one_output({"text/html": "<b>résultat</b><script>alert(1)</script><img src=x onerror=alert(2)>"})
    html = output.data["text/html"]
    assert "<b>résultat</b>" in html
    assert "script" not in html.replace("Script retiré", "") and "onerror" not in html and "alert" not in html
    assert SCRIPT_NOTE == "[Script retiré de l'affichage\u00a0: il n'a pas été exécuté.]"  # French typography
    assert SCRIPT_NOTE in BeautifulSoup(html, "html.parser").text


def test_is_a_javascript_output_shown_as_text_only():
    output = one_output({"application/javascript": "document.title = 'x'", "text/plain": "<Javascript object>"})
    assert output.data == {"text/plain": "[Sortie JavaScript non exécutée, montrée comme texte\u00a0:]\n"
                                         "document.title = 'x'"}


def test_does_an_svg_become_an_image_that_cannot_run_its_script():
    svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
    output = one_output({"image/svg+xml": svg})
    assert set(output.data) == {"text/html"}
    src = re.fullmatch(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="">', output.data["text/html"])
    assert base64.b64decode(src.group(1)).decode() == svg  # the figure as drawn, in an <img>: inert


def test_are_widgets_and_unknown_types_dropped_but_their_text_kept():
    output = one_output({"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "IntSlider()"})
    assert output.data == {"text/plain": "IntSlider()"}
    output = one_output({"application/vnd.plotly.v1+json": {}, "text/vnd.mermaid": "graph TD; A-->B"})
    assert output.data == {"text/plain": "[Sortie non affichée dans la correction (type «\u00a0application/vnd.plotly"
                                         ".v1+json\u00a0», «\u00a0text/vnd.mermaid\u00a0»).]"}


def test_can_an_images_data_or_size_break_out_of_its_attribute():
    png = figure_png()
    output = one_output({"image/png": png, "image/jpeg": 'x" onerror="alert(1)'},
                        {"image/png": {"width": 40, "height": '30 onerror="alert(1)"', "isolated": True},
                         "text/html": {"isolated": True}})
    assert output.data == {"image/png": png}
    assert output.metadata == {"image/png": {"width": 40}}


def test_do_a_students_figure_table_and_latex_stay_as_they_are():
    png = figure_png()
    assert one_output({"image/png": png, "text/plain": "<Figure>"}).data == {"image/png": png, "text/plain": "<Figure>"}
    assert one_output({"text/latex": LATEX}).data == {"text/latex": LATEX}
    table = BeautifulSoup(one_output({"text/html": TABLE}).data["text/html"], "html.parser")
    assert table.find("table", class_="dataframe") and [td.text for td in table.find_all("td")] == ["0.25", "0.125"]
    assert table.find("tr")["style"] == "text-align:right" and not table.find("style")


def test_are_a_markdown_answers_html_script_and_javascript_link_made_inert():
    notebook = new_notebook(cells=[new_markdown_cell(ANSWER)])
    source = sanitized(notebook).cells[0].source
    assert "\n" not in source and source.startswith('<div class="course-markdown">')
    assert active_content(source) == []
    soup = BeautifulSoup(source, "html.parser")
    assert soup.find("strong").text == "équivariante"
    assert "$f(x - a) = (f * g)(x - a)$" in soup.text  # MathJax renders it from the text
    assert "print(a < b)" in soup.find("pre").text
    assert soup.find("a", string="Mon lien").get("href") is None


def test_do_a_markdown_answers_attachments_links_and_plain_code_stay_without_a_false_note():
    cell = new_markdown_cell("![courbe](attachment:courbe.png) [doc](https://pytorch.org)\n\n`on = 3`")
    cell.attachments = {"courbe.png": {"image/png": figure_png()}}
    soup = BeautifulSoup(sanitized(new_notebook(cells=[cell])).cells[0].source, "html.parser")
    assert soup.find("img")["src"] == f"data:image/png;base64,{figure_png()}"
    assert soup.find("a", string="doc")["href"] == "https://pytorch.org"
    assert soup.find("code").text == "on = 3" and "Script retiré" not in soup.text
    missing = new_markdown_cell("![x](attachment:absent.png) <b>a</b>")
    soup = BeautifulSoup(sanitized(new_notebook(cells=[missing])).cells[0].source, "html.parser")
    assert soup.find("pre").text == "![x](attachment:absent.png) <b>a</b>"  # shown as text, not lost


def test_is_the_sanitized_markdown_shown_by_the_template_as_it_is():
    notebook = sanitized(new_notebook(cells=[new_markdown_cell("# Titre\n\n```python\nx = 1\n\n\ny = 2\n```\n")]))
    page = classic_page(notebook)
    block = BeautifulSoup(page, "html.parser").find("div", class_="course-markdown")
    assert block.find("h1").text.startswith("Titre") and block.find("h1")["id"] == "eleve-Titre"
    assert block.find("pre").text == "x = 1\n\n\ny = 2\n"  # blank lines kept in code, one HTML block


def test_are_raw_cells_widget_state_and_odd_counts_made_harmless():
    raw = new_raw_cell("<script>alert(1)</script>a < b", metadata={"raw_mimetype": "text/html"})
    notebook = new_notebook(cells=[raw,
                                   new_code_cell("x", outputs=[new_output("stream", name="<b>", text="ok")])],
                            metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    notebook.cells[1].execution_count = '"><script>alert(1)</script>'
    shown = sanitized(notebook)
    assert "script" not in shown.cells[0].source and "a &lt; b" in shown.cells[0].source
    assert "widgets" not in shown.metadata
    assert shown.cells[1].execution_count is None and shown.cells[1].outputs[0].name == "stdout"


def test_does_a_second_pass_keep_the_page_inert_and_its_content():
    once = sanitized(hostile_notebook())
    twice = sanitized(once)
    for first, second in zip(once.cells, twice.cells):
        words = [BeautifulSoup(cell.source, "html.parser").text.split() for cell in (first, second)]
        assert words[0] == words[1]
    page = classic_page(twice)
    assert active_content(page, course_scripts=template_scripts()) == []
    assert f"data:image/png;base64,{figure_png()}" in page


# --- the pages ----------------------------------------------------------------------------------


def test_does_the_formgraders_page_of_a_hostile_submission_keep_no_live_script():
    assert len(active_content(classic_page(hostile_notebook(), sanitize=False), template_scripts())) >= 10
    page = classic_page(hostile_notebook())
    assert active_content(page, course_scripts=template_scripts()) == []
    assert f"data:image/png;base64,{figure_png()}" in page and 'class="dataframe"' in page


def test_does_the_course_config_sanitize_the_formgraders_pages_but_not_twice_the_feedback():
    from nbgrader.server_extensions.formgrader import handlers

    config = Config()
    config.HTMLExporter.template_name = "formgrade"  # as the formgrader: its settings, then the course's
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    course_config.configure_nbgrader(config)
    formgrader = HTMLExporter(config=config)
    assert SanitizeStudentHTML in [type(p) for p in formgrader._preprocessors if p.enabled]
    assert SanitizeStudentHTML not in [type(p) for p in FeedbackExporter(config=config)._preprocessors]
    assert SanitizeStudentHTML in config.GenerateFeedback.preprocessors
    assert preprocessors()[-2:][0] is SanitizeStudentHTML  # last but the CSS: after every step reading markdown


def csp_of(page):
    soup = BeautifulSoup(page, "html.parser")
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert meta is not None, "the page has no Content-Security-Policy"
    policy = dict((part.split()[0], part.split()[1:]) for part in meta["content"].split(";") if part.strip())
    return soup, policy


def test_does_the_feedback_template_allow_only_the_courses_own_scripts():
    from nbgrader.converters import generate_feedback

    config = Config()
    configure_feedback(config, course_config.ROOT, course_config.grading_python())
    # bootstrap's CSS, as GenerateFeedback finds it
    config.HTMLExporter.extra_template_paths = [str(Path(generate_feedback.__file__).parents[1] / "server_extensions"
                                                    / "formgrader" / "static" / "node_modules" / "bootstrap" / "dist"
                                                    / "css")]
    exporter = FeedbackExporter(config=config)
    resources = {"nbgrader": {"notebook": NOTEBOOK, "score": 1, "max_score": 2, "late_penalty": 0}}
    notebook = sanitized(hostile_notebook())
    for cell in notebook.cells:  # as GetGrades leaves them
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader.update(score=0, points=cell.metadata.nbgrader.get("points", 0))
    page, _ = exporter.from_notebook_node(notebook, resources=resources)
    soup, policy = csp_of(page)
    # the policy comes before anything that could run or load
    head = soup.find("head")
    assert head.find(True).name == "meta" and head.find_all("meta")[1].get("http-equiv") == "Content-Security-Policy"
    assert policy["default-src"] == ["'none'"] and policy["img-src"] == ["data:"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:"} & set(policy["script-src"])
    inline = [script.string for script in soup.find_all("script") if not script.get("src")]
    assert inline and all(f"'sha256-{csp_sha256(text)}'" in policy["script-src"] for text in inline)
    assert all(script["src"].startswith(MATHJAX) for script in soup.find_all("script") if script.get("src"))
    assert MATHJAX in policy["script-src"]
    assert active_content(page, course_scripts=[MATHJAX, *inline]) == []


# --- the real commands --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_feedback(tmp_path_factory):
    """(course root, feedback page) of the real ``nbgrader generate_feedback`` on the hostile submission."""
    root, _ = hostile_course(tmp_path_factory.mktemp("hostile") / "course")
    pipeline.generate_feedback(root, ASSIGNMENT)
    return root, feedback_path(root).read_text(encoding="utf-8")


def test_does_a_students_script_stay_inert_in_the_feedback(hostile_feedback):
    _, page = hostile_feedback
    soup, policy = csp_of(page)
    inline = [script.string for script in soup.find_all("script") if not script.get("src")]
    assert active_content(page, course_scripts=[MATHJAX, *inline]) == []
    assert MARK not in soup.title.text
    # what the student made is still there
    assert f"data:image/png;base64,{figure_png()}" in page
    assert soup.find("table", class_="dataframe") is not None
    assert "\\frac{\\partial L}{\\partial w}" in soup.text and "équivariante" in soup.text
    assert SanitizeStudentHTML().javascript_note in soup.text
    assert "Votre réponse" in soup.text  # the French feedback, as before


def test_does_the_formgraders_feedback_button_sanitize_too(hostile_feedback):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.server_extensions.formgrader import handlers

    root, _ = hostile_feedback
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    course_config.configure_nbgrader(config, root)
    feedback_path(root).unlink()
    result = NbGraderAPI(config=config).generate_feedback(ASSIGNMENT, force=True)
    assert result["success"], result.get("log")
    page = feedback_path(root).read_text(encoding="utf-8")
    soup, _ = csp_of(page)
    inline = [script.string for script in soup.find_all("script") if not script.get("src")]
    assert active_content(page, course_scripts=[MATHJAX, *inline]) == []
    assert f"data:image/png;base64,{figure_png()}" in page
