"""The judge: verdicts on what the kernels handed over, in a process of its own.

``python -m graders.judge ASSIGNMENT`` reads JSON lines on stdin, one per
test cell, ``{"test": grade_id, "handover": <the payload, or null>}``, and
answers each with a line ``{"test": ..., "passed": bool, "message": French}``.
It computes its references once, at start-up (``ready`` is its first line).
The payloads are data from a student's kernel: they are only read, never
executed, and anything malformed is a wrong answer, not a crash. Any line at
all gets its answer (a line that is no request: ``"test": null``, failed), in
time and memory bounded by :mod:`graders.bounds`; only a test cell without a
check (an instructor's error) gets an ``"error"`` instead.
"""
import importlib
import inspect
import json
import sys

from .bounds import MAX_LINE_CHARS, MAX_NODES
from .checks import MALFORMED, UNREADABLE, GradingError, Malformed, require_plain  # noqa: F401 (MALFORMED: API)

NOT_HANDED_OVER = ("Le test n'a pas pu vérifier votre réponse\u00a0: la cellule de test s'est arrêtée avant "
                   "(voir l'erreur affichée), ou le noyau Jupyter a été modifié. Relancez tout le notebook "
                   "(Kernel → Restart Kernel and Run All Cells) et vérifiez que cette cellule passe.")


class UnknownTest(Exception):
    """A test cell that the assignment's graders module has no check for (an instructor's error)."""


def tests_of(assignment):
    return importlib.import_module(f"graders.{assignment}").TESTS


def verdict(assignment, test, handover):
    """(passed, French message) for the payload handed over by test cell ``test`` (None: nothing came).

    Never raises but UnknownTest: whatever the payload, the worst it gets is a failed verdict for its
    own cell. An unexpected error of a check is logged on stderr for the instructor (it may be a bug
    of the check), in English, on one line.
    """
    checks = tests_of(assignment)
    if not isinstance(test, str):
        return False, MALFORMED
    if test not in checks:
        raise UnknownTest(f"graders.{assignment}.TESTS has no check for the test cell {test[:100]!r}")
    check = checks[test]
    if handover is None:
        return False, NOT_HANDED_OVER
    try:
        check(**_values(handover, check))
    except Malformed as error:
        if error.cause is not None:
            _log(test, error.cause)
        return False, str(error)
    except GradingError as error:
        return False, str(error)
    except Exception as error:  # noqa: BLE001 (a check's wrapper lets nothing through; this is the last guard)
        _log(test, type(error).__name__)
        return False, UNREADABLE
    return True, ""


def _values(handover, check):
    """The named values of a hand-over for ``check``: plain data within bounds, under the check's names."""
    require_plain(handover)
    values = handover.get("values") if type(handover) is dict else None
    if type(values) is not dict or handover.get("check") != check.__name__.removeprefix("check_"):
        raise Malformed("no values, or values for another check")
    try:
        inspect.signature(check).bind(**values)
    except TypeError:
        raise Malformed("values under other names than the check's") from None
    return values


def _log(test, cause):
    print(f"graders.judge: {test!r}: {cause} raised while checking a hand-over (answered as unreadable)",
          file=sys.stderr, flush=True)


def serve(assignment, stdin=sys.stdin, stdout=sys.stdout):
    module = importlib.import_module(f"graders.{assignment}")
    module.prepare()
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")  # bytes that are no text are a line like any other, not the end
    print(json.dumps({"ready": True}), file=stdout, flush=True)
    for line in _lines(stdin):
        print(json.dumps(answer(assignment, line)), file=stdout, flush=True)


def answer(assignment, line):
    """The answer line to one request line (None: a line too long to be read)."""
    request = _request(line)
    test = request.get("test") if request is not None else None
    if not isinstance(test, str):
        return {"test": None, "passed": False, "message": MALFORMED}
    try:
        passed, message = verdict(assignment, test, request.get("handover"))
    except UnknownTest as error:
        return {"test": test, "error": str(error)}
    except Exception as error:  # noqa: BLE001 (verdict never raises; a judge that died would stop the whole run)
        _log(test, type(error).__name__)
        passed, message = False, UNREADABLE
    return {"test": test, "passed": passed, "message": message}


def _request(line):
    """The request object of a line, or None for a line that is no JSON object within bounds.

    A line with more containers and commas than twice MAX_NODES is not parsed at all (each JSON
    value costs memory once parsed, and ``require_plain`` would refuse so many anyway). json's
    RecursionError on a deep nesting and its ValueError on an integer of more than 4300 digits are
    answers like any other. NaN and infinities are parsed, then refused by ``require_plain`` in
    :func:`verdict`, so that the request keeps its test id.
    """
    if line is None or line.count("[") + line.count("{") + line.count(",") > 2 * MAX_NODES:
        return None
    try:
        request = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return request if type(request) is dict else None


def _lines(stdin):
    """The lines of ``stdin``, each read up to MAX_LINE_CHARS: a longer one is skipped and given as None."""
    while True:
        line = stdin.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while (rest := stdin.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                pass
            line = None
        yield line


if __name__ == "__main__":
    serve(sys.argv[1])
