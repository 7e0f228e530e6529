"""Sample submissions: the reference, the blank release and realistic mistakes.

Each sample is the student release with some solution cells filled in. A
solution cell gets the instructor's solution (``REFERENCE``), the untouched
stub (``BLANK``) or a piece of code, a known mistake or a right alternative.
Each sample states the points it must lose per test cell, so the
demonstration and the end-to-end tests both check that grading takes exactly
those points.

Every assignment gets, from its declaration (``source/<a>/assignment.toml``,
:mod:`course.assignments`): the instructor's solution (``reference``), the
untouched release (``blank``), the catalogue's wrong answers (all at once, as
the student the declaration names, or one student each, ``wrong_answer_N``),
one student per right alternative (``right_answer_N``, full marks), then the
declaration's extra samples (e.g. a hostile one).
"""
import re
from dataclasses import dataclass, field

import nbformat

from . import assignments as declared

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


def _catalogue_samples(assignment):
    """The samples made of the declaration's catalogues of wrong and right answers."""
    if assignment.all_wrong_student:
        answers, lost = {}, {}
        for wrong in assignment.wrong:
            answers.update(wrong.answers)
            lost.update(wrong.loses)
        yield Sample(assignment.all_wrong_student, answers, REFERENCE, lost,
                     description="; ".join(w.what for w in assignment.wrong), manual_share=0.5)
    else:
        for number, wrong in enumerate(assignment.wrong, 1):
            yield Sample(f"wrong_answer_{number}", dict(wrong.answers), REFERENCE, dict(wrong.loses),
                         description=wrong.what, manual_share=0.5)
    for number, right in enumerate(assignment.right, 1):
        yield Sample(f"right_answer_{number}", dict(right.answers), description=f"right: {right.what}")


def samples_of(assignment):
    """The sample students of an :class:`~course.assignments.Assignment`, in order."""
    return (Sample("reference", {}, description="the instructor's solution"),
            Sample("blank", {}, default=BLANK, description="the release, untouched", manual_share=0.0),
            *_catalogue_samples(assignment),
            *(Sample(extra.student, dict(extra.answers), extra.default, dict(extra.lost), extra.what,
                     extra.manual_share) for extra in assignment.extra_samples))


def all_samples(root=None):
    """assignment name -> its samples, for every assignment of the course in ``root`` (default: this one)."""
    return {assignment.name: samples_of(assignment) for assignment in declared.discover(root)}


def __getattr__(name):
    """``SAMPLES``: assignment name -> its samples, for this course, read from the declarations when asked (so that
    importing this module never fails on a declaration being edited)."""
    if name == "SAMPLES":
        return all_samples()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
