"""Course values the engine does not guess: a trait the course configures defaults to None, "not configured".

A course value (a timeout, a limit, a bound) is written once, in course_config.py; the engine's classes refuse
to run without it (fail closed) rather than grade with a number of their own.
"""
from .setup_check import GradingSetupError


def require(configurable, *names):
    """GradingSetupError naming each of ``names`` that ``configurable`` has not been given."""
    missing = [name for name in names if getattr(configurable, name) is None]
    if missing:
        sections = ", ".join(f"{owner(configurable, name)}.{name}" for name in missing)
        raise GradingSetupError(
            f"Grading stopped: {sections} {'is' if len(missing) == 1 else 'are'} not configured. "
            "course_config.configure_nbgrader sets every grading limit from course_config.py: run nbgrader or "
            "`course grade` from the course root (its nbgrader_config.py applies it), or, outside a course, set "
            "these traits explicitly.")


def owner(configurable, name):
    """The class whose configuration section sets the trait ``name`` (where it is declared)."""
    return next(klass.__name__ for klass in type(configurable).__mro__ if name in vars(klass))
