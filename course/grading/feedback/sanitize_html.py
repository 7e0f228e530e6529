"""Show what a submission made (HTML, SVG, markdown, JavaScript) without ever running it.

A student controls every byte of the notebook they hand in: its outputs
(``display(HTML('<script>…'))``, ``display(Javascript(…))``, a hand-made
MIME bundle), its markdown answers (``<img src=x onerror=…>``,
``[lien](javascript:…)``), its raw cells, its metadata. nbconvert's
HTMLExporter writes all this into the page as live HTML: the feedback page
would run the student's script when the student opens it, and the
formgrader's page would run it in the instructor's session, where it can
drive the instructor's Jupyter server. This preprocessor runs on every page
made from a submission (the feedback: ``configure_feedback``; the
formgrader's submission view: ``HTMLExporter.preprocessors``, see
``course.grading.configuration.configure_formgrader``) and leaves only inert
content, sanitized by nh3 (the binding of the maintained Rust sanitizer
ammonia):

- markdown cells and ``text/markdown`` outputs are rendered to HTML with
  nbconvert's own markdown renderer (math, code highlighting, attachments),
  the *rendered* HTML is sanitized (so raw HTML, ``javascript:`` links and
  attachments are all judged as the browser would see them), and the result
  is put back as one raw HTML block, on one line (newlines become ``&#10;``),
  which the template's ``markdown2html`` passes through unchanged (sanitizing
  the markdown source instead would escape markdown itself, ``>`` quotes and
  ``<`` in code, and miss what only the renderer makes, such as the link of
  ``[x](javascript:…)``);
- raw cells: sanitized (nbconvert 7's templates pass them through bleach, older ones
  write them into the page as they are);
- ``text/html``: sanitized (pandas tables, formatting and images in ``data:``
  URLs stay), with a French note where a script was taken out;
- ``image/svg+xml``: shown as ``<img src="data:image/svg+xml;base64,…">``: an
  SVG in an ``img`` never runs a script nor loads anything;
- ``application/javascript``: its code becomes ``text/plain``, after a French
  note (what the page would have shown is that script, now as text);
- ``image/png``, ``image/jpeg``: kept when their data is base64 (the template
  writes it inside an attribute), with their width and height when numbers;
- ``text/plain``, ``text/latex``: kept (the templates escape them);
- any other type (widgets, PDF, mermaid, vendor types that render as HTML or
  load a script): dropped, with a French note when nothing else is left;
- the notebook's ``widgets`` metadata (the page would load the widget manager
  and render the widgets' state as HTML) is dropped, stream names and
  execution counts are coerced to what the templates expect.

Links keep ``http``, ``https`` and ``mailto`` targets and in-page anchors
(the summary links to the graded cells' anchors); images only ``data:``
images (a remote image would tell a third party when the instructor reads
the submission); ids are prefixed (``eleve-``) so a student's element can
never take the name of one of the page's own elements or globals (the cost:
the « ¶ » links of the student's headings point nowhere).
"""
import base64
import html
import math
import re

import nh3
from traitlets import Dict, List, Unicode

from .base import FeedbackPreprocessor

#: What a sanitized fragment may contain: nh3's defaults, tfoot, and what nbconvert's markdown and pandas write.
TAGS = sorted(nh3.ALLOWED_TAGS | {"tfoot"})
ATTRIBUTES = {tag: sorted(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
ATTRIBUTES.update({"*": ["class", "dir", "id", "lang", "style", "title"], "table": sorted(
    set(ATTRIBUTES["table"]) | {"border"}), "img": ["alt", "height", "src", "width"]})
#: CSS properties a ``style`` attribute keeps (none of them takes a URL).
STYLE_PROPERTIES = ["text-align", "vertical-align", "color", "background-color", "font-weight", "font-style",
                    "font-size", "font-family", "text-decoration", "white-space", "width", "height", "max-width",
                    "min-width", "padding", "padding-left", "padding-right", "padding-top", "padding-bottom",
                    "margin", "margin-left", "margin-right", "margin-top", "margin-bottom", "border",
                    "border-collapse", "border-spacing", "border-color", "border-style", "border-width",
                    "display", "line-height", "list-style-type"]
#: Images a ``data:`` URL may hold in an ``img``.
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml)(;[a-z0-9=._-]+)*,", re.IGNORECASE)
LINK = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)
BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
#: A script, an event handler or a javascript: URL in markup (only to say so in a note: nh3 does the removing).
SCRIPT = re.compile(r"<\s*script\b|<[^>]*\son[a-z]+\s*=|javascript\s*:", re.IGNORECASE)
#: (Student-facing notes: French typography, a non-breaking space before « : » and inside « ».)
#: Output types the templates show safely once sanitized (see the module's docstring for each).
IMAGES = ("image/png", "image/jpeg")
TEXTS = ("text/plain", "text/latex")


def text(value):
    """A mime bundle's value as one string (nbformat allows a list of lines)."""
    if isinstance(value, list):
        return "".join(str(item) for item in value)
    return value if isinstance(value, str) else ""


def one_line(fragment):
    """``fragment`` on one line, same meaning: a markdown HTML block ends at a blank line, never inside this."""
    return fragment.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "&#10;")


class SanitizeStudentHTML(FeedbackPreprocessor):
    """Sanitize the HTML, SVG and markdown of a submission, and show its JavaScript as text."""

    id_prefix = Unicode("eleve-", help="Prefix of every id a student's HTML keeps.").tag(config=True)
    allowed_tags = List(TAGS, help="HTML elements a student's HTML or markdown may keep (nh3's ``tags``).").tag(
        config=True)
    allowed_attributes = Dict(ATTRIBUTES, help="Attributes kept, by element ('*': on all) (nh3's ``attributes``)."
                              ).tag(config=True)
    style_properties = List(STYLE_PROPERTIES, help="CSS properties a style attribute keeps.").tag(config=True)
    script_note = Unicode(
        "[Script retiré de l'affichage\u00a0: il n'a pas été exécuté.]",
        help="Note after an HTML output or markdown from which a script (or an event handler) was taken out.",
    ).tag(config=True)
    javascript_note = Unicode(
        "[Sortie JavaScript non exécutée, montrée comme texte\u00a0:]",
        help="Note before the code of an application/javascript output, shown as text.",
    ).tag(config=True)
    dropped_note = Unicode(
        "[Sortie non affichée dans la correction (type {types}).]",
        help="Note replacing an output whose types cannot be shown safely ({types}: «\u00a0image/x\u00a0», …).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        self._cleaner = nh3.Cleaner(
            tags=set(self.allowed_tags), clean_content_tags={"script", "style"},
            attributes={tag: set(names) for tag, names in self.allowed_attributes.items()},
            attribute_filter=self._attribute, url_schemes={"http", "https", "mailto", "data"},
            filter_style_properties=set(self.style_properties), id_prefix=self.id_prefix)
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = self.markdown(text(cell.source), cell.get("attachments"), resources)
        elif cell.cell_type == "raw":  # (no note: nbconvert's templates escape a raw cell's markup)
            cell.source = self.clean(text(cell.source), note=False)
        elif cell.cell_type == "code":
            count = cell.get("execution_count")
            if not (isinstance(count, int) and not isinstance(count, bool)):
                cell.execution_count = None
            cell.outputs = [self.output(output, resources) for output in cell.get("outputs", [])]
        return cell, resources

    # --- fragments ---------------------------------------------------------------------------

    def clean(self, fragment, note=True):
        """``fragment`` sanitized (nh3), with the script note when it held a script."""
        cleaned = self._cleaner.clean(fragment)
        if note and SCRIPT.search(fragment):
            cleaned += f'<p class="course-note">{html.escape(self.script_note)}</p>'
        return cleaned

    def markdown(self, source, attachments=None, resources=None):
        """Markdown rendered as nbconvert renders it, sanitized, as one raw HTML block."""
        from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

        path = ((resources or {}).get("metadata") or {}).get("path", "")
        try:
            renderer = IPythonRenderer(escape=False, attachments=dict(attachments or {}), path=path)
            rendered = MarkdownWithMath(renderer=renderer).render(source)
        except Exception:  # e.g. a missing or malformed attachment: the text, as text
            rendered = f"<pre>{html.escape(source)}</pre>"
        return f'<div class="course-markdown">{one_line(self.clean(rendered))}</div>'

    def _attribute(self, tag, attribute, value):
        if attribute == "src":
            return value if tag == "img" and DATA_IMAGE.match(value.strip()) else None
        if attribute == "href":
            return value if LINK.match(value.strip()) else None
        return value

    # --- outputs -----------------------------------------------------------------------------

    def output(self, output, resources):
        if output.output_type == "stream":
            output.text = text(output.get("text"))
            if output.get("name") not in ("stdout", "stderr"):
                output.name = "stdout"
            return output
        if output.output_type not in ("display_data", "execute_result"):
            return output
        data, metadata = output.get("data", {}), output.get("metadata", {})
        if "application/javascript" in data:
            output.data = {"text/plain": f"{self.javascript_note}\n{text(data['application/javascript'])}"}
            output.metadata = {}
            return output
        kept, dropped = {}, []
        for mime, value in data.items():
            if mime in TEXTS:
                kept[mime] = text(value)
            elif mime == "text/html":
                kept[mime] = self.clean(text(value))
            elif mime == "text/markdown":
                kept[mime] = self.markdown(text(value), resources=resources)
            elif mime in IMAGES and isinstance(value, str) and BASE64.match(value):
                kept[mime] = value
            elif mime == "image/svg+xml" and "text/html" not in data:
                svg = base64.b64encode(text(value).encode("utf-8")).decode("ascii")
                kept["text/html"] = f'<img src="data:image/svg+xml;base64,{svg}" alt="">'
            else:
                dropped.append(mime)
        if not kept:
            types = ", ".join(f"«\u00a0{mime}\u00a0»" for mime in dropped)
            kept["text/plain"] = self.dropped_note.format(types=types)
        output.data = kept
        output.metadata = self.image_metadata(metadata, kept)
        return output

    @staticmethod
    def image_metadata(metadata, data):
        """Only what the templates read of an image's metadata, and only numbers and booleans."""
        kept = {}
        for mime in IMAGES:
            if mime not in data or not isinstance(metadata.get(mime), dict):
                continue
            mine = {}
            for key in ("width", "height"):
                size = metadata[mime].get(key)
                if isinstance(size, (int, float)) and not isinstance(size, bool) and math.isfinite(size):
                    mine[key] = int(size)
            if isinstance(metadata[mime].get("unconfined"), bool):
                mine["unconfined"] = metadata[mime]["unconfined"]
            if mine:
                kept[mime] = mine
        return kept

