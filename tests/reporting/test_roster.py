"""The instructor's roster: what it must hold, and Moodle's own column names."""
import pytest

from course.reporting.roster import RosterError, read_roster


@pytest.mark.parametrize("text, problem", [
    ("email\nref@example.org\n", "no column student_id"),
    ("student_id,email\nref,a@b\nref,c@d\n", "twice"),
    ("student_id,email\n,a@b\n", "line 2, has no student_id"),
    ("", "empty"),
])
def test_is_a_roster_that_cannot_match_refused_with_the_fix(tmp_path, text, problem):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=problem):
        read_roster(path, required=("student_id", "email"))


def test_are_moodles_own_column_names_understood(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeffStudent ID,Email address,ID number\nada,ada@example.org,7\n", encoding="utf-8")
    assert read_roster(path, required=("student_id", "email", "id_number"))["ada"].id_number == "7"
