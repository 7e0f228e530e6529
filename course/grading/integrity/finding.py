"""One piece of evidence: which flag, where, and the offending text."""
from dataclasses import dataclass

#: The longest evidence kept, in characters.
EVIDENCE_MAX = 160


def short(text, limit=EVIDENCE_MAX):
    """``text`` on one line, at most ``limit`` characters (cut with an ellipsis)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, order=True)
class Finding:
    #: A name of ``flags.FLAGS``.
    flag: str
    #: Where: "cell 8 (prewitt), line 2", "file graders.py"...
    where: str
    #: The offending line or file, at most ``EVIDENCE_MAX`` characters.
    evidence: str

    def __post_init__(self):
        object.__setattr__(self, "evidence", short(self.evidence))
