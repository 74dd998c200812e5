"""The read-only view of one store version that answers read: every chunk, the keyword index, the
documents. Readers import this module, never the writer (rag/store/library.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ingest.records import Article, Document
from rag.search.keyword import KeywordSearch


def index_text(article: Article) -> str:
    """What is embedded and keyword-indexed for a chunk: its chapter and title give it context."""
    chapter = f"{article.chapter}\n" if article.chapter and not article.text.startswith(article.chapter) else ""
    return f"{article.doc_title}\n{chapter}{article.text}"


@dataclass
class Catalogue:
    """Everything readers need in memory, consistent with one store version."""

    version: int
    articles: list[Article]
    documents: list[Document]
    keyword: KeywordSearch
    reference_vectors: np.ndarray  # a fixed sample of chunk vectors: what "typical" similarity is

    @cached_property
    def by_id(self) -> dict[str, Article]:
        return {a.chunk_id: a for a in self.articles}

    @cached_property
    def position(self) -> dict[str, int]:
        return {a.chunk_id: i for i, a in enumerate(self.articles)}

    @cached_property
    def documents_by_id(self) -> dict[str, Document]:
        return {d.doc_id: d for d in self.documents}

    def parts(self, article: Article) -> list[Article]:
        """All parts of the article `article` belongs to, in order."""
        return [a for a in self.of_document(article.doc_id) if a.order == article.order]

    def of_document(self, doc_id: str) -> list[Article]:
        """The document's chunks in reading order (none for an unknown id)."""
        return self._by_document.get(doc_id, [])

    @cached_property
    def _by_document(self) -> dict[str, list[Article]]:
        groups: dict[str, list[Article]] = {}
        for article in self.articles:
            groups.setdefault(article.doc_id, []).append(article)
        return groups

    def rows_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Positions in `articles` of the chunks of these documents (ascending)."""
        found = [self._rows[doc_id] for doc_id in dict.fromkeys(doc_ids) if doc_id in self._rows]
        return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    @cached_property
    def _rows(self) -> dict[str, np.ndarray]:
        rows: dict[str, list[int]] = {}
        for position, article in enumerate(self.articles):
            rows.setdefault(article.doc_id, []).append(position)
        return {doc_id: np.array(positions, dtype=np.int64) for doc_id, positions in rows.items()}
