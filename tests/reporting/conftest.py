from small_class import small_class  # noqa: F401 (the fixture: a small class graded by plain nbgrader)
