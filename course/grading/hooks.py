"""nbgrader's hooks for the course: before and after each submission."""


class BeforeEachSubmission:
    """Check the grading setup once (before the first student), then find renamed notebooks.

    nbgrader calls the hook with the converter's own list of notebooks, which
    the renamed-notebook repair may change in place.
    """

    def __init__(self, kernel_manager_factory, check_setup=True, course_root=None, grading_python=None):
        self.kernel_manager_factory = kernel_manager_factory
        self.check_setup = check_setup
        self.course_root, self.grading_python = course_root, grading_python
        self.checked = False

    def __call__(self, assignment, student, notebooks):
        if self.check_setup and not self.checked:
            from .judge import has_checks, judge_for
            from .setup_check import probe_kernel

            probe_kernel(self.kernel_manager_factory())
            if self.course_root and has_checks(self.course_root, assignment):
                judge_for(self.grading_python, self.course_root, assignment)  # starts, or stops grading loudly
            self.checked = True
        from .reading import redirect_renamed_notebooks

        redirect_renamed_notebooks(notebooks)


class AfterEachSubmission:
    """nbgrader's ``Autograde.post_convert_hook``: the assignment's integrity report, kept current."""

    def __init__(self, root):
        self.root = root

    def __call__(self, assignment, student, notebooks):
        import os

        from .integrity.report import update_report

        # nbgrader passes its --student pattern ("*" for the whole class): the submission's own student is the
        # folder above its notebooks (submitted/<student>/<assignment>/<notebook>.ipynb).
        students = {os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path)))) for path in notebooks}
        update_report(self.root, assignment, students or {student})
