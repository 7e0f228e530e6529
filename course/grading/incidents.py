"""What went wrong while grading one notebook, recorded in the notebook itself.

Every part of the engine that repairs or contains a fault (a renamed file, a
duplicated cell, a timeout, a limit hit...) appends an incident to the
notebook's metadata. The class runner turns them into the run report (English,
for the instructor); the notebook carries the French message for the student.
"""
from dataclasses import asdict, dataclass

METADATA_KEY = "course_grading"


@dataclass(frozen=True)
class Incident:
    #: A short stable name: "renamed", "unreadable", "duplicate_grade_id", "restored_test_cell",
    #: "unknown_kernelspec", "cell_timeout", "notebook_timeout", "output_capped", "kernel_died",
    #: "memory_limit", "process_limit", "disk_limit", "dropped_files".
    kind: str
    #: For the instructor, in English.
    detail: str
    #: For the student, in French (shown in the feedback).
    message: str
    #: grade_id or index of the cell concerned, when there is one.
    cell: str = ""


def record(notebook, kind, detail, message, cell=""):
    """Append an incident to ``notebook.metadata`` (kept through nbgrader's pipeline)."""
    entry = asdict(Incident(kind, detail, message, str(cell)))
    notebook.metadata.setdefault(METADATA_KEY, {}).setdefault("incidents", []).append(entry)
    return entry


def of(notebook):
    """The incidents recorded in a notebook, in order."""
    return [Incident(**entry) for entry in notebook.metadata.get(METADATA_KEY, {}).get("incidents", [])]


def summarize(found):
    """One line for the instructor: each kind of incident (as dicts) once, with its first detail and how many."""
    kinds = {}
    for incident in found:
        kinds.setdefault(incident["kind"], []).append(incident["detail"])
    return "; ".join(f"{kind}: {details[0]}" + (f" (and {len(details) - 1} more)" if len(details) > 1 else "")
                     for kind, details in kinds.items())
