"""The index of PLANQA_HOME: ingesting files into the store, and the in-memory catalogue readers use.

Writes (ingest, delete, reset) hold a lock file, so one process writes at a time and a second writer
gets a clear message. Readers keep a catalogue (all chunks, BM25, documents) built once and rebuilt
only when the store's version changes.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from threading import RLock

import numpy as np
from filelock import FileLock, Timeout

from ingest.clean import CleaningRules
from ingest.loaders import IngestError
from ingest.pipeline import doc_id_for, parse_file
from ingest.records import Article, Document
from rag.embeddings import VectorEmbeddings, make_embeddings
from rag.keyword import KeywordIndex
from rag.settings import Settings
from rag.store import ArticleStore, make_client

Progress = Callable[[str, int, int], None]  # (what, done, total)
VERSION_CHECK_S = 2.0  # how often a reader asks the store whether another process wrote
REFERENCE_SAMPLE = 64  # chunk vectors kept to tell a question's typical similarity (rag/fusion.py)


class WriterBusy(RuntimeError):
    """Another process holds the write lock of this PLANQA_HOME."""


def index_text(article: Article) -> str:
    """What is embedded and keyword-indexed for a chunk: its chapter and title give it context."""
    chapter = f"{article.chapter}\n" if article.chapter and not article.text.startswith(article.chapter) else ""
    return f"{article.doc_title}\n{chapter}{article.text}"


@dataclass
class FileResult:
    """What ingest did with one file."""

    file: str
    status: str  # added | updated | unchanged | failed
    title: str = ""
    articles: int = 0
    tokens: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(f.status in ("added", "updated") for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]


@dataclass
class Catalogue:
    """Everything readers need in memory, consistent with one store version."""

    version: int
    articles: list[Article]
    documents: list[Document]
    keyword: KeywordIndex
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
        return self._by_document.get(doc_id, [])

    @cached_property
    def _by_document(self) -> dict[str, list[Article]]:
        groups: dict[str, list[Article]] = {}
        for article in self.articles:
            groups.setdefault(article.doc_id, []).append(article)
        return groups


def collect_files(paths: Iterable[Path], extensions: Iterable[str]) -> list[Path]:
    """Files to ingest: the files given, and the supported files inside the folders given."""
    suffixes = {e.lower() for e in extensions}
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        else:
            files.append(path)
    return files


class Index:
    """One PLANQA_HOME's store, embeddings and catalogue; create once per process and share."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = ArticleStore(make_client(settings), settings.collection_name)
        self._rules = CleaningRules.load(settings.ingest.rules_file)
        self._catalogue: Catalogue | None = None
        self._checked_at = 0.0
        self._lock = RLock()

    @cached_property
    def embeddings(self) -> VectorEmbeddings:
        return make_embeddings(self.settings.embedding)

    # -- reading -------------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        """The current catalogue; rebuilt when another writer changed the store."""
        with self._lock:
            now = time.monotonic()
            if self._catalogue is None or now - self._checked_at > VERSION_CHECK_S:
                self._checked_at = now
                version = self.store.version()
                if self._catalogue is None or self._catalogue.version != version:
                    articles = self.store.articles()
                    self._catalogue = Catalogue(
                        version=version,
                        articles=articles,
                        documents=self.store.documents(),
                        keyword=KeywordIndex([index_text(a) for a in articles], self.settings.retrieval.tokenizer),
                        reference_vectors=self.store.sample_vectors(REFERENCE_SAMPLE),
                    )
            return self._catalogue

    def is_empty(self) -> bool:
        return self.store.count() == 0

    def default_paths(self) -> list[Path]:
        """The bundled plans and the files users uploaded (kept so the index can be rebuilt)."""
        return [p for p in (self.settings.plans_dir, self.settings.uploads_dir) if p.exists()]

    def ensure_built(self, progress: Progress | None = None) -> IngestReport | None:
        """Build the index from the default paths when it is empty (first start)."""
        if not self.is_empty():
            return None
        return self.ingest(self.default_paths(), progress=progress)

    # -- writing -------------------------------------------------------------------------------
    def _write_lock(self) -> FileLock:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.settings.lock_file), timeout=0)

    def _locked(self):
        lock = self._write_lock()
        try:
            lock.acquire()
        except Timeout:
            raise WriterBusy(
                f"another PlanQA process is writing to {self.settings.home} (lock {self.settings.lock_file}); "
                "wait for it to finish, or send uploads through the running app"
            ) from None
        return lock

    def ingest(self, paths: Iterable[Path], reset: bool = False, progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders; unchanged files are skipped, changed ones replaced whole."""
        started = time.perf_counter()
        report = IngestReport()
        lock = self._locked()
        try:
            if reset:
                self.store.reset()
            files = collect_files(paths, self.settings.ingest.extensions)
            for number, path in enumerate(files, start=1):
                if progress:
                    progress(f"{path.name}", number - 1, len(files))
                report.files.append(self._ingest_file(path, progress))
            if progress:
                progress("done", len(files), len(files))
        finally:
            lock.release()
            self._catalogue = None
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_file(self, path: Path, progress: Progress | None) -> FileResult:
        started = time.perf_counter()
        try:
            if not path.is_file():
                raise IngestError(f"{path}: no such file")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            previous = self.store.document_hash(doc_id_for(path))
            if previous == digest:
                return FileResult(path.name, "unchanged", seconds=time.perf_counter() - started)
            document, articles = parse_file(
                path, self._rules, self.settings.ingest.max_chunk_tokens, self.settings.ingest.limits
            )
            if not articles:
                raise IngestError(f"{path.name}: no text to index after cleaning")
            vectors = self._embed(articles, progress)
            self.store.replace_document(document, articles, vectors)
            self._keep_original(path)
        except IngestError as error:
            return FileResult(path.name, "failed", error=str(error), seconds=time.perf_counter() - started)
        return FileResult(
            path.name,
            "updated" if previous else "added",
            title=document.title,
            articles=len({a.order for a in articles}),
            tokens=sum(a.tokens for a in articles),
            seconds=time.perf_counter() - started,
        )

    def _embed(self, articles: list[Article], progress: Progress | None) -> np.ndarray:
        batch = self.settings.ingest.batch_size
        vectors = []
        for start in range(0, len(articles), batch):
            if progress:
                progress("embedding", start, len(articles))
            texts = [index_text(a) for a in articles[start : start + batch]]
            vectors.append(self.embeddings.passage_vectors(texts))
        if progress:
            progress("embedding", len(articles), len(articles))
        return np.concatenate(vectors)

    def _keep_original(self, path: Path) -> None:
        """Copy a file from outside the data folders into uploads, so a rebuild finds it."""
        resolved = path.resolve()
        homes = (self.settings.plans_dir.resolve(), self.settings.uploads_dir.resolve())
        if any(resolved.is_relative_to(home) for home in homes):
            return
        self.settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, self.settings.uploads_dir / path.name)

    def delete(self, doc_id: str) -> bool:
        """Remove a document, its chunks, and its uploaded original (bundled plans stay on disk)."""
        lock = self._locked()
        try:
            document = next((d for d in self.store.documents() if d.doc_id == doc_id), None)
            removed = self.store.delete_document(doc_id)
            if document is not None:
                original = self.settings.uploads_dir / document.doc_file
                if original.is_file():
                    original.unlink()
        finally:
            lock.release()
            self._catalogue = None
        return removed
