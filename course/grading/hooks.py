"""nbgrader's ``Autograde.pre_convert_hook`` for the course: runs before each submission."""


class BeforeEachSubmission:
    """Check the grading setup once (before the first student), then find renamed notebooks.

    nbgrader calls the hook with the converter's own list of notebooks, which
    the renamed-notebook repair may change in place.
    """

    def __init__(self, kernel_manager_factory, check_setup=True):
        self.kernel_manager_factory = kernel_manager_factory
        self.check_setup = check_setup
        self.checked = False

    def __call__(self, assignment, student, notebooks):
        if self.check_setup and not self.checked:
            from .setup_check import probe_kernel

            probe_kernel(self.kernel_manager_factory())
            self.checked = True
        from .reading import redirect_renamed_notebooks

        redirect_renamed_notebooks(notebooks)
