"""The assignments of the course, each declared once in ``source/<name>/assignment.toml``.

An assignment is the folder ``source/<name>/``: its instructor notebook
(``<name>.md``, twin of ``<name>.ipynb``) and its declaration,
``assignment.toml``: its title and place in the teaching order, the files of
``data/`` its release carries, the models its given cells build (pre-built by
the warm kernels), the catalogue of known wrong answers (with the points each
test cell loses for them: ``course grade``'s pre-flight proves every check live
with them), the catalogue of right alternative answers (full marks), and the
demonstration's extra sample students. Two files complete it, named after it by
convention because of who may read them: ``handover/<name>.py`` (the kernel's
side) and ``graders/<name>.py`` (the judge's checks, never readable by a
kernel). Everything else (releases, data, the engine, the pre-flight, the
demonstration, the tests) discovers the assignments here.

nbgrader never releases ``assignment.toml`` (``CourseDirectory.ignore``, set in
``course_config.configure_nbgrader``): it holds wrong answers and solutions.
A malformed declaration is refused with a message naming the file and the key.
"""
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DECLARATION = "assignment.toml"
#: An assignment's name is a Python module name too (handover.<name>, graders.<name>).
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
#: The generic sample students (course/samples.py), whose names an extra sample may not take.
DERIVED_STUDENTS = ("reference", "blank")
SAMPLE_DEFAULTS = ("reference", "blank")


class AssignmentError(ValueError):
    """A declaration that cannot be used: the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Answer:
    """An entry of a catalogue: the instructor's solution with some solution cells answered otherwise."""

    #: grade_id of a solution cell -> the code written in it.
    answers: dict
    #: grade_id of a test cell -> the points it must lose (empty: a right answer, full marks).
    loses: dict
    #: What it is, for the instructor (English).
    what: str = ""


@dataclass(frozen=True)
class ExtraSample:
    """A sample student of the demonstration and the tests beyond the generic ones (e.g. a hostile one)."""

    student: str
    answers: dict
    #: What the solution cells not named in ``answers`` get: "reference" or "blank".
    default: str = "reference"
    #: grade_id of a test cell -> the points it loses.
    lost: dict = field(default_factory=dict)
    what: str = ""
    manual_share: float = 1.0


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    #: Place in the teaching order (assignments are listed by it).
    order: int
    #: source/<name>/
    folder: Path
    #: Files of data/ that the release carries (copied into source/<name>/ by `course data`).
    data: tuple = ()
    #: (builder "module:function", the seed set right before, how many calls in a row with weights=None):
    #: models the warm kernels build before any submission (course/grading/zygote.py).
    prebuilt: tuple = ()
    wrong: tuple = ()
    right: tuple = ()
    #: The sample student who makes every wrong answer at once; None: one sample student per wrong answer.
    all_wrong_student: str = None
    extra_samples: tuple = ()

    @property
    def declaration(self):
        return self.folder / DECLARATION

    @property
    def notebook(self):
        return self.folder / f"{self.name}.ipynb"

    @property
    def markdown(self):
        return self.folder / f"{self.name}.md"


def _root(root):
    if root is None:
        import course_config

        return course_config.ROOT
    return Path(root)


def discover(root=None):
    """Every assignment of the course in ``root`` (default: this course), in teaching order."""
    source = _root(root) / "source"
    folders = sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))) \
        if source.is_dir() else []
    found = []
    for folder in folders:
        if not (folder / DECLARATION).is_file():
            raise AssignmentError(f"{folder} has no {DECLARATION}: every assignment is declared there (see "
                                  f"docs/authoring.md; `course new NAME` writes one). To fix: add it, or move the "
                                  "folder out of source/.")
        found.append(load(folder.name, root))
    orders = {}
    for assignment in found:
        if assignment.order in orders:
            raise AssignmentError(f"{assignment.declaration}: order: {assignment.order} is also the order of "
                                  f"{orders[assignment.order]}. To fix: give each assignment its own place in the "
                                  "teaching order.")
        orders[assignment.order] = assignment.name
    return tuple(sorted(found, key=lambda a: a.order))


def names(root=None):
    """The assignments' names, in teaching order."""
    return tuple(a.name for a in discover(root))


def load(name, root=None):
    """The assignment ``name`` as ``source/<name>/assignment.toml`` declares it."""
    folder = _root(root) / "source" / name
    path = folder / DECLARATION
    if not NAME.match(name):
        raise AssignmentError(f"{folder}: {name!r} is not a valid assignment name: it must be a Python module name "
                              "in lower case (letters, digits, underscores; a letter first), since handover/<name>.py "
                              "and graders/<name>.py are named after it.")
    if not path.is_file():
        raise AssignmentError(f"{path} is missing: no assignment {name!r} is declared in {folder.parent}. To fix: "
                              "check the name, or create it with `course new NAME` (see docs/authoring.md).")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise AssignmentError(f"{path}: not valid TOML ({error}). To fix: see docs/authoring.md for its form.") \
            from None
    return _parse(Declaration(path, table), name, folder)


# --- reading the declaration, key by key ---------------------------------------------------------

class Declaration:
    """A TOML table of one declaration file, read with messages that name the file and the key."""

    def __init__(self, path, table, where=""):
        self.path, self.table, self.where = path, table, where

    def fail(self, key, problem):
        raise AssignmentError(f"{self.path}: {self.where}{key}: {problem}. See docs/authoring.md.")

    def only(self, *allowed):
        unknown = sorted(set(self.table) - set(allowed))
        if unknown:
            self.fail(unknown[0], f"unknown key (the keys here are: {', '.join(allowed)})")
        return self

    def get(self, key, kind, default=None, required=False):
        if key not in self.table:
            if required:
                self.fail(key, "missing")
            return default
        value = self.table[key]
        if kind is float and type(value) is int:
            value = float(value)
        if type(value) is not kind:
            self.fail(key, f"must be {_KINDS[kind]}, not {type(value).__name__} {value!r:.60}")
        return value

    def sub(self, key, index=None):
        """The table under ``key`` (or its ``index``-th item) as a Declaration."""
        value = self.table.get(key, {}) if index is None else self.table[key][index]
        where = f"{self.where}{key}" + ("" if index is None else f"[{index}]") + "."
        if type(value) is not dict:
            Declaration(self.path, {}, self.where).fail(key, "must be a table")
        return Declaration(self.path, value, where)

    def tables(self, key):
        """The array of tables ``[[key]]``, each as a Declaration."""
        value = self.get(key, list, [])
        return [self.sub(key, index) for index in range(len(value))]

    def code_cells(self, key, required=True):
        """A table grade_id -> code (strings)."""
        cells = self.get(key, dict, {}, required=required)
        if required and not cells:
            self.fail(key, "must answer at least one solution cell")
        for grade_id, code in cells.items():
            if type(code) is not str:
                self.fail(f"{key}.{grade_id}", "must be the code of the cell, a string ('''...''' for several lines)")
        return dict(cells)

    def points(self, key, required=True):
        """A table grade_id -> points (positive numbers)."""
        lost = self.get(key, dict, {}, required=required)
        if required and not lost:
            self.fail(key, "must name at least one test cell and the points it loses")
        for grade_id, points in lost.items():
            if type(points) not in (int, float) or not points > 0:
                self.fail(f"{key}.{grade_id}", f"must be a positive number of points, not {points!r}")
        return {grade_id: float(points) for grade_id, points in lost.items()}


_KINDS = {str: "a string", int: "an integer", float: "a number", list: "an array", dict: "a table"}


def _parse(declaration, name, folder):
    declaration.only("title", "order", "data", "prebuilt", "wrong", "right", "samples")
    wrong = tuple(_answer(entry, right=False) for entry in declaration.tables("wrong"))
    right = tuple(_answer(entry, right=True) for entry in declaration.tables("right"))
    samples = declaration.sub("samples").only("all_wrong_answers", "extra")
    all_wrong = samples.get("all_wrong_answers", str)
    if all_wrong is not None:
        _combinable(samples, wrong)
    extra = tuple(_extra_sample(entry) for entry in samples.tables("extra"))
    _distinct_students(samples, all_wrong, extra)
    return Assignment(
        name=name,
        title=declaration.get("title", str, required=True),
        order=declaration.get("order", int, required=True),
        folder=folder,
        data=tuple(_data_files(declaration)),
        prebuilt=tuple(_prebuilt(entry) for entry in declaration.tables("prebuilt")),
        wrong=wrong,
        right=right,
        all_wrong_student=all_wrong,
        extra_samples=extra,
    )


def _data_files(declaration):
    files = declaration.get("data", list, [])
    for index, file in enumerate(files):
        if type(file) is not str or not file or Path(file).name != file:
            declaration.fail(f"data[{index}]", f"must be the name of a file of data/, not {file!r}")
    return files


def _prebuilt(entry):
    entry.only("builder", "seed", "calls")
    builder = entry.get("builder", str, required=True)
    if not re.fullmatch(r"[\w.]+:\w+", builder):
        entry.fail("builder", f"must read module:function (e.g. torchvision.models:vgg16), not {builder!r}")
    calls = entry.get("calls", int, 1)
    if calls < 1:
        entry.fail("calls", "must be at least 1")
    return builder, entry.get("seed", int, required=True), calls


def _answer(entry, right):
    if right:
        entry.only("what", "answers")
        return Answer(entry.code_cells("answers"), {}, entry.get("what", str, ""))
    entry.only("what", "answers", "loses")
    return Answer(entry.code_cells("answers"), entry.points("loses"), entry.get("what", str, ""))


def _combinable(samples, wrong):
    if not wrong:
        samples.fail("all_wrong_answers", "names a student who makes every wrong answer, but there is no [[wrong]]")
    seen = {}
    for number, entry in enumerate(wrong):
        for cell in entry.answers:
            if cell in seen:
                samples.fail("all_wrong_answers", f"wrong[{seen[cell]}] and wrong[{number}] both answer the cell "
                             f"{cell}, so no one student can make both mistakes. To fix: remove this key (then each "
                             "wrong answer gets a sample student of its own)")
            seen[cell] = number


def _extra_sample(entry):
    entry.only("student", "what", "answers", "default", "lost", "manual_share")
    default = entry.get("default", str, "reference")
    if default not in SAMPLE_DEFAULTS:
        entry.fail("default", f"must be one of {', '.join(SAMPLE_DEFAULTS)}, not {default!r}")
    share = entry.get("manual_share", float, 1.0)
    if not 0 <= share <= 1:
        entry.fail("manual_share", f"must be between 0 and 1, not {share!r}")
    return ExtraSample(student=entry.get("student", str, required=True), answers=entry.code_cells("answers"),
                       default=default, lost=entry.points("lost", required=False), what=entry.get("what", str, ""),
                       manual_share=share)


def _distinct_students(samples, all_wrong, extra):
    taken = set(DERIVED_STUDENTS)
    for key, student in [("all_wrong_answers", all_wrong)] + [(f"extra[{i}].student", s.student)
                                                              for i, s in enumerate(extra)]:
        if student is None:
            continue
        if not NAME.match(student) or student in taken or re.fullmatch(r"(wrong|right)_answer_\d+", student):
            samples.fail(key, f"{student!r} must be a new student id (lower case letters, digits, underscores), "
                         f"not one of {', '.join(sorted(taken))} nor wrong_answer_N/right_answer_N")
        taken.add(student)
