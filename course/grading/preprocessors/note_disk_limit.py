"""Name the disk bound when a submission's writes were refused.

The kernel writes only to size-limited tmpfs (its folder and its /tmp): a
write past the bound fails inside the student's own code with an English
OSError. This preprocessor (right after execution) adds, to each cell where
that happened, a French note naming the bound, and records one incident.
"""
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import incidents

#: What the kernel reports when a tmpfs is full (ENOSPC) or a file passes RLIMIT_FSIZE (EFBIG).
DISK_FULL = ("No space left on device", "File too large", "database or disk is full")
NOTE = ("Remarque : ce notebook a voulu écrire plus de fichiers que la correction ne l'autorise "
        "(son dossier et /tmp sont limités). Les écritures au-delà ont été refusées.")


def _texts(cell):
    for output in cell.get("outputs", []):
        yield output.get("text", "") if isinstance(output.get("text", ""), str) else ""
        yield str(output.get("evalue", ""))


class NoteDiskLimit(NbGraderPreprocessor):
    """A French note in each cell whose writes hit the disk bound; one incident per notebook."""

    def preprocess(self, nb, resources):
        cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                 and any(marker in text for text in _texts(cell) for marker in DISK_FULL)]
        for index in cells:
            nb.cells[index].outputs.append(new_output("display_data", data={"text/plain": NOTE}))
        if cells:
            incidents.record(nb, "disk_limit", f"writes refused by the disk bound in cells {cells}", NOTE,
                             cell=cells[0])
        return nb, resources
