"""Entries of a submission that were not graded: links, pipes, sockets, devices, and what exceeds the bounds.

The verdict is :mod:`course.grading.handin`'s (the copy step's own): what
``collect`` left in the exchange (its manifest) and what the copy to
``autograded/`` leaves out of the submitted folder. The evidence names the
path and its kind, never where a link points nor what a file holds.
"""
from .. import handin
from . import flags
from .finding import Finding, short

#: Most findings of one kind per submission; the rest are counted in the last one.
LISTED = 20
_KINDS = {"symlink": "symbolic link", "fifo": "named pipe (FIFO)", "socket": "socket",
          "char_device": "character device", "block_device": "block device", "other": "special file",
          "directory": "folder", "file": "file"}
_REASONS = {handin.TOO_LARGE: "larger than the bound of one file", handin.TOO_MANY: "beyond the most files",
            handin.OVER_TOTAL: "beyond the bound of all files together", handin.TOO_DEEP: "folder too deep",
            handin.VANISHED: "replaced while it was copied"}


def finding_of(item):
    kind = _KINDS.get(item.kind, item.kind)
    if item.reason == handin.SPECIAL:
        return Finding(flags.SPECIAL_FILES, f"file {item.path}",
                       short(f"{kind} {item.path}: dropped, never followed"))
    size = f", {item.size} bytes" if item.size else ""
    why = _REASONS.get(item.reason, item.reason)
    return Finding(flags.HANDIN_BOUNDS, f"file {item.path}", short(f"{kind} {item.path}{size}: {why}"))


def scan_handin(folder, bounds=None, ignore=()):
    """The findings for what was dropped from ``folder`` (a submitted folder)."""
    findings, counts = [], {}
    for item in handin.dropped_from(folder, bounds, ignore):
        finding = finding_of(item)
        counts[finding.flag] = counts.get(finding.flag, 0) + 1
        if counts[finding.flag] <= LISTED:
            findings.append(finding)
    for flag, count in counts.items():
        if count > LISTED:
            findings.append(Finding(flag, "folder", f"{count - LISTED} more entries dropped"))
    return findings
