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
    paragraph: int | None = None  # "第十五条第二款": the 2nd paragraph (款) inside the article
    point: int | None = None  # "第九十六条第（三）项": the item （三） inside the article
    article: bool = False  # written "第X条": a regulation's article, preferred over a plan's （X）

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
_Q_PART_SECTION = re.compile(
    rf"第(?P<c>{_NUM})(?:部分|章|篇|大项)\s*的?\s*第?\s*\(?(?P<s>[{_CN}]+|\d+)\)?\s*(?:节|条|项|部分|小节|点)?"
)
_Q_BRACKET_UNIT = re.compile(rf"第?\s*\((?P<s>[{_CN}]+)\)\s*(?:条|项|节|款|部分|点)?")
# "第十五条第二款第（三）项", "第九十六条（三）", "第十条第3项": an article, its 款 and its 项.
_Q_ARTICLE = re.compile(
    rf"第\s*(?P<n>{_NUM})\s*条(?:\s*第\s*(?P<k>{_NUM})\s*款)?"
    rf"(?:\s*第?\s*\(\s*(?P<x>[{_CN}]+)\s*\)\s*项?|\s*第\s*(?P<xn>{_NUM})\s*项)?"
)
# A number no clause can have: "第一百万条", "第-1条", "第0条" (refused, never searched).
_Q_BAD_ARTICLE = re.compile(rf"第\s*(?P<raw>[-−－负.\d{_CN}万亿]+)\s*[条款项]")
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
    if match := _Q_ARTICLE.search(text):
        point = match["x"] or match["xn"]
        return ClauseQuery(
            unit=chinese_number(match["n"]),
            paragraph=chinese_number(match["k"]) if match["k"] else None,
            point=chinese_number(point) if point else None,
            article=True,
        )
    if match := _Q_BRACKET_UNIT.search(text):
        return ClauseQuery(section=chinese_number(match["s"]))
    if match := _Q_NUMBER_UNIT.search(text):
        return ClauseQuery(unit=chinese_number(match["n"]))
    if (match := _Q_BAD_ARTICLE.search(text)) and not re.fullmatch(_NUM, match["raw"]) or _zero(match):
        return ClauseQuery(unit=0, article=True)
    if match := _Q_CHAPTER.search(text):
        return ClauseQuery(chapter=chinese_number(match["c"] or match["c2"]))
    return None


def without_clause_references(text: str) -> str:
    """The question's words besides the clauses it points at ("第二十条关于…" → "关于…"): what tells
    which document's clause is meant."""
    text = normalise(text)
    for pattern in (
        _Q_ARTICLE,
        _Q_CHAPTER_SECTION,
        _Q_CHAPTER_ITEM,
        _Q_PART_SECTION,
        _Q_BRACKET_UNIT,
        _Q_NUMBER_UNIT,
        _Q_BAD_ARTICLE,
    ):
        text = pattern.sub(" ", text)
    return text


def _zero(match: re.Match[str] | None) -> bool:
    """ "第0条", "第零条": a number, but no clause has it."""
    return match is not None and re.fullmatch(_NUM, match["raw"]) is not None and chinese_number(match["raw"]) == 0


def find_clause(query: ClauseQuery, articles: list[Article]) -> list[Article]:
    """The articles (all parts) at the clause, in document order."""
    return [a for a in articles if a.role == ArticleRole.ARTICLE and query.matches(clause_path(a.clause_ref))]
