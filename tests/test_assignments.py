"""Each assignment is declared once (source/<a>/assignment.toml), discovered everywhere, and checked whole."""
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

import course_config
from course import assignments, consistency, samples, scaffold
from course.assignments import AssignmentError

ROOT = course_config.ROOT


def course_with(tmp_path, **declarations):
    """A course folder whose source/ holds only these declarations (name -> TOML text)."""
    for name, text in declarations.items():
        (tmp_path / "source" / name).mkdir(parents=True)
        (tmp_path / "source" / name / assignments.DECLARATION).write_text(text, encoding="utf-8")
    return tmp_path


MINIMAL = 'title = "TP"\norder = {order}\n'


# --- discovery ---------------------------------------------------------------------------------

def test_are_the_courses_assignments_discovered_in_teaching_order():
    assert assignments.names() == ("tp_convolution", "cnn_bases")


def test_does_the_teaching_order_not_follow_the_folder_names(tmp_path):
    root = course_with(tmp_path, a_last=MINIMAL.format(order=2), z_first=MINIMAL.format(order=1))
    assert assignments.names(root) == ("z_first", "a_last")


def test_is_a_folder_of_source_without_declaration_refused_by_name(tmp_path):
    (tmp_path / "source" / "orphan").mkdir(parents=True)
    with pytest.raises(AssignmentError, match=r"source/orphan has no assignment\.toml.*course new"):
        assignments.discover(tmp_path)


def test_are_two_assignments_at_the_same_place_refused(tmp_path):
    root = course_with(tmp_path, one=MINIMAL.format(order=1), two=MINIMAL.format(order=1))
    with pytest.raises(AssignmentError, match="order: 1 is also the order of one"):
        assignments.discover(root)


def test_does_the_lab_declare_what_course_config_used_to_hold():
    lab = assignments.load("tp_convolution")
    assert lab.data == ("cat.jpg",)
    assert lab.prebuilt == (("torchvision.models:vgg16", 0, 1), ("torchvision.models:resnet50", 0, 2))
    assert [w.loses for w in lab.wrong] == [{"test_vgg_layer30_ratio": 1}, {"test_resnet_conv1_total": 1},
                                             {"test_hooks_values": 1}]
    assert assignments.load("cnn_bases").prebuilt == ()


# --- a malformed declaration names its file and its key ---------------------------------------

@pytest.mark.parametrize("text, key", [
    ('order = 1\n', "title: missing"),
    ('title = "TP"\norder = "1"\n', "order: must be an integer"),
    ('title = "TP"\norder = 1\ndatas = ["cat.jpg"]\n', "datas: unknown key"),
    ('title = "TP"\norder = 1\ndata = ["../secret"]\n', r"data\[0\]: must be the name of a file of data/"),
    ('title = "TP"\norder = 1\n[[prebuilt]]\nbuilder = "vgg16"\nseed = 0\n', r"prebuilt\[0\]\.builder: must read"),
    ('title = "TP"\norder = 1\n[[wrong]]\nwhat = "x"\nloses = { t = 1 }\n', r"wrong\[0\]\.answers: missing"),
    ('title = "TP"\norder = 1\n[[wrong]]\nloses = { t = 0 }\n[wrong.answers]\nc = "x"\n',
     r"wrong\[0\]\.loses\.t: must be a positive number"),
    ('title = "TP"\norder = 1\n[[right]]\nloses = { t = 1 }\n[right.answers]\nc = "x"\n',
     r"right\[0\]\.loses: unknown key"),
    ('title = "TP"\norder = 1\n[samples]\nall_wrong_answers = "everything"\n', "there is no \\[\\[wrong\\]\\]"),
    ('title = "TP"\norder = 1\n[[samples.extra]]\nstudent = "blank"\n[samples.extra.answers]\nc = "x"\n',
     r"extra\[0\]\.student: 'blank' must be a new student id"),
    ('title = "TP"\norder = 1\ntitle = "twice"\n', "not valid TOML"),
])
def test_is_a_malformed_declaration_refused_naming_the_file_and_the_key(tmp_path, text, key):
    course_with(tmp_path, lab=text)
    with pytest.raises(AssignmentError, match=key) as error:
        assignments.load("lab", tmp_path)
    assert str(tmp_path / "source" / "lab" / "assignment.toml") in str(error.value)


def test_are_two_wrong_answers_of_one_cell_refused_as_one_sample(tmp_path):
    wrong = '[[wrong]]\nloses = {{ t = 1 }}\n[wrong.answers]\nc = "{}"\n'
    course_with(tmp_path, lab=MINIMAL.format(order=1) + '[samples]\nall_wrong_answers = "both"\n'
                + wrong.format("x") + wrong.format("y"))
    with pytest.raises(AssignmentError, match=r"wrong\[0\] and wrong\[1\] both answer the cell c"):
        assignments.load("lab", tmp_path)


def test_is_an_unknown_assignment_refused_with_the_way_to_create_it(tmp_path):
    with pytest.raises(AssignmentError, match="course new"):
        assignments.load("nothing_here", tmp_path)


# --- samples, derived from the declaration ------------------------------------------------------

def test_are_the_demonstrations_samples_those_it_always_had():
    assert {a: [s.student for s in found] for a, found in samples.SAMPLES.items()} == {
        "tp_convolution": ["reference", "blank", "one_mistake_per_part", "hostile"],
        "cnn_bases": ["reference", "blank", "classic_mistakes"]}
    mistakes = samples.SAMPLES["cnn_bases"][2]
    assert mistakes.lost == {"test_conv1d": 2, "test_output_size": 2, "test_conv_layer_values": 2,
                             "test_pooling_max": 1, "test_training": 3}


def test_does_each_catalogue_answer_get_a_student_when_none_makes_them_all(tmp_path):
    entry = '[[{kind}]]\n{loses}[{kind}.answers]\nc = "x"\n'
    course_with(tmp_path, lab=MINIMAL.format(order=1) + entry.format(kind="wrong", loses="loses = { t = 1 }\n") * 2
                + entry.format(kind="right", loses=""))
    found = samples.samples_of(assignments.load("lab", tmp_path))
    assert [(s.student, s.lost) for s in found] == [("reference", {}), ("blank", {}), ("wrong_answer_1", {"t": 1}),
                                                    ("wrong_answer_2", {"t": 1}), ("right_answer_1", {})]


# --- the consistency check ------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", assignments.names())
def test_is_every_assignment_whole(assignment):
    assert consistency.problems(assignment, ROOT) == []


def test_does_course_check_say_each_assignment_is_whole():
    result = subprocess.run([sys.executable, "-m", "course", "check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [f"{name}: whole" for name in assignments.names()]


def facts(tests, functions):
    return {"graders": {"tests": tests}, "handover": {"functions": functions}}


CELLS = consistency.Cells(tests={"test_a": 1.0, "test_b": 2.0}, handed_over={"test_a": ["a"], "test_b": ["b"]},
                          solutions={"a", "b"})


def test_does_the_web_check_pass_a_whole_assignment():
    assert consistency.web_problems("lab", CELLS, facts({"test_a": "check_a", "test_b": "check_b"}, ["a", "b"])) == []


@pytest.mark.parametrize("tests, functions, says", [
    ({"test_a": "check_a"}, ["a", "b"], "'test_b' \\(worth 2\\) has no check.*add 'test_b': check_<name> to TESTS"),
    ({"test_a": "check_a", "test_b": "check_b", "test_c": "check_a"}, ["a", "b"], "TESTS names 'test_c'"),
    ({"test_a": "check_a", "test_b": "check_b"}, ["a"], "check_b reads what handover.lab.b hands over.*no function b"),
    ({"test_a": "check_b", "test_b": "check_b"}, ["a", "b"], "'test_a' calls handover.lab.a, but its check check_b"),
    ({"test_a": "check_a", "test_b": None}, ["a", "b"], r"TESTS\['test_b'\] is None"),
])
def test_does_the_web_check_name_each_broken_link_and_its_fix(tests, functions, says):
    found = consistency.web_problems("lab", CELLS, facts(tests, functions))
    assert len(found) == 1 and re.search(says, found[0]), found


def test_does_the_web_check_name_a_graders_module_that_cannot_import():
    found = consistency.web_problems("lab", CELLS, {"graders": {"error": "ModuleNotFoundError: graders.lab"},
                                                    "handover": {"functions": []}})
    assert found == ["graders/lab.py cannot be imported (ModuleNotFoundError: graders.lab). To fix: write it "
                     "(one check per test cell, and TESTS mapping each test cell's grade_id to its check), or fix "
                     "the error."]


def test_does_a_test_cell_that_hands_nothing_over_get_named():
    cells = consistency.Cells(tests={"test_a": 1.0}, handed_over={"test_a": []}, solutions={"a"})
    [found] = consistency.web_problems("lab", cells, facts({"test_a": "check_a"}, ["a"]))
    assert "'test_a' hands nothing over" in found and "hand_over.a(...)" in found


def test_are_the_hand_overs_of_a_hidden_part_read_whatever_the_alias():
    source = ("assert x\n### BEGIN HIDDEN TESTS\nfrom handover import lab as h\nimport handover.lab as other\n"
              "h.first(x)\nother.second(y)\nhandover.lab.third(z)\nnot_h.fourth(w)\n### END HIDDEN TESTS\n"
              "lab.visible(v)")
    assert consistency.hand_overs(source, "lab") == ["first", "second", "third"]


def test_does_the_catalogue_check_name_cells_and_points_that_do_not_fit(tmp_path):
    course_with(tmp_path, lab=MINIMAL.format(order=1) + 'data = ["missing.bin"]\n'
                '[[wrong]]\nloses = { test_a = 2, test_z = 1 }\n[wrong.answers]\nzz = "x"\n')
    found = consistency.catalogue_problems(assignments.load("lab", tmp_path), CELLS)
    assert len(found) == 4
    for says in ("wrong[0].answers names 'zz', which is no solution code cell",
                 "wrong[0] says 'test_a' loses 2 points, but that cell is worth 1",
                 "wrong[0] says 'test_z' loses points, but it is no autograded test cell",
                 "data names 'missing.bin', which is not in"):
        assert any(says in problem for problem in found), (says, found)


def test_does_the_pre_flight_refuse_an_assignment_that_is_not_whole(tmp_path):
    from course import pipeline
    from course.grading import preflight
    from course.grading.setup_check import GradingSetupError

    root = pipeline.copy_course(tmp_path / "course")
    graders = root / "graders" / "cnn_bases.py"
    graders.write_text(graders.read_text().replace('    "test_shift": check_shift,\n', ""))
    with pytest.raises(GradingSetupError,
                       match="(?s)before any student.*cnn_bases is not whole.*'test_shift' \\(worth 1\\) has no check"):
        preflight.expectations(root, "cnn_bases", course_config.grading_python(root))


def test_does_the_pre_flight_read_the_wrong_answers_of_the_declaration():
    from course.grading import preflight

    found = preflight.expectations(ROOT, "tp_convolution", course_config.grading_python(ROOT))
    assert [e.loses for e in found] == [{}, None, {"test_vgg_layer30_ratio": 1}, {"test_resnet_conv1_total": 1},
                                        {"test_hooks_values": 1}]


# --- course new -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, says", [("Lab", "Python module name"), ("class", "not a keyword"),
                                        ("tp-pooling", "Python module name"), ("tp_convolution", "is taken"),
                                        ("checks", r"graders/checks\.py already exist")])
def test_does_course_new_refuse_an_invalid_or_existing_name(name, says):
    with pytest.raises(scaffold.ScaffoldError, match=says):
        scaffold.refuse_unusable(ROOT, name)


def test_does_course_new_write_a_whole_assignment_placed_last(tmp_path):
    from course import pipeline

    root = pipeline.copy_course(tmp_path / "course")
    written = scaffold.scaffold(root, "tp_pooling", title="TP — Le pooling")
    assert sorted(str(p.relative_to(root)) for p in written) == [
        "graders/tp_pooling.py", "handover/tp_pooling.py", "source/tp_pooling/assignment.toml",
        "source/tp_pooling/tp_pooling.ipynb", "source/tp_pooling/tp_pooling.md", "tests/graders/test_tp_pooling.py"]
    declared = assignments.load("tp_pooling", root)
    assert (declared.title, declared.order) == ("TP — Le pooling", 3) and assignments.names(root)[-1] == "tp_pooling"
    assert len(declared.wrong) == 2 and len(declared.right) == 1
    assert consistency.problems("tp_pooling", root) == []
    notebook = nbformat.read(declared.notebook, as_version=4)
    assert "\u00a0:" in notebook.cells[0].source  # French typography in the student's prose
    with pytest.raises(scaffold.ScaffoldError, match="is taken"):
        scaffold.scaffold(root, "tp_pooling")


def test_is_the_declaration_never_released(course_copy):
    from course import pipeline

    release = pipeline.generate_release(course_copy, "cnn_bases")
    assert (course_copy / "source" / "cnn_bases" / "assignment.toml").is_file()
    assert not (release / "assignment.toml").exists()
    shutil.rmtree(release)


def test_does_course_new_write_french_typography_where_students_read():
    import jupytext

    from course import typography

    def rendered(template):
        return scaffold.render(template, name="tp_x", title="TP — x", order=3)

    assert typography.offending_lines(rendered("graders.py.j2"), typography.fix_python) == []
    for cell in jupytext.reads(rendered("notebook.md.j2"), fmt="md:myst").cells:
        fixer = typography.fix if cell.cell_type == "markdown" else typography.fix_python
        assert typography.offending_lines(cell.source, fixer) == [], cell.source
