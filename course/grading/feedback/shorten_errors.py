"""Errors in the feedback: a French message, never a traceback.

A traceback shows the frames, file paths and source lines of the grading
machine (graders' code, hidden tests, the course's folders). Here:

- a graded **test cell** shows only its verdict's French message (no
  exception name, no frame): the verdict written while grading
  (``cell.metadata["course_grading"]["verdict"]``), or, for a cell without
  one, the French message of the grading engine's own errors (timeouts,
  dead kernel...) or of the test's ``assert``, else a general French sentence;
- any **other cell** (the student's own code) keeps the exception's type and
  message, on one line, without the frames;
- tracebacks printed on a stream (``traceback.print_exc()``, warnings) lose
  their ``Traceback`` header, their ``File "...", line N`` frames and the
  source line under each frame.
"""
import re

from nbformat.v4 import new_output
from traitlets import Integer, List, Unicode

from .base import FeedbackPreprocessor
from .cells import is_test_cell, verdict

#: Lines of a Python traceback printed as text.
TRACEBACK_HEADER = re.compile(r"^\s*(Traceback \(most recent call last\):|During handling of the above exception"
                              r"|The above exception was the direct cause)")
FRAME = re.compile(r"""^\s*(File "[^"]*", line \d+|Cell In\s*\[\d*\], line \d+|File [^\s,]+:\d+)""")
#: A warning as Python prints it: ``path.py:12: UserWarning: message``, then the source line that warned.
WARNING = re.compile(r"^\S+\.py[xc]?:\d+: \w+:")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def error(message):
    """An error output that shows ``message`` and nothing else (the template prints the traceback lines)."""
    return new_output("error", ename="", evalue=message, traceback=[message])


class ShortenErrors(FeedbackPreprocessor):
    """Replace every traceback: a French message in test cells, ``Type: message`` in the student's cells."""

    french_enames = List(
        ["GradingError", "CellTimeout", "NotebookTimeout", "KernelDied"],
        help="Errors whose message is French and meant for the student (graders' checks, the grading engine): "
             "shown without their name, in any cell.",
    ).tag(config=True)

    assert_enames = List(
        ["AssertionError"],
        help="Errors of a test cell's own assertions: a test cell without a verdict shows their message (the "
             "instructor's), or failed_message when they have none.",
    ).tag(config=True)

    failed_message = Unicode(
        "Ce test n'est pas passé.",
        help="Message of a failed test cell when neither its verdict nor its error gives one.",
    ).tag(config=True)

    crashed_message = Unicode(
        "Ce test n'est pas passé : une erreur ({ename}) s'est produite pendant la vérification. Vérifiez que "
        "votre code s'exécute sans erreur et que vos variables ont le type et la forme demandés.",
        help="Message of a test cell stopped by any other error ({ename}).",
    ).tag(config=True)

    undefined_message = Unicode(
        "Ce test n'est pas passé : « {name} » n'est pas défini. Avez-vous exécuté toutes les cellules "
        "au-dessus, sans erreur, et gardé le nom demandé ?",
        help="Message of a test cell stopped by a NameError on a name its visible source uses ({name}).",
    ).tag(config=True)

    max_message_length = Integer(
        2000, help="Characters kept of an error message (the rest becomes « … »).").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if is_test_cell(cell):
            self._test_cell(cell)
        else:
            cell.outputs = [self._student_error(output) if output.output_type == "error" else output
                            for output in cell.outputs]
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = strip_traceback_lines(output.text)
        return cell, resources

    def _shorten(self, text):
        text = strip_traceback_lines(ANSI.sub("", str(text))).strip()
        return text if len(text) <= self.max_message_length else text[:self.max_message_length] + " …"

    def _student_error(self, output):
        ename, evalue = str(output.get("ename") or ""), self._shorten(output.get("evalue", ""))
        if ename in self.french_enames:
            return error(evalue)
        line = f"{ename}: {evalue}" if ename and evalue else (ename or evalue)
        shortened = error(line)
        shortened.ename, shortened.evalue = ename, evalue
        return shortened

    def _test_cell(self, cell):
        others = [output for output in cell.outputs if output.output_type != "error"]
        errors = [output for output in cell.outputs if output.output_type == "error"]
        found = verdict(cell)
        if found is not None:
            if found["passed"]:
                cell.outputs = others
            else:
                message = self._shorten(found["message"]) or self._fallback(errors, cell)
                cell.outputs = others + [error(message)]
        elif errors:
            cell.outputs = others + [error(self._fallback(errors, cell))]

    def _fallback(self, errors, cell):
        """The French message of a failed test cell that has no verdict message."""
        if not errors:
            return self.failed_message
        first = errors[0]
        ename, evalue = str(first.get("ename") or ""), self._shorten(first.get("evalue", ""))
        if ename in self.french_enames or ename in self.assert_enames:
            return evalue or self.failed_message
        if ename == "NameError":
            match = re.search(r"name '(\w+)' is not defined", evalue)
            # Name it only if the student can see it in the cell (a hidden test's name stays hidden).
            if match and re.search(rf"\b{match.group(1)}\b", cell.source):
                return self.undefined_message.format(name=match.group(1))
        return self.crashed_message.format(ename=ename or "erreur inconnue")


def strip_traceback_lines(text):
    """``text`` without the header, frames and frame source lines of any traceback printed in it."""
    if not any(word in text for word in ("Traceback", "File ", "Cell In", ".py")):
        return text
    lines = text.splitlines(keepends=True)
    kept, skip_source = [], False
    for line in lines:
        plain = ANSI.sub("", line)
        if TRACEBACK_HEADER.match(plain):
            skip_source = False
            continue
        if FRAME.match(plain):
            skip_source = True
            continue
        if WARNING.match(plain):
            kept.append(line)  # the warning's message is the student's business (its path is removed later)
            skip_source = True
            continue
        if skip_source and plain[:1] in (" ", "\t") and plain.strip():
            continue  # the source line under a frame, and its ^^^^ marks
        skip_source = False
        kept.append(line)
    return "".join(kept)
