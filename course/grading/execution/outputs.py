"""The output cap: ``limit`` bytes of outputs kept per cell, enforced while they arrive.

nbclient keeps every output whole in memory while a cell runs, so a cell printing gigabytes would fill the
grader's memory. Past the cap the rest is dropped, with one French note. The cell's error (and its first stderr
stream or result, when none was kept before) is still kept in a shortened form, so capping never changes a test
cell's grade.
"""
from nbformat.v4 import new_output
from traitlets import Unicode
from traitlets.config import LoggingConfigurable

from ..canonical import cell_ref
from ..french import size
from ..incidents import record
from .cells import describe

NBSP = "\u00a0"
#: Outputs kept past the cap (errors, first stderr or result) are shortened to this many characters.
SHORT = 1000


def text_size(text):
    return len(text.encode("utf-8", "replace")) if isinstance(text, str) else len(str(text))


def message_size(msg):
    """Bytes of what an iopub message would add to the cell's outputs."""
    content = msg.get("content", {})
    kind = msg.get("msg_type")
    if kind == "stream":
        return text_size(content.get("text", ""))
    if kind in ("display_data", "execute_result", "update_display_data"):
        data = content.get("data") or {}
        return sum(text_size(value) for value in data.values())
    if kind == "error":
        return text_size(content.get("evalue", "")) + sum(text_size(line) for line in content.get("traceback", []))
    return 0


def decisive(msg):
    """Would nbgrader grade a test cell on this output? (errors, stderr and results decide its score)"""
    kind = msg.get("msg_type")
    return kind in ("error", "execute_result") or (kind == "stream" and msg["content"].get("name") == "stderr")


def shorten(text, limit=SHORT):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def shortened(msg):
    """A copy of a decisive message small enough to keep past the cap, graded the same way."""
    content = dict(msg["content"])
    kind = msg["msg_type"]
    if kind == "error":
        content["evalue"] = shorten(content.get("evalue", ""))
        content["traceback"] = [shorten(line) for line in content.get("traceback", [])[-20:]]
    elif kind == "stream":
        content["text"] = shorten(content.get("text", ""))
    else:  # execute_result: nbgrader reads a partial grade from text/plain only
        content["data"] = {"text/plain": shorten((content.get("data") or {}).get("text/plain", ""))}
        content["metadata"] = {}
    return {**msg, "content": content}


def stream_head(msg, room):
    """A stream message cut to its first ``room`` bytes (never inside a character)."""
    head = msg["content"]["text"].encode("utf-8", "replace")[:room].decode("utf-8", "ignore")
    return {**msg, "content": {**msg["content"], "text": head}}


class OutputCap(LoggingConfigurable):
    """Keeps at most ``limit`` bytes of one cell's outputs (0: no cap); past it, one note and the decisive rest."""

    note = Unicode(
        f"[Sortie tronquée] Cette cellule a affiché plus de {{limit}}{NBSP}: la suite de son affichage a été "
        "supprimée par la correction automatique (son exécution, elle, a continué normalement). Évitez d'afficher "
        "de très grandes quantités de données, par exemple un print dans une longue boucle ou un grand tableau en "
        f"entier{NBSP}: affichez plutôt sa forme ou un extrait.",
        help="Output added where a cell's outputs were cut ({limit}: the cap).",
    ).tag(config=True)
    incident = Unicode(
        f"{{cell}} a affiché plus de {{limit}}{NBSP}: seul le début de son affichage a été gardé. Évitez d'afficher "
        "de très grandes quantités de données.",
        help="Feedback note for a capped cell ({cell}: « La cellule qui commence par… »; {limit}).",
    ).tag(config=True)

    def __init__(self, limit, nb, **kwargs):
        super().__init__(**kwargs)
        self.limit, self.nb = limit, nb
        self.start(None, -1)

    def start(self, cell, index):
        """A new cell: nothing kept yet."""
        self.cell, self.index = cell, index
        self.kept = 0
        self.capped = False
        self.decided = False  # a decisive output (error, stderr, result) was kept

    def may_clear(self):
        """Whether a pending clear_output(wait=True) may still empty the cell: not once capped (the note stays
        with what was kept)."""
        if self.capped:
            return False
        self.kept = 0
        return True

    def cleared(self):
        """The cell's outputs were emptied: its room is whole again."""
        self.kept = 0

    def admit(self, outs, msg, keep):
        """Keep what fits of ``msg`` in ``outs`` through ``keep(msg)`` (nbclient's own handling, which returns the
        output it added or None); past the cap, add the note once, then only the decisive outputs, shortened."""
        if not self.limit:
            return keep(msg)
        needed = message_size(msg)
        if not self.capped and self.kept + needed <= self.limit:
            return self._keep(keep, msg, needed)
        if not self.capped:
            room = self.limit - self.kept
            if msg["msg_type"] == "stream" and room > 0:
                self._keep(keep, stream_head(msg, room), room)
                msg = None if not decisive(msg) or self.decided else msg
            self._cap(outs)
        if msg is not None and decisive(msg) and (msg["msg_type"] == "error" or not self.decided):
            return self._keep(keep, shortened(msg), 0)
        return None

    def _keep(self, keep, msg, needed):
        out = keep(msg)
        self.kept += needed
        if out is not None and decisive(msg):
            self.decided = True
        return out

    def _cap(self, outs):
        self.capped = True
        outs.append(new_output("display_data", data={"text/plain": self.note.format(limit=size(self.limit))}))
        cell = self.cell
        ref = cell_ref(cell, self.index) if cell is not None else f"cell {self.index}"
        self.log.warning("%s printed more than %d bytes; the rest of its output was dropped", ref, self.limit)
        record(self.nb, "output_capped", f"{ref} printed more than {self.limit} bytes of output; the rest was dropped",
               self.incident.format(cell=describe(cell) if cell is not None else "Une cellule",
                                    limit=size(self.limit)), ref)
