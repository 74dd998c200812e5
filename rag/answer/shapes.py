"""The parts of an article a list answer quotes whole: its numbered items (else its bulleted and
lead-sentence paragraphs) and the sentences that introduce them — all as spans of the article text,
so every piece stays verbatim.

A 条例 article keeps its 项 inside it ("第三十三条 禁止在下列区域停放非机动车：\\n（一）机动车车道；\\n
（二）盲道；…"); a plan's section keeps its "1." items or its bulleted ("——") and lead-sentence
paragraphs ("沿长江发展轴。依托…"). A list question wants all of them, with their count.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from ingest.headings import match_heading
from rag.answer.evidence import Passage

Span = tuple[int, int]
SHAPES_FILE = Path(__file__).with_name("shapes.toml")


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """Words naming the kind of thing a list holds (措施, 项目), not its topic (shapes.toml)."""
    with open(SHAPES_FILE, "rb") as handle:
        return frozenset(tomllib.load(handle)["generic"])


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of every line of `text`."""
    out, position = [], 0
    for line in text.split("\n"):
        out.append((position, line))
        position += len(line) + 1
    return out


def _lead(line: str) -> str:
    """The line's first sentence ("沿长江发展轴。"), or the whole line when it has one sentence."""
    return line.split("。")[0] + "。" if "。" in line.rstrip("。") else line


# How deep each numbering sits inside an article: 第十条/一、 hold （一）, which holds 1., which holds (1).
_DEPTH = {"tiao": 0, "chapter": 0, "section": 1, "item": 2, "subitem": 3}


def numbered_items(passage: Passage, item_max_chars: int) -> list[Span]:
    """The article's own numbered items: lines numbered below its own heading (（一） under 第十条,
    1. under （七）), each quoted whole when short, else by its lead sentence. Headings printed
    above the article's own (一、总体要求 above （一）重大意义) are not its items."""
    lines = [(start, line) for start, line in _lines(passage.text) if line.strip()]
    ref = passage.article.clause_ref
    own_at = next(
        (
            i
            for i, (_, line) in enumerate(lines)
            if (h := match_heading(line)) is not None and h.label and ref.endswith(h.label)
        ),
        None,
    )
    if own_at is None:
        return []
    own = match_heading(lines[own_at][1])
    own_depth = _DEPTH.get(own.kind, -1) if own is not None else -1
    spans: list[Span] = []
    item_kind: str | None = None
    for start, line in lines[own_at + 1 :]:
        heading = match_heading(line)
        if heading is None or _DEPTH.get(heading.kind, -1) <= own_depth:
            continue
        item_kind = item_kind or heading.kind
        if heading.kind != item_kind:
            continue  # a deeper 目 inside an item
        text = line.rstrip()
        if len(text) > item_max_chars:
            text = _lead(text)
        spans.append((start, start + len(text)))
    return spans


def paragraph_leads(passage: Passage, lead_max_chars: int) -> list[Span]:
    """Bulleted paragraphs ("——…") and paragraphs opened by a short lead sentence ("沿长江发展轴。…")."""
    spans = []
    for start, line in _lines(passage.text):
        if not line.strip() or match_heading(line):
            continue  # the article's heading line (and a chapter heading above it)
        lead = line.split("。")[0] + "。" if "。" in line else line
        if line.startswith(("——", "—")) or (len(lead) <= lead_max_chars and len(line) > len(lead)):
            spans.append((start, start + len(lead)))
    return spans


def items(passage: Passage, lead_max_chars: int, item_max_chars: int) -> list[Span]:
    """The article's items: its numbered items, else its bulleted and lead-sentence paragraphs."""
    return numbered_items(passage, item_max_chars) or paragraph_leads(passage, lead_max_chars)


def introductions(passage: Passage, spans: list[Span]) -> list[Span]:
    """The sentences that introduce each run of items ("下列区域禁止停放非机动车："): the last sentence
    of the line before a run, when it ends with a colon, without the article's number."""
    text = passage.text
    found: list[Span] = []
    item_starts = {start for start, _ in spans}
    for start, _ in spans:
        before = text[:start].rstrip("\n")
        line_start = before.rfind("\n") + 1
        if line_start in item_starts or not before.endswith(("：", ":")):
            continue
        line = before[line_start:]
        cut = max(line.rfind("。", 0, len(line) - 1), line.rfind("；", 0, len(line) - 1))
        begin = line_start + cut + 1
        heading = match_heading(line)
        if cut < 0 and heading is not None and heading.title and line.endswith(heading.title):
            begin = line_start + len(line) - len(heading.title)  # "第三十三条　下列…：" → "下列…："
        found.append((begin, len(before)))
    return found
