"""The hand-over channel: a test cell's hand-overs to the judge are kept whatever the student printed.

A hidden test cell hands the student's values over (``handover``, MIME type ``MIME_TYPE``) as display data; the
judge reads them from the cell's outputs. They pass the output cap, within their own bounds: more, or larger,
would be the student's doing.
"""
from nbgrader.utils import is_grade

from handover import MIME_TYPE

from .outputs import message_size

#: A test cell's hand-overs to the judge are kept whatever the student printed, within these bounds.
HANDOVERS_PER_CELL = 4
HANDOVER_LIMIT_BYTES = 4 * 2**20


class HandoverChannel:
    """Counts the hand-overs of the running cell; :meth:`carries` says which bypass the output cap."""

    def __init__(self):
        self.start(None)

    def start(self, cell):
        self.cell = cell
        self.handed_over = 0

    def carries(self, msg):
        """A hand-over of a test cell, within its own bound (more would be the student's doing)."""
        if msg["msg_type"] != "display_data" or MIME_TYPE not in msg["content"].get("data", {}):
            return False
        if self.cell is None or not is_grade(self.cell) or self.handed_over >= HANDOVERS_PER_CELL:
            return False
        if message_size(msg) > HANDOVER_LIMIT_BYTES:
            return False
        self.handed_over += 1
        return True
