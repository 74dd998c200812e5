"""Structure parser: cleaned lines → the plan's regions and its numbered articles.

A scraped page is read as regions, in order:
  chrome        site navigation and metadata tables (dropped; metadata is read from them first)
  notice        the issuing notice (印发通知): title, 文号, addressees, text, signature, date
  title         the plan's own title line
  preamble      text before the first chapter (前言)
  body          chapters → sections → items / articles, up to the last heading and its text
  chrome        footer, share buttons, chat widgets (dropped)

Each article is the smallest numbered unit with the unnumbered paragraphs below it; a heading whose
children follow at once (a bare chapter line) is not an article, but text between a heading and its
first child is (the chapter's preamble).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.clean import Line, LineKind
from ingest.headings import RANK, Heading, match_heading
from ingest.metadata import is_doc_number_line

# A plan title: a line ending in a document-type word, optionally followed by a note in brackets
# ("…的决定——(2020年7月30日中国共产党内江市第七届委员会第十一次全体会议通过)").
_TITLE = re.compile(
    r"^(?P<title>[^。]{2,120}?(?:方案|规划|决定|要点|意见|办法|通知|纲要|计划|条例|规定|细则|报告|决议|指南|公告|通告|清单))"
    r"(?P<note>\s*(?:——|—)?\s*[（(][^。]*[)）])?$"
)
# The addressee line of a notice: "四川省自贡市、…有关单位:" / "各县(区)党委、人民政府,…:".
_ADDRESSEE = re.compile(r"(?:政府|党委|部门|单位|管委会|委员会|各[^:：]{0,10}|有关方面)[^。]{0,8}[:：]$")
MAX_HEADER_LINE = 100  # notice header lines (title, 文号, issuer) are short
PARAGRAPH_MIN_CHARS = 50  # a preamble line either ends a sentence or is at least this long

NOTICE_REF = "印发通知"  # clause_ref of the issuing notice
TITLE_NOTE_REF = "题注"  # clause_ref of a title with its adoption note, when there is no notice
PREAMBLE_REF = "前言"  # clause_ref of the text before the first chapter
PARAGRAPH_REF = "第{n}段"  # clause_ref of paragraphs of a text with no numbering at all


@dataclass(frozen=True)
class Block:
    """A run of kept lines that forms one article before token splitting."""

    clause_ref: str
    kind: str  # notice | preamble | article
    chapter: str
    section: str
    lines: tuple[int, ...]  # indexes into Layout.lines


@dataclass
class Layout:
    """The regions of one page, as indexes into the cleaned lines."""

    lines: list[Line]
    head: list[int] = field(default_factory=list)  # every line before the body, chrome included
    notice: list[int] = field(default_factory=list)
    title_index: int | None = None
    title: str = ""
    title_note: str = ""
    preamble: list[int] = field(default_factory=list)
    body: list[int] = field(default_factory=list)

    def texts(self, indexes: list[int]) -> list[str]:
        return [self.lines[i].text for i in indexes]

    @property
    def kept(self) -> list[int]:
        """The lines of the cleaned document, in order."""
        title = [self.title_index] if self.title_index is not None else []
        return sorted(set(self.notice + title + self.preamble + self.body))


def _is_text(line: Line) -> bool:
    return line.kind is LineKind.TEXT


def _title_match(line: Line) -> re.Match[str] | None:
    if not _is_text(line) or match_heading(line.text):
        return None
    return _TITLE.match(line.text)


def _first_heading(lines: list[Line]) -> int | None:
    """Index of the first chapter heading (`一、`/`第一章`), else of the first numbered unit."""
    for kinds in (("zhang", "chapter"), ("jie", "section", "tiao", "item")):
        for index, line in enumerate(lines):
            if not _is_text(line):
                continue
            heading = match_heading(line.text)
            if heading and heading.kind in kinds and heading.number == 1 and not heading.glued:
                return index
    return None


def _body_end(lines: list[Line], start: int) -> int:
    """End of the body: the first chrome line after the last heading (footer, widgets)."""
    last_heading = start
    for index in range(start, len(lines)):
        if _is_text(lines[index]) and match_heading(lines[index].text):
            last_heading = index
    for index in range(last_heading, len(lines)):
        if lines[index].kind is LineKind.CHROME:
            return index
    return len(lines)


def _is_header_line(line: Line) -> bool:
    """A short line of a notice header: title, issuer, 文号 (not a sentence, not chrome)."""
    return _is_text(line) and "。" not in line.text and len(line.text) <= MAX_HEADER_LINE


def _find_notice(lines: list[Line], before: int) -> list[int]:
    """The issuing notice among lines[:before]: from its header down to its date, chrome skipped.

    Anchored on the addressee line (or a 文号 line); its header is the run of short lines above the
    anchor up to the nearest chrome line.
    """
    anchor = None
    for index in range(before - 1, -1, -1):
        line = lines[index]
        if _is_text(line) and (_ADDRESSEE.search(line.text) or is_doc_number_line(line.text)):
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
    return [i for i in range(start, before) if _is_text(lines[i])]


def find_layout(lines: list[Line]) -> Layout:
    """Split a page's cleaned lines into notice, title, preamble and body."""
    layout = Layout(lines)
    first = _first_heading(lines)
    if first is None:
        return _layout_without_headings(layout)
    end = _body_end(lines, first)
    layout.body = [i for i in range(first, end) if _is_text(lines[i])]
    layout.head = list(range(first))

    # Walk up from the first heading: preamble paragraphs, then the title line.
    preamble: list[int] = []
    notice_end = first
    for index in range(first - 1, -1, -1):
        line = lines[index]
        if not _is_text(line):
            continue
        if match := _title_match(line):
            layout.title_index, notice_end = index, index
            layout.title = match["title"].strip()
            layout.title_note = (match["note"] or "").strip()
            break
        if line.text.endswith("。") or len(line.text) >= PARAGRAPH_MIN_CHARS:
            preamble.insert(0, index)
            notice_end = index
            continue
        break
    layout.preamble = preamble
    layout.notice = _find_notice(lines, notice_end)
    return layout


def _layout_without_headings(layout: Layout) -> Layout:
    """A text with no numbering: a title line if it opens with one, then paragraphs."""
    text_lines = [i for i, line in enumerate(layout.lines) if _is_text(line)]
    if text_lines and (match := _title_match(layout.lines[text_lines[0]])):
        layout.title_index = text_lines[0]
        layout.title = match["title"].strip()
        layout.title_note = (match["note"] or "").strip()
        text_lines = text_lines[1:]
    layout.body = text_lines
    return layout


def find_blocks(layout: Layout) -> list[Block]:
    """The articles of a page, in document order, before long ones are split."""
    blocks: list[Block] = []
    if layout.notice:
        blocks.append(Block(NOTICE_REF, "notice", "", "", tuple(layout.notice)))
    elif layout.title_note and layout.title_index is not None:
        blocks.append(Block(TITLE_NOTE_REF, "notice", "", "", (layout.title_index,)))
    if layout.preamble:
        blocks.append(Block(PREAMBLE_REF, "preamble", "", "", tuple(layout.preamble)))
    if not layout.body:
        return blocks
    if _first_heading([layout.lines[i] for i in layout.body]) is None:
        blocks += [
            Block(PARAGRAPH_REF.format(n=n), "article", "", "", (index,))
            for n, index in enumerate(layout.body, start=1)
        ]
        return blocks
    return blocks + _numbered_blocks(layout)


def _accepts(heading: Heading, last_number: dict[str, int]) -> bool:
    """Numbering order: a kind restarts at 1 or continues from its last number."""
    previous = last_number.get(heading.kind, 0)
    if heading.glued:
        return previous > 0 and heading.number == previous + 1
    return heading.number == 1 or heading.number == previous + 1


def _numbered_blocks(layout: Layout) -> list[Block]:
    """Walk the body keeping the open heading path; each heading starts a new run of lines."""
    path: list[Heading] = []
    last_number: dict[str, int] = {}
    runs: list[tuple[tuple[Heading, ...], list[int]]] = []
    for index in layout.body:
        text = layout.lines[index].text
        heading = match_heading(text)
        if heading and _accepts(heading, last_number) and _fits(heading, path):
            path = _open(heading, path)
            last_number[heading.kind] = heading.number
            runs.append((tuple(path), [index]))
        elif runs:
            runs[-1][1].append(index)
    blocks: list[Block] = []
    carried: list[int] = []  # bare heading lines waiting for their first child
    for position, (run_path, indexes) in enumerate(runs):
        following = runs[position + 1][0] if position + 1 < len(runs) else ()
        has_children = len(following) > len(run_path) and following[: len(run_path)] == run_path
        own = run_path[-1]
        if has_children and len(indexes) == 1 and _is_bare_heading(layout.lines[indexes[0]].text, own):
            # A heading line alone with its children next is not an article; its line opens the
            # first child's text, so every line of the document belongs to some article.
            carried += indexes
            continue
        blocks.append(
            Block(
                clause_ref=_clause_ref(run_path),
                kind="article",
                chapter=run_path[0].line_heading if run_path[0].kind in ("zhang", "chapter") else "",
                section=own.line_heading,
                lines=tuple(carried + indexes),
            )
        )
        carried = []
    return blocks


def _fits(heading: Heading, path: list[Heading]) -> bool:
    """Inside a 第X条, deeper numbering is its 款/项, not a new article."""
    inside_article = any(h.kind == "tiao" for h in path)
    return not (inside_article and RANK[heading.kind] > RANK["tiao"])


def _open(heading: Heading, path: list[Heading]) -> list[Heading]:
    """The path after `heading`: a sibling replaces its kind's entry, a new kind nests by rank."""
    kinds = [h.kind for h in path]
    if heading.kind in kinds:
        return path[: kinds.index(heading.kind)] + [heading]
    kept = [h for h in path if RANK[h.kind] < RANK[heading.kind]]
    return kept + [heading]


def _is_bare_heading(text: str, heading: Heading) -> bool:
    """The line holds nothing but the marker and the heading words (and a full stop)."""
    rest = text[text.find(heading.title) + len(heading.title) :] if heading.title else text
    return rest.strip(" 。.:：") == ""


def _clause_ref(path: tuple[Heading, ...]) -> str:
    """三、（七） / 三、12. / 第三章第一节; a 第X条 is cited on its own (第十二条)."""
    for heading in path:
        if heading.kind == "tiao":
            return heading.label
    return "".join(h.label for h in path)

