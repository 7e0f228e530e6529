"""Grades for the LMS, as nbgrader export plugins (``nbgrader export --exporter=course.reporting.exports.X``,
or ``course export``).

- :class:`MoodleExport`: a CSV for Moodle's grade import (*Grades > Import > CSV file*), one row per student of
  the roster, matched on their e-mail address or ID number, one column per assignment (its total, after
  nbgrader's late penalty, as ``nbgrader export`` computes it).
- :class:`QuestionsExport`: one row per student, one column per graded cell and the total.

Students are never dropped silently: a student of the roster without a submission in the gradebook, or one of
the gradebook missing from the roster, is reported (a warning in nbgrader's log, and in :attr:`problems`, which
``course export`` prints and turns into its exit status).
"""
import csv

from nbgrader.plugins import ExportPlugin
from traitlets import Enum, List, Unicode

from .roster import read_roster

#: Moodle's names for the user fields a grade import can match on, by the roster's column.
MOODLE_KEYS = {"email": "Email address", "id_number": "ID number"}


def score_text(value):
    return f"{round(float(value), 4):g}"


def final_score(submission):
    """The submission's total after nbgrader's late penalty, as nbgrader's own CSV export computes it."""
    return max(0.0, float(submission.score) - float(submission.late_submission_penalty or 0.0))


class CourseExport(ExportPlugin):
    """What both exports share: the selected assignments and students, the roster, the problems found."""

    roster = Unicode("", help="A CSV file of the class: student_id (nbgrader's), email, id_number, first_name, "
                              "last_name (see course/reporting/roster.py).").tag(config=True)
    problems = List(help="What the export could not match (English, one line each), filled by export().")

    def selected_assignments(self, gradebook):
        wanted = [str(name) for name in self.assignment]
        known = [assignment.name for assignment in gradebook.assignments]
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise ValueError(f"The gradebook does not know the assignment(s) {', '.join(unknown)} "
                             f"(it knows: {', '.join(known) or 'none'}).")
        return [name for name in known if not wanted or name in wanted]

    def selected(self, student_id):
        return not self.student or student_id in [str(s) for s in self.student]

    def submissions(self, gradebook, assignments):
        """(assignment, student_id) -> nbgrader's SubmittedAssignment, for the selected students."""
        return {(name, submission.student_id): submission for name in assignments
                for submission in gradebook.assignment_submissions(name) if self.selected(submission.student_id)}

    def report(self, problem):
        self.problems.append(problem)
        self.log.warning(problem)

    def report_unmatched(self, gradebook, roster, assignments, submitted, kept):
        """Gradebook students missing from the roster (``kept``: still written), roster students without a
        submission."""
        for student in sorted(s.id for s in gradebook.students if self.selected(s.id) and s.id not in roster):
            handed_in = [name for name in assignments if (name, student) in submitted]
            self.report(f"{student} is in the gradebook but not in the roster ({self.roster})"
                        + ("" if kept else ", so not in the export")
                        + (f"; they handed in {', '.join(handed_in)}." if handed_in else
                           " (no submission of the exported assignments)."))
        for student in (s for s in roster if self.selected(s)):
            for name in assignments:
                if (name, student) not in submitted:
                    self.report(f"{student} (in the roster) has no submission of {name} in the gradebook.")

    def write_rows(self, header, rows):
        with open(self.to or self.default_file, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows(rows)

    def summarize(self, rows):
        self.log.info("Exported %d student(s) to %s; %d problem(s)%s", rows, self.to or self.default_file,
                      len(self.problems), " (warnings above)" if self.problems else "")


class MoodleExport(CourseExport):
    """A CSV for Moodle's grade import: the key column, first and last name, then one column per assignment.

    In Moodle: *Grades > Import > CSV file*; *Identify user by*: map the key column ("Email address" or
    "ID number") to the same user field; map each assignment's column to its grade item (whose maximum is
    the assignment's points). Every row is a roster student: Moodle stops the whole import on a user it does
    not know, so a gradebook student missing from the roster is reported, not written.
    """

    match = Enum(tuple(MOODLE_KEYS), default_value="email",
                 help="The roster column that identifies a student in Moodle: email or id_number.").tag(config=True)
    no_submission = Unicode("-", help="The grade written for a roster student without a submission: '-' (Moodle: "
                                      "no grade) or e.g. '0'. Each is also reported.").tag(config=True)
    default_file = "moodle-grades.csv"

    def export(self, gradebook):
        if not self.roster:
            raise ValueError("The Moodle export needs a roster: --MoodleExport.roster=FILE (course export: --roster), "
                             "a CSV with student_id and email or id_number (course/reporting/roster.py).")
        roster = read_roster(self.roster, required=("student_id", self.match))
        assignments = self.selected_assignments(gradebook)
        submitted = self.submissions(gradebook, assignments)
        self.report_unmatched(gradebook, roster, assignments, submitted, kept=False)
        rows = []
        for student in (s for s in roster.values() if self.selected(s.student_id)):
            key = getattr(student, self.match)
            if not key:
                self.report(f"{student.student_id} has no {self.match} in the roster: left out of the export "
                            "(Moodle would stop the whole import on a row it cannot match).")
                continue
            grades = [score_text(final_score(submitted[name, student.student_id]))
                      if (name, student.student_id) in submitted else self.no_submission for name in assignments]
            rows.append([key, student.first_name, student.last_name, *grades])
        self.write_rows([MOODLE_KEYS[self.match], "First name", "Last name", *assignments], rows)
        self.summarize(len(rows))


def question_columns(gradebook, assignments):
    """(assignment, notebook, cell name, header) of every graded cell, then the assignment's total (cell None).

    A header is the cell's name, prefixed by its notebook when the assignment has several, and by its
    assignment when several are exported.
    """
    columns = []
    for name in assignments:
        notebooks = gradebook.find_assignment(name).notebooks
        prefix = f"{name}/" if len(assignments) > 1 else ""
        for notebook in notebooks:
            middle = f"{notebook.name}/" if len(notebooks) > 1 else ""
            for cell in [*notebook.grade_cells, *notebook.task_cells]:
                columns.append((name, notebook.name, cell.name, f"{prefix}{middle}{cell.name}"))
        columns.append((name, None, None, f"{prefix}total"))
    return columns


def scores_by_cell(submission):
    return {(notebook.name, grade.name): float(grade.score) for notebook in submission.notebooks
            for grade in notebook.grades}


class QuestionsExport(CourseExport):
    """One row per student (of the gradebook, and of the roster when one is given), one column per graded cell
    (autograded and by hand, nbgrader's score) and the total (after nbgrader's late penalty). A student
    without a submission has empty cells. With a roster, its e-mail and names are used."""

    default_file = "grades-per-question.csv"

    def export(self, gradebook):
        roster = read_roster(self.roster) if self.roster else {}
        assignments = self.selected_assignments(gradebook)
        submitted = self.submissions(gradebook, assignments)
        if roster:
            self.report_unmatched(gradebook, roster, assignments, submitted, kept=True)
        columns = question_columns(gradebook, assignments)
        people = {s.id: (s.email or "", s.first_name or "", s.last_name or "") for s in gradebook.students}
        people.update({s.student_id: (s.email, s.first_name, s.last_name) for s in roster.values()})
        rows = [[student, *people[student], *self.cells(submitted, columns, student)]
                for student in sorted(people) if self.selected(student)]
        self.write_rows(["student_id", "email", "first_name", "last_name", *(c[3] for c in columns)], rows)
        self.summarize(len(rows))

    @staticmethod
    def cells(submitted, columns, student):
        found = {name: scores_by_cell(submitted[name, student]) for name in {c[0] for c in columns}
                 if (name, student) in submitted}
        values = []
        for assignment, notebook, cell, _ in columns:
            if assignment not in found:
                values.append("")
            elif cell is None:
                values.append(score_text(final_score(submitted[assignment, student])))
            else:
                values.append(score_text(found[assignment].get((notebook, cell), 0.0)))
        return values
