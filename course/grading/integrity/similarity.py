"""Similar submissions: pairs of students whose answer cells share unusually much, for an instructor to review.

Only the answer cells are compared (nbgrader's solution cells, matched by
grade_id: code, and open questions in markdown), and only what the student
wrote there: a line the release already has in that cell (the stub
``# VOTRE CODE ICI`` / ``raise NotImplementedError()``, a given ``print``, a
``def`` line) is left out, and so is every fingerprint found anywhere in the
release's code or text. Two students who kept the stub, or the given code,
share nothing.

Short exercises have few honest solutions, so a plain overlap would pair
half the class. Each fingerprint is weighed by how rare it is in the class
(per answer cell): 1 when only one or two students have it, less the more
do, and nothing when more than ``common_share`` of the class has it (the
class's common way of answering). A pair's similarity is the weight of what
the two share over the number of uncommon fingerprints of the smaller of
the two (cell by cell, added up over the notebook): 1 when all of one's
uncommon code is in the other's and nobody else's; a cell that many others
wrote alike too counts for less, even when the two share all of it.
As a small answer can share all its little uncommon code by chance, a pair
is listed only if what it shares covers ``min_shared_tokens`` tokens.

Tokens and fingerprints: :mod:`.fingerprints`. Why not ``copydetect``: its
tokenizer (Pygments) turns every name, attributes included, into ``V``, so
``torch.sqrt(a)`` and ``np.abs(b)`` are the same tokens (the course's honest
variants of one cell measured up to 0.56 similar), it has no weighing by the
class (only a fixed list of boilerplate hashes), and it hashes with Python's
salted ``hash``; its winnowing is the few lines of :mod:`.fingerprints`.

The result never changes a grade; it is a list of pairs to look at.
"""
import hashlib
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from traitlets import Float, Integer
from traitlets.config import LoggingConfigurable

from .fingerprints import code_tokens, fingerprints, kgram_hashes, names_of, word_tokens

CODE, TEXT = "code", "markdown"


@dataclass(frozen=True)
class Answer:
    """One answer cell of a submission: ``kind`` is ``code`` or ``markdown``."""

    kind: str
    source: str


@dataclass(frozen=True)
class CellMatch:
    """One answer cell of a pair, side by side: each side's lines, with ``True`` for a line they share."""

    label: str
    score: float
    shared_tokens: int
    first: list
    second: list


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    #: What the two share over the smaller answer, weighed by rarity in the class (0 to 1).
    score: float
    #: Tokens of the answers (outside the given code) in fingerprints the two share.
    shared_tokens: int
    cells: list = field(default_factory=list)


@dataclass(frozen=True)
class Similarity:
    """The class-level result: the listed pairs (most similar first), how many submissions were compared."""

    pairs: list = field(default_factory=list)
    compared: int = 0
    threshold: float = 0.0
    common_share: float = 0.0
    #: Why the comparison could not be made ("" when it was).
    error: str = ""


# --- the answers and the given code -----------------------------------------------------------


def _text(source):
    return "".join(source) if isinstance(source, list) else str(source or "")


def label_of(grade_id, notebook_name, assignment):
    """How an answer cell is named: its grade_id, after the notebook's name when it is not the assignment's."""
    return grade_id if notebook_name in (None, assignment) else f"{notebook_name}: {grade_id}"


def answer_cells(notebook, notebook_name=None, assignment=None):
    """label -> Answer of a notebook's solution cells (a NotebookNode, or the plain dict ``json`` reads)."""
    answers = {}
    for cell in notebook.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution") and meta.get("grade_id") and cell.get("cell_type") in (CODE, TEXT):
            label = label_of(str(meta["grade_id"]), notebook_name, assignment)
            answers.setdefault(label, Answer(cell["cell_type"], _text(cell.get("source"))))
    return answers


@dataclass(frozen=True)
class Given:
    """What the release gives: each answer cell's own lines, its identifiers, all its code and text."""

    lines: dict
    names: frozenset
    code: tuple
    text: tuple
    #: A digest of all the above: answers fingerprinted against the same release are remembered by it.
    key: str


def given_of(release_notebooks, assignment=None):
    """The ``Given`` of the release: ``release_notebooks`` is notebook name -> notebook."""
    lines, code, text = {}, [], []
    for name, notebook in release_notebooks.items():
        for label, answer in answer_cells(notebook, name, assignment).items():
            lines[label] = {line.strip() for line in answer.source.splitlines() if line.strip()}
        for cell in notebook.get("cells", []):
            (code if cell.get("cell_type") == CODE else text).append(_text(cell.get("source")))
    names = frozenset().union(*map(names_of, code))
    content = json.dumps([sorted((label, sorted(kept)) for label, kept in lines.items()), sorted(names), code, text])
    return Given(lines, names, tuple(code), tuple(text), hashlib.blake2b(content.encode()).hexdigest())


# --- the comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Printed:
    """One student's answer cell, fingerprinted: its lines, its tokens, hash -> token positions."""

    lines: list
    tokens: list
    prints: dict


#: Answers fingerprinted in this process, by what determines their fingerprints: plain ``nbgrader autograde``
#: rewrites the report after each submission, comparing the whole class each time, so each answer is
#: tokenized once per run, not once per submission graded after it.
_FINGERPRINTED = {}
_FINGERPRINTED_MOST = 20_000


def _texts(tokens):
    return [token.text for token in tokens]


class SimilarSubmissions(LoggingConfigurable):
    """Pair the submissions whose answer cells are unusually similar (for review; never a grade)."""

    threshold = Float(
        0.6,
        help="Pairs whose similarity reaches this are listed (0 to 1). The similarity is the share of the smaller "
             "submission's uncommon answer fingerprints that the other submission has too, each shared one weighed "
             "by how rare it is in the class; given code is excluded. In a class made of the course's sample "
             "solutions and mistakes (tests/support/class_submissions.py), a planted copy with renamed variables "
             "scores 0.94, and honest pairs sharing at least min_shared_tokens at most 0.40.",
    ).tag(config=True)
    common_share = Float(
        0.2,
        help="A fingerprint found in more than this share of the class (and in at least 3 submissions) is the "
             "class's common way of writing an answer: it pairs nobody.",
    ).tag(config=True)
    min_shared_tokens = Integer(
        30,
        help="A pair is listed only if its shared uncommon fingerprints cover at least this many tokens of each "
             "submission (outside the given code, about three lines): a few lines alike are no evidence. In the "
             "same class, honest pairs scoring above 0.5 share at most 17 tokens; the planted copy, 221.",
    ).tag(config=True)
    kgram = Integer(5, help="Tokens per fingerprint (k of winnowing): shorter matches are noise.").tag(config=True)
    window = Integer(
        4,
        help="Winnowing window: every match of at least kgram + window - 1 tokens shares a fingerprint.",
    ).tag(config=True)

    def compare(self, answers_by_student, given):
        """``Similarity`` of the class: ``answers_by_student`` is student -> label -> Answer."""
        given_hashes = self._given_hashes(given)
        printed = {student: self._printed(answers, given, given_hashes)
                   for student, answers in answers_by_student.items()}
        students = sorted(s for s, cells in printed.items() if any(p.prints for p in cells.values()))
        holders = self._holders(printed, students)
        weights = self._weights(holders, len(students))
        own = {student: {label: sum(weights[label][h] > 0 for h in cell.prints) for label, cell in cells.items()}
               for student, cells in printed.items()}
        scores = {pair: self._score(pair, shared, own) for pair, shared in self._shared(holders, weights).items()}
        likely = sorted(pair for pair, score in scores.items() if score >= self.threshold)
        pairs = [self._pair(first, second, scores[first, second], printed, weights, own) for first, second in likely]
        listed = [pair for pair in pairs if pair.shared_tokens >= self.min_shared_tokens]
        listed.sort(key=lambda pair: (-pair.score, pair.first, pair.second))
        return Similarity(listed, len(answers_by_student), self.threshold, self.common_share)

    def _printed(self, answers, given, given_hashes):
        return {label: self._remembered(label, answer, given, given_hashes)
                for label, answer in answers.items() if answer.kind in given_hashes}

    def _remembered(self, label, answer, given, given_hashes):
        key = (given.key, self.kgram, self.window, label, answer.kind, answer.source)
        if key not in _FINGERPRINTED:
            if len(_FINGERPRINTED) >= _FINGERPRINTED_MOST:
                _FINGERPRINTED.clear()
            _FINGERPRINTED[key] = self._fingerprint(answer, given.lines.get(label, set()), given.names,
                                                    given_hashes[answer.kind])
        return _FINGERPRINTED[key]

    def _given_hashes(self, given):
        """kind -> every k-gram hash of the release (not only the winnowed ones: nobody's own code)."""
        code = {h for source in given.code for h in kgram_hashes(_texts(code_tokens(source, given.names)), self.kgram)}
        text = {h for source in given.text for h in kgram_hashes(_texts(word_tokens(source)), self.kgram)}
        return {CODE: code, TEXT: text}

    def _fingerprint(self, answer, given_lines, given_names, given_hashes):
        """The answer's own tokens (lines the release has in this cell left out) and their fingerprints."""
        lines = answer.source.splitlines()
        tokens = code_tokens(answer.source, given_names) if answer.kind == CODE else word_tokens(answer.source)
        # A closing DEDENT or NEWLINE may sit on the line after the last one.
        own = [token for token in tokens if token.line >= len(lines) or lines[token.line].strip() not in given_lines]
        prints = fingerprints(own, self.kgram, self.window)
        return _Printed(lines, own, {h: at for h, at in prints.items() if h not in given_hashes})

    def _holders(self, printed, students):
        """label -> hash -> the students whose answer cell has it."""
        holders = defaultdict(lambda: defaultdict(set))
        for student in students:
            for label, cell in printed[student].items():
                for value in cell.prints:
                    holders[label][value].add(student)
        return holders

    def _weights(self, holders, class_size):
        """label -> hash -> weight: 1 when one or two students have it, less the more have it, 0 for the common
        pattern: log((n + 1) / holders) / log((n + 1) / 2), an inverse document frequency scaled to count 1
        for a fingerprint of one pair."""
        common = max(2, self.common_share * class_size)
        pair = math.log((class_size + 1) / 2)
        return {label: {value: 0.0 if len(who) > common or pair <= 0 else
                        min(1.0, math.log((class_size + 1) / len(who)) / pair)
                        for value, who in hashes.items()}
                for label, hashes in holders.items()}

    def _shared(self, holders, weights):
        """(first, second) -> label -> the weight of the fingerprints the two share there (pairs sharing any)."""
        shared = defaultdict(Counter)
        for label, hashes in holders.items():
            for value, who in hashes.items():
                if len(who) > 1 and weights[label][value] > 0:
                    for pair in combinations(sorted(who), 2):
                        shared[pair][label] += weights[label][value]
        return shared

    @staticmethod
    def _score(pair, shared, own):
        """What the pair shares over the uncommon fingerprints of the smaller side, in the cells both answered.

        The shared ones count by their weight, the others fully: code that a few others also wrote is weaker
        evidence than code only these two wrote."""
        first, second = own[pair[0]], own[pair[1]]
        smaller = sum(min(count, second.get(label, 0)) for label, count in first.items())
        return sum(shared.values()) / smaller if smaller else 0.0

    def _pair(self, first, second, score, printed, weights, own):
        cells, shared_tokens = [], 0
        for label, a in printed[first].items():
            b = printed[second].get(label)
            shared = [h for h in a.prints if b is not None and h in b.prints and weights[label][h] > 0]
            if not shared:
                continue
            tokens = min(self._covered(a, shared), self._covered(b, shared))
            smaller = min(own[first][label], own[second][label])
            cells.append(CellMatch(label, sum(weights[label][h] for h in shared) / smaller, tokens,
                                   self._marked(a, shared), self._marked(b, shared)))
            shared_tokens += tokens
        return Pair(first, second, round(score, 3), shared_tokens, cells)

    def _covered_positions(self, cell, shared):
        return {position + offset for h in shared for position in cell.prints[h] for offset in range(self.kgram)}

    def _covered(self, cell, shared):
        return len(self._covered_positions(cell, shared))

    def _marked(self, cell, shared):
        """(line, shared?) of each line of the answer."""
        lines = {cell.tokens[i].line for i in self._covered_positions(cell, shared) if i < len(cell.tokens)}
        return [(text, index in lines) for index, text in enumerate(cell.lines)]
