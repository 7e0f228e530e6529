"""Tell the student which files handed in were not graded, and why (incident ``dropped_files``).

Only regular files within the hand-in bounds reach ``autograded/`` (see
``course.grading.handin``): a symbolic link, a named pipe, a socket or a
device is never followed nor copied, and files beyond the bounds are left
out. Their code then runs without them, which can cost points: the feedback
must say so. This sanitize preprocessor (it reads the submitted folder, where
``resources["metadata"]["path"]`` points) records one incident with a French
message listing them; AnnounceIncidents shows it at the top of the feedback.
The notebook being graded is left out of the list: when it is a link, the
reader's own incident says so.
"""
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import handin
from ..french import NBSP, size
from ..incidents import record
#: Most paths named in the note.
LISTED = 8
_KINDS = {"symlink": "lien symbolique", "fifo": "tube nommé", "socket": "socket", "char_device": "périphérique",
          "block_device": "périphérique", "other": "fichier spécial", "directory": "dossier"}


def _why(item):
    if item.reason == handin.SPECIAL:
        return _KINDS.get(item.kind, "fichier spécial")
    if item.reason == handin.TOO_LARGE:
        return f"trop volumineux{NBSP}: {size(item.size)}" if item.size else "trop volumineux"
    if item.reason in (handin.TOO_MANY, handin.OVER_TOTAL):
        return "au-delà des limites du rendu"
    if item.reason == handin.TOO_DEEP:
        return "dossier trop profond"
    return "modifié pendant la copie"


def message(dropped, bounds):
    """The French note for the ``dropped`` entries (a list of ``handin.Dropped``)."""
    named = ", ".join(f"«{NBSP}{item.path}{NBSP}» ({_why(item)})" for item in dropped[:LISTED])
    more = len(dropped) - LISTED
    if more > 0:
        named += f" et {more} autre{'s' if more > 1 else ''}"
    return (f"Certains fichiers de votre rendu n'ont pas été pris en compte{NBSP}: {named}. Seuls les "
            f"fichiers ordinaires sont corrigés (jamais les liens symboliques, tubes nommés ou périphériques), "
            f"dans la limite "
            f"de {bounds.max_files} fichiers, de {size(bounds.max_file_bytes)} par fichier et de "
            f"{size(bounds.max_total_bytes)} en tout. Votre code a été exécuté sans eux.")


class NoteDroppedFiles(NbGraderPreprocessor):
    """Record an incident listing the entries of the submitted folder that were not graded."""

    def preprocess(self, nb, resources):
        folder = (resources.get("metadata") or {}).get("path")
        info = resources.get("nbgrader") or {}
        if not handin.is_submission_folder(folder, info.get("assignment")):
            return nb, resources
        notebook = f"{info.get('notebook') or ''}.ipynb"
        bounds = handin.bounds_of(self.config)
        try:
            dropped = [item for item in handin.dropped_from(folder, bounds, handin.ignored_names(self.config))
                       if item.path != notebook]
        except Exception:  # a note for the student must never cost a grade
            self.log.exception("Could not list the files dropped from %s", folder)
            return nb, resources
        if dropped:
            record(nb, "dropped_files",
                   f"{len(dropped)} entr{'ies' if len(dropped) > 1 else 'y'} not graded (links, special files or "
                   f"beyond course_config.HANDIN_*): " + ", ".join(f"{i.path} ({i.kind}, {i.reason})"
                                                                   for i in dropped[:LISTED]),
                   message(dropped, bounds))
        return nb, resources
