"""What a check found: how serious it is, what is wrong, and the command that fixes it."""
from dataclasses import dataclass

#: An error stops grading (grades could not be trusted, or nothing could be graded); a warning is a problem
#: to fix that does not change a grade (e.g. who may read the course); a note is information only.
LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class Finding:
    level: str  # one of LEVELS
    check: str  # the check that found it, e.g. "permissions"
    what: str  # what is wrong, in English, for the instructor
    fix: str = ""  # the exact command (or setting) that fixes it

    @property
    def is_problem(self):
        return self.level != "note"

    def format(self):
        text = f"{self.level.upper():8}[{self.check}] {self.what}"
        if self.fix:
            text += "\n" + "\n".join(f"        {'fix: ' if i == 0 else '     '}{line}"
                                     for i, line in enumerate(self.fix.splitlines()))
        return text


def error(check, what, fix=""):
    return Finding("error", check, what, fix)


def warning(check, what, fix=""):
    return Finding("warning", check, what, fix)


def note(check, what, fix=""):
    return Finding("note", check, what, fix)


def errors(findings):
    return [f for f in findings if f.level == "error"]


def report(findings):
    """The findings, most serious first, one block each."""
    ordered = sorted(findings, key=lambda f: LEVELS.index(f.level))
    return "\n".join(f.format() for f in ordered)
