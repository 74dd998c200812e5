"""Checking that an answer says only what its cited articles say.

An answer is cut into claims (its sentences, each ending with its `[n]` markers); the source label
"《title》clause heading：" and connector lines ending in "：" are not claims. A claim is supported
when every marker names a citation, every number it states appears as a whole number in the cited
articles, and the cited articles (with their labels: title, clause, heading) hold at least
`threshold` of the claim's character bigrams. Extractive answers pass by construction (their claims
are verbatim); a model's paraphrase passes when it keeps to the clause's wording, and an invented
sentence or a changed figure fails. (Calibrated on the dev set's reference sentences: at 0.5
faithful paraphrases pass, invented sentences score at most 0.41; the number rule catches 97% of
copied sentences with one figure changed, which bigrams alone cannot.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.text import MARKER, char_bigrams
from rag.records import PARTIAL_NOTE, Citation

# The source label a line opens with: "《成渝地区双城经济圈建设规划纲要》第三章第一节：", "根据《…》三、（七）：".
_LABEL = re.compile(r"^(?:根据|据|见)?《[^》]{1,80}》[^：:\n]{0,60}[：:]")
# A claim ends after its full stop (and the markers that follow it), or after markers that end a
# clause mid-sentence: "…城市[1]，并…" is two claims.
_CLAIM_END = re.compile(r"(?<=[。！？；!?;])(?!\[)|(?<=\])(?![\[\d])")
_IGNORED = re.compile(r"[\s\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Characters before a `[n]` or a claim end (and one after it) that are looked for in the cited texts:
# found there, the bracket or stop is the document's own text inside a verbatim quote ("第[2]项",
# "[注1]", "[见附图](…)", "&amp;"), not the answer's marker or the end of its claim.
_CONTEXT = 2
_NOTE = PARTIAL_NOTE.split("{")[0]  # the line saying an answer is partial: about the answer, not a claim


@dataclass(frozen=True)
class Claim:
    text: str  # without its markers and label
    markers: tuple[int, ...]


def claims(answer: str, sources: Sequence[str] = ()) -> list[Claim]:
    """The claims of an answer, in order. With `sources` (the cited texts), a `[n]` or a stop inside a
    span copied from one of them is part of the quoted text, not a marker or a claim's end."""
    found = []
    for line in answer.split("\n"):
        line = line.strip()
        if not line or line.endswith(("：", ":")) or line.startswith(_NOTE):
            continue  # a connector ("…，依次为："), a heading over list items, the partial note
        line = _LABEL.sub("", line)
        ends = [m.start() for m in _CLAIM_END.finditer(line) if not _copied(line, m.start(), m.start(), sources)]
        markers = [m for m in MARKER.finditer(line) if not _copied(line, m.start(), m.end(), sources)]
        for start, end in zip([0, *ends], [*ends, len(line)]):
            own = [m for m in markers if start <= m.start() < end]
            cuts = [start, *(i for m in own for i in m.span()), end]
            text = "".join(line[a:b] for a, b in zip(cuts[::2], cuts[1::2])).strip()
            if _IGNORED.sub("", text):
                found.append(Claim(text, tuple(int(m.group(1)) for m in own)))
    return found


def _copied(line: str, start: int, end: int, sources: Sequence[str]) -> bool:
    """Whether `line[start:end]`, with `_CONTEXT` characters before it and one after, is in a source."""
    window = line[max(0, start - _CONTEXT) : end + 1]
    return len(window) > end - start and any(window in source for source in sources)


def support(claim: str, sources: list[str]) -> float:
    """Share of the claim's character bigrams found in the sources (0..1)."""
    wanted = char_bigrams(claim)
    if not wanted:
        return 1.0
    held = set().union(*(char_bigrams(s) for s in sources)) if sources else set()
    return len(wanted & held) / len(wanted)


def numbers_held(claim: str, sources: list[str]) -> bool:
    """Every number the claim states appears as a whole number in the sources ("28" not in "280")."""
    held = {n for source in sources for n in _NUMBER.findall(unicodedata.normalize("NFKC", source))}
    return all(n in held for n in _NUMBER.findall(unicodedata.normalize("NFKC", claim)))


def unsupported_claims(answer: str, citations: list[Citation], threshold: float) -> list[str]:
    """Claims with no valid marker, or whose cited articles do not hold them."""
    by_number = {c.n: c for c in citations if not c.related_only}
    bad = []
    for claim in claims(answer, [c.text for c in by_number.values()]):
        if not claim.markers or any(n not in by_number for n in claim.markers):
            bad.append(claim.text)
            continue
        cited = [by_number[n] for n in claim.markers]
        sources = [c.text for c in cited] + [c.label for c in cited]
        if not numbers_held(claim.text, sources) or support(claim.text, sources) < threshold:
            bad.append(claim.text)
    return bad
