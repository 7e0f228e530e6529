"""Take out of every output what the grading machine must keep to itself.

A submission runs on the grading machine and may print anything it can read
there: graders' code, the hidden tests, paths, environment variables. In every
output of every code cell (and in the incidents announcement at the top):

- a line that reproduces a secret line (``secret_text``: graders', the
  handover's, the hidden tests) is replaced by ``line_note``, and a markup
  output (HTML, SVG, JavaScript, JSON, widgets) that does is replaced whole;
- a path of the grading machine, an environment value, the user or host name
  is replaced by a short note inside the line (``host_traces``).

Texts looked at: stream text, each text mime type of a result or display
(``text/plain`` is also what an image shows when it cannot be displayed), and
an error's name, message and traceback. Images and PDFs (base64) are not.
Lines are also compared with Python's escapes undone (``\\n``, quotes), so the
``repr`` of a file's content is caught as well, and markup with its tags and
entities removed.
"""
import html
import json
import os
import re

from traitlets import Integer, List, Unicode

from .base import FeedbackPreprocessor
from .host_traces import PATH_END, PATH_TAIL, HostTraces, current_names, environment_values, machine_paths
from .secret_text import build_index

PLAIN_TEXT = ("text/plain", "text/markdown", "text/latex")
BINARY = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf")
TAG = re.compile(r"<[^>]*>")
ESCAPES = {"\\n": "\n", "\\r": "\n", "\\t": " ", "\\'": "'", '\\"': '"', "\\\\": "\\"}
ESCAPE = re.compile(r"\\[nrt'\"\\]")
#: The role of the incidents announcement cell (course.grading.preprocessors.announce_incidents.MARKER).
ANNOUNCEMENT = "incidents_announcement"


class RemoveLeakedText(FeedbackPreprocessor):
    """Replace secret lines, host paths and environment values in outputs by French notes."""

    # Set by the course's configuration (course/grading/configuration.py): without them, no feedback is made.
    course_root = Unicode(
        None, allow_none=True, help="The course folder: relative patterns are found under it, and its path is "
                                    "hidden.").tag(config=True)
    secret_files = List(
        Unicode(), default_value=None, allow_none=True,
        help="Glob patterns (absolute, or under course_root; ** allowed) of the code whose lines must never be "
             "shown: graders' and the handover's, where the grading Python imports them from.",
    ).tag(config=True)
    source_notebooks = List(
        ["source/*/*.ipynb"],
        help="Glob patterns (under course_root: nbgrader's source folder) of the instructor's notebooks: their "
             "hidden tests and mark schemes are secret, the rest (what the release shows) is not.",
    ).tag(config=True)
    min_line_length = Integer(
        12, help="Significant characters (whitespace aside) of the shortest secret line looked for.").tag(config=True)
    min_substring_length = Integer(
        24, help="Significant characters of the shortest part of a secret line looked for inside a line.").tag(
        config=True)
    max_gap = Integer(
        3, help="Lines between two leaking lines removed with them (the short lines of a printed file).").tag(
        config=True)
    min_letters = Integer(
        4, help="Letters a secret line (or part) needs to count: lines of numbers are left alone.").tag(config=True)

    extra_paths = List(
        ["/opt/course", "/opt/torch"],
        help="More folders whose paths are hidden (the sandbox's view of the course and of torch's cache).",
    ).tag(config=True)
    path_patterns = List(
        [rf"(?<![\w.~-])/(?:tmp|var/tmp|dev/shm)(?:/{PATH_TAIL})?(?![\w.-])",
         rf"(?<![^{PATH_END}])[^{PATH_END}]*?(?:site|dist)-packages{PATH_TAIL}",
         rf"(?<![\w.~-])/(?:home|Users)/{PATH_TAIL}"],
        help="Regular expressions of more paths to hide.",
    ).tag(config=True)
    min_env_value_length = Integer(
        8, help="Shortest environment value hidden (shorter ones are common words: 'python3', 'true').").tag(
        config=True)
    ignored_env_names = List(
        ["LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TERM", "COLORTERM", "SHLVL", "TZ", "COLUMNS",
         "LINES", "PYTHONWARNINGS", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING",
         "DEBIAN_FRONTEND", "MPLBACKEND", "JPY_PARENT_PID"],
        help="Environment variables whose value is not hidden (harmless, and common in a student's output).",
    ).tag(config=True)
    min_name_length = Integer(4, help="Shortest user or host name hidden.").tag(config=True)
    ignored_names = List(
        ["root", "user", "admin", "ubuntu", "debian", "jovyan", "student", "localhost", "runner", "python"],
        help="User or host names not hidden (generic words).",
    ).tag(config=True)

    line_note = Unicode("« [texte retiré de la correction] »",
                        help="Replaces a line that reproduces a secret line.").tag(config=True)
    markup_note = Unicode("« [affichage retiré de la correction : il reproduisait du code de la correction] »",
                          help="Replaces a markup output that reproduces a secret line.").tag(config=True)
    path_note = Unicode("« [chemin retiré] »", help="Replaces a path of the grading machine.").tag(config=True)
    value_note = Unicode("« [valeur retirée] »",
                         help="Replaces an environment value, the user or the host name.").tag(config=True)

    def preprocess(self, nb, resources):
        if self.course_root is None or self.secret_files is None:
            raise RuntimeError("The feedback's RemoveLeakedText is not configured (course_root, secret_files), so it "
                               "cannot tell what is secret: no feedback is made. To fix: run nbgrader from the course "
                               "root, where nbgrader_config.py applies course_config.configure_nbgrader.")
        root = self.course_root
        self._index = build_index(root, self.secret_files, self.source_notebooks, self.min_line_length,
                                  self.min_substring_length, self.min_letters)
        env_paths, env_values = environment_values(os.environ, self.min_env_value_length, self.ignored_env_names)
        names = {name for name in current_names()
                 if len(name) >= self.min_name_length and name.lower() not in self.ignored_names}
        self._host = HostTraces(machine_paths(root, [*self.extra_paths, *env_paths]), self.path_patterns,
                                env_values, names, path_note=self.path_note, value_note=self.value_note)
        return super().preprocess(nb, resources)

    # --- texts --------------------------------------------------------------------------------

    def _leaks(self, line):
        if not self._index:
            return False
        if self._index.leaks(line):
            return True
        unescaped = ESCAPE.sub(lambda m: ESCAPES[m.group(0)], line)
        return unescaped != line and any(self._index.leaks(part) for part in unescaped.splitlines())

    def clean_text(self, text):
        """``text`` with each leaking line replaced by the note (one note for consecutive lines).

        A few lines between two leaking ones (``max_gap``) go too: in a printed file, the short
        lines (``else:``, ``return x``) between the long ones would still show its structure.
        """
        if not isinstance(text, str):
            text = "".join(text)
        lines = text.splitlines(keepends=True)
        leaking = [self._leaks(line) for line in lines]
        last = None
        for index, leak in enumerate(leaking):
            if leak:
                if last is not None and 0 < index - last - 1 <= self.max_gap:
                    leaking[last + 1:index] = [True] * (index - last - 1)
                last = index
        kept = []
        for index, line in enumerate(lines):
            if not leaking[index]:
                kept.append(self._host.scrub(line))
            elif index == 0 or not leaking[index - 1]:
                kept.append(self.line_note + line[len(line.rstrip("\r\n")):])
        return "".join(kept)

    def clean_markup(self, value):
        """A markup value, or None when it reproduces a secret line (then it is replaced whole)."""
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        plain = html.unescape(TAG.sub("\n", text))
        if any(self._leaks(line) for line in plain.splitlines()):
            return None
        if isinstance(value, str):
            return self._host.scrub(value)
        return self._scrub_json(value)

    def _scrub_json(self, value):
        if isinstance(value, str):
            return self._host.scrub(value)
        if isinstance(value, list):
            return [self._scrub_json(item) for item in value]
        if isinstance(value, dict):
            return {key: self._scrub_json(item) for key, item in value.items()}
        return value

    # --- outputs ------------------------------------------------------------------------------

    def _clean_output(self, output):
        kind = output.output_type
        if kind == "stream":
            output.text = self.clean_text(output.text)
        elif kind == "error":
            output.ename = self.clean_text(str(output.get("ename", "")))
            output.evalue = self.clean_text(str(output.get("evalue", "")))
            output.traceback = [self.clean_text(line) for line in output.get("traceback", [])]
        elif "data" in output:
            data = output.data
            for mime in list(data):
                if mime in BINARY:
                    continue
                if mime in PLAIN_TEXT:
                    data[mime] = self.clean_text(data[mime])
                    continue
                cleaned = self.clean_markup(data[mime])
                if cleaned is None:
                    del data[mime]
                    if mime == "text/html":
                        data["text/html"] = f"<p>{html.escape(self.markup_note)}</p>"
                    else:
                        data["text/plain"] = self.markup_note
                else:
                    data[mime] = cleaned
            if "metadata" in output:
                output.metadata = self._scrub_json(output.metadata)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                self._clean_output(output)
        elif cell.metadata.get("course_grading", {}).get("role") == ANNOUNCEMENT:
            cell.source = self.clean_text(cell.source)
        return cell, resources
