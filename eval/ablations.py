"""Ablations (`python -m eval --ablations`): what each design choice is worth on the dataset.

- **chunking × retrieval mode**: PlanQA's article chunks vs 500-character chunks (the naive
  recipe's cut), each searched dense-only, BM25-only and hybrid. Both rows of a mode go through the
  product's own retrieval (`rag.search.hybrid.HybridSearch`: its BM25, its dense ranking over a
  Chroma store, its fusion and weights), and both get each question read once by the product's
  `QuestionReader`, as `PlanQA.search` reads it: the same query text (typos mended, plan terms
  added, named documents left out) and the same document filter. So the rows differ by the cut only.
  The fixed chunks are put in a `Library` in a temporary home, indexed as articles are (document
  title before the text, `rag.store.catalogue.index_text`); their vectors are cached like the naive
  baseline's. Retrieval metrics.
- **refusal threshold**: `answer.refusal_threshold` swept; refusal accuracy on unanswerable items
  against false refusals on the rest (and key-fact accuracy), PlanQA answering in full.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.dataset import Item
from eval.metrics import RETRIEVAL_METRICS
from eval.peers import fixed_chunks
from eval.responses import Response, retrieved
from eval.runner import Progress, Run, answer_all, evaluate
from eval.vectors import CachedEmbeddings
from ingest.records import Article, Document
from rag.api import PlanQA
from rag.query.checks import check_question
from rag.query.reader import Question
from rag.search.hybrid import HybridSearch
from rag.store.catalogue import index_text
from rag.store.library import Library

CHUNKINGS = ("article", "fixed")
MODES = ("dense", "keyword", "hybrid")
THRESHOLD_START, THRESHOLD_STOP, THRESHOLD_STEP = 0.20, 0.70, 0.05
SWEEP_METRICS = ("refusal_accuracy", "false_refusal_rate", "key_fact_accuracy")


def thresholds() -> list[float]:
    steps = round((THRESHOLD_STOP - THRESHOLD_START) / THRESHOLD_STEP)
    return [round(THRESHOLD_START + i * THRESHOLD_STEP, 2) for i in range(steps + 1)]


def fixed_articles(document: Document) -> list[Article]:
    """One document cut by the naive recipe (`eval.peers.fixed_chunks`), as articles without a clause."""
    articles = []
    for n, chunk in enumerate(fixed_chunks([document])):
        start = chunk.metadata["start_index"]
        articles.append(
            Article.of_document(
                document,
                chunk_id=f"{document.doc_id}:fixed-{n:04d}",
                chapter="",
                section="",
                clause_ref="",
                role="article",
                text=chunk.page_content,
                start=start,
                end=start + len(chunk.page_content),
                tokens=0,  # read by the answerer only; the ablation retrieves
                order=n,
            )
        )
    return articles


class FixedChunkIndex:
    """The product's index and hybrid search over 500-character chunks of the same documents: a
    `Library` in a temporary folder (always a local Chroma store), written directly with cached
    vectors. `search` is a `HybridSearch` like `PlanQA.retriever`. Call `close()` when done."""

    def __init__(self, planqa: PlanQA, embeddings: CachedEmbeddings) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="planqa-fixed-")
        settings = planqa.settings
        local = settings.store.model_copy(update={"chroma_url": ""})
        settings = settings.model_copy(update={"home": Path(self._folder.name), "store": local})
        self.library = Library(settings)  # same embedding settings: the same model (make_embeddings is cached)
        documents = planqa.documents()
        chunks = {d.doc_id: fixed_articles(d) for d in documents}
        texts = [index_text(a) for d in documents for a in chunks[d.doc_id]]
        embeddings.passage_vectors(texts, "embedding fixed chunks")  # one progress bar, and the cache
        for document in documents:
            articles = chunks[document.doc_id]
            vectors = embeddings.passage_vectors([index_text(a) for a in articles])
            self.library.store.replace_document(document, articles, vectors)
        self.search = HybridSearch(self.library, settings.retrieval)

    def close(self) -> None:
        self._folder.cleanup()


def read_question(planqa: PlanQA, question: str) -> Question:
    """The question as `PlanQA.search` and `PlanQA.ask` read it (the check, then the reader)."""
    return planqa.reader.read(check_question(question, planqa.settings.answer.max_question_chars))


@dataclass
class RetrievalRow:
    chunks: str  # article | fixed
    mode: str  # dense | keyword | hybrid
    metrics: dict[str, float | None]


def retrieval_grid(
    planqa: PlanQA, items: Sequence[Item], fixed: HybridSearch, progress: Progress | None = None
) -> list[RetrievalRow]:
    """Retrieval metrics for each chunking and mode, every question read once by PlanQA's reader
    and searched by PlanQA's `HybridSearch` over article chunks (`planqa.retriever`) or `fixed`.
    (No latency: query vectors are cached by then, so it would time the search without the
    embedding that dominates it.)"""
    answerable = [i for i in items if i.answerable]
    k = planqa.settings.retrieval.k
    threshold = planqa.settings.answer.support_threshold
    searches = {"article": planqa.retriever, "fixed": fixed}
    rows = []
    combos = [(chunks, mode) for chunks in CHUNKINGS for mode in MODES]
    with planqa.index.reading():  # one state of the article index throughout
        questions = [read_question(planqa, item.question) for item in answerable]
        for done, (chunks, mode) in enumerate(combos):
            if progress:
                progress("ablation: retrieval", done, len(combos))
            search = searches[chunks]
            responses = [
                Response(
                    item.id,
                    "",
                    False,
                    (),
                    tuple(retrieved(h) for h in search.search(q.query, k, q.doc_ids or None, mode)),
                )
                for item, q in zip(answerable, questions)
            ]
            run = evaluate(f"{chunks}-{mode}", answerable, responses, threshold)
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
