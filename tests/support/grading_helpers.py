"""What every graders catalogue uses: answers that cheat on ``==``, and how a rejection must read."""
import re

import numpy as np
import pytest
import torch

from graders.checks import GradingError

# --- objects that cheat on == ------------------------------------------------------


class AlwaysEqual:
    __eq__ = lambda self, other: True  # noqa: E731
    __ne__ = lambda self, other: False  # noqa: E731
    __hash__ = object.__hash__


class EqualInt(int):
    __eq__ = lambda self, other: True  # noqa: E731
    __ne__ = lambda self, other: False  # noqa: E731
    __hash__ = int.__hash__


class EqualFloat(float):
    __eq__ = lambda self, other: True  # noqa: E731
    __ne__ = lambda self, other: False  # noqa: E731
    __hash__ = float.__hash__


class EqualTuple(tuple):
    __eq__ = lambda self, other: True  # noqa: E731
    __ne__ = lambda self, other: False  # noqa: E731
    __hash__ = tuple.__hash__


class EqualArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.broadcast(self, other).shape, dtype=bool)


def equal_array(shape=(3,)):
    return np.zeros(shape).view(EqualArray)


class EqualTensor(torch.Tensor):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = torch.Tensor.__hash__


# --- how a rejection must read ------------------------------------------------------

FRENCH = re.compile(r"[éèêàçù]|\b(est|doit|pas|les|une?|des|au|lieu|affiche)\b")


def rejected(check, *args):
    """The message of the GradingError that ``check(*args)`` must raise: present, and in French."""
    with pytest.raises(GradingError) as info:
        check(*args)
    message = str(info.value)
    assert message.strip(), "a rejection must explain itself"
    assert FRENCH.search(message), f"not French: {message!r}"
    return message


def passes(check, *args):
    assert check(*args) is None


def assert_french_without(message, *secrets):
    assert FRENCH.search(message), f"not French: {message!r}"
    assert "expected" not in message.lower()
    for secret in secrets:
        assert secret not in message, f"the message gives the answer away ({secret}): {message!r}"


# --- the checks as the hidden tests reach them -----------------------------------------

class Judged:
    """``graders.<assignment>`` as a hidden test cell reaches it: ``check_x(answers)`` hands
    the answers over through ``handover.<assignment>.x``, as JSON, then judges them, and
    raises GradingError with the student's message when the verdict is a failure.
    Any other attribute is that of ``graders.<assignment>``."""

    def __init__(self, assignment):
        import importlib

        self._graders = importlib.import_module(f"graders.{assignment}")
        self._handover = importlib.import_module(f"handover.{assignment}")

    def __getattr__(self, name):
        if not name.startswith("check_"):
            return getattr(self._graders, name)
        import json

        collect, check = getattr(self._handover, name.removeprefix("check_")), getattr(self._graders, name)

        def run(*answers):
            handed = []
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(self._handover, "publish", lambda check, values: handed.append(values))
                collect(*answers)
            assert len(handed) == 1
            return check(**json.loads(json.dumps(handed[0])))

        return run
