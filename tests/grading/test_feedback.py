"""The students' feedback: French labels, a summary of the points, and nothing of the grading's secrets.

The notebooks are made by hand, as ``nbgrader autograde`` leaves them (test
cells with their hidden tests restored, verdicts, error outputs with
tracebacks of the grading machine, hostile prints), so nothing is executed.
The preprocessors are run one after the other as GenerateFeedback runs them,
and the real ``nbgrader generate_feedback`` runs once on a temporary copy of
the course.
"""
import copy
import json
import re
import shutil
import sys
import warnings

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

import course_config
from course import pipeline
from course.grading import incidents
from course.grading.configuration import configure_feedback
from course.grading.feedback import (CapOutputs, FeedbackExporter, HideTestSource, RemoveLeakedText,
                                     SanitizeStudentHTML, ShortenErrors, preprocessors)
from course.grading.feedback.secret_text import significant
from course.grading.preprocessors import AnnounceIncidents

from .conftest import ASSIGNMENT, NOTEBOOK, STUDENT, cell_with, source_notebook

HIDDEN_LINE = "assert double(-1) == -2"
VERDICT_FAILED = "La fonction « double » ne donne pas le bon résultat pour un nombre négatif."
TOKEN = "tok-9f8e7d6c5b4a-secret"
LEGIT = "Ma moyenne vaut 2.0 : tout va bien."
GRADERS = course_config.ROOT / "graders" / "checks.py"


def graders_code_lines():
    """Lines of graders/checks.py that are plainly code: long, no string literal, not in any source notebook."""
    public = "".join(significant(path.read_text()) for path in (course_config.ROOT / "source").glob("*/*.ipynb"))
    lines = []
    for line in GRADERS.read_text().splitlines():
        text = significant(line)
        if len(text) >= 24 and not re.search(r"['\"#]", line) and text not in public:
            lines.append(line)
    assert lines, "graders/checks.py should have code lines"
    return lines


def host_traceback(message):
    """An error's traceback as IPython writes it on the grading machine: frames, paths, colours."""
    root = course_config.ROOT
    return ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
            "\x1b[0;31mGradingError\x1b[0m                              Traceback (most recent call last)",
            "File \x1b[0;32m/tmp/ipykernel_4242/1234.py:3\x1b[0m\n\x1b[1;32m      1\x1b[0m assert double(2) == 4",
            f"File \x1b[0;32m{root}/graders/checks.py:48\x1b[0m, in \x1b[0;36mcheck.<locals>.run\x1b[0;34m(*args)\x1b[0m",
            f"File {sys.prefix}/lib/python3.11/site-packages/numpy/core/fromnumeric.py:12",
            f"\x1b[0;31mGradingError\x1b[0m: {message}"]


def autograded_notebook(source):
    """The small assignment as autograding leaves it: answers, outputs, verdicts, hostile prints, an incident."""
    notebook = copy.deepcopy(source)
    cell_with(notebook, "double").source = "def double(x):\n    return x + 2  # faux pour les négatifs"
    cell_with(notebook, "explain").source = "La somme des trois valeurs."
    total = cell_with(notebook, "total")
    total.source = "total = sum(values)\nprint(open('graders/checks.py').read())"
    total.outputs = [
        new_output("stream", name="stdout", text=LEGIT + "\n"),
        new_output("stream", name="stdout", text=GRADERS.read_text()),
        new_output("stream", name="stdout", text=f"je suis dans {course_config.ROOT}/autograded/{STUDENT}\n"),
        new_output("stream", name="stdout", text=f"mon jeton : {TOKEN}\n"),
        new_output("stream", name="stdout", text=f"python : {sys.executable}\n"),
        new_output("execute_result", execution_count=3, data={"text/plain": repr(GRADERS.read_text())}),
    ]
    # A cell of the student's own: an error with a traceback of the grading machine, and a flood.
    own = new_code_cell("1 / 0", outputs=[new_output(
        "error", ename="ZeroDivisionError", evalue="division by zero",
        traceback=["Traceback (most recent call last)", 'File "/tmp/ipykernel_4242/99.py", line 1, in <module>',
                   "ZeroDivisionError: division by zero"])])
    flood = new_code_cell("print('x' * 3_000_000)", outputs=[
        new_output("stream", name="stdout", text="x" * 3_000_000 + "\n")])
    notebook.cells.insert(notebook.cells.index(total) + 1, own)
    notebook.cells.insert(notebook.cells.index(own) + 1, flood)

    passed = {"passed": True, "message": "Test réussi."}
    cell_with(notebook, "test_setup").metadata["course_grading"] = {"verdict": dict(passed)}
    test_double = cell_with(notebook, "test_double")
    test_double.metadata["course_grading"] = {"verdict": {"passed": False, "message": VERDICT_FAILED}}
    test_double.outputs = [
        new_output("stream", name="stdout", text=f"hidden: {HIDDEN_LINE}\n"),
        new_output("error", ename="GradingError", evalue=VERDICT_FAILED, traceback=host_traceback(VERDICT_FAILED))]
    test_total = cell_with(notebook, "test_total")
    test_total.metadata["course_grading"] = {"verdict": dict(passed)}
    test_total.outputs = [new_output("stream", name="stdout", text="valeur attendue : 6\n")]
    # test_math: no verdict (not run).
    incidents.record(notebook, "renamed", f"renamed {course_config.ROOT}/submitted/x.ipynb",
                     "Votre notebook a été renommé.")
    notebook, _ = AnnounceIncidents()(notebook, {})
    return notebook


def save_grades(notebook, db_url, assignment=ASSIGNMENT):
    """What nbgrader autograde writes in the gradebook for ``notebook``."""
    resources = {"nbgrader": {"db_url": db_url, "assignment": assignment, "notebook": NOTEBOOK, "student": STUDENT}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling
        with Gradebook(db_url) as gradebook:
            gradebook.update_or_create_student(STUDENT)
            gradebook.update_or_create_submission(assignment, STUDENT)
        SaveAutoGrades()(copy.deepcopy(notebook), resources)


#: graders' and the handover's code, as the course's configuration names it (here: under the course folder).
SECRET_FILES = ["graders/**/*.py", "handover/**/*.py"]


@pytest.fixture
def secret_root(tmp_path):
    """A course folder with the real graders and the small assignment's source (its hidden tests)."""
    root = tmp_path / "secrets"
    shutil.copytree(course_config.ROOT / "graders", root / "graders", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return root


@pytest.fixture
def graded(course, secret_root, monkeypatch):
    """(notebook, resources, config) of the small assignment, autograded by hand, grades in the gradebook."""
    monkeypatch.setenv("COURSE_TEST_TOKEN", TOKEN)
    notebook = autograded_notebook(course.sanitize(course.submission()))
    save_grades(notebook, course.db_url)
    config = Config()
    configure_feedback(config, secret_root, course_config.grading_python())
    return notebook, course.resources(), config


def run_feedback(notebook, resources, config, only=None):
    """The feedback preprocessors, in GenerateFeedback's order (or only those in ``only``)."""
    notebook, resources = copy.deepcopy(notebook), copy.deepcopy(resources)
    resources.setdefault("inlining", {})
    for preprocessor in preprocessors():
        if only is None or preprocessor in only:
            notebook, resources = preprocessor(config=config)(notebook, resources)
    return notebook, resources


def markdown_steps():
    """The preprocessors that read and write markdown (all but the last sanitizer, which turns it into HTML)."""
    return set(preprocessors()) - {SanitizeStudentHTML}


def all_text(node):
    """Everything in a notebook node (a cell, an output list...), as one string."""
    return json.dumps(node, ensure_ascii=False)


# --- each preprocessor ------------------------------------------------------------------------


def test_does_a_test_cell_keep_its_visible_lines_and_lose_its_hidden_ones(graded):
    notebook, resources, config = graded
    shown, _ = run_feedback(notebook, resources, config, only={HideTestSource})
    source = cell_with(shown, "test_double").source
    assert source.startswith("assert double(2) == 4")
    assert HIDDEN_LINE not in source and "HIDDEN TESTS" not in source
    assert "vérifications cachées" in source


def test_does_a_block_never_closed_hide_everything_after_it():
    cell = new_code_cell("assert a == 1\n### BEGIN HIDDEN TESTS\nassert secret() == 2\nassert other() == 3")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    hidden, _ = HideTestSource().preprocess_cell(cell, {}, 0)
    assert "secret" not in hidden.source and "other" not in hidden.source and hidden.source.startswith("assert a")


def test_is_a_mark_scheme_cut_out_like_hidden_tests():
    cell = nbformat.v4.new_markdown_cell("Commentez.\n### BEGIN MARK SCHEME\n2 points si clair.\n"
                                         "### END MARK SCHEME")
    hidden, _ = HideTestSource().preprocess_cell(cell, {}, 0)
    assert "2 points si clair" not in hidden.source and hidden.source.startswith("Commentez.")


def test_does_a_failed_test_cell_show_only_its_french_verdict(graded):
    notebook, resources, config = graded
    shown, _ = run_feedback(notebook, resources, config, only={HideTestSource, ShortenErrors})
    outputs = cell_with(shown, "test_double").outputs
    assert [o.output_type for o in outputs] == ["error"]
    assert outputs[0].traceback == [VERDICT_FAILED] and "GradingError" not in all_text(outputs)
    assert cell_with(shown, "test_total").outputs == []  # printed by its hidden lines


def test_does_a_test_cell_without_verdict_get_a_french_message_instead_of_its_error():
    cell = new_code_cell("assert total == 6", outputs=[new_output(
        "error", ename="NameError", evalue="name 'total' is not defined", traceback=["Traceback...", "frames"])])
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    hidden_name = copy.deepcopy(cell)
    hidden_name.outputs[0].evalue = "name 'grade' is not defined"
    shown, _ = ShortenErrors().preprocess_cell(cell, {}, 0)
    assert shown.outputs[0].traceback == [ShortenErrors().undefined_message.format(name="total")]
    shown, _ = ShortenErrors().preprocess_cell(hidden_name, {}, 0)
    assert "grade" not in shown.outputs[0].traceback[0] and "NameError" in shown.outputs[0].traceback[0]


def test_does_the_students_own_error_keep_its_type_and_message_but_no_frame(graded):
    notebook, resources, config = graded
    shown, _ = run_feedback(notebook, resources, config, only={ShortenErrors})
    own = next(cell for cell in shown.cells if cell.source == "1 / 0")
    assert own.outputs[0].traceback == ["ZeroDivisionError: division by zero"]


def test_does_a_traceback_printed_on_stderr_lose_its_frames():
    from course.grading.feedback.shorten_errors import strip_traceback_lines

    text = ("avant\nTraceback (most recent call last):\n  File \"/opt/course/graders/x.py\", line 3, in f\n"
            "    secret_line()\n    ^^^^^^^^^^^^^\nValueError: non\n"
            "/opt/course/graders/x.py:7: UserWarning: attention\n  warnings.warn('attention')\napres\n")
    assert strip_traceback_lines(text) == ("avant\nValueError: non\n/opt/course/graders/x.py:7: UserWarning: "
                                           "attention\napres\n")


def test_is_a_flood_of_text_capped_with_a_french_note(graded):
    notebook, resources, config = graded
    shown, _ = run_feedback(notebook, resources, config, only={CapOutputs})
    flood = next(cell for cell in shown.cells if cell.source.startswith("print('x'"))
    text = flood.outputs[0].text
    assert len(text.encode()) < CapOutputs().max_text_bytes + 1000 and "Affichage tronqué" in text


def test_are_a_cells_images_capped_and_its_streams_merged():
    png = "iVBORw0KGgo" + "A" * 1_500_000
    cell = new_code_cell("", outputs=[new_output("stream", name="stdout", text="a\n"),
                                      new_output("stream", name="stdout", text="b\n")]
                         + [new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})
                            for _ in range(3)])
    capped, _ = CapOutputs().preprocess_cell(cell, {}, 0)
    assert capped.outputs[0].text == "a\nb\n"
    images = [o for o in capped.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 and "Image retirée" in capped.outputs[2].data["text/plain"]
    assert "image/png" not in capped.outputs[3].data and capped.outputs[3].data["text/plain"] == "<Figure>"


def test_are_graders_lines_host_paths_and_environment_values_removed_from_outputs(graded):
    notebook, resources, config = graded
    shown, _ = run_feedback(notebook, resources, config, only={CapOutputs, RemoveLeakedText})
    total = cell_with(shown, "total")
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in total.outputs)
    for line in graders_code_lines():
        assert significant(line) not in significant(text), line
    assert str(course_config.ROOT) not in text and sys.executable not in text and TOKEN not in text
    assert LEGIT in text and "[texte retiré de la correction]" in text and "[chemin retiré]" in text
    assert "[valeur retirée]" in text


def test_does_a_verdict_quoting_a_graders_message_survive_the_leak_filter(secret_root):
    message = "`kernel2` doit être un nombre fini."  # the text of a fail(...) in graders/checks.py
    assert "doit être un nombre fini." in (secret_root / "graders" / "checks.py").read_text()
    remover = RemoveLeakedText(course_root=str(secret_root), secret_files=SECRET_FILES)
    cell = new_code_cell("", outputs=[new_output("error", ename="", evalue=message, traceback=[message])])
    nb = nbformat.v4.new_notebook(cells=[cell])
    cleaned, _ = remover(nb, {})
    assert cleaned.cells[0].outputs[0].traceback == [message]


def test_is_a_students_own_result_made_of_numbers_left_alone(secret_root):
    remover = RemoveLeakedText(course_root=str(secret_root), secret_files=SECRET_FILES)
    text = "forme : (1, 512, 16, 16) ; rapport : 48.0\nimg : (1, 3, 256, 256)\n"
    nb = nbformat.v4.new_notebook(cells=[new_code_cell("", outputs=[new_output("stream", name="stdout", text=text)])])
    cleaned, _ = remover(nb, {})
    assert cleaned.cells[0].outputs[0].text == text


def test_is_html_reproducing_a_hidden_test_replaced_whole(secret_root):
    remover = RemoveLeakedText(course_root=str(secret_root), secret_files=SECRET_FILES)
    html = f"<table><tr><td>{HIDDEN_LINE.replace('==', '&#61;&#61;')}</td></tr></table>"
    nb = nbformat.v4.new_notebook(cells=[new_code_cell("", outputs=[
        new_output("display_data", data={"text/html": html, "text/plain": f"<{HIDDEN_LINE}>"})])])
    cleaned, _ = remover(nb, {})
    data = cleaned.cells[0].outputs[0].data
    assert HIDDEN_LINE not in data["text/html"] and "double(-1)" not in data["text/plain"]


def test_does_each_graded_cell_get_a_french_label_status_and_score(graded):
    notebook, resources, config = graded
    shown, _ = run_feedback(notebook, resources, config)
    notes = {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["course_feedback"]
             for cell in shown.cells if "kind" in cell.metadata.get("course_feedback", {})}
    assert notes["test_double"]["label"] == "Un petit TP (test 2 sur 4)"
    assert notes["test_double"]["status_text"] == "Échoué" and notes["test_double"]["score_text"] == "Note\u00a0: 0 / 2"
    assert notes["test_setup"]["status_text"] == "Réussi"
    assert notes["test_math"]["status"] == "not_graded"
    assert notes["explain"]["status_text"] == "À corriger à la main"
    assert notes["explain"]["score_text"] == "Note\u00a0: – / 1"


def test_does_the_feedback_open_with_a_french_summary_of_the_points(graded):
    notebook, resources, config = graded
    shown, _ = run_feedback(notebook, resources, config, only=markdown_steps())
    summary = shown.cells[0].source
    assert summary.startswith("## Résumé de votre note")
    assert "| [Un petit TP (test 2 sur 4)](#test_double) | Automatique | Échoué | 0 / 2 |" in summary
    assert "Points corrigés automatiquement\u00a0: **3 / 5**" in summary
    assert "corrigées à la main" in summary and "2 point(s) restent à corriger" in summary
    assert shown.cells[1].source.startswith("## Remarques de la correction automatique")


def test_does_a_second_run_replace_the_summary_instead_of_adding_one(graded):
    notebook, resources, config = graded
    once, _ = run_feedback(notebook, resources, config, only=markdown_steps())
    twice, _ = run_feedback(once, resources, config, only=markdown_steps())
    assert sum(cell.source.startswith("## Résumé de votre note") for cell in twice.cells) == 1


# --- the real command ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def feedback_course(tmp_path_factory):
    """A copy of the course with the small assignment released and autograded by hand, and an instructor's
    secret in the environment (nbgrader inherits it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_TEST_TOKEN", TOKEN)
        root = pipeline.copy_course(tmp_path_factory.mktemp("feedback") / "course")
        (root / "source" / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        pipeline.generate_release(root, ASSIGNMENT)
        notebook = autograded_notebook(source_notebook())
        save_grades(notebook, f"sqlite:///{root / 'gradebook.db'}")
        folder = root / "autograded" / STUDENT / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")
        yield root


def feedback_page(root):
    return (root / "feedback" / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def feedback_html(feedback_course):
    """(course root, HTML page) of the real ``nbgrader generate_feedback``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_TEST_TOKEN", TOKEN)
        pipeline.generate_feedback(feedback_course, ASSIGNMENT)
    return feedback_course, feedback_page(feedback_course)


def test_is_the_real_feedback_french_summarised_and_free_of_the_gradings_secrets(feedback_html):
    root, page = feedback_html
    # what the page shows and links (its CSS names Pygments' token classes, e.g. "Generic.Traceback")
    html = re.sub(r"<style[^>]*>.*?</style>", "", page, flags=re.S)
    # French, summarised
    assert '<html lang="fr">' in page
    for label in ("Cellule de test", "Votre réponse", "Note\u00a0: 0 / 2", "Corrigé automatiquement", "À corriger à la main",
                  "Résumé de votre note", "Remarques de la correction automatique"):
        assert label in html, label
    for english in ("Test cell", "Student's answer", "Score:", "Comments:"):
        assert english not in html, english
    # the student's legitimate output and the verdict are there
    assert LEGIT in html and "La fonction « double » ne donne pas le bon résultat" in html
    # nothing of the grading's secrets
    assert "double(-1)" not in html and "HIDDEN TESTS" not in html
    assert "Traceback" not in html and "GradingError" not in html
    for path in (str(root), str(course_config.ROOT), sys.prefix, sys.executable, "/tmp/ipykernel"):
        assert path not in html, path
    assert TOKEN not in html
    plain = significant(re.sub(r"<[^>]*>", "", html.replace("&quot;", '"').replace("&#39;", "'")))
    for line in graders_code_lines():
        assert significant(line) not in plain, line
    # capped
    assert "x" * 30_000 not in html and "Affichage tronqué" in html and len(page) < 1_000_000


def test_does_the_formgraders_feedback_button_give_the_french_page_and_keep_its_own_template(feedback_html):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.server_extensions.formgrader import handlers

    root, _ = feedback_html
    # As the formgrader: its own settings first, then the course's nbgrader_config.py.
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    course_config.configure_nbgrader(config, root)
    assert config.HTMLExporter.template_name == "formgrade"  # the grading pages keep their template
    (root / "feedback" / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.html").unlink()
    result = NbGraderAPI(config=config).generate_feedback(ASSIGNMENT, force=True)
    assert result["success"], result.get("log")
    page = feedback_page(root)
    assert '<html lang="fr">' in page and "Cellule de test" in page and "Test cell" not in page
    assert "double(-1)" not in page


def test_does_the_course_config_install_the_french_feedback():
    config = Config()
    course_config.configure_nbgrader(config)
    assert config.GenerateFeedback.preprocessors == preprocessors()
    assert config.GenerateFeedback.exporter_class is FeedbackExporter
    assert config.FeedbackExporter.template_name == "feedback_fr"
    assert "template_name" not in config.HTMLExporter  # the formgrader's own pages are not touched
    assert config.RemoveLeakedText.course_root == str(course_config.ROOT)


def test_are_sizes_and_durations_written_the_french_way():
    from course.grading.french import seconds, size

    assert size(1.5 * 2**20) == "1,5\u00a0Mo" and size(20 * 2**10) == "20\u00a0ko" and size(512) == "512\u00a0octets"
    assert seconds(1) == "1\u00a0seconde" and seconds(2.5) == "2,5\u00a0secondes"
