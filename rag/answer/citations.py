"""Numbering the sources of an answer: one `Citation` per article, `[n]` in order of first use."""

from __future__ import annotations

from dataclasses import replace

from ingest.records import Article
from rag.records import Citation


class Composer:
    """Collects citations while an answer is written; `cite` returns the `[n]` marker to write.

    `max_quote_chars`: a quote grows to cover later spans of the same article up to this length
    (`AnswerSettings.max_quote_chars`).
    """

    def __init__(self, max_quote_chars: int) -> None:
        self.max_quote_chars = max_quote_chars
        self.citations: list[Citation] = []
        self.quoted: set[tuple[str, int, int]] = set()  # (doc_id, article order, start) of every span cited
        self._index: dict[tuple[str, int], int] = {}

    def cite(self, article: Article, text: str, start: int, end: int, related_only: bool = False) -> str:
        """Cite `text[start:end]` of the whole article `text`; returns "[n]". An article cited again
        keeps its number, and its quote widens to the new span while it stays within the limit."""
        key = (article.doc_id, article.order)
        self.quoted.add((*key, start))
        position = self._index.get(key)
        if position is None:
            self._index[key] = len(self.citations)
            self.citations.append(
                Citation(len(self.citations) + 1, article, text, text[start:end], start, related_only)
            )
            return f"[{len(self.citations)}]"
        citation = self.citations[position]
        low = min(citation.quote_start, start)
        high = max(citation.quote_start + len(citation.quote), end)
        if high - low <= self.max_quote_chars:
            self.citations[position] = replace(citation, quote=text[low:high], quote_start=low)
        return f"[{citation.n}]"
