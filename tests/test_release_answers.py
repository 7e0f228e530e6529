"""The release asks its graded questions without answering them: the explanations are the corrigé's."""
import re

import nbformat
import pytest

import course_config
from course import assignments, corrige

ASSIGNMENTS = assignments.names()

#: Phrases that answered a graded question (or spelled an exercise's solution) in an earlier release.
KNOWN_ANSWERS = {
    "tp_convolution": {
        "q_eval_dropout": ["couches `Dropout` éteignent", "le *dropout* est coupé", "limite le surapprentissage"],
        "q_hook_trap": ["ReLU(inplace=True)", "qui partage la même mémoire", "output.detach().clone()"],
        "q_layer10_maps": ["une carte s'allume sur un trait précis", "la photo se dissout",
                           "c'est l'entraînement qui donne un sens aux filtres"],
        "q_learned_kernels": ["des détecteurs de contours proches du filtre de Prewitt",
                              "aussi désordonnés que ceux du petit réseau"],
    },
    "cnn_bases": {
        "q_equivariance": ["rendent l'équivariance approximative", "décaler après avoir filtré met des zéros"],
        "q_padding": ["vient des zéros du *padding*", "des zéros ajoutés par le *padding*"],
        "q_pooling": ["ses poids sont appris", "impose son résumé"],
        "gaussian_filter": ["np.linspace(-2, 2, length)", "divisées par leur somme"],
        "output_size": [r"\lfloor", r"n + 2p - k}{s}"],
    },
}


def plain(text):
    """Text compared the way a reader sees it: any space is one space, case ignored."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip().lower()


def notebook_text(path):
    return plain("\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells))


def release_text(assignment):
    return notebook_text(course_config.ROOT / "release" / assignment / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_the_release_hold_no_corrige_only_cell(assignment):
    source = nbformat.read(course_config.ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    explanations = [cell.source for cell in source.cells if corrige.is_corrige(cell)]
    assert explanations, f"{assignment}: no corrigé-only cell in the source"
    text = release_text(assignment)
    sentences = [plain(s) for e in explanations for s in re.split(r"(?<=[.!?])\s", e) if len(plain(s)) > 40]
    assert sentences and [s for s in sentences if s in text] == []


@pytest.mark.parametrize("assignment, question", [(a, q) for a in KNOWN_ANSWERS for q in KNOWN_ANSWERS[a]])
def test_does_the_release_give_no_known_answer_away(assignment, question):
    text = release_text(assignment)
    assert [phrase for phrase in KNOWN_ANSWERS[assignment][question] if plain(phrase) in text] == []


@pytest.mark.parametrize("assignment, question", [(a, q) for a in KNOWN_ANSWERS for q in KNOWN_ANSWERS[a]
                                                  if q.startswith("q_")])
def test_does_the_corrige_source_still_explain_what_the_release_no_longer_says(assignment, question):
    """The phrases moved, they were not lost: the source (hence the corrigé) still holds each of them."""
    text = notebook_text(course_config.ROOT / "source" / assignment / f"{assignment}.ipynb")
    assert [phrase for phrase in KNOWN_ANSWERS[assignment][question] if plain(phrase) not in text] == []
