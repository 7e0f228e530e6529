"""The private parts of nbclient and jupyter_client the course overrides: all in one module, and still there."""
import importlib
import inspect
import pkgutil
from importlib.metadata import version

import pytest
from jupyter_client.client import KernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from jupyter_client.session import Session
from nbclient import NotebookClient
from nbgrader.preprocessors import Execute

import course.grading
from course.grading.execution import private_api
from course.grading.execution.private_api import RELIED_ON, Reliance, check_private_api, found
from course.grading.setup_check import GradingSetupError

LIBRARY_BASES = (NotebookClient, AsyncKernelManager, LocalProvisioner, KernelClient, Session)
#: Every class of the libraries the course extends (their own private names are what an override would shadow).
LIBRARY_CLASSES = {base for cls in (*LIBRARY_BASES, Execute) for base in cls.__mro__
                   if base.__module__.split(".")[0] in ("nbclient", "jupyter_client", "nbconvert", "nbgrader")}


@pytest.mark.parametrize("reliance", RELIED_ON, ids=str)
def test_is_each_private_part_we_rely_on_still_there_with_the_same_parameters(reliance):
    expected = "attribute" if reliance.shape is None else reliance.shape
    assert found(reliance) == expected, f"{reliance} changed: {reliance.reason}"


@pytest.mark.parametrize("library", sorted(private_api.CHECKED_AGAINST))
def test_were_the_overrides_checked_against_the_installed_version(library):
    # After an upgrade, read each entry of RELIED_ON again in the new source, then update CHECKED_AGAINST.
    assert version(library) == private_api.CHECKED_AGAINST[library]


def course_classes():
    for module in pkgutil.walk_packages(course.grading.__path__, "course.grading."):
        loaded = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if cls.__module__ == loaded.__name__ and (issubclass(cls, LIBRARY_BASES) or loaded is private_api):
                yield cls


def private_overrides(cls):
    """Methods ``cls`` itself defines under a private name of nbclient, jupyter_client, nbconvert or nbgrader."""
    return [name for name, value in vars(cls).items()
            if name.startswith("_") and not name.startswith("__") and callable(value)
            and any(name in vars(library) for library in LIBRARY_CLASSES)]


def test_is_every_override_of_a_private_library_method_in_private_api():
    overrides = {f"{cls.__module__}.{cls.__name__}.{name}": cls.__module__
                 for cls in course_classes() for name in private_overrides(cls)}
    assert overrides, "the scan found none: it would not notice a new one either"
    elsewhere = [name for name, module in overrides.items() if module != private_api.__name__]
    assert not elsewhere, f"private overrides outside course/grading/execution/private_api.py: {elsewhere}"


def test_is_every_private_override_listed_with_its_reason():
    listed = {reliance.name for reliance in RELIED_ON}
    defined = {name for cls in course_classes() for name in private_overrides(cls)}
    assert defined <= listed


def test_would_a_private_method_gone_in_an_upgrade_stop_grading_with_the_fix(monkeypatch):
    gone = Reliance(NotebookClient, "_async_gone_in_an_upgrade", "self", "an example")
    monkeypatch.setattr(private_api, "RELIED_ON", RELIED_ON + (gone,))
    check_private_api.cache_clear()
    try:
        with pytest.raises(GradingSetupError, match="(?s)_async_gone_in_an_upgrade.*pyproject.toml"):
            check_private_api()
    finally:
        check_private_api.cache_clear()


def test_would_a_changed_signature_be_noticed(monkeypatch):
    reshaped = Reliance(NotebookClient, "_async_poll_for_reply", "self, msg_id, cell, timeout", "an example")
    monkeypatch.setattr(private_api, "RELIED_ON", (reshaped,))
    assert private_api.changed() == [reshaped]
