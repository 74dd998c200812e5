"""Keyword search on disk (issue 16): BM25 over the chunks' jieba tokens in a tantivy index, opened
in milliseconds and memory-mapped, instead of a bm25s index rebuilt from every chunk at each start.

Why tantivy: benchmarks/keyword_engines.py measured it against today's bm25s and SQLite FTS5 on the
same tokens (benchmarks/README.md, "Keyword engines"): retrieval on the eval sets as good or better
(one holdout question of 40 leaves the top 5), query time flat with the corpus, the least disk and
memory, and nothing rebuilt at start.

The tokens are cut here, at write (`rag.search.keyword.tokenize`), and fed to tantivy split on spaces
only, so the index holds exactly the words bm25s holds today. Each chunk is one tantivy document:
its chunk id (stored), its document id (a filter, and what a replace or delete removes), its tokens
(term frequencies, no positions: BM25 needs no more) and its character bigrams (document frequency
only: the extractive answerer's bigram weights). Ranking is tantivy's BM25 (k1 1.2, b 0.75); IDF
weights use the same formula as `KeywordSearch` (`rag.search.keyword.bm25_idf`), over the document
frequencies the index keeps.

One writer at a time (tantivy's own lock file in the folder, beside PlanQA's write lock); any number
of readers, in any process, each seeing the last commit when opened or `reopen`ed. A commit records
the store version it matches (`VERSION_FILE`), written after tantivy's commit: a reader whose version
differs from the store's is looking at a write not yet finished.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import tantivy

from ingest.text import han_bigrams
from rag.search.keyword import bm25_idf, median_idf, tokenize
from rag.settings import Tokenizer

CHUNK_ID = "chunk_id"
DOC_ID = "doc_id"
TOKENS = "tokens"
BIGRAMS = "bigrams"
VERSION_FILE = "planqa-version.json"  # {"version": the store version of the last commit}
WRITER_HEAP_BYTES = 64_000_000  # tantivy buffers this much before it writes a segment (its floor is 15 MB)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(CHUNK_ID, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(DOC_ID, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(TOKENS, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field(BIGRAMS, tokenizer_name="whitespace", index_option="basic")
    return builder.build()


def read_version(folder: Path) -> int | None:
    """The store version the index's last commit matches (None: never committed)."""
    path = folder / VERSION_FILE
    return json.loads(path.read_text(encoding="utf-8"))["version"] if path.exists() else None


class KeywordIndex:
    """A read-only view of the index as of its last commit: BM25 ranking, IDF weights, vocabulary."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index = tantivy.Index.open(str(folder))
        self._searcher = self._index.searcher()
        self.version = read_version(folder)

    @staticmethod
    def exists(folder: Path) -> bool:
        return folder.is_dir() and tantivy.Index.exists(str(folder))

    def reopen(self) -> KeywordIndex:
        """A view of the index as of its latest commit (this one is left as it was)."""
        return KeywordIndex(self.folder)

    def __len__(self) -> int:
        return self._searcher.num_docs

    def ranking(self, query_tokens: Sequence[str], n: int, doc_ids: Sequence[str] = ()) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) of the `n` best chunks holding a query token, best first; only chunks of
        `doc_ids` when given. A token repeated in the query counts as often as it is repeated."""
        if not query_tokens:
            return []
        terms = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, TOKENS, token, index_option="freq"))
            for token in query_tokens
        ]
        query = tantivy.Query.boolean_query(terms)
        if doc_ids:  # a filter that adds nothing to the score
            only = tantivy.Query.const_score_query(
                tantivy.Query.term_set_query(self._schema, DOC_ID, list(doc_ids)), 0.0
            )
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)])
        searcher = self._searcher
        hits = searcher.search(query, limit=n, count=False).hits
        return [(str(searcher.doc(address).get_first(CHUNK_ID)), float(score)) for score, address in hits]

    def frequency(self, token: str) -> int:
        """Number of chunks holding the token."""
        return self._searcher.doc_freq(TOKENS, token)

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token no chunk holds gets the highest weight."""
        return bm25_idf(len(self), self.frequency(token))

    def bigram_idf(self, bigram: str) -> float:
        """Inverse document frequency of a character bigram (0 for one no chunk holds)."""
        frequency = self._searcher.doc_freq(BIGRAMS, bigram)
        return bm25_idf(len(self), frequency) if frequency else 0.0

    def typical_idf(self) -> float:
        """The median IDF of the vocabulary: the weight of an ordinary word."""
        return median_idf(len(self), self._frequencies.values())

    def vocabulary(self) -> list[str]:
        """Every token some chunk holds, the most frequent first (then in code-point order)."""
        return list(self._frequencies)

    @cached_property
    def _frequencies(self) -> dict[str, int]:
        return dict(self._searcher.terms_with_prefix(TOKENS, ""))

    @cached_property
    def _schema(self) -> tantivy.Schema:
        return self._index.schema


class KeywordWriter:
    """Changes to the index, all published by `commit` or none (a writer dropped or rolled back
    leaves the last commit as it was). Holds tantivy's writer lock of the folder until `close`."""

    def __init__(self, folder: Path, mode: Tokenizer = Tokenizer.JIEBA) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.mode = mode
        index = tantivy.Index(_schema(), path=str(folder), reuse=True)
        self._writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        self._closed = False

    def replace_document(self, doc_id: str, chunk_ids: Sequence[str], texts: Sequence[str]) -> None:
        """The document's chunks from now on: `texts[i]` is what is searched for `chunk_ids[i]` (for the
        store's chunks, `rag.store.catalogue.index_text`); the document's old chunks are removed."""
        if len(chunk_ids) != len(texts):
            raise ValueError(f"{len(chunk_ids)} chunk ids for {len(texts)} texts")
        self.delete_document(doc_id)
        for chunk_id, text in zip(chunk_ids, texts):
            document = tantivy.Document()
            document.add_text(CHUNK_ID, chunk_id)
            document.add_text(DOC_ID, doc_id)
            document.add_text(TOKENS, " ".join(tokenize(text, self.mode)))
            document.add_text(BIGRAMS, " ".join(dict.fromkeys(han_bigrams(text))))
            self._writer.add_document(document)

    def delete_document(self, doc_id: str) -> None:
        self._writer.delete_documents_by_term(DOC_ID, doc_id)

    def reset(self) -> None:
        """Every chunk out (a rebuild starts with this)."""
        self._writer.delete_all_documents()

    def commit(self, version: int) -> None:
        """Publish every change since the last commit, as the index of store version `version`."""
        self._writer.commit()
        path = self.folder / VERSION_FILE
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"version": version}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def rollback(self) -> None:
        """Drop every change since the last commit."""
        self._writer.rollback()

    def close(self) -> None:
        """Drop what was not committed, let merges finish and give up the writer lock."""
        if self._closed:
            return
        self._closed = True
        self._writer.rollback()
        self._writer.wait_merging_threads()

    def __enter__(self) -> KeywordWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
