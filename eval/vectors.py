"""Passage vectors kept on disk between eval runs.

The baselines and the chunking ablation embed the plans cut into 500-character chunks: about as
long as building PlanQA's own index (~30 s on 2 cores). The chunk texts only change when the plans,
the cleaning or the embedding model do, so their vectors are cached, keyed by model and text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.search.embeddings import VectorEmbeddings

Progress = Callable[[str, int, int], None]


def text_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x1f{text}".encode()).hexdigest()


class CachedEmbeddings(Embeddings):
    """`base` with its passage vectors cached in `cache_file` (an .npz); queries go to `base`
    (whose in-memory cache PlanQA's own retrieval shares)."""

    def __init__(
        self,
        base: VectorEmbeddings,
        model: str,
        cache_file: Path | None,
        batch_size: int = 16,
        progress: Progress | None = None,
    ) -> None:
        self.base = base
        self.model = model
        self.cache_file = cache_file
        self.batch_size = batch_size
        self.progress = progress
        self._vectors: dict[str, np.ndarray] = self._load()

    def _load(self) -> dict[str, np.ndarray]:
        if self.cache_file is None or not self.cache_file.is_file():
            return {}
        try:
            with np.load(self.cache_file) as data:
                return dict(zip(data["keys"].tolist(), data["vectors"]))
        except (OSError, ValueError, KeyError):  # a damaged cache is rebuilt, never trusted
            return {}

    def _save(self) -> None:
        if self.cache_file is None or not self._vectors:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.cache_file.with_suffix(".partial.npz")
        np.savez(partial, keys=np.array(list(self._vectors)), vectors=np.stack(list(self._vectors.values())))
        partial.replace(self.cache_file)

    def passage_vectors(self, texts: list[str], label: str = "embedding chunks") -> np.ndarray:
        """(n, dim) vectors of `texts`, embedding only those not cached."""
        keys = [text_key(self.model, t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self._vectors))
        for start in range(0, len(missing), self.batch_size):
            if self.progress:
                self.progress(label, start, len(missing))
            batch = missing[start : start + self.batch_size]
            for text, vector in zip(batch, self.base.passage_vectors(batch)):
                self._vectors[text_key(self.model, text)] = vector
        if missing:
            if self.progress:
                self.progress(label, len(missing), len(missing))
            self._save()
        if not texts:
            return np.zeros((0, self.base.dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def query_vector(self, text: str) -> np.ndarray:
        return self.base.query_vector(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passage_vectors(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.base.query_vector(text).tolist()
