"""Keep every output of the feedback readable in size, with a French note where something was cut.

Autograding already caps what a cell may print (``ContainedExecute.output_limit``),
but a page of a megabyte of text is unreadable, and a notebook of large images
makes a feedback file nobody can open. Here, per cell:

- consecutive stream outputs of the same name are merged first (a loop of
  prints makes one output per flush);
- each text (a stream, a text mime type of a result, an error message) keeps
  its first ``max_text_bytes``; markup (HTML, SVG, JavaScript, JSON) cannot be
  cut in the middle, so a larger one is replaced by the note;
- once the cell's texts reach ``max_cell_text_bytes``, its later outputs are
  dropped (errors excepted: they decide the grade);
- once its images (PNG, JPEG, GIF, PDF, as stored: base64) reach
  ``max_cell_image_bytes``, later images are dropped.
"""
import json

from nbformat.v4 import new_output
from traitlets import Integer, Unicode

from ..french import size
from .base import FeedbackPreprocessor

#: Mime types whose value is text that can be cut anywhere (the rest of the text mime types is markup).
PLAIN_TEXT = ("text/plain", "text/markdown", "text/latex")
IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf")


def text_size(value):
    if isinstance(value, str):
        return len(value.encode("utf-8", "replace"))
    if isinstance(value, list):
        return sum(text_size(item) for item in value)
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "replace"))


def cut(text, limit):
    """The first ``limit`` bytes of ``text`` (never half a character)."""
    return text.encode("utf-8", "replace")[:limit].decode("utf-8", "ignore")


def merged_streams(outputs):
    merged = []
    for output in outputs:
        if (output.output_type == "stream" and merged and merged[-1].output_type == "stream"
                and merged[-1].name == output.name):
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged


class CapOutputs(FeedbackPreprocessor):
    """Cap each output's text, each cell's text and each cell's images, with a French note."""

    max_text_bytes = Integer(20 * 2**10, help="Bytes of text kept per output (stream, result, error message).").tag(
        config=True)
    max_cell_text_bytes = Integer(100 * 2**10, help="Bytes of text kept over all the outputs of one cell.").tag(
        config=True)
    max_cell_image_bytes = Integer(2 * 2**20, help="Bytes of images (as stored, base64) kept per cell.").tag(
        config=True)

    text_note = Unicode(
        "[Affichage tronqué dans la correction : cette sortie dépassait {limit}, seul son début est montré.]",
        help="Note after a text cut at max_text_bytes ({limit}).",
    ).tag(config=True)
    markup_note = Unicode(
        "[Affichage retiré de la correction : cette sortie ({kind}) dépassait {limit}.]",
        help="Note replacing HTML, SVG, JavaScript or JSON larger than max_text_bytes ({kind}, {limit}).",
    ).tag(config=True)
    cell_text_note = Unicode(
        "[Affichage tronqué dans la correction : cette cellule a affiché plus de {limit} ; la suite n'est pas "
        "montrée.]",
        help="Note replacing the outputs of a cell past max_cell_text_bytes ({limit}).",
    ).tag(config=True)
    image_note = Unicode(
        "[Image retirée de la correction : les images de cette cellule dépassaient {limit} au total.]",
        help="Note replacing the images of a cell past max_cell_image_bytes ({limit}).",
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.get("outputs"):
            return cell, resources
        kept, text_used, image_used, text_full, image_full = [], 0, 0, False, False
        for output in merged_streams(cell.outputs):
            self._cap_texts(output)
            is_error = output.output_type == "error"
            needed = self._text_of(output)
            if text_full and not is_error:
                continue
            if text_used + needed > self.max_cell_text_bytes and not is_error:
                text_full = True
                kept.append(new_output("stream", name="stdout",
                                       text=self.cell_text_note.format(limit=size(self.max_cell_text_bytes)) + "\n"))
                continue
            text_used += needed
            data = output.get("data", {})
            images = [mime for mime in data if mime in IMAGES or mime.startswith("image/") and mime != "image/svg+xml"]
            if images:
                weight = sum(text_size(data[mime]) for mime in images)
                if image_full or image_used + weight > self.max_cell_image_bytes:
                    for mime in images:
                        del data[mime]
                    if not image_full:
                        data["text/plain"] = self.image_note.format(limit=size(self.max_cell_image_bytes))
                        image_full = True
                    elif not data:
                        continue
                    output.metadata = {}
                else:
                    image_used += weight
            kept.append(output)
        cell.outputs = kept
        return cell, resources

    def _text_of(self, output):
        if output.output_type == "stream":
            return text_size(output.text)
        if output.output_type == "error":
            return text_size(output.get("evalue", "")) + text_size(output.get("traceback", []))
        return sum(text_size(value) for mime, value in output.get("data", {}).items()
                   if not (mime in IMAGES or mime.startswith("image/") and mime != "image/svg+xml"))

    def _cut_text(self, text):
        if text_size(text) <= self.max_text_bytes:
            return text
        return cut(text, self.max_text_bytes).rstrip() + "\n" + self.text_note.format(limit=size(self.max_text_bytes))

    def _cap_texts(self, output):
        if output.output_type == "stream":
            output.text = self._cut_text(output.text)
        elif output.output_type == "error":
            output.evalue = self._cut_text(output.get("evalue", ""))
            lines, room = [], self.max_text_bytes
            for line in output.get("traceback", []):
                if room <= 0:
                    break
                line = cut(line, room) if text_size(line) > room else line
                room -= text_size(line)
                lines.append(line)
            output.traceback = lines
        elif "data" in output:
            data = output.data
            for mime in list(data):
                if mime in IMAGES or mime.startswith("image/") and mime != "image/svg+xml":
                    continue
                value = data[mime]
                if mime in PLAIN_TEXT:
                    data[mime] = self._cut_text(value if isinstance(value, str) else "".join(value))
                elif text_size(value) > self.max_text_bytes:
                    note = self.markup_note.format(kind=mime, limit=size(self.max_text_bytes))
                    del data[mime]
                    if mime == "text/html":
                        data["text/html"] = f"<pre>{note}</pre>"
                    else:
                        data["text/plain"] = note
