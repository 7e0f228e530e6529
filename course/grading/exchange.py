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
"""
import fnmatch
import os

from nbgrader.exchange.default.collect import ExchangeCollect

from .handin import bounds_of, copy_regular_files, write_manifest


class SafeCollect(ExchangeCollect):
    """nbgrader's default collect, whose copy step takes only regular files within the hand-in bounds."""

    def do_copy(self, src, dest, log=None):
        ignore = list(self.coursedir.ignore)
        include = list(self.coursedir.include or [])
        dropped = copy_regular_files(src, dest, bounds_of(self.config), ignore=ignore,
                                     notebooks=True, log=self.log)
        if include and include != ["*"]:
            self._remove_not_included(dest, include)
        write_manifest(dest, dropped)
        if dropped:
            self.log.warning("%d entr%s of %s not collected (links, pipes, devices or beyond "
                             "course_config.HANDIN_*); the exchange is unchanged, autograde reports them",
                             len(dropped), "ies" if len(dropped) > 1 else "y", src)
        if self.coursedir.groupshared:
            self._share(dest)

    @staticmethod
    def _remove_not_included(dest, include):
        """``CourseDirectory.include``, as nbgrader's copy applies it: files whose name no glob matches."""
        for folder, _, names in os.walk(dest):
            for name in names:
                if not any(fnmatch.fnmatch(name, pattern) for pattern in include):
                    os.remove(os.path.join(folder, name))

    def _share(self, dest):
        """What nbgrader's copy does on a group-shared course: folders ug+rwx (setgid), files ug+rw."""
        for folder, _, names in os.walk(dest):
            self._add_mode(folder, 0o2770, 0o2777)
            for name in names:
                self._add_mode(os.path.join(folder, name), 0o660, 0o777)

    def _add_mode(self, path, bits, mask):
        mode = os.stat(path).st_mode
        if mode & bits != bits:
            try:
                os.chmod(path, (mode | bits) & mask)
            except PermissionError:
                self.log.warning("Could not update permissions of %s to make it groupshared", path)
