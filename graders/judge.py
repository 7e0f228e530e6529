"""The judge: verdicts on what the kernels handed over, in a process of its own.

``python -m graders.judge ASSIGNMENT`` reads JSON lines on stdin, one per
test cell, ``{"test": grade_id, "handover": <the payload, or null>}``, and
answers each with a line ``{"test": ..., "passed": bool, "message": French}``.
It computes its references once, at start-up (``ready`` is its first line).
The payloads are data from a student's kernel: they are only read, never
executed, and anything malformed is a wrong answer, not a crash.
"""
import importlib
import json
import sys

from .checks import GradingError

NOT_HANDED_OVER = ("Le test n'a pas pu vérifier votre réponse : la cellule de test s'est arrêtée avant "
                   "(voir l'erreur affichée), ou le noyau Jupyter a été modifié. Relancez tout le notebook "
                   "(Kernel → Restart Kernel and Run All Cells) et vérifiez que cette cellule passe.")
MALFORMED = "La réponse n'a pas pu être lue par la correction : ne modifiez pas les cellules de test."


class UnknownTest(Exception):
    """A test cell that the assignment's graders module has no check for (an instructor's error)."""


def tests_of(assignment):
    return importlib.import_module(f"graders.{assignment}").TESTS


def verdict(assignment, test, handover):
    """(passed, French message) for the payload handed over by test cell ``test`` (None: nothing came)."""
    checks = tests_of(assignment)
    if test not in checks:
        raise UnknownTest(f"graders.{assignment}.TESTS has no check for the test cell {test!r}")
    check = checks[test]
    if handover is None:
        return False, NOT_HANDED_OVER
    values = handover.get("values") if isinstance(handover, dict) else None
    if handover.get("check") != check.__name__.removeprefix("check_") or not isinstance(values, dict):
        return False, MALFORMED
    try:
        check(**values)
    except GradingError as error:
        return False, str(error)
    except TypeError:  # values under other names than the check's
        return False, MALFORMED
    return True, ""


def serve(assignment, stdin=sys.stdin, stdout=sys.stdout):
    module = importlib.import_module(f"graders.{assignment}")
    module.prepare()
    print(json.dumps({"ready": True}), file=stdout, flush=True)
    for line in stdin:
        request = json.loads(line)
        try:
            passed, message = verdict(assignment, request["test"], request.get("handover"))
            answer = {"test": request["test"], "passed": passed, "message": message}
        except UnknownTest as error:
            answer = {"test": request["test"], "error": str(error)}
        print(json.dumps(answer), file=stdout, flush=True)


if __name__ == "__main__":
    serve(sys.argv[1])
