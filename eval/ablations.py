"""Ablations (`python -m eval --ablations`): what each design choice is worth on the dataset.

- **chunking × retrieval mode**: PlanQA's article chunks vs 500-character chunks (the naive
  recipe's cut), each searched dense-only, BM25-only and hybrid (PlanQA's fusion and weights).
  Fixed chunks get what articles get in the index, the document title before the text, for BM25
  and the embedding alike (questions name their plan, so the title matters), and the rows differ
  by the cut only. That costs a second embedding pass over the plans, cached like the naive
  baseline's. Retrieval metrics, searching with the raw question.
- **refusal threshold**: `answer.refusal_threshold` swept; refusal accuracy on unanswerable items
  against false refusals on the rest (and key-fact accuracy), PlanQA answering in full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from eval.dataset import Item
from eval.metrics import RETRIEVAL_METRICS
from eval.peers import fixed_chunks
from eval.responses import Response, Retrieved
from eval.runner import Progress, Run, answer_all, evaluate
from eval.vectors import CachedEmbeddings
from ingest.records import Document
from rag.api import PlanQA
from rag.fusion import fuse
from rag.keyword import KeywordIndex, tokenize
from rag.settings import RetrievalSettings

MODES = ("dense", "keyword", "hybrid")
THRESHOLD_START, THRESHOLD_STOP, THRESHOLD_STEP = 0.20, 0.70, 0.05
SWEEP_METRICS = ("refusal_accuracy", "false_refusal_rate", "key_fact_accuracy")
Search = Callable[[str, str], list[Retrieved]]  # (question, mode) → ranked chunks


def thresholds() -> list[float]:
    steps = round((THRESHOLD_STOP - THRESHOLD_START) / THRESHOLD_STEP)
    return [round(THRESHOLD_START + i * THRESHOLD_STEP, 2) for i in range(steps + 1)]


class FixedChunkRetriever:
    """PlanQA's dense, BM25 and fused retrieval, over fixed-size chunks instead of articles."""

    def __init__(self, documents: Sequence[Document], embeddings: CachedEmbeddings, settings: RetrievalSettings) -> None:
        self.settings = settings
        self.embeddings = embeddings
        chunks = fixed_chunks(documents)
        self.texts = [c.page_content for c in chunks]
        self.titles = [c.metadata["doc_title"] for c in chunks]
        indexed = [f"{title}\n{text}" for title, text in zip(self.titles, self.texts)]  # as rag.index.index_text
        self.keyword = KeywordIndex(indexed, settings.tokenizer)
        self.vectors = embeddings.passage_vectors(indexed, "embedding fixed chunks")

    def search(self, question: str, mode: str, k: int) -> list[Retrieved]:
        keyword: dict[str, float] = {}
        dense: dict[str, float] = {}
        floor = 0.0
        if mode in ("keyword", "hybrid"):
            scores = self.keyword.scores(tokenize(question, self.settings.tokenizer))
            top = np.argsort(-scores, kind="stable")[: self.settings.candidates]
            keyword = {str(i): float(scores[i]) for i in top if scores[i] > 0}
        if mode in ("dense", "hybrid"):
            similarity = self.vectors @ self.embeddings.query_vector(question)
            floor = float(np.median(similarity))
            top = np.argsort(-similarity, kind="stable")[: self.settings.candidates]
            dense = {str(i): float(similarity[i]) for i in top}
        fused = fuse(keyword, dense, floor, self.settings.bm25_weight, self.settings.dense_weight)[:k]
        return [Retrieved(self.texts[int(i)], self.titles[int(i)], "", s) for i, s in fused]


def _article_hits(planqa: PlanQA, question: str, mode: str, k: int) -> list[Retrieved]:
    return [Retrieved(h.article.text, h.article.doc_title, h.article.clause_ref, h.score) for h in planqa.search(question, k=k, mode=mode)]


@dataclass
class RetrievalRow:
    chunks: str  # article | fixed
    mode: str  # dense | keyword | hybrid
    metrics: dict[str, float | None]


def _retrieval_run(name: str, items: Sequence[Item], search: Callable[[str], list[Retrieved]], threshold: float) -> Run:
    responses = [Response(item.id, "", False, (), tuple(search(item.question))) for item in items]
    return evaluate(name, items, responses, threshold)


def retrieval_grid(
    planqa: PlanQA, items: Sequence[Item], fixed: FixedChunkRetriever, progress: Progress | None = None
) -> list[RetrievalRow]:
    """Retrieval metrics for each chunking and mode. (No latency: query vectors are cached by then, so
    it would time the search without the embedding that dominates it.)"""
    answerable = [i for i in items if i.answerable]
    k = planqa.settings.retrieval.k
    threshold = planqa.settings.answer.support_threshold
    searches: dict[str, Callable[[str], Callable[[str], list[Retrieved]]]] = {
        "article": lambda mode: lambda question: _article_hits(planqa, question, mode, k),
        "fixed": lambda mode: lambda question: fixed.search(question, mode, k),
    }
    rows = []
    combos = [(chunks, mode) for chunks in searches for mode in MODES]
    for done, (chunks, mode) in enumerate(combos):
        if progress:
            progress("ablation: retrieval", done, len(combos))
        run = _retrieval_run(f"{chunks}-{mode}", answerable, searches[chunks](mode), threshold)
        rows.append(RetrievalRow(chunks, mode, {m: run.summary["overall"][m] for m in RETRIEVAL_METRICS}))
    if progress:
        progress("ablation: retrieval", len(combos), len(combos))
    return rows


@dataclass
class SweepPoint:
    threshold: float
    metrics: dict[str, float | None]
    configured: bool = False


def refusal_sweep(
    planqa: PlanQA, items: Sequence[Item], current: Run | None = None, progress: Progress | None = None
) -> list[SweepPoint]:
    """Refusal accuracy, false refusals and key-fact accuracy at each threshold. `current`: the run
    at the configured threshold, reused rather than answered again."""
    configured = planqa.settings.answer.refusal_threshold
    support = planqa.settings.answer.support_threshold
    points = []
    values = sorted(set(thresholds()) | {configured})
    for done, value in enumerate(values):
        if current is not None and value == configured:
            run = current
        else:
            answer = planqa.settings.answer.model_copy(update={"refusal_threshold": value})
            variant = PlanQA(planqa.settings.model_copy(update={"answer": answer}), index=planqa.index, build=False)
            label = f"ablation: refusal threshold {value:.2f} ({done + 1}/{len(values)})"
            run = evaluate(f"threshold-{value}", items, answer_all(variant, items, progress, label), support)
        points.append(SweepPoint(value, {m: run.summary["overall"][m] for m in SWEEP_METRICS}, value == configured))
    return points
