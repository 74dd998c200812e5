"""The Chroma store: one collection of article vectors per embedding model, one of documents.

Chroma is the single source of truth: the article collection holds every chunk (text, metadata,
vector); the document collection holds each cleaned document with its metadata and content hash
(its vector is a placeholder). Local folder by default; a Chroma server when `store.chroma_url` is
set. A version number in the document collection's metadata tells readers to reload.

A local Chroma client keeps the vectors it has loaded and never sees the ones another process wrote
after that (its `get` and filtered `query` then fail with "Error finding id", tests/test_second_writer.py):
a reader that must see another process's write opens a store of its own (`ArticleStore.open`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import asdict
from itertools import count
from typing import cast
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.client import Client
from chromadb.api.types import QueryResult, Where
from chromadb.errors import ChromaError

from ingest.records import Article, Document
from rag.settings import Settings

_PLACEHOLDER = [1.0]  # documents are looked up by id, never by vector
_BATCH = 1000  # Chroma limits the records of one call
# Records per `get` when a whole collection is read: Chroma 1.5 binds one SQLite variable per record
# it returns, and SQLite allows 32,766; 5000 keeps each call well under that at no cost in speed.
READ_PAGE = 5000
log = logging.getLogger(__name__)
_open_paths: set[str] = set()  # the spellings of local store folders this process has a client open on
_open_paths_lock = threading.Lock()


def _similarities(found: QueryResult) -> list[tuple[str, float]]:
    """(chunk_id, cosine similarity) of one query's results (Chroma returns cosine distances)."""
    distances = found["distances"] or [[]]
    return [(chunk_id, 1.0 - distance) for chunk_id, distance in zip(found["ids"][0], distances[0])]


def make_client(settings: Settings, path: str = "") -> ClientAPI:
    """A Chroma client: HTTP when a server URL is configured, else the folder under PLANQA_HOME (or
    `path`, another spelling of it: Chroma shares one client among all those of one spelling)."""
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.store.chroma_url:
        url = urlparse(settings.store.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=path or str(settings.chroma_dir), settings=chroma_settings)


def _own_client(settings: Settings) -> tuple[ClientAPI, Callable[[], None]]:
    """A client no other part of this process shares, and the function that closes it. Chroma keeps one
    client per folder path and process; "DIR/.", "DIR/./." … name the same folder, so each open store
    takes the first spelling not open (a freshly opened local client loads the vectors as they are now)."""
    if settings.store.chroma_url:
        client = make_client(settings)
        return client, cast(Client, client).close
    with _open_paths_lock:
        path = next(p for p in (str(settings.chroma_dir) + "/." * n for n in count(1)) if p not in _open_paths)
        _open_paths.add(path)
    try:
        client = make_client(settings, path)
    except BaseException:
        _open_paths.discard(path)
        raise

    def close() -> None:
        try:
            cast(Client, client).close()
        finally:
            with _open_paths_lock:
                _open_paths.discard(path)

    return client, close


class ArticleStore:
    """Articles and documents of one index (one embedding model, one chunking)."""

    read_page = READ_PAGE  # records per `get` when reading a whole collection

    def __init__(self, client: ClientAPI, name: str) -> None:
        self._client = client
        self.name = name
        self._closer: weakref.finalize | None = None
        self._open()

    @classmethod
    def open(cls, settings: Settings) -> ArticleStore:
        """The store of these settings on a client of its own, closed by `close()` (or when the store
        is garbage): what a process opens to see the store as it is now, whoever wrote it."""
        client, close = _own_client(settings)
        try:
            store = cls(client, settings.collection_name)
        except BaseException:
            close()
            raise
        store._closer = weakref.finalize(store, close)
        return store

    def close(self) -> None:
        """Release the client of a store from `open` (nothing for one made from a given client)."""
        if self._closer is not None:
            self._closer()

    def _open(self) -> None:
        self._articles = self._client.get_or_create_collection(
            self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._documents = self._client.get_or_create_collection(
            f"{self.name}-docs", embedding_function=None, metadata={"version": 0}
        )

    # -- reading -------------------------------------------------------------------------------
    def version(self) -> int:
        """Changed by every write (a timestamp); readers compare it to know their caches are stale."""
        metadata = self._client.get_collection(f"{self.name}-docs").metadata or {}
        return int(metadata.get("version", 0))

    def count(self) -> int:
        """Chunks in the store."""
        return self._articles.count()

    def document_hash(self, doc_id: str) -> str | None:
        """The sha256 of the file the document was last ingested from; None when it is not indexed."""
        found = self._documents.get(ids=[doc_id], include=["metadatas"])
        metadatas = found["metadatas"]
        return str(metadatas[0]["sha256"]) if found["ids"] and metadatas else None

    def document_names(self) -> dict[str, tuple[str, str]]:
        """doc_id → (file, title) of every indexed document (read from the metadata alone)."""
        found = self._read_all(self._documents, ["metadatas"])
        return {
            doc_id: (str(json.loads(metadata["document"])["doc_file"]), str(metadata["title"]))
            for doc_id, metadata in zip(found["ids"], found["metadatas"])
        }

    def documents(self) -> list[Document]:
        """Every indexed document, in title order."""
        found = self._read_all(self._documents, ["documents", "metadatas"])
        documents = [
            Document(text=text, **json.loads(metadata["document"]))
            for text, metadata in zip(found["documents"], found["metadatas"])
        ]
        return sorted(documents, key=lambda d: d.title)

    def articles(self) -> list[Article]:
        """Every chunk, in document and reading order."""
        found = self._read_all(self._articles, ["documents", "metadatas"])
        articles = [Article.from_metadata(text, meta) for text, meta in zip(found["documents"], found["metadatas"])]
        return sorted(articles, key=lambda a: (a.doc_id, a.order, a.part))

    def sample_vectors(self, n: int) -> np.ndarray:
        """Vectors of up to `n` chunks spread over the collection (a fixed sample, for score scaling)."""
        ids = self._read_all(self._articles, [])["ids"]
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        chosen = sorted(ids)[:: max(1, len(ids) // n)][:n]
        found = self._articles.get(ids=chosen, include=["embeddings"])
        return np.asarray(found["embeddings"], dtype=np.float32)

    def nearest(
        self,
        vector: np.ndarray,
        n: int,
        doc_ids: Sequence[str] | None = None,
        chunk_ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the `n` nearest chunks, optionally within some documents.

        `chunk_ids`: the chunks of `doc_ids` as the caller's catalogue knows them. Chroma searches
        given ids far faster than it filters on metadata (same results; 6 ms vs 80 ms for one document
        at 100k chunks on a busy machine);
        when one of them is gone (a writer replaced the document since), the documents are filtered.
        No `count()` first: Chroma (1.5) returns fewer than `n` results, or none from an empty
        collection, without an error (tests/test_speed_paths.py), and a count is one more call per
        search (an HTTP round trip on a server)."""
        where: Where | None = None
        if doc_ids:
            # a literal dict reads as dict[str, …] to the type checker, not as Chroma's `Where` operators
            where = cast(Where, {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}})
            if chunk_ids:
                try:
                    found = self._articles.query(
                        query_embeddings=[vector.tolist()], n_results=n, ids=list(chunk_ids), include=["distances"]
                    )
                    return _similarities(found)
                except ChromaError:  # "Error finding id": the catalogue is older than the store
                    pass
        try:
            found = self._articles.query(
                query_embeddings=[vector.tolist()], n_results=n, where=where, include=["distances"]
            )
        except ChromaError as error:  # another process wrote since this client loaded its vectors: until
            # the reader reloads (seconds), this answer ranks by keywords alone rather than failing
            log.warning("dense search skipped: %s", error)
            return []
        return _similarities(found)

    def _read_all(self, collection, include: list[str]) -> dict[str, list]:
        """`collection.get(include=…)` of every record, in pages of `read_page`: one `get` of more
        than 32,766 records fails in Chroma 1.5 ("too many SQL variables", SQLite's limit). A record
        seen twice (a write between two pages shifted the offsets) is kept once; a write during the
        read also changes `version()`, so the catalogue built from it is rebuilt on its next check."""
        found: dict[str, list] = {"ids": [], **{key: [] for key in include}}
        seen: set[str] = set()
        offset = 0
        while True:
            page = collection.get(include=include, limit=self.read_page, offset=offset)
            for position, record_id in enumerate(page["ids"]):
                if record_id in seen:
                    continue
                seen.add(record_id)
                for key in found:
                    found[key].append(page[key][position])
            if len(page["ids"]) < self.read_page:
                return found
            offset += self.read_page

    # -- writing (callers hold the write lock) --------------------------------------------------
    def replace_document(self, document: Document, articles: list[Article], vectors: np.ndarray) -> None:
        """Put a document and its chunks in, removing every chunk it had before (no orphans)."""
        self._articles.delete(where={"doc_id": document.doc_id})
        for start in range(0, len(articles), _BATCH):
            batch = articles[start : start + _BATCH]
            self._articles.upsert(
                ids=[a.chunk_id for a in batch],
                embeddings=vectors[start : start + _BATCH],
                documents=[a.text for a in batch],
                metadatas=[a.metadata() for a in batch],
            )
        fields = asdict(document)
        text = fields.pop("text")
        self._documents.upsert(
            ids=[document.doc_id],
            embeddings=np.array([_PLACEHOLDER], dtype=np.float32),
            documents=[text],
            metadatas=[
                {"document": json.dumps(fields, ensure_ascii=False), "sha256": document.sha256, "title": document.title}
            ],
        )
        self._bump()

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and all its chunks; False when it was not indexed."""
        if not self._documents.get(ids=[doc_id])["ids"]:
            return False
        self._articles.delete(where={"doc_id": doc_id})
        self._documents.delete(ids=[doc_id])
        self._bump()
        return True

    def reset(self) -> None:
        """Drop both collections and start empty."""
        for name in (self.name, f"{self.name}-docs"):
            try:
                self._client.delete_collection(name)
            except Exception:  # noqa: BLE001 - absent already; Chroma's error types vary by backend
                pass
        self._open()
        self._bump()

    def _bump(self) -> None:
        self._documents.modify(metadata={"version": time.time_ns()})
