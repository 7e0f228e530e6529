"""Read whatever a student's kernel sends without letting one message break the grading of the notebook.

The kernel runs the student's code, which can send raw messages on any
channel through its own session: JSON nested 100 000 deep (``json.loads``
raises RecursionError), a bad signature, a header without ``msg_type``.
jupyter_client's ``Session.deserialize`` raises on those, inside nbclient's
loops, and the whole notebook's execution stops: one forged message would cost
the submission every point. :class:`BoundedSession` turns a message it cannot
read into an empty one with no parent, which nbclient ignores (it handles only
the replies and outputs of the request it sent): the forged message is dropped,
logged for the instructor, and the cell goes on.
"""
import logging

from jupyter_client.session import Session

log = logging.getLogger(__name__)

#: What an unreadable message becomes: no parent, so no cell takes it as its own.
DROPPED_TYPE = "course_unreadable_message"


def dropped_message():
    header = {"msg_id": "", "msg_type": DROPPED_TYPE, "session": "", "username": "", "version": "", "date": None}
    return {"header": header, "parent_header": {}, "metadata": {}, "content": {}, "buffers": [],
            "msg_id": "", "msg_type": DROPPED_TYPE}


class BoundedSession(Session):
    """jupyter_client's Session, for the host's side of a student's kernel: a message it cannot read is dropped."""

    def deserialize(self, msg_list, content=True, copy=True):
        try:
            message = super().deserialize(msg_list, content=content, copy=copy)
            if not isinstance(message.get("parent_header"), dict) or not isinstance(message.get("content"), dict):
                raise ValueError("parent header or content is not an object")
            return message
        except (ValueError, TypeError, KeyError, RecursionError, UnicodeDecodeError, MemoryError) as error:
            log.warning("Dropped a message of the student's kernel that could not be read (%s)",
                             type(error).__name__)
            return dropped_message()
