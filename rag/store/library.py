"""The writer of PLANQA_HOME's index, `Library`: ingests and deletes files (through the journal,
all or nothing), and builds and pins the catalogue (rag/store/catalogue.py) that answers read.

Writes (ingest, delete, reset) hold a lock file, so one process writes at a time and a second writer
gets a clear message. The catalogue (all chunks, BM25, documents) is built once and rebuilt only when
the store's version changes; `reading()` pins one for a whole answer.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from threading import RLock

import numpy as np
from filelock import FileLock, Timeout

from ingest.clean import CleaningRules
from ingest.loaders import IngestError, check_file
from ingest.pipeline import doc_id_for, parse_file
from ingest.records import Article
from rag.search.embeddings import VectorEmbeddings, make_embeddings
from rag.search.keyword import KeywordSearch
from rag.settings import Settings
from rag.store.catalogue import Catalogue, index_text
from rag.store.chroma import ArticleStore, make_client
from rag.store.journal import Journal
from rag.store.locks import ReadWriteLock

Progress = Callable[[str, int, int], None]  # (what, done, total)
JOURNAL_FOLDER = "journal"  # under PLANQA_HOME: the batch a writer is staging or applying


class WriterBusy(RuntimeError):
    """Another process holds the write lock of this PLANQA_HOME."""


class FileStatus(StrEnum):
    """What ingest did with one file."""

    ADDED = "added"  # a new document
    UPDATED = "updated"  # its content changed: all its old chunks replaced
    UNCHANGED = "unchanged"  # same content hash as indexed: skipped
    FAILED = "failed"  # could not be read; `FileResult.error` says why


@dataclass
class FileResult:
    """What ingest did with one file."""

    file: str
    status: FileStatus
    title: str = ""
    articles: int = 0
    tokens: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class IngestReport:
    """What one ingest did, file by file."""

    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(f.status in (FileStatus.ADDED, FileStatus.UPDATED) for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == FileStatus.FAILED]


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


class Library:
    """One PLANQA_HOME's store, embeddings and catalogue; create once per process and share."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = ArticleStore(make_client(settings), settings.collection_name)
        self._rules = CleaningRules.load(settings.ingest.rules_file)
        self._catalogue: Catalogue | None = None
        self._checked_at = 0.0
        self._lock = RLock()
        self._access = ReadWriteLock()  # answers read one state; a write is applied between answers
        self._pinned = threading.local()  # the catalogue of the answer this thread is building

    @cached_property
    def embeddings(self) -> VectorEmbeddings:
        return make_embeddings(self.settings.embedding)

    # -- reading -------------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        """The current catalogue (inside `reading()`, the one it pinned); rebuilt when the store changed."""
        pinned = getattr(self._pinned, "catalogue", None)
        if pinned is not None:
            return pinned
        with self._lock:
            now = time.monotonic()
            if self._catalogue is None or now - self._checked_at > self.settings.store.version_check_s:
                self._checked_at = now
                settled = self._settle()  # while a writer applies a batch, keep the catalogue from before it
                version = self.store.version()
                if self._catalogue is None or (settled and self._catalogue.version != version):
                    articles = self.store.articles()
                    self._catalogue = Catalogue(
                        version=version,
                        articles=articles,
                        documents=self.store.documents(),
                        keyword=KeywordSearch([index_text(a) for a in articles], self.settings.retrieval.tokenizer),
                        reference_vectors=self.store.sample_vectors(self.settings.retrieval.reference_sample),
                    )
            catalogue = self._catalogue  # a writer may reset the attribute before we return
        return catalogue

    @contextmanager
    def reading(self) -> Iterator[Catalogue]:
        """One index state for everything read inside: no write is applied to the store meanwhile, and
        `catalogue()` on this thread gives the same catalogue throughout, so an answer never mixes the
        store and catalogue of two states (tests/test_load.py). Do not hold it across a `yield`."""
        with self._access.reading():
            outer = getattr(self._pinned, "catalogue", None)
            self._pinned.catalogue = outer or self.catalogue()
            try:
                yield self._pinned.catalogue
            finally:
                self._pinned.catalogue = outer

    def is_empty(self) -> bool:
        """True when the store holds no chunk (nothing ingested yet, or all deleted)."""
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
        """Ingest files and folders; unchanged files are skipped, changed ones replaced whole.

        All or nothing: every file is parsed and embedded into the journal first, and the store is
        changed only after the batch is committed there (see rag/store/journal.py).
        """
        started = time.perf_counter()
        report = IngestReport()
        lock = self._locked()
        try:
            self._recover()
            self.journal.begin()
            if reset:
                self.journal.stage_reset()
            files = collect_files(paths, self.settings.ingest.extensions)
            for number, path in enumerate(files, start=1):
                if progress:
                    progress(f"{path.name}", number - 1, len(files))
                report.files.append(self._stage_file(path, reset, progress))
            if progress:
                progress("done", len(files), len(files))
            self._commit()
        finally:
            lock.release()
            self._catalogue = None
        report.seconds = time.perf_counter() - started
        return report

    def _stage_file(self, path: Path, reset: bool, progress: Progress | None) -> FileResult:
        """Parse and embed one file into the journal; nothing in the store changes yet."""
        started = time.perf_counter()
        try:
            check_file(path, self.settings.ingest.limits)  # before hashing: a 5 GB file is refused unread
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            previous = None if reset else self.store.document_hash(doc_id_for(path))
            if previous == digest:
                return FileResult(path.name, FileStatus.UNCHANGED, seconds=time.perf_counter() - started)
            document, articles = parse_file(
                path, self._rules, self.settings.ingest.max_chunk_tokens, self.settings.ingest.limits
            )
            vectors = self._embed(articles, progress)
            self.journal.stage_replace(document, articles, vectors, original=self._original_to_keep(path))
        except IngestError as error:
            return FileResult(path.name, FileStatus.FAILED, error=str(error), seconds=time.perf_counter() - started)
        return FileResult(
            path.name,
            FileStatus.UPDATED if previous else FileStatus.ADDED,
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

    def _original_to_keep(self, path: Path) -> Path | None:
        """A file from outside the data folders, to be copied into uploads so a rebuild finds it."""
        resolved = path.resolve()
        homes = (self.settings.plans_dir.resolve(), self.settings.uploads_dir.resolve())
        return None if any(resolved.is_relative_to(home) for home in homes) else path

    def delete(self, doc_id: str) -> bool:
        """Remove a document, its chunks, and its uploaded original (bundled plans stay on disk)."""
        lock = self._locked()
        try:
            self._recover()
            document = next((d for d in self.store.documents() if d.doc_id == doc_id), None)
            if document is None:
                return False
            self.journal.begin()
            original = self.settings.uploads_dir / document.doc_file
            self.journal.stage_delete(doc_id, original=document.doc_file if original.is_file() else "")
            self._commit()
        finally:
            lock.release()
            self._catalogue = None
        return True

    # -- the journal ---------------------------------------------------------------------------
    @cached_property
    def journal(self) -> Journal:
        return Journal(self.settings.home / JOURNAL_FOLDER)

    def _commit(self) -> None:
        """Commit the staged batch and apply it to the store (the caller holds the write lock)."""
        self.journal.commit()
        with self._access.writing():  # waits for the answers being read; new ones wait for it
            self.journal.apply(self.store, self.settings.uploads_dir)
            with self._lock:
                self._catalogue = None

    def _recover(self) -> None:
        """Finish or discard a batch a killed writer left (the caller holds the write lock)."""
        self.journal.recover(self.store, self.settings.uploads_dir)

    def _settle(self) -> bool:
        """For readers: finish a batch a killed writer left; False while a live writer applies one."""
        if not self.journal.pending():
            return True
        try:
            lock = self._locked()
        except WriterBusy:
            return False
        try:
            self._recover()
        finally:
            lock.release()
        return True
