"""The demonstration's grade table."""
from course.demo import grade_table


def test_does_the_grade_table_give_each_student_a_column_and_a_total():
    table = grade_table({"reference": {"test_a": 2.0, "test_b": 1.0}, "blank": {"test_a": 0.0, "test_b": 0.0}},
                        {"test_a": 2.0, "test_b": 1.0})
    header, *cells, total = [line.split() for line in table.splitlines()]
    assert header == ["test", "cell", "max", "blank", "reference"]
    assert cells == [["test_a", "2", "0", "2"], ["test_b", "1", "0", "1"]]
    assert total == ["total", "3", "0", "3"]


def test_does_a_cell_missing_from_a_submission_count_as_zero():
    table = grade_table({"late": {"test_a": 2.0}}, {"test_a": 2.0, "test_b": 1.0})
    assert table.splitlines()[2].split() == ["test_b", "1", "0"]
