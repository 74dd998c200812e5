"""The numbering grammar of Chinese plans: which line starts a chapter, section, item or article.

Markers seen in plans and laws, outermost first:
  第三章 / 第一节       chapters and their subdivisions (laws, five-year plans)
  三、                  chapter of a plan
  （七） (七)           section; with or without a space after it
  第十二条              article of a law-like text; everything deeper inside it is its 款/项
  12. 12、 12．         item; "26共同打造…" (number glued to the text) is accepted only as the
                        next item in sequence, because "2023年…" also starts with digits
  （1） (1)             sub-item
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.text import CN_NUMERAL_CHARS, chinese_number  # noqa: F401  (chinese_number: re-exported for readers of headings)

_CN = CN_NUMERAL_CHARS

# Outermost first; a kind's rank decides where a heading of a kind not yet open is placed.
RANK = {"zhang": 0, "jie": 1, "chapter": 2, "section": 3, "tiao": 3, "item": 4, "subitem": 5}

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("zhang", re.compile(rf"^第([{_CN}\d]{{1,4}})章\s*(.*)$")),
    ("jie", re.compile(rf"^第([{_CN}\d]{{1,4}})节\s*(.*)$")),
    ("tiao", re.compile(rf"^第([{_CN}\d]{{1,5}})条(?:\s+|(?=[\u4e00-\u9fff（(“]))(.*)$")),
    ("chapter", re.compile(rf"^([{_CN}]{{1,4}})、\s*(.*)$")),
    ("section", re.compile(rf"^[（(]\s*([{_CN}]{{1,4}})\s*[）)]\s*(.*)$")),
    ("item", re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*(.*)$")),
    ("subitem", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*(.*)$")),
)
# "26共同打造…": an item number glued to its text, not followed by a unit or date word.
_GLUED_ITEM = re.compile(r"^(\d{1,3})(?![\d年月日号个项家条万亿元千百%％.．、:：])(?=[\u4e00-\u9fff])(.*)$")
_TITLE_END = re.compile(r"[。；;！!？?]")
MAX_TITLE_CHARS = 60


@dataclass(frozen=True)
class Heading:
    """A numbering marker at the start of a line."""

    kind: str
    number: int
    label: str  # as clause_ref writes it: 三、 （七） 12. （1） 第三章 第一节 第十二条
    title: str  # the heading's words: 培育具有国际影响力的优势产业集群
    glued: bool = False  # the number was glued to the text (accept only in sequence)

    @property
    def line_heading(self) -> str:
        """The heading as the `section`/`chapter` fields show it."""
        sep = " " if self.kind in ("zhang", "jie") and self.title else ""
        return f"{self.label}{sep}{self.title}"


def _label(kind: str, raw_number: str, number: int) -> str:
    return {
        "zhang": f"第{raw_number}章",
        "jie": f"第{raw_number}节",
        "tiao": f"第{raw_number}条",
        "chapter": f"{raw_number}、",
        "section": f"（{raw_number}）",
        "item": f"{number}.",
        "subitem": f"（{number}）",
    }[kind]


def heading_title(rest: str) -> str:
    """The heading words of a line: up to the first sentence end, or the whole short line."""
    match = _TITLE_END.search(rest)
    title = rest[: match.start()] if match else rest
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS] + "…"
    return title.strip()


def match_heading(line: str) -> Heading | None:
    """The heading a line starts with, by grammar alone (the parser checks the numbering order)."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(line)
        if match:
            raw, rest = match.group(1), match.group(2)
            number = chinese_number(raw)
            if number == 0:
                return None
            return Heading(kind, number, _label(kind, raw, number), heading_title(rest))
    match = _GLUED_ITEM.match(line)
    if match:
        number = int(match.group(1))
        return Heading("item", number, f"{number}.", heading_title(match.group(2)), glued=True)
    return None
