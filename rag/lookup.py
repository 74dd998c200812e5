"""Direct lookups: which documents a question names, and which clause it points at.

"川南渝西方案第（十二）条", "第26条", "（二十六）", "第十部分第（二）节", "四、（三）", "第3项" are
looked up in the clause paths, not searched. Document names are matched against each title, its
core ("川南渝西地区融合发展") and the short names in `data/plans/aliases.toml`, allowing one wrong
character in names of four or more ("棋江万盛").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.headings import chinese_number
from ingest.records import Article, Document

_CN = "零〇一二三四五六七八九十百两"
_NUM = rf"[{_CN}]+|\d+"
_TITLE_PREFIX = re.compile(r"^(?:推动|关于|中共|印发)")
_TITLE_SUFFIX = re.compile(r"(?:总体方案|实施方案|发展规划|工作要点|行动计划|方案|规划|要点|决定|意见|纲要|计划)$")
_CORE_CUT = re.compile(r"地区|同城化|一体化|融合|发展|全面|建设")
_ISSUER_DECISION = re.compile(r"^(?:中共)?(?P<org>.{2,12}?)关于.*(?P<kind>决定|意见)$")
MIN_FUZZY_NAME = 4  # names at least this long may match with one character wrong


def normalise(text: str) -> str:
    """NFKC (full-width brackets and digits to ASCII) without white space: the form names are matched in."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


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

    def __init__(self, documents: list[Document], aliases: dict[str, list[str]]) -> None:
        self._names = [(name, d.doc_id) for d in documents for name in names_for(d, aliases)]
        self._names.sort(key=lambda pair: -len(pair[0]))  # longest first: "内江市委决定" before "内江市委"
        self._titles = {d.doc_id: d.title for d in documents}
        # With thousands of documents, trying every name on every question cost more than the rest of
        # an answer: names are looked up by their characters instead (`_candidates`).
        lengths = np.array([len(name) for name, _ in self._names], dtype=np.int32)
        self._needed = {
            True: lengths,  # an exact occurrence: every character of the name is in the text
            False: lengths - (lengths >= MIN_FUZZY_NAME),  # or all but one, for a fuzzy one
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
            for start in _occurrences(text, name):
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


def _occurrences(text: str, name: str) -> list[int]:
    """Start offsets of `name` in `text`, exact (not overlapping), or with one character wrong for
    long names."""
    exact, start = [], text.find(name)
    while start != -1:
        exact.append(start)
        start = text.find(name, start + len(name))
    if exact or len(name) < MIN_FUZZY_NAME:
        return exact
    if sum(char in text for char in name) < len(name) - 1:
        return []  # a window with one character wrong holds all the others
    return [
        start
        for start in range(len(text) - len(name) + 1)
        if sum(a != b for a, b in zip(text[start : start + len(name)], name)) == 1
    ]


# -- clause references ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ClauseQuery:
    """A clause the question points at; None parts are unconstrained."""

    chapter: int | None = None
    section: int | None = None
    item: int | None = None
    unit: int | None = None  # "第26条"/"第3项": the 26th numbered unit, section or item alike

    def matches(self, path: "ClausePath") -> bool:
        if self.chapter is not None and path.chapter != self.chapter:
            return False
        if self.section is not None and path.section != self.section:
            return False
        if self.item is not None and path.item != self.item:
            return False
        if self.unit is not None and path.leaf != self.unit:
            return False
        if self.section is None and self.item is None and self.unit is None:
            return path.section is None and path.item is None  # a chapter: its own text
        return True


@dataclass(frozen=True)
class ClausePath:
    chapter: int | None
    section: int | None
    item: int | None

    @property
    def leaf(self) -> int | None:
        return self.item if self.item is not None else self.section


_PATH = re.compile(
    rf"^(?:第(?P<zhang>{_NUM})章)?(?:(?P<chapter>[{_CN}]+)、)?(?:（(?P<section>[{_CN}]+)）)?(?:第(?P<tiao>{_NUM})条)?(?:(?P<item>\d+)\.)?"
)


def clause_path(clause_ref: str) -> ClausePath:
    """三、（七） → chapter 3, section 7; 七、26. → chapter 7, item 26; 第十二条 → unit 12."""
    match = _PATH.match(clause_ref)
    if not match or not match.group(0):
        return ClausePath(None, None, None)
    chapter = match["zhang"] or match["chapter"]
    section = match["section"] or match["tiao"]
    return ClausePath(
        chinese_number(chapter) if chapter else None,
        chinese_number(section) if section else None,
        int(match["item"]) if match["item"] else None,
    )


# Patterns on the NFKC form of the question (full-width brackets become ASCII).
_Q_CHAPTER_SECTION = re.compile(rf"(?P<c>[{_CN}]+)、\s*\((?P<s>[{_CN}]+)\)(?:\s*(?P<i>\d+)[.、])?")
_Q_CHAPTER_ITEM = re.compile(rf"(?P<c>[{_CN}]+)、\s*(?P<i>\d+)[.、]")
_Q_PART_SECTION = re.compile(rf"第(?P<c>{_NUM})(?:部分|章|篇|大项)\s*的?\s*第?\s*\(?(?P<s>[{_CN}]+|\d+)\)?\s*(?:节|条|项|部分|小节|点)?")
_Q_BRACKET_UNIT = re.compile(rf"第?\s*\((?P<s>[{_CN}]+)\)\s*(?:条|项|节|款|部分|点)?")
_Q_NUMBER_UNIT = re.compile(rf"第\s*(?P<n>{_NUM})\s*(?P<kind>条|项|点|款)")
_Q_CHAPTER = re.compile(rf"第(?P<c>{_NUM})(?:部分|章|篇)|^(?P<c2>[{_CN}]+)、")


def parse_clause_query(question: str) -> ClauseQuery | None:
    """The clause a question points at, or None when it names no clause."""
    text = normalise(question)
    if match := _Q_CHAPTER_SECTION.search(text):
        item = int(match["i"]) if match["i"] else None
        return ClauseQuery(chinese_number(match["c"]), chinese_number(match["s"]), item)
    if match := _Q_CHAPTER_ITEM.search(text):
        return ClauseQuery(chapter=chinese_number(match["c"]), item=int(match["i"]))
    if match := _Q_PART_SECTION.search(text):
        return ClauseQuery(chapter=chinese_number(match["c"]), unit=chinese_number(match["s"]))
    if match := _Q_BRACKET_UNIT.search(text):
        return ClauseQuery(section=chinese_number(match["s"]))
    if match := _Q_NUMBER_UNIT.search(text):
        return ClauseQuery(unit=chinese_number(match["n"]))
    if match := _Q_CHAPTER.search(text):
        return ClauseQuery(chapter=chinese_number(match["c"] or match["c2"]))
    return None


def find_clause(query: ClauseQuery, articles: list[Article]) -> list[Article]:
    """The articles (all parts) at the clause, in document order."""
    return [a for a in articles if a.kind == "article" and query.matches(clause_path(a.clause_ref))]
