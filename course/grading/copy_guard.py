"""nbgrader's converters copy a submission's files as regular files only (see :mod:`.handin`).

``BaseConverter.init_assignment`` copies every file ``os.walk`` lists from
the input folder (``submitted/`` for ``autograde``, ``autograded/`` for
``generate_feedback``) with ``shutil.copy``, which follows links and opens
FIFOs and devices. nbgrader offers no setting for that step, and it builds the
converter itself (``AutogradeApp``, the formgrader's API, ``course grade``'s
workers and writer all call ``nbgrader.converters.Autograde``). The one object
it builds from the course's configuration with the converter at hand, before
any submission is copied, is the exporter: ``exporter_class(parent=converter)``
in ``BaseConverter.start``. So the course's exporters (``LenientNotebookExporter``,
``FeedbackExporter``) inherit :class:`GuardsItsConverter`, which gives their
converter :class:`CopiesRegularFilesOnly`'s copy step: the converter's class
becomes a subclass of its own class (same name, same configuration, same
behaviour) whose ``init_assignment`` copies through
:func:`~course.grading.handin.copy_regular_files`. Everything else nbgrader
does is unchanged, and a converter built without a course exporter copies as
nbgrader does.
"""
from nbgrader.converters import BaseConverter

from .handin import bounds_of, copy_regular_files

_GUARDED = {}


class CopiesRegularFilesOnly(BaseConverter):
    """``init_assignment`` of nbgrader's BaseConverter, copying only regular files within the hand-in bounds.

    It sits between a converter's class and BaseConverter in the method order,
    so ``Autograde.init_assignment`` (gradebook entries, the instructor's files
    copied over the student's) still runs and calls it through ``super()``.
    Notebooks are not copied: nbgrader reads and writes them itself.
    """

    def init_assignment(self, assignment_id, student_id):
        source = self._format_source(assignment_id, student_id)
        destination = self._format_dest(assignment_id, student_id)
        copy_regular_files(source, destination, bounds_of(self.config), ignore=list(self.coursedir.ignore),
                           notebooks=False, log=self.log)


def copy_regular_files_only(converter):
    """Make ``converter`` (an nbgrader converter) copy submissions through :class:`CopiesRegularFilesOnly`."""
    cls = type(converter)
    if not isinstance(converter, BaseConverter) or issubclass(cls, CopiesRegularFilesOnly):
        return converter
    guarded = _GUARDED.get(cls)
    if guarded is None:
        guarded = _GUARDED.setdefault(cls, type(cls.__name__, (cls, CopiesRegularFilesOnly), {
            "__module__": cls.__module__,
            "__doc__": f"nbgrader's {cls.__name__}, copying only regular files (course.grading.copy_guard).",
        }))
    converter.__class__ = guarded
    return converter


class GuardsItsConverter:
    """Exporter mixin: the converter that builds this exporter copies only regular files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        copy_regular_files_only(self.parent)
