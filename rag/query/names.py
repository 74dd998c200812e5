"""Which documents a question (or a `--doc` value) names.

Names are each title, its core ("川南渝西地区融合发展") and the short names in
`data/plans/aliases.toml`; a name of `settings.query.min_fuzzy_name` (4) characters or more may
match with one character wrong ("棋江万盛"). Clause references are rag/query/clauses.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np

from ingest.records import Document
from ingest.text import normalise
from rag.settings import QuerySettings

_TITLE_PREFIX = re.compile(r"^(?:推动|关于|中共|印发)")
_TITLE_SUFFIX = re.compile(r"(?:总体方案|实施方案|发展规划|工作要点|行动计划|方案|规划|要点|决定|意见|纲要|计划)$")
_CORE_CUT = re.compile(r"地区|同城化|一体化|融合|发展|全面|建设")
_ISSUER_DECISION = re.compile(r"^(?:中共)?(?P<org>.{2,12}?)关于.*(?P<kind>决定|意见)$")


def load_aliases(path: Path) -> dict[str, list[str]]:
    """Short names by document id; no file means none."""
    if not path.is_file():
        return {}
    with open(path, "rb") as handle:
        return {doc_id: list(names) for doc_id, names in tomllib.load(handle).items()}


def names_for(document: Document, aliases: dict[str, list[str]]) -> set[str]:
    """Every name a question may use for the document."""
    title = document.title
    names = {title, title.replace("—", ""), *aliases.get(document.doc_id, [])}
    core = _TITLE_SUFFIX.sub("", _TITLE_PREFIX.sub("", title))
    names.add(core)
    cut = _CORE_CUT.search(core)
    if cut and cut.start() >= 2:
        names.add(core[: cut.start()])
    if match := _ISSUER_DECISION.match(title):
        names.add(match["org"] + match["kind"])
    return {normalise(n) for n in names if len(n) >= 2}


class DocumentNames:
    """Finds the documents a question or a `--doc` value names."""

    def __init__(
        self, documents: list[Document], aliases: dict[str, list[str]], settings: QuerySettings | None = None
    ) -> None:
        self._min_fuzzy = (settings or QuerySettings()).min_fuzzy_name  # names this long may have one character wrong
        self._names = [(name, d.doc_id) for d in documents for name in names_for(d, aliases)]
        self._names.sort(key=lambda pair: -len(pair[0]))  # longest first: "内江市委决定" before "内江市委"
        self._titles = {d.doc_id: d.title for d in documents}
        # With thousands of documents, trying every name on every question cost more than the rest of
        # an answer: names are looked up by their characters instead (`_candidates`).
        lengths = np.array([len(name) for name, _ in self._names], dtype=np.int32)
        self._needed = {
            True: lengths,  # an exact occurrence: every character of the name is in the text
            False: lengths - (lengths >= self._min_fuzzy),  # or all but one, for a fuzzy one
        }
        positions: dict[str, dict[int, int]] = {}
        for number, (name, _) in enumerate(self._names):
            for char in name:
                counts = positions.setdefault(char, {})
                counts[number] = counts.get(number, 0) + 1
        self._by_char = {
            char: (np.fromiter(counts, dtype=np.int64, count=len(counts)), np.fromiter(counts.values(), dtype=np.int32, count=len(counts)))
            for char, counts in positions.items()
        }

    def _candidates(self, text: str, exact: bool) -> list[tuple[str, str]]:
        """The (name, doc_id) pairs, in their order, whose characters the text holds (all of them, or
        all but one when `exact` is False): a name that can occur in the text must be one of them."""
        held = np.zeros(len(self._names), dtype=np.int32)
        for char in set(text):
            if char in self._by_char:
                numbers, counts = self._by_char[char]
                held[numbers] += counts
        return [self._names[number] for number in np.flatnonzero(held >= self._needed[exact])]

    def mentioned(self, question: str) -> list[str]:
        """Ids of the documents the question names, in the order it names them."""
        text = normalise(question)
        found: list[tuple[int, str]] = []
        taken = [False] * len(text)
        for name, doc_id in self._candidates(text, exact=False):
            for start in _occurrences(text, name, self._min_fuzzy):
                if any(taken[start : start + len(name)]):
                    continue
                taken[start : start + len(name)] = [True] * len(name)
                found.append((start, doc_id))
        ordered: list[str] = []
        for _, doc_id in sorted(found):
            if doc_id not in ordered:
                ordered.append(doc_id)
        return ordered

    def title(self, doc_id: str) -> str:
        """The document's title ("" for an unknown id)."""
        return self._titles.get(doc_id, "")

    def strip_names(self, text: str) -> str:
        """`text` (normalised) with every document name in it blanked out."""
        # Blanking a name cannot make another one appear (names hold no spaces), so the names the
        # text held at first are all that can be replaced.
        for name, _ in self._candidates(text, exact=True):
            text = text.replace(name, " ")
        return text

    def resolve(self, value: str) -> list[str]:
        """Document ids for a `--doc` value: an id, a title, a short name, or a part of a title."""
        if value in self._titles:
            return [value]
        named = self.mentioned(value)
        if named:
            return named
        key = normalise(value)
        return [doc_id for doc_id, title in self._titles.items() if key and key in normalise(title)]


def _occurrences(text: str, name: str, min_fuzzy: int) -> list[int]:
    """Start offsets of `name` in `text`, exact (not overlapping), or with one character wrong for
    names of `min_fuzzy` characters or more."""
    exact, start = [], text.find(name)
    while start != -1:
        exact.append(start)
        start = text.find(name, start + len(name))
    if exact or len(name) < min_fuzzy:
        return exact
    if sum(char in text for char in name) < len(name) - 1:
        return []  # a window with one character wrong holds all the others
    return [
        start
        for start in range(len(text) - len(name) + 1)
        if sum(a != b for a, b in zip(text[start : start + len(name)], name)) == 1
    ]

