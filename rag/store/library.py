"""The writer of PLANQA_HOME's index, `Library`: ingests and deletes files (through the journal,
all or nothing), and builds and pins the catalogue (rag/store/catalogue.py) that answers read.

Writes (ingest, delete, reset) hold a lock file, so one process writes at a time and a second writer
gets a clear message. The catalogue (all chunks, BM25, documents) is built once and rebuilt only when
the store's version changes; `reading()` pins one for a whole answer.

Several processes over one PLANQA_HOME (the app serving while `python -m rag ingest` runs, or several
app processes over one Chroma server): each reader notices another's write and reloads, rather than
sending writes through the app. A reader cannot stop an operator's CLI, a cron job or a second app
process from writing, so it must cope with their writes in any case; and the write lock already keeps
the writers one at a time. The reload (issue 14, item 2): every `store.version_check_s` one answering
thread compares the store's version with its catalogue's; when it moved, a background thread opens a
fresh Chroma client (a local client never sees the vectors another process wrote after it loaded
them), reads the new state through it, checks that no write landed meanwhile, and installs catalogue
and client together between answers, like a write of this process. Until then every answer reads the
old state; a transient Chroma error or a write under way leaves it in place for the next check.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import numpy as np
from chromadb.errors import ChromaError
from filelock import FileLock, Timeout

from ingest.clean import CleaningRules
from ingest.loaders import IngestError, check_file
from ingest.pipeline import doc_id_for, parse_file
from ingest.records import Article
from rag.search.embeddings import VectorEmbeddings, make_embeddings
from rag.search.keyword import KeywordSearch
from rag.settings import Settings
from rag.store.catalogue import Catalogue, index_text
from rag.store.chroma import ArticleStore
from rag.store.disk import raising_storage_errors
from rag.store.journal import Journal, kept_name
from rag.store.locks import ReadWriteLock
from rag.store.lookalikes import Named, NameRegister

Progress = Callable[[str, int, int], None]  # (what, done, total)
JOURNAL_FOLDER = "journal"  # under PLANQA_HOME: the batch a writer is staging or applying
FIRST_LOAD_TRIES = 10  # a first catalogue read while another process applies a batch waits for it this many times…
FIRST_LOAD_PAUSE_S = 0.5  # …this long each, then takes the store as it is
log = logging.getLogger(__name__)


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
    reason: str = ""  # a failed file's `IngestError.reason`, for callers that word it themselves


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
        with raising_storage_errors(settings.home):  # Chroma writes on opening: a full disk, a read-only home
            self.store = ArticleStore.open(settings)
        # The store version this client has seen whole (None: not known); another version means
        # another process wrote, and the client must be opened afresh to see it.
        self._fresh_at: int | None = None if self.journal.pending() else self.store.version()
        self._catalogue: Catalogue | None = None
        self._checked_at = 0.0
        self._loading = threading.Lock()  # held to load a catalogue or to write: one at a time
        self._access = ReadWriteLock()  # answers read one state; a write or reload is installed between answers
        self._pinned = threading.local()  # the catalogue of the answer this thread is building

    @cached_property
    def embeddings(self) -> VectorEmbeddings:
        return make_embeddings(self.settings.embedding)

    @cached_property
    def _rules(self) -> CleaningRules:
        """The cleaning rules, read when a file is first ingested (answering never needs them)."""
        return CleaningRules.load(self.settings.ingest.rules_file)

    # -- reading -------------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        """The current catalogue (inside `reading()`, the one it pinned); reloaded when the store changed."""
        pinned = getattr(self._pinned, "catalogue", None)
        return pinned if pinned is not None else self._refresh()

    @contextmanager
    def reading(self) -> Iterator[Catalogue]:
        """One index state for everything read inside: no write is applied to the store meanwhile, and
        `catalogue()` on this thread gives the same catalogue throughout, so an answer never mixes the
        store and catalogue of two states (tests/test_load.py). Do not hold it across a `yield`."""
        outer = getattr(self._pinned, "catalogue", None)
        if outer is None:
            self._refresh()  # before the read side is taken: a reload is installed between answers
        with self._access.reading():
            self._pinned.catalogue = outer or self._catalogue
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

    # -- reloading -----------------------------------------------------------------------------
    def _refresh(self) -> Catalogue:
        """The catalogue to answer from now. The first one is read here; after that, every
        `version_check_s` one caller checks whether the store changed and, if so, a background thread
        reads the new state and installs it between answers, while everyone answers from the old one."""
        if self._catalogue is None:
            with self._loading:
                if self._catalogue is None:
                    self._load_first()
        catalogue = self._catalogue
        assert catalogue is not None  # read above, or an error was raised
        if time.monotonic() - self._checked_at <= self.settings.store.version_check_s:
            return catalogue
        if not self._loading.acquire(blocking=False):
            return catalogue  # a write or a reload is under way: it installs its own state
        self._checked_at = time.monotonic()
        try:
            changed = self.journal.pending() or self.store.version() != catalogue.version
        except ChromaError:  # the collection is being dropped and made again (a reset): read it again
            changed = True
        if not changed:
            self._loading.release()
            return catalogue
        try:
            threading.Thread(target=self._reload, name="planqa-reload", daemon=True).start()
        except BaseException:
            self._loading.release()
            raise
        return catalogue

    def _reload(self) -> None:
        """Read the store's new state and install it; the caller holds `_loading`, released here."""
        try:
            loaded = self._load()
            if loaded is not None:
                self._install(*loaded)
        except Exception:  # noqa: BLE001 - a reload never takes the app down; the old state serves on
            log.warning("reloading the index failed; answering from the state before it", exc_info=True)
        finally:
            self._loading.release()

    def _load_first(self) -> None:
        """Read the first catalogue, waiting a little for a batch another process is applying."""
        for attempt in range(FIRST_LOAD_TRIES):
            last = attempt == FIRST_LOAD_TRIES - 1
            try:
                loaded = self._load(whole=not last)
            except ChromaError:
                if last:
                    raise
                loaded = None
            if loaded is not None:
                self._install(*loaded)
                return
            time.sleep(FIRST_LOAD_PAUSE_S)

    def _load(self, whole: bool = True) -> tuple[Catalogue, ArticleStore] | None:
        """The store's state as a catalogue, with the store to read through: this process's client when it
        has seen that state, else a fresh one. None while another process applies a batch, or when a
        write landed during the read (`whole`: else the state is taken as read)."""
        try:
            current = self._fresh_at is not None and self.store.version() == self._fresh_at
        except ChromaError:  # its collections were dropped (a reset by another process)
            current = False
        store = self.store if current else ArticleStore.open(self.settings)
        try:
            catalogue = self._read(store, whole) if self._settle(store) or not whole else None
        except BaseException:
            if store is not self.store:
                store.close()
            self._fresh_at = None  # the next attempt opens a fresh client
            raise
        if catalogue is None and store is not self.store:
            store.close()
        return None if catalogue is None else (catalogue, store)

    def _read(self, store: ArticleStore, whole: bool = True) -> Catalogue | None:
        """Everything readers keep in memory, read from `store`; None when a write began or landed
        meanwhile (`whole`), so a catalogue never holds half of a write."""
        if whole and self.journal.pending():
            return None
        version = store.version()
        articles = store.articles()
        documents = store.documents()
        vectors = store.sample_vectors(self.settings.retrieval.reference_sample)
        if whole and (self.journal.pending() or store.version() != version):
            return None
        return Catalogue(
            version=version,
            articles=articles,
            documents=documents,
            keyword=KeywordSearch([index_text(a) for a in articles], self.settings.retrieval.tokenizer),
            reference_vectors=vectors,
        )

    def _install(self, catalogue: Catalogue, store: ArticleStore) -> None:
        """Answer from `catalogue` through `store` from now on: between answers, like a write."""
        with self._access.writing():
            previous, self.store = self.store, store
            self._catalogue = catalogue
            self._fresh_at = catalogue.version
        if previous is not store:
            previous.close()

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

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold PLANQA_HOME's write lock (`WriterBusy` when another process has it) and this process's
        loading lock, with a client that has seen every earlier write; finish a batch a killed writer left."""
        with raising_storage_errors(self.settings.home):  # a full disk, a read-only home: one line
            lock = self._locked()
        try:
            with self._loading, raising_storage_errors(self.settings.home):
                self._catch_up()
                self._recover()
                yield
        finally:
            lock.release()

    def _catch_up(self) -> None:
        """Open the store afresh when another process wrote since this client loaded it (the caller
        holds the write lock, so nobody writes until it is done)."""
        try:
            if self._fresh_at is not None and self.store.version() == self._fresh_at:
                return
        except ChromaError:
            pass
        store = ArticleStore.open(self.settings)
        with self._access.writing():
            previous, self.store = self.store, store
            self._fresh_at = None if self.journal.pending() else store.version()
        previous.close()

    def ingest(self, paths: Iterable[Path], reset: bool = False, progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders; unchanged files are skipped, changed ones replaced whole.

        All or nothing: every file is parsed and embedded into the journal first, and the store is
        changed only after the batch is committed there (see rag/store/journal.py). A file from outside
        the data folders is copied into the batch under its kept name (`kept_name`) and read from there;
        it reaches uploads/ with the batch. A file whose name or title looks like another document's, or
        that would replace a bundled plan, is refused (rag/store/lookalikes.py).
        """
        started = time.perf_counter()
        report = IngestReport()
        with self._writing():
            self.journal.begin()
            if reset:
                self.journal.stage_reset()
            indexed = {} if reset else self.store.document_names()
            # a bundled plan's id is protected where that plan is indexed (a home of other documents,
            # e.g. on a Chroma server, may hold a cut-down copy under the same name)
            bundled = {doc_id: file for doc_id, file in self._bundled().items() if doc_id in indexed}
            names = NameRegister((Named(doc_id, file, title) for doc_id, (file, title) in indexed.items()), bundled)
            files = collect_files(paths, self.settings.ingest.extensions)
            for number, path in enumerate(files, start=1):
                if progress:
                    progress(f"{path.name}", number - 1, len(files))
                report.files.append(self._stage_file(path, reset, names, progress))
            if progress:
                progress("done", len(files), len(files))
            self._commit()
        report.seconds = time.perf_counter() - started
        return report

    def _stage_file(self, path: Path, reset: bool, names: NameRegister, progress: Progress | None) -> FileResult:
        """Parse and embed one file into the journal; nothing in the store changes yet."""
        started = time.perf_counter()
        try:
            check_file(path, self.settings.ingest.limits)  # before hashing: a 5 GB file is refused unread
            keep = self._keeps_original(path)
            bundled = path.resolve().is_relative_to(self.settings.plans_dir.resolve())
            readable = self.journal.stage_incoming(path, kept_name(path.name)) if keep else path
            doc_id = doc_id_for(readable)
            digest = hashlib.sha256(readable.read_bytes()).hexdigest()
            previous = None if reset else self.store.document_hash(doc_id)
            if previous == digest:
                return FileResult(path.name, FileStatus.UNCHANGED, seconds=time.perf_counter() - started)
            names.check_file(doc_id, readable.name, bundled)  # before it is read: a copy is refused unparsed
            document, articles = parse_file(
                readable, self._rules, self.settings.ingest.max_chunk_tokens, self.settings.ingest.limits
            )
            named = Named(document.doc_id, document.doc_file, document.title)
            names.check_title(named, bundled)
            vectors = self._embed(articles, progress)
            self.journal.stage_replace(document, articles, vectors, original=readable if keep else None)
            names.add(named, bundled)
        except IngestError as error:
            seconds = time.perf_counter() - started
            return FileResult(path.name, FileStatus.FAILED, error=str(error), reason=error.reason, seconds=seconds)
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

    def _keeps_original(self, path: Path) -> bool:
        """A file from outside the data folders is kept (copied into uploads) so a rebuild finds it."""
        resolved = path.resolve()
        homes = (self.settings.plans_dir.resolve(), self.settings.uploads_dir.resolve())
        return not any(resolved.is_relative_to(home) for home in homes)

    def _bundled(self) -> dict[str, str]:
        """doc_id → file name of the bundled plans (a file from elsewhere may not take one of their ids)."""
        plans = self.settings.plans_dir
        files = collect_files([plans], self.settings.ingest.extensions) if plans.is_dir() else []
        return {doc_id_for(p): p.name for p in files}

    def delete(self, doc_id: str) -> bool:
        """Remove a document, its chunks, and its uploaded original (bundled plans stay on disk)."""
        with self._writing():
            document = next((d for d in self.store.documents() if d.doc_id == doc_id), None)
            if document is None:
                return False
            self.journal.begin()
            original = self.settings.uploads_dir / document.doc_file
            self.journal.stage_delete(doc_id, original=document.doc_file if original.is_file() else "")
            self._commit()
        return True

    # -- the journal ---------------------------------------------------------------------------
    @cached_property
    def journal(self) -> Journal:
        return Journal(self.settings.home / JOURNAL_FOLDER)

    def _commit(self) -> None:
        """Commit the staged batch, apply it to the store and read the catalogue of the new state (the
        caller holds `_writing()`)."""
        self.journal.commit()
        with self._access.writing():  # waits for the answers being read; new ones wait for it
            self.journal.apply(self.store, self.settings.uploads_dir)
            self._fresh_at = self.store.version()
            if self._catalogue is not None and self._catalogue.version == self._fresh_at:
                return  # nothing changed
            try:
                catalogue = self._read(self.store)
            except ChromaError:
                log.warning("reading the index after a write failed; the next answer reads it", exc_info=True)
                catalogue = None
            if catalogue is not None:
                self._catalogue = catalogue
            else:
                self._checked_at = 0.0  # the next answer checks the version, and a reload reads it

    def _recover(self, store: ArticleStore | None = None) -> None:
        """Finish or discard a batch a killed writer left (the caller holds the write lock)."""
        self.journal.recover(store or self.store, self.settings.uploads_dir)

    def _settle(self, store: ArticleStore) -> bool:
        """For readers: finish a batch a killed writer left; False while a live writer applies one."""
        if not self.journal.pending():
            return True
        try:
            lock = self._locked()
        except WriterBusy:
            return False
        try:
            self._recover(store)
        finally:
            lock.release()
        return True
