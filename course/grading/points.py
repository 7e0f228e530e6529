"""Points of an executed notebook's graded code cells, as nbgrader counts them."""


def cell_points(notebook):
    """grade_id -> (points, max points) of each graded code cell (tests, and code answers graded by hand)."""
    from nbgrader.utils import determine_grade, is_grade

    found = {}
    for cell in notebook.cells:
        if is_grade(cell) and cell.cell_type == "code":
            try:
                score, maximum = determine_grade(cell)
            except ValueError:  # a displayed number above the cell's points: read as a score by nbgrader
                score, maximum = 0.0, float(cell.metadata["nbgrader"]["points"])
            found[cell.metadata["nbgrader"]["grade_id"]] = (score or 0.0, maximum)
    return found


def notebook_points(notebook):
    """(points, max points) of the graded code cells of an executed notebook."""
    cells = cell_points(notebook).values()
    return sum(score for score, _ in cells), sum(maximum for _, maximum in cells)
