"""Who may read and write the course folder: its instructor alone, or the instructor and a group of TAs.

The course folder holds the solutions (``source/``), the references (``graders/``), every student's grades
(``gradebook.db``) and work (``submitted/``, ``autograded/``, ``feedback/``, ``reports/``). On a shared machine
nothing of it may be readable or writable by others, and by the folder's group only when the course is
group-shared (nbgrader's ``CourseDirectory.groupshared``, set from ``course_config.GROUPSHARED``).

Two parts hold that:

- what the grading tools create is private from the start: the course's configuration sets the process's umask
  (:func:`restrict_umask`, 077, or 007 when group-shared) and the modes nbgrader's converters give their files
  (:func:`converter_permissions`), and ``collect`` sets explicit modes on what it copies (:func:`make_private`:
  nbgrader's own collect keeps the exchange's modes, and a hand-in there is 777);
- what existed before (a course folder copied or cloned with the default umask) is fixed once by the command
  :func:`fix_command` prints, which ``course doctor`` shows for each folder it finds open.
"""
import grp
import os
import pwd
import shlex
import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class Modes:
    folder: int
    file: int
    umask: int


PRIVATE = Modes(folder=0o700, file=0o600, umask=0o077)
#: Group-shared: the group reads and writes, new entries inherit the folder's group (setgid), others nothing.
GROUP_SHARED = Modes(folder=0o2770, file=0o660, umask=0o007)
#: Entries looked at per folder tree; a course has far fewer (a class of 200 is about 2000 files).
SCAN_LIMIT = 50_000


def modes_for(groupshared):
    return GROUP_SHARED if groupshared else PRIVATE


def restrict_umask(groupshared):
    """Make everything this process creates from now on private to its user (and group when group-shared).

    Set when the course configuration is applied, so ``gradebook.db`` (created by SQLite), ``autograded/``,
    ``feedback/`` and ``reports/`` are never readable by others, whichever nbgrader command or formgrader
    button writes them. The exchange is not concerned: nbgrader sets its modes explicitly."""
    os.umask(modes_for(groupshared).umask)


def converter_permissions(groupshared):
    """nbgrader converter -> the mode it gives the files it writes (``BaseConverter.permissions``, octal digits
    written as a decimal number, as nbgrader reads them). nbgrader's own are 644 (release, feedback) and 444
    (autograded): readable by everyone. The same here without others (autograded copies stay read-only)."""
    if groupshared:
        return {"GenerateAssignment": 660, "Autograde": 660, "GenerateFeedback": 660}  # nbgrader's: 664
    return {"GenerateAssignment": 600, "Autograde": 400, "GenerateFeedback": 600}


def make_private(path, groupshared, log=None):
    """Set the course's modes on ``path`` and everything under it (links are left alone)."""
    modes = modes_for(groupshared)
    for folder, _, names in os.walk(path):
        _chmod(folder, modes.folder, log)
        for name in names:
            entry = os.path.join(folder, name)
            if not os.path.islink(entry):
                _chmod(entry, modes.file, log)


def _chmod(path, mode, log):
    try:
        os.chmod(path, mode)
    except OSError as problem:
        if log is not None:
            log.warning("Could not make %s private (mode %o): %s", path, mode, problem)


@dataclass
class Exposure:
    """What under a path others (or a group that should not) may read or write."""

    readable: list  # paths readable (folders: listable) by others
    writable: list  # paths writable by others
    group: list  # paths open to a group although the course is not group-shared
    scanned: int = 0

    def __bool__(self):
        return bool(self.readable or self.writable or self.group)


def exposure(path, groupshared, limit=SCAN_LIMIT):
    """Scan ``path`` (a file or a folder tree; links not followed) for modes that let others in."""
    found = Exposure([], [], [])
    for entry, status in _entries(path, limit):
        found.scanned += 1
        mode = status.st_mode
        if mode & stat.S_IWOTH:
            found.writable.append(entry)
        if mode & (stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)):
            found.readable.append(entry)
        if not groupshared and mode & stat.S_IRWXG and not private_group(status):
            found.group.append(entry)
    return found


def _entries(path, limit):
    try:
        yield path, os.lstat(path)
    except OSError:
        return
    count = 1
    for folder, subfolders, names in os.walk(path):
        for name in subfolders + names:
            entry = os.path.join(folder, name)
            try:
                status = os.lstat(entry)
            except OSError:
                continue
            if stat.S_ISLNK(status.st_mode):
                continue
            yield entry, status
            count += 1
            if count >= limit:
                return


def private_group(status):
    """Is the entry's group the owner's own (Debian's user private group, with no other member)?"""
    try:
        owner = pwd.getpwuid(status.st_uid)
        group = grp.getgrgid(status.st_gid)
    except KeyError:
        return False
    return owner.pw_gid == status.st_gid and set(group.gr_mem) <= {owner.pw_name}


def group_name(path):
    try:
        return grp.getgrgid(os.stat(path).st_gid).gr_name
    except (KeyError, OSError):
        return "GROUP"


def fix_command(path, groupshared, group=None):
    """The shell command that gives ``path`` (recursively) the course's modes."""
    quoted = shlex.quote(str(path))
    if not groupshared:
        return f"chmod -R go-rwx {quoted}"
    group = shlex.quote(group or group_name(path))
    return (f"chgrp -R {group} {quoted} && chmod -R g+rwX,o-rwx {quoted} && "
            f"find {quoted} -type d -exec chmod g+s {{}} +")
