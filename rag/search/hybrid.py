"""Hybrid retrieval: BM25 and dense scores of the catalogue's chunks, fused, optionally per document."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from rag.records import Hit
from rag.search.fusion import fuse
from rag.search.keyword import tokenize
from rag.settings import RetrievalSettings

if TYPE_CHECKING:  # the searcher only reads the library (its catalogue, store and embeddings)
    from rag.store.library import Library


class SearchMode(StrEnum):
    """Which retrievers rank the articles."""

    HYBRID = "hybrid"  # BM25 and embeddings, fused (rag/search/fusion.py)
    KEYWORD = "keyword"  # BM25 alone
    DENSE = "dense"  # embedding similarity alone


class HybridSearch:
    """Ranks articles for a question by BM25 and by embedding similarity, fused by scaled scores."""

    def __init__(self, index: Library, settings: RetrievalSettings) -> None:
        self.index = index
        self.settings = settings

    def keyword_ranking(self, question: str, doc_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) best first, positive scores only."""
        catalogue = self.index.catalogue()
        scores = catalogue.keyword.scores(tokenize(question, self.settings.tokenizer))
        if doc_ids:
            rows = catalogue.rows_of(doc_ids)
            kept = np.zeros_like(scores)
            kept[rows] = scores[rows]
            scores = kept
        top = top_positive(scores, self.settings.candidates)
        return [(catalogue.articles[i].chunk_id, float(scores[i])) for i in top]

    def dense_ranking(
        self, question: str, doc_ids: Sequence[str] | None = None
    ) -> tuple[list[tuple[str, float]], float]:
        """(chunk_id, cosine similarity) best first, and the question's similarity to typical articles."""
        vector = self.index.embeddings.query_vector(question)
        catalogue = self.index.catalogue()
        sample = catalogue.reference_vectors
        floor = float(np.median(sample @ vector)) if len(sample) else 0.0
        chunk_ids = [catalogue.articles[i].chunk_id for i in catalogue.rows_of(doc_ids)] if doc_ids else None
        return self.index.store.nearest(vector, self.settings.candidates, doc_ids, chunk_ids), floor

    def search(
        self,
        question: str,
        k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[Hit]:
        """The top `k` articles for the question (default `settings.k`), only of `doc_ids` when given,
        ranked by the retrievers `mode` names. A chunk a writer added after the catalogue was built
        is skipped."""
        k = k or self.settings.k
        catalogue = self.index.catalogue()
        keyword = (
            dict(self.keyword_ranking(question, doc_ids)) if mode in (SearchMode.HYBRID, SearchMode.KEYWORD) else {}
        )
        dense: dict[str, float] = {}
        floor = 0.0
        if mode in (SearchMode.HYBRID, SearchMode.DENSE):
            ranking, floor = self.dense_ranking(question, doc_ids)
            dense = dict(ranking)
        hits = []
        for chunk_id, score in fuse(keyword, dense, floor, self.settings.bm25_weight, self.settings.dense_weight):
            article = catalogue.by_id.get(chunk_id)
            if article is None:  # written by another process since the catalogue was built
                continue
            hits.append(Hit(article, score, dense.get(chunk_id), keyword.get(chunk_id)))
            if len(hits) == k:
                break
        return hits


def top_positive(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` highest positive scores, best first, ties in position order: what a
    stable sort of the whole array gives, without sorting every chunk of a large corpus."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        values = scores[positive]
        nth = np.partition(values, len(values) - n)[len(values) - n]  # the n-th highest
        positive = positive[values >= nth]
    return positive[np.argsort(-scores[positive], kind="stable")][:n]
