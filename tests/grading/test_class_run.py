"""`course grade` through real nbgrader and the real sandbox: same grades as plain nbgrader, loud setup failures."""
import sqlite3

import pytest

from course import pipeline, samples
from course.grading.runner import grade_class
from course.grading.setup_check import GradingSetupError

pytestmark = pytest.mark.slow


def _class(root, assignment="tp_convolution"):
    pipeline.generate_release(root, assignment)
    pipeline.write_submissions(root, assignment)
    return root


def test_does_parallel_grading_give_the_gradebook_of_plain_sequential_nbgrader(graded_course, tmp_path):
    _, sequential = graded_course("tp_convolution")
    root = _class(pipeline.copy_course(tmp_path / "course"))
    outcomes = grade_class(root, "tp_convolution", jobs=2, progress=False, log=lambda *a: None)
    assert pipeline.scores(root, "tp_convolution") == sequential
    assert {o.student for o in outcomes} == {s.student for s in samples.SAMPLES["tp_convolution"]}
    report = (root / "reports" / "tp_convolution-run.csv").read_text().splitlines()
    assert report[0].startswith("student,points") and len(report) == len(outcomes) + 1
    for sample in samples.SAMPLES["tp_convolution"]:
        autograded = root / "autograded" / sample.student / "tp_convolution"
        assert sorted(p.name for p in autograded.iterdir()) == ["cat.jpg", "tp_convolution.ipynb"]


def test_does_a_broken_setup_stop_grading_before_anything_is_recorded(tmp_path):
    root = _class(pipeline.copy_course(tmp_path / "course"))
    (root / "graders" / "__init__.py").write_text("raise ImportError('graders is broken on purpose')\n")
    with pytest.raises(GradingSetupError, match="broken on purpose"):
        grade_class(root, "tp_convolution", jobs=1, progress=False, log=lambda *a: None)
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("select count(*) from submitted_assignment").fetchone()[0] == 0
    assert not (root / "autograded" / "reference").exists()


def test_does_plain_nbgrader_refuse_a_broken_setup_instead_of_recording_zeros(tmp_path):
    root = _class(pipeline.copy_course(tmp_path / "course"))
    (root / "graders" / "__init__.py").write_text("raise ImportError('graders is broken on purpose')\n")
    with pytest.raises(pipeline.NbgraderError, match="Grading stopped before any student was graded"):
        pipeline.autograde(root, "tp_convolution")
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("select count(*) from submitted_assignment").fetchone()[0] == 0
