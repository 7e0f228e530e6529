"""Similar submissions: planted near-copies are paired, honest work and kept stubs are not, the page is escaped.

The class is built from the real release of tp_convolution (tests/support/class_submissions.py: the
instructor's solution, four full-mark variants written differently, typical mistakes, the blank release), and
compared from the submitted notebooks alone, without grading (the answer cells are the same once graded).
"""
import csv
import logging
import re
import shutil
from pathlib import Path

import pytest
from class_submissions import ALT_A, ALT_B, ALT_C, ALT_D, ASSIGNMENT, HEALTHY, ClassSubmission, answered
from traitlets.config import Config

from course.grading.integrity import report
from course.grading.integrity.fingerprints import code_tokens, fingerprints, word_tokens
from course.grading.integrity.report import class_answers, release_notebooks, update_report
from course.grading.integrity.similarity import Answer, SimilarSubmissions, answer_cells, given_of
from course.samples import BLANK

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course(tmp_path):
    """A course folder with the real release and source of tp_convolution, and nothing handed in yet."""
    shutil.copytree(ROOT / "release" / ASSIGNMENT, tmp_path / "release" / ASSIGNMENT)
    (tmp_path / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", tmp_path / "source" / ASSIGNMENT)
    return tmp_path


def disguised(code, renames):
    """A near-copy: names renamed, a comment on top, blank lines added and moved, a comment at the end."""
    for old, new in renames.items():
        code = re.sub(rf"\b{old}\b", new, code)
    lines = []
    for number, line in enumerate(code.splitlines()):
        lines.append(line)
        if number % 2 == 0 and not line.rstrip().endswith(":"):
            lines.append("")
    return "# ma solution, écrite seule\n" + "\n".join(lines) + "\n\n# fin\n"


RENAMES = {"recorder": "enregistreur", "Recorder": "Enregistreur", "outputs": "sorties", "handles": "crochets",
           "handle": "crochet", "axes": "grille", "n_rows": "lignes", "n": "nb", "fig": "figure"}
#: A planted near-copy of alt_expand_pow's answers (ALT_B), every cell disguised.
COPY_OF_B = {grade_id: disguised(code, RENAMES) for grade_id, code in ALT_B.items()}
NEAR_COPY = ClassSubmission("near_copy", answered(COPY_OF_B), description="alt_expand_pow's answers, disguised")
KEPT_STUB = tuple(ClassSubmission(f"kept_stub_{i}", answered(default=BLANK)) for i in (1, 2, 3))


def compare(root, entries, **settings):
    for entry in entries:
        entry.write(root)
    answers = class_answers(root, ASSIGNMENT, stage="submitted")
    given = given_of(release_notebooks(root, ASSIGNMENT), ASSIGNMENT)
    return SimilarSubmissions(**settings).compare(answers, given)


def pairs_of(similarity):
    return [(pair.first, pair.second) for pair in similarity.pairs]


# --- what is paired, what is not -------------------------------------------------------------------


def test_is_a_near_copy_with_renamed_variables_and_moved_comments_paired_and_nothing_else(course):
    similarity = compare(course, HEALTHY + KEPT_STUB + (NEAR_COPY,))
    assert pairs_of(similarity) == [("alt_expand_pow", "near_copy")]
    pair = similarity.pairs[0]
    assert pair.score > 0.9 and pair.shared_tokens > 150
    assert [cell.label for cell in pair.cells] == list(ALT_B)  # every answer cell, in the notebook's order
    assert similarity.compared == len(HEALTHY) + 4


def test_are_honest_solutions_written_differently_far_below_the_threshold(course):
    honest = [entry for entry in HEALTHY if entry.student in
              ("reference", "alt_repeat_hypot", "alt_expand_pow", "alt_rot90_loop", "alt_numpy_pyplot")]
    similarity = compare(course, honest, threshold=0.0, min_shared_tokens=0)
    assert max(pair.score for pair in similarity.pairs) < 0.25
    assert pairs_of(compare(course, ())) == []  # the same class at the default settings


GIVEN_ONLY = {"plot_feature_maps": "def plot_feature_maps(fmap, n_maps=16, n_cols=4):\n    pass\n",
              "vgg_layer30": "raise NotImplementedError()\n"
                             "print(f\"Forme de la sortie de la couche 30 : {shape_layer30} ; "
                             "rapport des tailles : {size_ratio}\")\n"}


def test_are_students_who_kept_the_stub_or_the_given_code_never_paired(course):
    # Two of each in a varied class: not the class's common pattern, so only the exclusion of what the release
    # gives keeps them apart.
    entries = KEPT_STUB[:2] + (ClassSubmission("given_c", answered({**ALT_C, **GIVEN_ONLY})),
                               ClassSubmission("given_d", answered({**ALT_D, **GIVEN_ONLY})),
                               ClassSubmission("a", answered(ALT_A)), ClassSubmission("b", answered(ALT_B)))
    similarity = compare(course, entries, threshold=0.0, min_shared_tokens=0)
    assert not [pair for pair in similarity.pairs if {pair.first, pair.second} & {"kept_stub_1", "kept_stub_2"}]
    given_pair = [pair for pair in similarity.pairs if (pair.first, pair.second) == ("given_c", "given_d")]
    assert not {cell.label for pair in given_pair for cell in pair.cells} & set(GIVEN_ONLY)
    assert similarity.compared == 6


def test_does_the_class_common_solution_pair_nobody_while_two_alike_in_a_varied_class_are_paired(course):
    everyone_the_same = tuple(ClassSubmission(f"same_{i}", answered(ALT_C)) for i in range(6))
    assert pairs_of(compare(course, everyone_the_same)) == []
    shutil.rmtree(course / "submitted")
    varied = (ClassSubmission("a", answered(ALT_A)), ClassSubmission("b", answered(ALT_B)),
              ClassSubmission("d", answered(ALT_D)), ClassSubmission("c1", answered(ALT_C)),
              ClassSubmission("c2", answered(ALT_C)), ClassSubmission("reference", answered()))
    assert pairs_of(compare(course, varied)) == [("c1", "c2")]


def test_is_code_that_a_third_student_also_wrote_weaker_evidence(course):
    # HEALTHY's alt_rot90_loop wrote ALT_C: one more student writing it makes a pair, two more a trio.
    pair = compare(course, HEALTHY + (ClassSubmission("copy_1", answered(ALT_C)),))
    trio = compare(course, (ClassSubmission("copy_2", answered(ALT_C)),)).pairs  # everything handed in so far
    assert pairs_of(pair) == [("alt_rot90_loop", "copy_1")] and pair.pairs[0].score > 0.95
    scores = {(p.first, p.second): p.score for p in trio}
    assert set(scores) == {("alt_rot90_loop", "copy_1"), ("alt_rot90_loop", "copy_2"), ("copy_1", "copy_2")}
    assert all(0.6 < score < 0.9 for score in scores.values())


def test_are_open_questions_compared_on_words_with_the_stub_left_out(course):
    given = given_of(release_notebooks(course, ASSIGNMENT), ASSIGNMENT)
    texts = {
        "ana": "Le mode évaluation désactive le Dropout : chaque neurone est gardé, et la BatchNorm utilise ses "
               "statistiques apprises au lieu de celles du lot. Sinon la prédiction serait aléatoire d'un appel à "
               "l'autre, et deux images identiques pourraient recevoir deux classes différentes.",
        "ben": "Sans eval(), les couches Dropout éteignent des neurones au hasard ; la sortie change à chaque "
               "passage et la classe prédite n'est pas stable.",
        "chloe": "En entraînement, Dropout met à zéro une partie des activations, ce qui rend le réseau "
                 "non déterministe. eval() coupe ce comportement pour l'inférence.",
        "copie": "le mode EVALUATION désactive le dropout ; chaque neurone est gardé et la batchnorm utilise ses\n"
                 "statistiques apprises au lieu de celles du lot... sinon, la prédiction serait aléatoire d'un "
                 "appel à l'autre !\n\nEt deux images identiques pourraient recevoir deux classes différentes.",
        "stub_1": "VOTRE RÉPONSE ICI", "stub_2": "VOTRE RÉPONSE ICI",
    }
    answers = {student: {"q_eval_dropout": Answer("markdown", text)} for student, text in texts.items()}
    similarity = SimilarSubmissions().compare(answers, given)
    assert pairs_of(similarity) == [("ana", "copie")]
    assert similarity.pairs[0].cells[0].label == "q_eval_dropout"


def test_does_renaming_leave_the_tokens_of_code_unchanged_but_not_a_change_of_library_call():
    original = "total = torch.sqrt(a**2 + b**2)  # norme\nfor i in range(3):\n    print(i)\n"
    renamed = "\n# la norme\nresultat = torch.sqrt(a**2 + b**2)\n\nfor k in range(3):\n\n    print(k)\n"
    other_call = "total = np.abs(a**2 + b**2)\nfor i in range(3):\n    print(i)\n"
    with_magic = "%matplotlib inline\n" + renamed
    texts = [[token.text for token in code_tokens(code)] for code in (original, renamed, other_call, with_magic)]
    assert texts[0] == texts[1] == texts[3][-len(texts[0]):] and texts[0] != texts[2]
    assert "torch" in texts[0] and ".sqrt" not in texts[0] and "sqrt" in texts[0]


def test_does_winnowing_give_a_shared_fingerprint_to_every_match_long_enough():
    words = [f"w{i}" for i in range(40)]
    k, window = 5, 4
    for start in range(0, 40 - (k + window - 1)):
        match = words[start:start + k + window - 1]
        first = word_tokens(" ".join(["x", "y", *match, "z"]))
        second = word_tokens(" ".join(["a", *match, "b", "c"]))
        assert set(fingerprints(first, k, window)) & set(fingerprints(second, k, window))


def test_is_the_threshold_a_documented_configurable_setting(course):
    for name in ("threshold", "common_share", "min_shared_tokens"):
        trait = SimilarSubmissions.class_traits()[name]
        assert trait.metadata.get("config") and trait.help
    config = Config()
    config.SimilarSubmissions.threshold = 1.01
    entries = (ClassSubmission("b", answered(ALT_B)), NEAR_COPY, ClassSubmission("a", answered(ALT_A)))
    for entry in entries:
        entry.write(course)
    answers = class_answers(course, ASSIGNMENT, stage="submitted")
    assert pairs_of(report.similar_submissions(course, ASSIGNMENT, answers)) == [("b", "near_copy")]
    assert report.similar_submissions(course, ASSIGNMENT, answers, config).pairs == []


def test_are_answer_cells_read_by_grade_id_from_a_plain_json_notebook():
    release = release_notebooks(ROOT, ASSIGNMENT)[ASSIGNMENT]
    answers = answer_cells(release, ASSIGNMENT, ASSIGNMENT)
    assert list(answers)[:3] == ["prewitt", "q_blur_prewitt", "vgg_layer30"]
    assert answers["prewitt"] == Answer("code", "# VOTRE CODE ICI\nraise NotImplementedError()")
    assert answer_cells(release, "other", ASSIGNMENT).keys() >= {"other: prewitt"}


# --- the report ------------------------------------------------------------------------------------


def _graded(root, entries):
    """The entries' notebooks put where grading leaves them (autograded/), without grading."""
    for entry in entries:
        entry.write(root)
    shutil.copytree(root / "submitted", root / "autograded")


HOSTILE_NAME = "<script>alert('x')</script>"


def test_does_the_report_show_the_pair_side_by_side_escaped_and_list_it_in_the_csv(course):
    planted = {"hooks": ALT_B["hooks"] + f"\n# {HOSTILE_NAME}\nprint('</div><script>alert(1)</script>')\n"}
    _graded(course, (ClassSubmission("tom & jerry", answered({**ALT_B, **planted})),
                     ClassSubmission("near_copy", answered({**COPY_OF_B, **planted})),
                     ClassSubmission("a", answered(ALT_A)), ClassSubmission("c", answered(ALT_C))))
    csv_path, html_path = update_report(course, ASSIGNMENT)
    page = html_path.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "near_copy and tom &amp; jerry" in page and 'id="similar"' in page
    assert page.count('<table class="side">') == len(ALT_B)
    assert '<div class="line shared">' in page and "Similar is not copied" in page
    with open(course / "reports" / f"{ASSIGNMENT}-integrity-pairs.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["student"], row["other_student"]) for row in rows] == [("near_copy", "tom & jerry")]
    assert float(rows[0]["similarity"]) > 0.9 and rows[0]["cells"].startswith("prewitt ")
    assert csv_path.read_text(encoding="utf-8").splitlines() == ["student,flag,where,evidence,description"]


def test_does_a_failing_similarity_step_leave_the_rest_of_the_report(course, monkeypatch, caplog):
    broken = ClassSubmission("broken", answered({"prewitt": "import sys\nsys.path.insert(0, '/tmp')\n"}))
    _graded(course, (broken, ClassSubmission("b", answered(ALT_B))))

    def fail(self, answers, given):
        raise RuntimeError("fingerprints exploded")

    monkeypatch.setattr(SimilarSubmissions, "compare", fail)
    with caplog.at_level(logging.ERROR):
        csv_path, html_path = update_report(course, ASSIGNMENT)
    page = html_path.read_text(encoding="utf-8")
    assert "Not computed: RuntimeError: fingerprints exploded" in page
    assert "sys_path" in csv_path.read_text(encoding="utf-8")  # the findings are all there
    assert "similar submissions of tp_convolution not computed" in caplog.text


def test_is_a_missing_release_said_in_the_page_never_guessed(course):
    _graded(course, (ClassSubmission("b", answered(ALT_B)), NEAR_COPY))
    shutil.rmtree(course / "release")
    _, html_path = update_report(course, ASSIGNMENT)
    page = html_path.read_text(encoding="utf-8")
    assert "Not computed: FileNotFoundError: no release/tp_convolution/*.ipynb" in page
    assert "near_copy and" not in page
