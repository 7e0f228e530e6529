"""Calling the student's code from a hidden test, quietly."""
import contextlib
import io

from .plain import encode, raised


@contextlib.contextmanager
def quiet():
    """Whatever the student's code prints is kept out of the test cell (its output is the grader's)."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def call(function, *args, full=False, **kwargs):
    """What ``function(*args, **kwargs)`` gives, in the plain format: its result, or the error it raised.

    The arguments are the caller's own copies.
    """
    if not callable(function):
        return {"kind": "not_callable", "value": encode(function)}
    try:
        with quiet():
            result = function(*args, **kwargs)
    except Exception as error:  # the student's code: any failure is what gets handed over
        return raised(error)
    return encode(result, full=full)
