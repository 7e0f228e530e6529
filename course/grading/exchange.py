"""``nbgrader collect`` that copies a submission from the exchange as regular files only.

On a hub, the exchange's ``inbound/`` holds folders the students wrote
themselves. nbgrader's collect copies each with ``shutil.copytree``, as the
instructor: a link planted there (``gradebook.db -> /home/instructor/course/
gradebook.db``, a folder link to ``source/``) is followed and its target
copied into ``submitted/``, a FIFO or a dangling link stops the copy, a link to
``/dev/zero`` never ends. :class:`SafeCollect` (``c.ExchangeFactory.collect``,
set by ``course_config``) copies through :func:`course.grading.handin.copy_regular_files`
instead: regular files within the hand-in bounds, notebooks included; links,
pipes, sockets and devices are never followed nor opened. The exchange is
never changed (nothing is lost: the instructor can look at what was planted).
What was left out is noted beside the submitted folder
(:func:`~course.grading.handin.write_manifest`), so that ``autograde`` reports
it to the instructor (integrity report) and to the student (feedback).

Collected work is private to the instructor (and the TAs' group when the course is group-shared): nbgrader's
copy keeps the exchange's modes, where a hand-in is 777 so that the instructor may remove it, and a student
could then rename another student's collected notebook. :class:`PrivateReleaseFeedback` keeps the feedback
each student fetches readable by that student only (see its docstring).
"""
import fnmatch
import os
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

from course.deployment.permissions import make_private, modes_for

from .handin import bounds_of, copy_regular_files, write_manifest


class SafeCollect(ExchangeCollect):
    """nbgrader's default collect, whose copy step takes only regular files within the hand-in bounds and
    leaves them private."""

    def do_copy(self, src, dest, log=None):
        ignore = list(self.coursedir.ignore)
        include = list(self.coursedir.include or [])
        dropped = copy_regular_files(src, dest, bounds_of(self.config), ignore=ignore,
                                     notebooks=True, log=self.log)
        if include and include != ["*"]:
            self._remove_not_included(dest, include)
        manifest = write_manifest(dest, dropped)
        if dropped:
            self.log.warning("%d entr%s of %s not collected (links, pipes, devices or beyond "
                             "course_config.HANDIN_*); the exchange is unchanged, autograde reports them",
                             len(dropped), "ies" if len(dropped) > 1 else "y", src)
        self._make_private(dest, manifest)

    @staticmethod
    def _remove_not_included(dest, include):
        """``CourseDirectory.include``, as nbgrader's copy applies it: files whose name no glob matches."""
        for folder, _, names in os.walk(dest):
            for name in names:
                if not any(fnmatch.fnmatch(name, pattern) for pattern in include):
                    os.remove(os.path.join(folder, name))

    def _make_private(self, dest, manifest):
        """The submission, its manifest, the student's folder and ``submitted/``: the course's modes (folders
        0700, files 0600; group-shared: 2770, 0660), whatever modes the student gave in the exchange."""
        groupshared = self.coursedir.groupshared
        make_private(dest, groupshared, self.log)
        if os.path.isfile(manifest):
            make_private(manifest, groupshared, self.log)
        student_folder = os.path.dirname(os.path.normpath(dest))
        for folder in (student_folder, os.path.dirname(student_folder)):
            if os.stat(folder).st_uid == os.geteuid():
                os.chmod(folder, modes_for(groupshared).folder)


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release of feedback, whatever mode the feedback was written with.

    What keeps a student's feedback from the others is nbgrader's own scheme: each file is released as
    ``<exchange>/<course>/feedback/<hash>.html``, the hash made from the submission's secret (64 random bytes
    written at submit time into the student's own copy and the instructor's), in a folder others may traverse
    but not list (0711). Only the student who submitted can name, hence open, their file. Two things break it,
    and are fixed here: the course's private umask (077) makes the feedback HTML 0600, which nbgrader's
    ``shutil.copy`` keeps, so its student could not read it; and a feedback folder made listable (by hand, or
    created under another umask by an older tool) would show every name.
    """

    def init_dest(self):
        super().init_dest()
        wanted = 0o711 | (0o2060 if self.coursedir.groupshared else 0)
        status = os.stat(self.outbound_feedback_path)
        if stat.S_IMODE(status.st_mode) != wanted and status.st_uid == os.geteuid():
            os.chmod(self.outbound_feedback_path, wanted)
        elif status.st_mode & stat.S_IROTH:
            self.fail(f"Others may list {self.outbound_feedback_path}, so every student could read every "
                      f"student's feedback. Its owner must run: chmod {wanted:o} {self.outbound_feedback_path}")

    def copy_files(self):
        super().copy_files()
        readable = 0o644 | (0o020 if self.coursedir.groupshared else 0)
        for entry in os.scandir(self.dest_path):
            if entry.name.endswith(".html") and entry.is_file(follow_symlinks=False) \
                    and entry.stat(follow_symlinks=False).st_uid == os.geteuid():
                os.chmod(entry.path, readable)
