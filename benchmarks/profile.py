"""Where the time of one call goes: wrap named functions of `rag` and add up their exclusive time.

A benchmark patches the functions it cares about for the length of a `with` block; times are
exclusive (a function's own time, without the wrapped functions it calls), so the stages add up to
the wrapped total and nothing is counted twice. Patching is for measuring only; rag/ is not changed.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# (label, module, attribute path): what `ask` does, step by step.
ASK_STAGES = (
    ("catalogue check", "rag.store.library", "Library.catalogue"),
    ("read question", "rag.query.reader", "QuestionReader.read"),
    ("read question: document names", "rag.query.names", "DocumentNames._candidates"),
    ("read question: words in the plans", "rag.store.phrases", "PhraseLookup.__contains__"),
    ("fusion + hits", "rag.search.hybrid", "HybridSearch.search"),
    ("bm25 ranking", "rag.search.hybrid", "HybridSearch.keyword_ranking"),
    ("dense ranking (median of sample)", "rag.search.hybrid", "HybridSearch.dense_ranking"),
    ("query embedding", "rag.search.embeddings", "VectorEmbeddings.query_vector"),
    ("chroma nearest", "rag.store.chroma", "ArticleStore.nearest"),
    ("chroma version", "rag.store.chroma", "ArticleStore.version"),
    ("direct lookups", "rag.api", "metadata_answer"),
    ("direct lookups", "rag.api", "clause_answer"),
    ("extractive answer", "rag.answer.extractive", "ExtractiveAnswerer.answer"),
    ("verify claims", "rag.api", "unsupported_claims"),
)

# What building the catalogue (first question after start or after a write) does.
CATALOGUE_STAGES = (
    ("chroma get articles", "rag.store.chroma", "ArticleStore.articles"),
    ("chroma get documents", "rag.store.chroma", "ArticleStore.documents"),
    ("chroma sample vectors", "rag.store.chroma", "ArticleStore.sample_vectors"),
    ("bm25 index: bm25s + counting", "rag.search.keyword", "KeywordSearch.__init__"),
    ("bm25 index: jieba tokenize", "rag.search.keyword", "tokenize"),
    ("bm25 index: han bigrams", "rag.search.keyword", "han_bigrams"),
    ("question reader (built after the catalogue)", "rag.query.reader", "QuestionReader.__init__"),
    ("question reader: corpus index", "rag.store.phrases", "PhraseLookup.__init__"),
    ("question reader: document names", "rag.query.names", "DocumentNames.__init__"),
)

INGEST_STAGES = (
    ("hash + lookup", "rag.store.chroma", "ArticleStore.document_hash"),
    ("parse (clean, structure, tokens)", "rag.store.library", "parse_file"),
    ("passage embedding", "rag.search.embeddings", "VectorEmbeddings.passage_vectors"),
    ("chroma write", "rag.store.chroma", "ArticleStore.replace_document"),
)


@dataclass
class Profile:
    """Exclusive seconds and call counts per label, kept apart per bucket (e.g. per store)."""

    seconds: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    calls: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    missing: list[str] = field(default_factory=list)  # targets that no longer exist in rag/
    bucket: str = ""  # where the next calls are counted
    enabled: bool = True  # off: calls pass straight through, uncounted
    _stack: list[list[float]] = field(default_factory=list)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Calls inside the block are not counted."""
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True

    def wrap(self, label: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            if not self.enabled:
                return function(*args, **kwargs)
            self._stack.append([0.0])  # time spent in wrapped callees
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                total = time.perf_counter() - started
                inner = self._stack.pop()[0]
                self.seconds[self.bucket][label] += total - inner
                self.calls[self.bucket][label] += 1
                if self._stack:
                    self._stack[-1][0] += total

        return timed

    def per_call(self, n: int, bucket: str = "") -> dict[str, dict[str, float]]:
        """Mean exclusive ms and calls per measured operation (n operations), slowest first."""
        seconds, calls = self.seconds[bucket], self.calls[bucket]
        return {
            label: {"ms": round(seconds[label] * 1000 / n, 3), "calls": round(calls[label] / n, 2)}
            for label in sorted(seconds, key=lambda k: -seconds[k])
        }


@contextmanager
def profiled(stages: tuple[tuple[str, str, str], ...]) -> Iterator[Profile]:
    """Patch the named functions for the block; restore them after, even on error."""
    profile = Profile()
    undo: list[tuple[object, str, object]] = []
    try:
        for label, module_name, path in stages:
            owner = importlib.import_module(module_name)
            *parents, name = path.split(".")
            try:
                for part in parents:
                    owner = getattr(owner, part)
                original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            except (AttributeError, KeyError):
                profile.missing.append(f"{module_name}.{path}")
                continue
            undo.append((owner, name, original))
            setattr(owner, name, profile.wrap(label, original))
        yield profile
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)
