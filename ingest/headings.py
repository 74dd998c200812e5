"""The numbering grammar of Chinese plans: which line starts a chapter, section, item or article.

Markers seen in plans and laws, outermost first:
  附件1 / 附件          an annex after the main text; its numbering starts again
  第一编 / 第二篇       parts of a code (法典) or of a five-year plan (规划纲要)
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
from functools import lru_cache

from ingest.text import CN_NUMERAL_CHARS, chinese_number

_CN = CN_NUMERAL_CHARS

# Outermost first; a kind's rank decides where a heading of a kind not yet open is placed.
RANK = {
    "annex": -1,
    "bian": 0,
    "zhang": 1,
    "jie": 2,
    "chapter": 3,
    "section": 4,
    "tiao": 4,
    "item": 5,
    "subitem": 6,
}
# Kinds that group articles: their headings make up an article's `chapter` field.
GROUP_KINDS = ("annex", "bian", "zhang", "jie")
# Kinds that are articles of a law-like text (法律, 条例 …); deeper numbering is their 款/项/目.
LAW_KINDS = ("annex", "bian", "zhang", "jie", "tiao")
ITEM_KINDS = ("section", "item", "subitem")  # numberings that sit inside a unit: （一） 1. （1）

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "附件2" / "附件：" alone on its line, or with the annex's title ("附件1 重庆市停车收费办法");
    # a list under a notice ("附件：1.…") is not one: a title never opens with a number.
    # (Bounded spaces: three `\s*` around optional parts would take cubic time on a long run of spaces.)
    (
        "annex",
        re.compile(
            rf"^附\s?件\s{{0,4}}([{_CN}\d]{{0,3}})\s{{0,4}}[:：]?\s{{0,4}}((?![\d.．、]|[{_CN}]、)[^。；;]{{0,60}})$"
        ),
    ),
    # "第一编 总则" (民法典), "第二篇 构建现代产业体系" (规划纲要).
    ("bian", re.compile(rf"^第([{_CN}\d]{{1,4}})[编篇]\s*(.*)$")),
    ("zhang", re.compile(rf"^第([{_CN}\d]{{1,4}})章\s*(.*)$")),
    ("jie", re.compile(rf"^第([{_CN}\d]{{1,4}})节\s*(.*)$")),
    # "第二条 …", "第二条…", or "第二条" alone on its line (a PDF puts the marker above its text).
    ("tiao", re.compile(rf"^第([{_CN}\d]{{1,5}})条(?:\s+|$|(?=[\u4e00-\u9fff（(“]))(.*)$")),
    ("chapter", re.compile(rf"^([{_CN}]{{1,4}})、\s*(.*)$")),
    ("section", re.compile(rf"^[（(]\s*([{_CN}]{{1,4}})\s*[）)]\s*(.*)$")),
    ("item", re.compile(r"^(\d{1,3})\s*[.．、](?!\d)\s*(.*)$")),
    ("subitem", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*(.*)$")),
)
_ARTICLE_LINE = dict(_PATTERNS)["tiao"]
# "26共同打造…": an item number glued to its text, not followed by a unit or date word.
_GLUED_ITEM = re.compile(r"^(\d{1,3})(?![\d年月日号个项家条万亿元千百%％.．、:：])(?=[\u4e00-\u9fff])(.*)$")
# Spaces between two Chinese characters of a chapter's words, set there for layout ("第一章　总　　则").
_INNER_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_TITLE_END = re.compile(r"[。；;！!？?]")
_CLAUSE_END = "；;"  # a line's words up to one of these end a clause, never a heading
# A first sentence that states a duty or names its actor ("本市推广“随申码”…", "乡、镇人民政府…应当…"):
# a 决定's provision, not a heading (a 方案's headings name an aim: "（七）培育…产业集群").
_STATEMENT = re.compile(r"应当|不得|必须|可以|禁止|^本(?:市|省|区|县|自治区)")
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
        if self.kind == "tiao":
            return self.label  # "第十二条": the article's first sentence is its text, not its heading
        sep = " " if self.kind in ("bian", "zhang", "jie", "annex") and self.title else ""
        return f"{self.label}{sep}{self.title}"


def _label(kind: str, raw_number: str, number: int) -> str:
    return {
        "annex": f"附件{raw_number}",
        "zhang": f"第{raw_number}章",
        "jie": f"第{raw_number}节",
        "tiao": f"第{raw_number}条",
        "chapter": f"{raw_number}、",
        "section": f"（{raw_number}）",
        "item": f"{number}.",
        "subitem": f"（{number}）",
    }[kind]


def heading_title(rest: str) -> str:
    """The heading words of a line: up to the first sentence end, or the whole short line. Words cut
    off by a semicolon are a clause of a provision ("七、本市推行…电子证照；申请人…"), not a heading."""
    match = _TITLE_END.search(rest)
    if match and match.group() in _CLAUSE_END:
        return ""
    title = rest[: match.start()] if match else rest
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS] + "…"
    return title.strip()


def article_marker_length(line: str) -> int:
    """Length of the "第十二条 " opening a regulation's article line, else 0: what follows it is the
    article's text (its first sentence is a statement, not a heading), and a quote starts after it."""
    match = _ARTICLE_LINE.match(line)
    return match.start(2) if match else 0


@lru_cache(maxsize=1 << 17)  # the parser asks again of each line a dozen times; a hostile file has 10^5 lines
def match_heading(line: str) -> Heading | None:
    """The heading a line starts with, by grammar alone (the parser checks the numbering order)."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(line)
        if match:
            raw, rest = match.group(1), match.group(2)
            if kind in ("bian", "zhang", "jie"):
                rest = _INNER_SPACE.sub("", rest)  # "总　　则" spaced out for layout → "总则"
            if kind == "bian":
                return Heading(kind, chinese_number(raw), match.group(0)[: match.start(2)].strip(), heading_title(rest))
            if kind == "annex":  # an unnumbered annex is the first and only one
                return Heading(kind, chinese_number(raw) if raw else 1, f"附件{raw}", rest.strip())
            number = chinese_number(raw)
            if number == 0:
                return None
            title = heading_title(rest)
            if kind != "tiao" and _STATEMENT.search(title):
                title = ""
            return Heading(kind, number, _label(kind, raw, number), title)
    match = _GLUED_ITEM.match(line)
    if match:
        number = int(match.group(1))
        return Heading("item", number, f"{number}.", heading_title(match.group(2)), glued=True)
    return None
