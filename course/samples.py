"""Sample submissions: the reference, the blank release and realistic mistakes.

Each sample is the student release with some solution cells filled in. A
solution cell gets the instructor's solution (``REFERENCE``), the untouched
stub (``BLANK``) or a piece of code written here, a known mistake. Each
sample states the points it must lose per test cell, so the demonstration
and the end-to-end tests both check that grading takes exactly those points.
"""
import re
from dataclasses import dataclass, field

import nbformat

from graders.wrong_answers import WRONG_ANSWERS

REFERENCE = "reference"
BLANK = "blank"


@dataclass(frozen=True)
class Sample:
    student: str
    #: grade_id of a solution cell -> REFERENCE, BLANK or replacement code.
    answers: dict
    #: Cells not named in ``answers`` get this.
    default: str = REFERENCE
    #: grade_id of a test cell -> points lost; a test cell not listed loses none
    #: (or all its points when ``default`` is BLANK and it is not listed).
    lost: dict = field(default_factory=dict)
    description: str = ""
    #: The share of each open question's points the instructor gives by hand (the demonstration enters
    #: them through nbgrader's API); an open question left blank gets 0 whatever this says.
    manual_share: float = 1.0


def _all_of(wrong_answers):
    """(answers, lost) of a sample that makes every mistake of the graders' catalogue at once."""
    answers, lost = {}, {}
    for wrong in wrong_answers:
        answers.update(wrong.answers)
        lost.update(wrong.loses)
    return answers, REFERENCE, lost


SAMPLES = {
    "tp_convolution": (
        Sample("reference", {}, description="the instructor's solution"),
        Sample("blank", {}, default=BLANK, description="the release, untouched", manual_share=0.0),
        Sample("one_mistake_per_part", *_all_of(WRONG_ANSWERS["tp_convolution"]),
               description="A: ratio of spatial sizes; B: counts a bias; C: hook without a copy", manual_share=0.5),
        Sample(
            "hostile",
            {
                # Reads the instructor's files and kills its own kernel halfway.
                "prewitt": "import os\n"
                           "print(sorted(os.listdir('../../..')), os.environ.get('HOME'))\n"
                           "open('../../../gradebook.db', 'w').write('')\n",
                "eval_mode": "import os\nos._exit(1)\n",
            },
            lost={"test_prewitt_kernel": 1, "test_prewitt_outputs": 2, "test_eval_mode": 2,
                  "test_hooks_shapes": 2, "test_hooks_values": 1, "test_plot_feature_maps": 2},
            description="tries to reach the gradebook, then kills its kernel in part C",
            manual_share=0.0,
        ),
    ),
    "cnn_bases": (
        Sample("reference", {}, description="the instructor's solution"),
        Sample("blank", {}, default=BLANK, description="the release, untouched", manual_share=0.0),
        Sample("classic_mistakes", *_all_of(WRONG_ANSWERS["cnn_bases"]),
               description="A: flipped filter; B: padding forgotten; C: no ReLU, overlapping max-pooling; "
                           "E: untrained LeNet-5", manual_share=0.5),
    ),
}


#: What a sample student writes in an open question when its answers are not the model ones.
PARTIAL_ANSWER = ("Je pense que cela vient de la taille des noyaux, mais je ne sais pas bien l'expliquer.")


def _solution_code(source_cell):
    """The instructor's code (or model answer) of a solution cell, without nbgrader's markers nor the rubric."""
    source = re.sub(r"=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===\n?", "", source_cell.source, flags=re.S)
    return "\n".join(line for line in source.splitlines()
                     if not re.match(r"\s*### (BEGIN|END) SOLUTION", line)).strip("\n")


def is_open_question(cell):
    nbgrader = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "markdown" and nbgrader.get("grade") and nbgrader.get("solution")


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def build_submission(sample, release_nb, source_nb):
    """The notebook a student of this sample hands in: the release, with answers filled in."""
    solutions = {_grade_id(c): c for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    notebook = nbformat.from_dict(release_nb)
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if grade_id not in solutions:
            continue
        answer = sample.answers.get(grade_id, sample.default)
        if is_open_question(cell) and answer == REFERENCE and 0 < sample.manual_share < 1:
            cell.source = PARTIAL_ANSWER
        elif answer == REFERENCE:
            cell.source = _solution_code(solutions[grade_id])
        elif answer != BLANK:
            cell.source = answer
    return notebook


def test_points(notebook):
    """grade_id -> points of every test cell of a notebook."""
    return {_grade_id(c): float(c.metadata["nbgrader"]["points"]) for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}


def expected_scores(sample, points):
    """grade_id of each test cell -> the score this sample must get."""
    if sample.default == BLANK and not sample.answers:
        return {grade_id: 0.0 for grade_id in points}
    return {grade_id: value - sample.lost.get(grade_id, 0) for grade_id, value in points.items()}


def manual_points(sample, points):
    """grade_id of each open question -> the points the instructor gives this sample by hand."""
    if sample.default == BLANK and not sample.answers:
        return {grade_id: 0.0 for grade_id in points}
    return {grade_id: round(value * sample.manual_share * 2) / 2 for grade_id, value in points.items()}
