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


PROTOTYPES = {"paged-reads": paged_reads, "corpus-index": corpus_index, "fast-names": fast_names}
