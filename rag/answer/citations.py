"""Numbering the sources of an answer: one `Citation` per article, `[n]` in order of first use."""

from __future__ import annotations

from dataclasses import replace

from ingest.records import Article
from rag.records import Citation


def joined(spans: tuple[tuple[int, int], ...], start: int, end: int) -> tuple[tuple[int, int], ...]:
    """`spans` with (start, end) added, in text order; overlapping spans become one (touching ones stay
    two quotes: two sentences)."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted({*spans, (start, end)}):
        if merged and low < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


class Composer:
    """Collects citations while an answer is written; `cite` returns the `[n]` marker to write.

    Every span cited from an article is kept (`Citation.spans`), so each sentence the answer rests
    on is quoted and highlighted; `quote` is the first of them in the article.
    """

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self.quoted: set[tuple[str, int, int]] = set()  # (doc_id, article order, start) of every span cited
        self._index: dict[tuple[str, int], int] = {}

    def cite(self, article: Article, text: str, start: int, end: int, related_only: bool = False) -> str:
        """Cite `text[start:end]` of the whole article `text`; returns "[n]". An article cited again
        keeps its number and gains the new span."""
        key = (article.doc_id, article.order)
        self.quoted.add((*key, start))
        position = self._index.get(key)
        if position is None:
            self._index[key] = len(self.citations)
            n = len(self.citations) + 1
            self.citations.append(Citation(n, article, text, text[start:end], start, related_only, ((start, end),)))
            return f"[{n}]"
        citation = self.citations[position]
        spans = joined(citation.spans, start, end)
        first = spans[0]
        self.citations[position] = replace(citation, spans=spans, quote=text[first[0] : first[1]], quote_start=first[0])
        return f"[{citation.n}]"
