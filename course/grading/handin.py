"""What a student hands in reaches the instructor's disk as regular files only, and within bounds.

nbgrader copies a submission with ``shutil`` (``collect``: ``copytree``;
``autograde`` and ``generate_feedback``: ``copy`` of each file ``os.walk``
lists). Both follow symbolic links: a submission holding
``gradebook.db -> ../../../gradebook.db`` gets the course's gradebook (every
student's grades, the solutions' source) copied beside its notebook, where its
code reads it and prints it into its own feedback; a link to ``/dev/zero``
never ends; a FIFO or a dangling link makes nbgrader drop the whole
submission. On a hub a student can plant such entries in the exchange, which
``collect`` copies as the instructor.

So every copy of a submission goes through :func:`copy_regular_files`:

- it looks at each entry with ``lstat`` (``os.scandir`` on directory
  descriptors, never following a link), and opens a file only with
  ``O_NOFOLLOW | O_NONBLOCK`` relative to its folder's descriptor, then checks
  with ``fstat`` that it is still a regular file: a link, a FIFO, a socket or a
  device is never opened, followed nor copied, even if the student swaps an
  entry between the look and the copy;
- files beyond the bounds (:class:`Bounds`: how many, how large each, how
  large together; notebooks only by their own bound) are not copied;
- what it leaves out is a list of :class:`Dropped` (path and kind, never a
  target or a content), for the instructor's integrity report and the
  student's feedback. The source is never changed.

:func:`survey` gives the same verdict without copying (the integrity scan and
the student's note read the submitted folder with it).
"""
import errno
import fnmatch
import json
import os
import stat
from dataclasses import asdict, dataclass, field

from traitlets import Integer
from traitlets.config import Configurable

#: Most entries one survey looks at (a folder with more is cut there, and says so).
MAX_ENTRIES = 20000
#: The path of the entry that stands for the ones never looked at (beyond MAX_ENTRIES).
CUT = "…"
#: Deepest folder looked into.
MAX_DEPTH = 32
#: Why an entry was left out.
SPECIAL, TOO_LARGE, TOO_MANY, OVER_TOTAL, TOO_DEEP, VANISHED = (
    "special", "too_large", "too_many", "over_total", "too_deep", "vanished")
#: st_mode -> kind of a non-regular entry.
KINDS = ((stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"),
         (stat.S_ISCHR, "char_device"), (stat.S_ISBLK, "block_device"))
NOTEBOOK = "*.ipynb"
#: Most dropped entries logged one by one.
LOGGED = 20
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Bounds:
    """How much a submission may hand in besides its notebooks (``course_config.HANDIN_*``)."""

    max_files: int = 100
    max_file_bytes: int = 50 * 2**20
    max_total_bytes: int = 200 * 2**20
    #: A notebook larger than this is not copied, nor read (``course.grading.reading.LenientNotebookExporter``).
    max_notebook_bytes: int = 512 * 2**20


class HandinBounds(Configurable):
    """The bounds as nbgrader configuration (``c.HandinBounds.*``, set by ``course_config``)."""

    max_files = Integer(Bounds.max_files, help="Most files handed in beside the notebooks.").tag(config=True)
    max_file_bytes = Integer(Bounds.max_file_bytes, help="Largest file handed in.").tag(config=True)
    max_total_bytes = Integer(Bounds.max_total_bytes, help="All files handed in together.").tag(config=True)
    max_notebook_bytes = Integer(Bounds.max_notebook_bytes, help="Largest notebook.").tag(config=True)

    def bounds(self):
        return Bounds(self.max_files, self.max_file_bytes, self.max_total_bytes, self.max_notebook_bytes)


def bounds_of(config=None):
    """The configured bounds (the defaults without a config)."""
    return HandinBounds(config=config).bounds() if config is not None else Bounds()


def ignored_names(config=None):
    """``CourseDirectory.ignore`` as configured: names nbgrader never copies (so never reported either)."""
    from nbgrader.coursedir import CourseDirectory

    return list(CourseDirectory(config=config).ignore) if config is not None else []


@dataclass(frozen=True)
class Dropped:
    """One entry not copied: its path in the submission, its kind, why (never where a link points)."""

    path: str
    #: "symlink", "fifo", "socket", "char_device", "block_device", "other", or "file" (a regular file).
    kind: str
    #: SPECIAL, TOO_LARGE, TOO_MANY, OVER_TOTAL, TOO_DEEP or VANISHED.
    reason: str
    size: int = 0


@dataclass
class Survey:
    #: (path, size) of the regular files to copy, notebooks included, in a stable order.
    files: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    #: More than MAX_ENTRIES entries: the rest was not looked at (nor copied).
    cut: bool = False


def kind_of(mode):
    for test, kind in KINDS:
        if test(mode):
            return kind
    return "file" if stat.S_ISREG(mode) else "directory" if stat.S_ISDIR(mode) else "other"


def _ignored(name, ignore):
    return any(fnmatch.fnmatch(name, pattern) for pattern in ignore)


def _open_dir(name, dir_fd=None):
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)


def _open_beneath(root_fd, parts):
    """A descriptor of the folder ``root/parts...``, every component opened without following a link."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            child = _open_dir(part, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def survey(folder, bounds=None, ignore=()):
    """What :func:`copy_regular_files` would copy from ``folder`` and what it would leave out.

    ``ignore``: basename globs never copied nor reported (``CourseDirectory.ignore``).
    Notebooks (``*.ipynb``) are bounded by ``max_notebook_bytes`` only. Folders
    deeper than MAX_DEPTH are not looked into (reported as ``too_deep``).
    """
    bounds = bounds or Bounds()
    result = Survey()
    try:
        root = _open_dir(os.fspath(folder))
    except OSError:
        return result  # no folder (or a link in its place): nothing handed in
    count = total = seen = 0
    pending = [()]  # folders to look into, as tuples of names under the root
    try:
        while pending:
            parts = pending.pop()
            prefix = "".join(f"{part}/" for part in parts)
            try:
                fd = _open_beneath(root, parts)
            except OSError:  # replaced by something else since it was listed
                result.dropped.append(Dropped(prefix.rstrip("/"), "directory", VANISHED))
                continue
            try:
                with os.scandir(fd) as listing:
                    entries = sorted((entry.name, entry.stat(follow_symlinks=False)) for entry in listing)
            except OSError:
                entries = []
            finally:
                os.close(fd)
            subfolders = []
            for name, status in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    result.cut = True
                    result.dropped.append(Dropped(CUT, "other", TOO_MANY))
                    return result
                if _ignored(name, ignore):
                    continue
                path = prefix + name
                mode = status.st_mode
                if stat.S_ISDIR(mode):
                    if len(parts) >= MAX_DEPTH:
                        result.dropped.append(Dropped(path, "directory", TOO_DEEP))
                    else:
                        subfolders.append(parts + (name,))
                elif not stat.S_ISREG(mode):
                    result.dropped.append(Dropped(path, kind_of(mode), SPECIAL))
                elif fnmatch.fnmatch(name, NOTEBOOK):
                    if status.st_size > bounds.max_notebook_bytes:
                        result.dropped.append(Dropped(path, "file", TOO_LARGE, status.st_size))
                    else:
                        result.files.append((path, status.st_size))
                elif status.st_size > bounds.max_file_bytes:
                    result.dropped.append(Dropped(path, "file", TOO_LARGE, status.st_size))
                elif count >= bounds.max_files:
                    result.dropped.append(Dropped(path, "file", TOO_MANY, status.st_size))
                elif total + status.st_size > bounds.max_total_bytes:
                    result.dropped.append(Dropped(path, "file", OVER_TOTAL, status.st_size))
                else:
                    count, total = count + 1, total + status.st_size
                    result.files.append((path, status.st_size))
            pending.extend(reversed(subfolders))  # depth first, in name order
    finally:
        os.close(root)
    return result


def _copy_one(root_fd, path, destination, limit):
    """Copy the regular file ``path`` (under ``root_fd``) to ``destination``; None, or why it was not copied."""
    *parts, name = path.split("/")
    try:
        folder = _open_beneath(root_fd, parts)
    except OSError:
        return "directory", VANISHED
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    except OSError as error:
        # ELOOP: it became a link; ENXIO: a socket; anything else: it is gone
        return ("symlink", SPECIAL) if error.errno == errno.ELOOP else ("other", VANISHED)
    finally:
        os.close(folder)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return kind_of(status.st_mode), SPECIAL
        if status.st_size > limit:
            return "file", TOO_LARGE
        os.makedirs(os.path.dirname(destination) or ".", exist_ok=True)
        if os.path.lexists(destination):
            os.remove(destination)
        out = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                      (status.st_mode & 0o777) | 0o600)
        try:
            left = limit
            while True:
                chunk = os.read(fd, min(_CHUNK, left + 1))
                if not chunk:
                    break
                left -= len(chunk)
                if left < 0:  # it grew while being copied
                    break
                os.write(out, chunk)
        finally:
            os.close(out)
        if left < 0:
            os.remove(destination)
            return "file", TOO_LARGE
        os.utime(destination, ns=(status.st_atime_ns, status.st_mtime_ns))
        return None
    finally:
        os.close(fd)


def copy_regular_files(source, destination, bounds=None, ignore=(), notebooks=True, log=None):
    """Copy the regular files of ``source`` within ``bounds`` into ``destination``; the list of Dropped.

    ``notebooks=False`` leaves the notebooks out without reporting them (nbgrader's
    converters read and write those themselves). ``source`` is never changed.
    """
    bounds = bounds or Bounds()
    found = survey(source, bounds, ignore)
    dropped = list(found.dropped)
    os.makedirs(destination, exist_ok=True)
    try:
        root = _open_dir(os.fspath(source))
    except OSError:
        return dropped
    try:
        for path, size in found.files:
            is_notebook = fnmatch.fnmatch(path.rsplit("/", 1)[-1], NOTEBOOK)
            if is_notebook and not notebooks:
                continue
            limit = bounds.max_notebook_bytes if is_notebook else bounds.max_file_bytes
            target = os.path.join(destination, *path.split("/"))
            problem = _copy_one(root, path, target, limit)
            if problem:
                dropped.append(Dropped(path, problem[0], problem[1], size))
            elif log:
                log.debug("Copied %s -> %s", path, target)
    finally:
        os.close(root)
    if log:
        for item in dropped[:LOGGED]:
            log.warning("Not copied from %s: %s (%s, %s); only regular files within the hand-in bounds are "
                        "graded (course_config.HANDIN_*)", source, item.path, item.kind, item.reason)
        if len(dropped) > LOGGED:
            log.warning("... and %d more entries not copied from %s", len(dropped) - LOGGED, source)
    return dropped


# --- what collect left in the exchange ------------------------------------------------------


def manifest_path(submission):
    """Where ``collect`` notes what it left out of ``submitted/<student>/<assignment>``: beside that folder,
    never inside it (the student's code cannot see it, nor hand in a forged one)."""
    submission = os.path.normpath(os.fspath(submission))
    return os.path.join(os.path.dirname(submission), f".{os.path.basename(submission)}.not-collected.json")


def write_manifest(submission, dropped):
    path = manifest_path(submission)
    if dropped:
        with open(path, "w", encoding="utf-8") as stream:
            json.dump([asdict(item) for item in dropped], stream)
    elif os.path.lexists(path):
        os.remove(path)
    return path


def read_manifest(submission):
    """The Dropped entries ``collect`` noted for ``submission`` ([] when none)."""
    try:
        with open(manifest_path(submission), encoding="utf-8") as stream:
            return [Dropped(**{key: item[key] for key in ("path", "kind", "reason", "size") if key in item})
                    for item in json.load(stream)]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def is_submission_folder(folder, assignment):
    """Is ``folder`` laid out as nbgrader lays a hand-in out (``<...>/<student>/<assignment>``)? A notebook
    converted on its own has its folder in nbgrader's resources too, but that folder was not handed in."""
    return bool(folder and assignment) and os.path.basename(os.path.abspath(os.fspath(folder))) == assignment


def dropped_from(submission, bounds=None, ignore=()):
    """Everything left out of a submitted folder: by ``collect`` (its manifest), then by the copy to
    ``autograded/`` (the survey), each path once."""
    found, seen = [], set()
    for item in read_manifest(submission) + survey(submission, bounds, ignore).dropped:
        if item.path not in seen:
            seen.add(item.path)
            found.append(item)
    return found
