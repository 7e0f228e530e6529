"""Show each cell as the student's release showed it: never a hidden test or a mark scheme.

nbgrader's ``OverwriteCells`` gives every locked cell of the autograded
notebook back its instructor's source, hidden tests (between ``### BEGIN
HIDDEN TESTS`` and ``### END HIDDEN TESTS``) and mark schemes included, and
nbgrader's feedback template prints that source. Here every such block is cut
out of every cell (test cells, but also any other cell that carries one), as
``ClearHiddenTests`` and ``ClearMarkScheme`` did for the release, and a short
French comment says where the hidden checks were.

The outputs of a graded test cell come partly from its hidden lines: by
default only its errors are kept (``ShortenErrors`` then turns them into the
French message of the verdict).
"""
from traitlets import Bool, Unicode

from .base import FeedbackPreprocessor
from .cells import is_test_cell


def cut_blocks(source, begin, end):
    """``source`` without the lines from each ``begin`` line to the next ``end`` line (both included).

    A block that is never closed runs to the end of the source (nothing hidden leaks
    through a forgotten delimiter). Returns (kept lines, {index in the kept lines where
    a block was: indentation of its first line}).
    """
    kept, places, inside = [], {}, False
    for line in source.splitlines():
        if not inside and begin in line:
            inside = True
            places.setdefault(len(kept), line[:len(line) - len(line.lstrip())])
            continue
        if inside:
            if end in line:
                inside = False
            continue
        kept.append(line)
    return kept, places


class HideTestSource(FeedbackPreprocessor):
    """Cut hidden tests and mark schemes out of every cell; keep only the errors of graded test cells."""

    begin_test_delimiter = Unicode("BEGIN HIDDEN TESTS", help="Line marking the start of hidden tests "
                                   "(as ClearHiddenTests.begin_test_delimeter).").tag(config=True)
    end_test_delimiter = Unicode("END HIDDEN TESTS", help="Line marking the end of hidden tests.").tag(config=True)
    begin_mark_scheme_delimiter = Unicode("BEGIN MARK SCHEME", help="Line marking the start of a mark scheme "
                                          "(as ClearMarkScheme.begin_mark_scheme_delimeter).").tag(config=True)
    end_mark_scheme_delimiter = Unicode("END MARK SCHEME", help="Line marking the end of a mark scheme.").tag(
        config=True)

    code_note = Unicode(
        "# (Ici, des vérifications cachées : leur code n'est pas montré.)",
        help="Python comment put where hidden tests were cut out of a code cell.",
    ).tag(config=True)
    markdown_note = Unicode(
        "*(Partie réservée à la correction : elle n'est pas montrée.)*",
        help="Markdown put where hidden tests or a mark scheme were cut out of a markdown cell.",
    ).tag(config=True)

    keep_test_outputs = Bool(
        False,
        help="Keep the printed outputs (stream, display, result) of graded test cells. Off by default: "
             "their hidden lines may print anything; only their errors are kept.",
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        note = self.code_note if cell.cell_type == "code" else self.markdown_note
        source = cell.source
        changed = False
        for begin, end in ((self.begin_test_delimiter, self.end_test_delimiter),
                           (self.begin_mark_scheme_delimiter, self.end_mark_scheme_delimiter)):
            if begin not in source:
                continue
            kept, places = cut_blocks(source, begin, end)
            for place in sorted(places, reverse=True):
                if not (place > 0 and kept[place - 1].strip() == note):  # a block right after another: one note
                    kept.insert(place, (places[place] if cell.cell_type == "code" else "") + note)
            source, changed = "\n".join(kept).rstrip("\n"), True
        if changed:
            cell.source = source
        if is_test_cell(cell) and not self.keep_test_outputs:
            cell.outputs = [output for output in cell.get("outputs", []) if output.output_type == "error"]
        return cell, resources
