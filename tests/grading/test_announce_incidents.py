"""AnnounceIncidents: the feedback opens with what grading had to repair, in French, scores untouched."""
import copy

from nbformat.v4 import new_output

from course.grading import incidents
from course.grading.preprocessors import AnnounceIncidents

from .conftest import cell_with


def executed(course):
    """The sanitized release, as if executed: a passing and a failing test."""
    notebook = course.sanitize(course.submission())
    cell_with(notebook, "test_total").outputs = [new_output("error", ename="NameError", evalue="", traceback=[])]
    return notebook


def announced(notebook, resources):
    notebook, _ = AnnounceIncidents()(notebook, resources)
    return notebook


def test_is_a_notebook_without_incidents_left_as_it_is(course):
    notebook = executed(course)
    assert announced(copy.deepcopy(notebook), course.resources()) == notebook


def test_are_the_incidents_listed_in_french_at_the_very_top(course):
    notebook = executed(course)
    incidents.record(notebook, "cell_timeout", "cell x reached 120 s", "Une cellule a été arrêtée au bout de 120 s.")
    incidents.record(notebook, "output_capped", "cell y printed too much", "Une cellule a trop affiché.")
    first = announced(notebook, course.resources()).cells[0]
    assert first.cell_type == "markdown" and "nbgrader" not in first.metadata
    lines = first.source.splitlines()
    assert lines[0] == "## Remarques de la correction automatique"
    assert lines[-2:] == ["- Une cellule a été arrêtée au bout de 120 s.", "- Une cellule a trop affiché."]


def test_is_a_message_repeated_by_several_incidents_listed_once(course):
    notebook = executed(course)
    for cell in ("a", "b"):
        incidents.record(notebook, "kernel_died", f"cell {cell}", "Le noyau s'est arrêté.", cell)
    assert announced(notebook, course.resources()).cells[0].source.count("Le noyau s'est arrêté.") == 1


def test_does_a_second_run_replace_the_announcement_instead_of_adding_one(course):
    notebook = executed(course)
    incidents.record(notebook, "renamed", "renamed", "Votre notebook a été renommé.")
    once = announced(notebook, course.resources())
    twice = announced(copy.deepcopy(once), course.resources())
    assert twice == once


def test_does_the_announcement_change_no_score(course):
    notebook = executed(course)
    before = course.save_grades(copy.deepcopy(notebook))
    incidents.record(notebook, "cell_timeout", "cell x", "Une cellule a été arrêtée.")
    after = course.save_grades(announced(notebook, course.resources()))
    assert after == before and before["test_total"] == 0 and before["test_math"] == 1
