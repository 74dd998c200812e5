"""Structure parser: a document's regions → its articles, in reading order.

Each article is the smallest numbered unit with the unnumbered paragraphs below it; a heading whose
children follow at once (a bare chapter line) is not an article, but text between a heading and its
first child is (the chapter's preamble). In a law-like text (第一条 before any "一、") only 编/章/节/条
and 附件 open articles: （一） items, 1. 目 and 一、 lines are the 款/项/目 of their article.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.headings import GROUP_KINDS, LAW_KINDS, RANK, Heading, match_heading
from ingest.layout import Layout, first_heading, is_law
from ingest.records import ArticleRole

NOTICE_REF = "印发通知"  # clause_ref of the issuing notice (or promulgation order)
TITLE_NOTE_REF = "题注"  # clause_ref of the notes under a title (adoption, amendments)
CONTENTS_REF = "目录"  # clause_ref of a table of contents
PREAMBLE_REF = "前言"  # clause_ref of the text before the first chapter
PARAGRAPH_REF = "第{n}段"  # clause_ref of paragraphs of a text with no numbering at all
MAX_ANNEX_TITLE = 60  # the line under "附件1" is the annex's title when it is this short and no sentence


@dataclass(frozen=True)
class Block:
    """A run of kept lines that forms one article before token splitting."""

    clause_ref: str
    role: str  # notice | preamble | contents | article
    chapter: str
    section: str
    lines: tuple[int, ...]  # indexes into Layout.lines


def find_blocks(layout: Layout) -> list[Block]:
    """The articles of a document, in document order, before long ones are split."""
    blocks: list[Block] = []
    if layout.notice:
        blocks.append(Block(NOTICE_REF, ArticleRole.NOTICE, "", "", tuple(layout.notice)))
    title_note = (layout.title_index,) if layout.title_note and layout.title_index is not None else ()
    if title_note and layout.title_index in layout.notice:
        title_note = ()
    if title_note or layout.notes:
        blocks.append(Block(TITLE_NOTE_REF, ArticleRole.NOTICE, "", "", title_note + tuple(layout.notes)))
    if layout.contents:
        blocks.append(Block(CONTENTS_REF, ArticleRole.CONTENTS, "", "", tuple(layout.contents)))
    if layout.preamble:
        blocks.append(Block(PREAMBLE_REF, ArticleRole.PREAMBLE, "", "", tuple(layout.preamble)))
    if not layout.body:
        return blocks
    if first_heading([layout.lines[i] for i in layout.body]) is None:
        blocks += [
            Block(PARAGRAPH_REF.format(n=n), ArticleRole.ARTICLE, "", "", (index,))
            for n, index in enumerate(layout.body, start=1)
        ]
        return blocks
    return blocks + _numbered_blocks(layout)


def _accepts(heading: Heading, last_number: dict[str, int], line: str) -> bool:
    """Numbering order: a kind restarts at 1 or continues from its last number. A bare 编/章/节 line
    may skip numbers ("## 第四章 法律责任" after 第二章, where a source lost its 第三章): such a line
    is a heading wherever it stands."""
    previous = last_number.get(heading.kind, 0)
    if heading.glued:
        return previous > 0 and heading.number == previous + 1
    if heading.kind in GROUP_KINDS and heading.number > previous and _is_bare_heading(line, heading):
        return True
    return heading.number == 1 or heading.number == previous + 1


def _parts(layout: Layout) -> list[tuple[list[int], bool]]:
    """The body cut at its annex headings, each part with whether it is law-like (its own numbering)."""
    parts: list[list[int]] = [[]]
    annexes = 0
    for index in layout.body:
        heading = match_heading(layout.lines[index].text)
        if heading and heading.kind == "annex" and parts[-1] and heading.number in (1, annexes + 1):
            annexes = heading.number
            parts.append([])
        parts[-1].append(index)
    return [(part, is_law([layout.lines[i] for i in part])) for part in parts if part]


def _annex_heading(layout: Layout, heading: Heading, part: list[int]) -> Heading:
    """ "附件1" with its title on the next line ("重庆市停车收费管理办法") takes that title."""
    if heading.title or len(part) < 2:
        return heading
    below = layout.lines[part[1]].text
    if len(below) <= MAX_ANNEX_TITLE and "。" not in below and match_heading(below) is None:
        return replace(heading, title=below)
    return heading


def _numbered_blocks(layout: Layout) -> list[Block]:
    """Walk the body keeping the open heading path; each heading starts a new run of lines."""
    runs: list[tuple[tuple[Heading, ...], list[int]]] = []
    for part, law in _parts(layout):
        path: list[Heading] = []
        last_number: dict[str, int] = {}
        for position, index in enumerate(part):
            text = layout.lines[index].text
            heading = match_heading(text)
            if heading and heading.kind == "annex" and position > 0:
                heading = None  # a second "附件" line inside one annex is its text
            if heading and heading.kind == "annex":
                heading = _annex_heading(layout, heading, part)
            if heading and law and heading.kind not in LAW_KINDS:
                heading = None  # （一） / 1. / 一、 inside a 第X条 article: its 项 and 目
            if heading and _accepts(heading, last_number, text) and _fits(heading, path):
                path = _open(heading, path)
                last_number[heading.kind] = heading.number
                runs.append((tuple(path), [index]))
            elif runs:
                runs[-1][1].append(index)
            else:  # text of an annex before its first heading
                runs.append(((), [index]))
    blocks: list[Block] = []
    carried: list[int] = []  # bare heading lines waiting for their first child
    for position, (run_path, indexes) in enumerate(runs):
        following = runs[position + 1][0] if position + 1 < len(runs) else ()
        has_children = bool(run_path) and len(following) > len(run_path) and following[: len(run_path)] == run_path
        own = run_path[-1] if run_path else None
        if own and has_children and _is_bare(layout, indexes, own):
            # A heading line alone with its children next is not an article; its line opens the
            # first child's text, so every line of the document belongs to some article.
            carried += indexes
            continue
        blocks.append(
            Block(
                clause_ref=_clause_ref(run_path),
                role=ArticleRole.ARTICLE,
                chapter=_chapter(run_path),
                section=own.line_heading if own else "",
                lines=tuple(carried + indexes),
            )
        )
        carried = []
    return blocks


def _is_bare(layout: Layout, indexes: list[int], heading: Heading) -> bool:
    """Nothing but the heading line (an annex: its line and its title line below)."""
    if heading.kind == "annex":
        return len(indexes) <= 2 and all(
            heading.title.endswith(layout.lines[i].text) or i == indexes[0] for i in indexes
        )
    return len(indexes) == 1 and _is_bare_heading(layout.lines[indexes[0]].text, heading)


def _chapter(path: tuple[Heading, ...]) -> str:
    """The groups an article sits in, outermost first, joined by a space: "第二章 停车设施规划与建设
    第一节 规划", "附件1 重庆市停车收费办法 第一章 总则"; in a plan, its "三、…" chapter, and the "（二）…"
    section an item of it sits in ("一、总体要求 （二）基本原则")."""
    groups = [h for h in path if h.kind in GROUP_KINDS]
    if not any(h.kind in ("zhang", "jie") for h in groups):
        groups += [h for h in path if h.kind == "chapter"][:1]
        if path and path[-1].kind in ("item", "subitem"):  # "1.问题导向" under "（二）基本原则": grouped by both
            groups += [h for h in path[:-1] if h.kind == "section"][:1]
    return " ".join(h.line_heading for h in groups)


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
    """三、（七） / 三、12. / 第三章第一节; a 第X条 is cited on its own (第十二条, in an annex 附件1第十二条)."""
    annex = "".join(h.label for h in path if h.kind == "annex")
    for heading in path:
        if heading.kind == "tiao":
            return annex + heading.label
    return "".join(h.label for h in path)
