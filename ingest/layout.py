"""Regions of a cleaned document: page header, notice, title, title notes, contents, preamble, body.

A scraped page or a file is read as regions, in order:
  head          site navigation and metadata tables (dropped; metadata is read from them first)
  notice        the issuing notice (印发通知) or the promulgation order (国务院令): header, text, signature
  title         the document's own title line
  notes         lines under the title: "（2021年9月28日…会议通过）", amendment notes
  contents      a table of contents ("目录" and its heading lines), in laws
  preamble      text before the first chapter (前言)
  body          chapters → sections → items / articles, up to the last heading and its text
  tail          footer, share buttons, related links, chat widgets (dropped)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.clean import Line, LineKind
from ingest.headings import GROUP_KINDS, Heading, match_heading
from ingest.metadata import is_doc_number_line, is_order_number_line

# A title: a line ending in a document-type word, optionally followed by a note in brackets
# ("…的决定——(2020年7月30日中国共产党内江市第七届委员会第十一次全体会议通过)").
_TITLE = re.compile(
    r"^(?P<title>[^。]{2,120}?(?:方案|规划|决定|要点|意见|办法|通知|纲要|计划|条例|规定|细则|报告|决议|指南|公告|通告|清单|法))"
    r"(?P<note>\s*(?:——|—)?\s*[（(][^。]*[)）])?$"
)
# A note under a title, in brackets: "（2021年9月28日重庆市第五届人民代表大会常务委员会第二十八次会议通过）",
# or a dated line of the law's history: "2018年5月24日上海市…《关于修改本市部分地方性法规的决定》修正".
_NOTE = re.compile(r"^[（(].*[)）]$|^\d{4}\s*年[^。]*(?:通过|批准|修正|修订|公布|发布|施行)$")
# The addressee line of a notice: "四川省自贡市、…有关单位:" / "各县(区)党委、人民政府,…:".
_ADDRESSEE = re.compile(r"(?:政府|党委|部门|单位|管委会|委员会|各[^:：]{0,10}|有关方面)[^。]{0,8}[:：]$")
# The heading of a table of contents: "目录", "目 录" (spaces are gone after cleaning).
_CONTENTS = re.compile(r"^目\s*录$")
MAX_HEADER_LINE = 100  # notice header lines (title, 文号, issuer) are short
PARAGRAPH_MIN_CHARS = 50  # a preamble line either ends a sentence or is at least this long
MAX_TITLE_LINE = 80  # a first line longer than this is text, not a title
# Kinds whose number 1 starts the body, outermost first, in the order they are looked for.
_LAW_STARTS = ("bian", "zhang", "tiao")
_PLAN_STARTS = (("bian", "zhang", "chapter"), ("jie", "section", "tiao", "item"))


@dataclass
class Layout:
    """The regions of one document, as indexes into the cleaned lines."""

    lines: list[Line]
    head: list[int] = field(default_factory=list)  # every line before the body, chrome included
    notice: list[int] = field(default_factory=list)
    title_index: int | None = None
    title: str = ""
    title_note: str = ""  # a note on the title line itself
    notes: list[int] = field(default_factory=list)
    contents: list[int] = field(default_factory=list)
    preamble: list[int] = field(default_factory=list)
    body: list[int] = field(default_factory=list)

    def texts(self, indexes: list[int]) -> list[str]:
        return [self.lines[i].text for i in indexes]

    @property
    def kept(self) -> list[int]:
        """The lines of the cleaned document, in order."""
        title = [self.title_index] if self.title_index is not None else []
        return sorted(set(self.notice + title + self.notes + self.contents + self.preamble + self.body))


def is_text(line: Line) -> bool:
    return line.kind is LineKind.TEXT


def _heading(line: Line) -> Heading | None:
    return match_heading(line.text) if is_text(line) else None


def title_match(line: Line) -> re.Match[str] | None:
    if not is_text(line) or match_heading(line.text):
        return None
    return _TITLE.match(line.text)


def _first_of(lines: list[Line], kinds: tuple[str, ...]) -> int | None:
    for index, line in enumerate(lines):
        heading = _heading(line)
        if heading and heading.kind in kinds and heading.number == 1 and not heading.glued:
            return index
    return None


def is_law(lines: list[Line]) -> bool:
    """A law-like text: its first 第一条 comes before any plan chapter "一、" (which is then its 项)."""
    article = _first_of(lines, ("tiao",))
    chapter = _first_of(lines, ("chapter",))
    return article is not None and (chapter is None or article < chapter)


def first_heading(lines: list[Line]) -> int | None:
    """Index of the line that opens the body: 第一编/第一章/第一条 in a law; else `一、`/`第一章`, else
    the first numbered unit."""
    if is_law(lines):
        found = [i for i in (_first_of(lines, (kind,)) for kind in _LAW_STARTS) if i is not None]
        return min(found)
    for kinds in _PLAN_STARTS:
        if (index := _first_of(lines, kinds)) is not None:
            return index
    return None


def _contents(lines: list[Line], first: int) -> tuple[list[int], int]:
    """A table of contents at `first`: its lines and the real first heading (the first heading's line met
    again). Opened by "目录", or unlabelled when it holds nothing but 编/章/节 lines. None: ([], first)."""
    above = [i for i in range(first) if is_text(lines[i])]
    label = [above[-1]] if above and _CONTENTS.match(lines[above[-1]].text) else []
    for index in range(first + 1, len(lines)):
        if is_text(lines[index]) and lines[index].text == lines[first].text:
            entries = [i for i in range(first, index) if is_text(lines[i])]
            if label or all((h := _heading(lines[i])) and h.kind in GROUP_KINDS for i in entries):
                return label + entries, index
            break
    return [], first


def _body_end(lines: list[Line], start: int) -> int:
    """End of the body: a tail line (related links, print buttons) after `start`, else the first chrome
    line after the last heading (footer, widgets)."""
    last_heading = start
    for index in range(start, len(lines)):
        if lines[index].kind is LineKind.TAIL:
            return index
        if _heading(lines[index]):
            last_heading = index
    for index in range(last_heading, len(lines)):
        if lines[index].kind in (LineKind.CHROME, LineKind.TAIL):
            return index
    return len(lines)


def _is_header_line(line: Line) -> bool:
    """A short line of a notice header: title, issuer, 文号 (not a sentence, not chrome)."""
    return is_text(line) and "。" not in line.text and len(line.text) <= MAX_HEADER_LINE


def _find_notice(lines: list[Line], before: int) -> list[int]:
    """The issuing notice among lines[:before]: from its header down to its date, chrome skipped.

    Anchored on the addressee line (or a 文号 / 令号 line); its header is the run of short lines above
    the anchor up to the nearest chrome line.
    """
    anchor = None
    for index in range(before - 1, -1, -1):
        line = lines[index]
        if is_text(line) and (
            _ADDRESSEE.search(line.text) or is_doc_number_line(line.text) or is_order_number_line(line.text)
        ):
            anchor = index
            if _ADDRESSEE.search(line.text):
                break
    if anchor is None:
        return []
    start = anchor
    for index in range(anchor - 1, -1, -1):
        line = lines[index]
        if line.kind is LineKind.BLANK:
            continue
        if not _is_header_line(line):
            break
        start = index
    return [i for i in range(start, before) if is_text(lines[i])]


def _is_title_like(line: Line) -> bool:
    """A line that can be a document's title: short, no sentence, no numbering, no date line."""
    text = line.text
    return (
        is_text(line)
        and len(text) <= MAX_TITLE_LINE
        and not re.search(r"[。；;，,：:]", text)
        and match_heading(text) is None
        and not re.match(r"^\d{4}\s*年", text)
    )


def _set_title(layout: Layout, index: int, match: re.Match[str] | None) -> None:
    layout.title_index = index
    layout.title = match["title"].strip() if match else layout.lines[index].text
    layout.title_note = (match["note"] or "").strip() if match else ""


def find_layout(lines: list[Line]) -> Layout:
    """Split a document's cleaned lines into its regions."""
    layout = Layout(lines)
    first = first_heading(lines)
    if first is None:
        return _layout_without_headings(layout)
    layout.contents, first = _contents(lines, first)
    top = layout.contents[0] if layout.contents else first
    end = _body_end(lines, first)
    layout.body = [i for i in range(first, end) if is_text(lines[i])]
    layout.head = list(range(top))

    # Walk up from the first heading: preamble paragraphs, title notes, then the title line.
    notice_end = top
    for index in range(top - 1, -1, -1):
        line = lines[index]
        if not is_text(line):
            continue
        if match := title_match(line):
            _set_title(layout, index, match)
            notice_end = index
            break
        if line.level == 1 and _is_title_like(line):  # "# 重庆市停车管理条例"
            _set_title(layout, index, None)
            notice_end = index
            break
        if _NOTE.match(line.text) and not layout.preamble:
            layout.notes.insert(0, index)
        elif (line.text.endswith("。") or len(line.text) >= PARAGRAPH_MIN_CHARS) and not layout.notes:
            layout.preamble.insert(0, index)
        else:
            break
        notice_end = index
    layout.notice = _find_notice(lines, notice_end)
    if layout.title_index is None:
        _fallback_title(layout, notice_end)
    return layout


def _fallback_title(layout: Layout, before: int) -> None:
    """No title line above the body: a Markdown h1 in the head, else the first line of the text when it
    reads as a title. The text lines right above the body that no region holds become title notes."""
    lines = layout.lines
    head_text = [i for i in range(before) if is_text(lines[i])]
    chosen = next((i for i in head_text if lines[i].level == 1 and _is_title_like(lines[i])), None)
    # The first line, also when it heads a notice: "某某市人民政府关于加快…的意见" above its addressees.
    if chosen is None and head_text and _is_title_like(lines[head_text[0]]):
        chosen = head_text[0]
    if chosen is None:
        return
    _set_title(layout, chosen, None)
    # The notes: the run of text lines right above the body, up to the title, a notice line or chrome
    # (site text between an h1 and the document is left out with the chrome around it).
    notice = set(layout.notice)
    for index in range(before - 1, chosen, -1):
        line = lines[index]
        if line.kind is LineKind.BLANK:
            continue
        if not is_text(line) or index in notice:
            break
        layout.notes.insert(0, index)


def _layout_without_headings(layout: Layout) -> Layout:
    """A text with no numbering: a title line if it opens with one, then paragraphs."""
    text_lines = [i for i, line in enumerate(layout.lines) if is_text(line)]
    if text_lines and (
        (match := title_match(layout.lines[text_lines[0]])) or _is_title_like(layout.lines[text_lines[0]])
    ):
        _set_title(layout, text_lines[0], match)
        text_lines = text_lines[1:]
    layout.body = text_lines
    return layout
