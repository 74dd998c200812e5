"""Clause references: the clause a question points at ("第（十二）条", "第26条", "四、（三）",
"第十部分第（二）节", "第3项"), the path of each article's `clause_ref`, and the articles at a clause.
Such questions are looked up in the clause paths, not searched.

Numerals are ingest.text's: the class holds 千, so "第一千条" is a reference too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.records import Article, ArticleRole
from ingest.text import CN_NUMERAL_CHARS, NUMERAL, chinese_number, normalise

_CN = CN_NUMERAL_CHARS  # short names: the patterns below are long enough
_NUM = NUMERAL


@dataclass(frozen=True)
class ClauseQuery:
    """A clause the question points at; None parts are unconstrained."""

    chapter: int | None = None
    section: int | None = None
    item: int | None = None
    unit: int | None = None  # "第26条"/"第3项": the 26th numbered unit, section or item alike

    def matches(self, path: ClausePath) -> bool:
        """Whether an article at `path` is (part of) this clause; a bare chapter matches only its own text."""
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
    """Where an article sits: chapter 三、, section （七） or 第七条, item 26.; None where absent."""

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
    return [a for a in articles if a.role == ArticleRole.ARTICLE and query.matches(clause_path(a.clause_ref))]
