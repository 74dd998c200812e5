"""One file → one cleaned `Document` and its `Article` chunks (no models, no store)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ingest.clean import CleaningRules, LineKind, clean_lines
from ingest.layout import Layout, find_layout
from ingest.loaders import Limits, check_file, read_unlimited, refuse, run_limited
from ingest.metadata import plan_in_notice_title, read_metadata
from ingest.records import Article, Document
from ingest.split import split_parts
from ingest.structure import Block, find_blocks
from ingest.text_metadata import document_kind
from ingest.tokens import count_tokens


def doc_id_for(path: Path) -> str:
    """A stable id from the file name: `川南渝西 方案.TXT` → `川南渝西-方案`."""
    return re.sub(r"[^\w\-]+", "-", path.stem).strip("-").lower() or "document"


def parse_file(
    path: Path, rules: CleaningRules, max_tokens: int, limits: Limits = Limits()
) -> tuple[Document, list[Article]]:
    """Read, clean and cut one file, in a child process within `limits` (time, memory, characters,
    articles). Raises `IngestError` for files that cannot be read, for files over a limit, and for
    files whose text is all boilerplate (nothing left to index)."""
    path = Path(path)
    check_file(path, limits)  # first, here: a 5 GB file is refused before it is read
    return run_limited(_parse_unlimited, path, limits, rules, max_tokens)


def _parse_unlimited(
    path: Path, limits: Limits, rules: CleaningRules, max_tokens: int
) -> tuple[Document, list[Article]]:  # pragma: no cover - runs in the child of `parse_file`
    raw = read_unlimited(path, limits)
    document, articles = parse_text(
        raw,
        doc_id=doc_id_for(path),
        doc_file=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        rules=rules,
        max_tokens=max_tokens,
        source_path=str(path),
        max_articles=limits.max_articles,
    )
    if not articles:
        raise refuse(path.name, "no_articles")
    return document, articles


def parse_text(
    raw: str,
    *,
    doc_id: str,
    doc_file: str,
    sha256: str,
    rules: CleaningRules,
    max_tokens: int,
    source_path: str = "",
    max_articles: int | None = None,
) -> tuple[Document, list[Article]]:
    """Clean raw page text, read its metadata and cut it into articles; a text of more than
    `max_articles` articles (parts of long ones counted) is refused before it costs more."""
    lines = clean_lines(raw, rules)
    layout = find_layout(lines)
    kept = layout.kept
    text, offsets = _join(layout, kept)
    head = layout.head or list(range(kept[0] if kept else len(lines)))
    notice = set(layout.notice)
    meta = read_metadata(
        head_lines=[lines[i].text for i in head if lines[i].kind is not LineKind.BLANK],
        notice_lines=layout.texts(layout.notice),
        title=_title_of(layout.title),
        title_note=layout.title_note,
        text_lines=[lines[i].text for i in kept if i not in notice and i != layout.title_index],
    )
    title = meta.title or Path(doc_file).stem  # the file name only when the text has no title
    document = Document(
        doc_id=doc_id,
        doc_file=doc_file,
        title=title,
        text=text,
        sha256=sha256,
        doc_number=meta.doc_number,
        issuer=meta.issuer,
        date_written=meta.date_written,
        date_published=meta.date_published,
        source_path=source_path,
        kind=meta.kind or document_kind(title),
        date_adopted=meta.date_adopted,
        date_approved=meta.date_approved,
        date_effective=meta.date_effective,
    )
    articles: list[Article] = []
    seen: dict[str, int] = {}
    blocks = find_blocks(layout)
    _check_articles(doc_file, len(blocks), max_articles)  # before the articles are cut and counted
    for order, block in enumerate(blocks):
        occurrence = seen.get(block.clause_ref, 0)
        seen[block.clause_ref] = occurrence + 1
        articles += _articles_of(document, block, layout, offsets, order, occurrence, max_tokens)
    _check_articles(doc_file, len(articles), max_articles)
    return document, articles


def _check_articles(doc_file: str, count: int, limit: int | None) -> None:
    """Refuse a text of more articles than the limit: each costs an embedding at every ingest and its
    place in memory at every start (10^5 one-line paragraphs made 10^5 articles)."""
    if limit is not None and count > limit:
        raise refuse(doc_file, "too_many_articles", count=count, limit=limit)


def _title_of(line: str) -> str:
    """A title line as the title: "XX关于印发《YY》的通知" (an h1 over a notice) names YY."""
    return plan_in_notice_title(line) if re.search(r"印发|转发", line) else line


def _join(layout: Layout, kept: list[int]) -> tuple[str, dict[int, int]]:
    """The cleaned document text (kept lines joined by newlines) and each line's start offset."""
    offsets: dict[int, int] = {}
    position = 0
    for index in kept:
        offsets[index] = position
        position += len(layout.lines[index].text) + 1
    return "\n".join(layout.lines[i].text for i in kept), offsets


def _articles_of(
    document: Document,
    block: Block,
    layout: Layout,
    offsets: dict[int, int],
    order: int,
    occurrence: int,
    max_tokens: int,
) -> list[Article]:
    first, last = block.lines[0], block.lines[-1]
    start = offsets[first]
    end = offsets[last] + len(layout.lines[last].text)
    spans = split_parts(document.text[start:end], max_tokens, count_tokens)
    articles = []
    for part, (part_start, part_end) in enumerate(spans, start=1):
        text = document.text[start + part_start : start + part_end]
        removed = tuple(
            spam
            for i in block.lines
            if offsets[i] < start + part_end and offsets[i] + len(layout.lines[i].text) > start + part_start
            for spam in layout.lines[i].removed
        )
        articles.append(
            Article.of_document(
                document,
                chunk_id=chunk_id(document.doc_id, block.clause_ref, occurrence, part),
                chapter=block.chapter,
                section=block.section,
                clause_ref=block.clause_ref,
                role=block.role,
                text=text,
                start=start + part_start,
                end=start + part_end,
                tokens=count_tokens(text),
                order=order,
                part=part,
                parts=len(spans),
                removed=removed,
            )
        )
    return articles


def chunk_id(doc_id: str, clause_ref: str, occurrence: int, part: int) -> str:
    """Stable across re-ingests of the same text: a hash of doc id, clause path and part."""
    key = f"{doc_id}\x1f{clause_ref}\x1f{occurrence}\x1f{part}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]
