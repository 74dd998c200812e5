"""Keyword search on disk (issue 16): BM25 over the chunks' jieba tokens in a tantivy index, opened
in milliseconds and memory-mapped, instead of a bm25s index rebuilt from every chunk at each start.

Why tantivy: benchmarks/keyword_engines.py measured it against today's bm25s and SQLite FTS5 on the
same tokens (benchmarks/README.md, "Keyword engines"): query time flat with the corpus, the least disk
and memory, and nothing rebuilt at start.

The tokens are cut here, at write (`rag.search.keyword.tokenize`), and fed to tantivy split on spaces
only, so the index holds exactly the words bm25s holds today. Each chunk is one tantivy document: its
chunk id, document id and place in the document (stored), its tokens (term frequencies, no positions,
and stored), its token count (a fast field) and its character bigrams (document frequency only: the
extractive answerer's bigram weights). One more document, rewritten at every commit, holds the
totals of that commit: its store version and the tokens of all chunks.

Ranking is bm25s's (`KeywordSearch`: "lucene" BM25, k1 1.5, b 0.75, float32), not tantivy's own (k1
1.2, one-byte length norms), so the same chunks come back in the same order with the same scores.
tantivy picks candidates by its own BM25; they are re-scored from their stored tokens, the live chunk
count and the committed token total; the candidate pool grows until no chunk outside it can reach the
top n (`_outside_ratio`). Ties go in catalogue order: document id, then place in the document.
Frequencies count live chunks only (tantivy's own count chunks deleted but not yet merged away).

One writer at a time (tantivy's own lock file in the folder, beside PlanQA's write lock); any number
of readers, in any process, each seeing the last commit when opened or `reopen`ed. A commit records
the store version it matches, inside the commit (`KeywordIndex.version`) and in `VERSION_FILE`,
written after tantivy's commit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import tantivy

from ingest.text import han_bigrams
from rag.search.keyword import BM25_K1, bm25_idf, lucene_terms, median_idf, tokenize
from rag.settings import Tokenizer

CHUNK_ID = "chunk_id"
DOC_ID = "doc_id"
POSITION = "position"  # the chunk's place in its document's list (`KeywordWriter.replace_document`)
TOKENS = "tokens"
LENGTH = "length"  # a chunk's token count; the totals document's: every chunk's
BIGRAMS = "bigrams"
TOTALS = "totals"  # marks the totals document (value `TOTALS_KEY`)
TOTALS_KEY = "all"
VERSION = "version"  # the totals document's store version
VERSION_FILE = "planqa-version.json"  # {"version": the store version of the last commit}
WRITER_HEAP_BYTES = 64_000_000  # tantivy buffers this much before it writes a segment (its floor is 15 MB)

TANTIVY_K1 = 1.2  # tantivy's own BM25 (b as ours): only bounds what its candidates can leave out
FIRST_POOL = 2  # tantivy is asked for its best n × this first (re-scored n at a time, in its order) ...
POOL_GROWTH = 2  # ... then for this many times more, until no chunk left can reach the top n
BOUND_SLACK = 1e-3  # float32 rounding in tantivy's scores and ours, many times over


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(CHUNK_ID, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(DOC_ID, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field(POSITION, stored=True)
    builder.add_text_field(TOKENS, stored=True, tokenizer_name="whitespace", index_option="freq")
    builder.add_unsigned_field(LENGTH, fast=True)
    builder.add_text_field(BIGRAMS, tokenizer_name="whitespace", index_option="basic")
    builder.add_text_field(TOTALS, tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field(VERSION, stored=True)
    return builder.build()


def read_version(folder: Path) -> int | None:
    """The store version the index's last commit matches (None: never committed)."""
    path = folder / VERSION_FILE
    return json.loads(path.read_text(encoding="utf-8"))["version"] if path.exists() else None


@dataclass(frozen=True)
class Totals:
    """What one commit holds: its store version (None: never committed), live chunks, their tokens."""

    version: int | None
    chunks: int
    tokens: int

    @classmethod
    def of(cls, searcher: tantivy.Searcher, schema: tantivy.Schema) -> Totals:
        """The totals of the commit `searcher` sees."""
        hits = searcher.search(tantivy.Query.term_query(schema, TOTALS, TOTALS_KEY), limit=1).hits
        if not hits:
            if searcher.num_docs:
                raise ValueError("this keyword index has no totals (an older PlanQA wrote it): rebuild the index")
            return cls(None, 0, 0)
        address = hits[0][1]
        [tokens] = searcher.fast_field_values(LENGTH, [address])
        return cls(searcher.doc(address).get_first(VERSION), searcher.num_docs - 1, int(tokens or 0))


def lucene_bm25(
    frequencies: np.ndarray, lengths: np.ndarray, average_length: float, idf: np.ndarray, columns: Sequence[int]
) -> np.ndarray:
    """bm25s's "lucene" BM25, bit for bit: `frequencies[i, j]` of token j in chunk i of `lengths[i]`
    tokens, `idf[j]` float32; each term computed in float64 and stored as float32, as bm25s stores its
    matrix, then summed in float32 over the query's tokens in order (`columns`, repeats counted)."""
    terms = lucene_terms(frequencies, lengths[:, None], average_length, idf)
    total = np.zeros(len(lengths), dtype=np.float32)
    for column in columns:
        total += terms[:, column]
    return total


class KeywordIndex:
    """A read-only view of the index as of its last commit: BM25 ranking, IDF weights, vocabulary."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index = tantivy.Index.open(str(folder))
        self._searcher = self._index.searcher()
        self._totals = Totals.of(self._searcher, self._schema)
        self.version = self._totals.version
        self._tantivy_average: float | None = None  # tantivy's own average chunk length (deleted chunks in)

    @staticmethod
    def exists(folder: Path) -> bool:
        return folder.is_dir() and tantivy.Index.exists(str(folder))

    def reopen(self) -> KeywordIndex:
        """A view of the index as of its latest commit (this one is left as it was)."""
        return KeywordIndex(self.folder)

    def __len__(self) -> int:
        return self._totals.chunks

    def ranking(self, query_tokens: Sequence[str], n: int, doc_ids: Sequence[str] = ()) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) of the `n` best chunks holding a query token, best first, ties in
        catalogue order; only chunks of `doc_ids` when given. What `KeywordSearch.scores` and
        `rag.search.hybrid.top_positive` give for the same chunks. A token repeated in the query counts
        as often as it is repeated."""
        frequencies = {token: self.frequency(token) for token in dict.fromkeys(query_tokens)}
        distinct = [token for token, frequency in frequencies.items() if frequency]
        if not distinct or n < 1:
            return []
        known = [token for token in query_tokens if frequencies[token]]
        query = self._query(known, doc_ids)
        ratio = self._outside_ratio(distinct, [frequencies[t] for t in distinct])
        idf = np.array([bm25_idf(len(self), frequencies[t]) for t in distinct], dtype=np.float32)
        columns = [distinct.index(token) for token in known]
        seen: set[tuple[int, int]] = set()
        documents: list[tantivy.Document] = []
        scores = np.zeros(0, dtype=np.float32)
        pool = int(n * FIRST_POOL)
        while True:
            hits = self._searcher.search(query, limit=pool, count=False).hits
            for start in range(0, len(hits), n):  # in tantivy's order: every chunk after scores at most the last
                batch = [(score, a) for score, a in hits[start : start + n] if (a.segment_ord, a.doc) not in seen]
                if not batch:
                    continue
                seen.update((address.segment_ord, address.doc) for _, address in batch)
                found = [self._searcher.doc(address) for _, address in batch]
                documents += found
                scores = np.concatenate([scores, self._scores(found, distinct, idf, columns)])
                if len(scores) >= n and _nth_highest(scores, n) > ratio * batch[-1][0] * (1 + BOUND_SLACK):
                    return _best(documents, scores, n)
            if len(hits) < pool:  # every chunk that matches is scored
                break
            pool = int(pool * POOL_GROWTH)
        return _best(documents, scores, n)

    def _query(self, tokens: Sequence[str], doc_ids: Sequence[str]) -> tantivy.Query:
        terms = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, TOKENS, token, index_option="freq"))
            for token in tokens
        ]
        query = tantivy.Query.boolean_query(terms)
        if doc_ids:  # a filter that adds nothing to the score
            only = tantivy.Query.const_score_query(
                tantivy.Query.term_set_query(self._schema, DOC_ID, list(doc_ids)), 0.0
            )
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)])
        return query

    def _scores(
        self, documents: list[tantivy.Document], distinct: list[str], idf: np.ndarray, columns: list[int]
    ) -> np.ndarray:
        """bm25s's scores of these chunks, from their stored tokens and the commit's totals. The tokens
        are stored each in its own pair of spaces (" a  b  a "), so that `str.count(" a ")` counts every
        occurrence and half the spaces are the chunk's length: no list of words per chunk."""
        texts = [document.get_first(TOKENS) or "" for document in documents]
        lengths = np.array([text.count(" ") // 2 for text in texts], dtype=np.float64)
        wrapped = [f" {token} " for token in distinct]
        counts = np.array([[text.count(token) for token in wrapped] for text in texts], dtype=np.float64)
        counts = counts.reshape(len(texts), len(distinct))
        return lucene_bm25(counts, lengths, self._totals.tokens / len(self), idf, columns)

    def _outside_ratio(self, tokens: list[str], frequencies: list[int]) -> float:
        """The most a chunk's bm25s score can be per unit of tantivy's score for these tokens, so that a
        chunk tantivy scores at most x scores at most this × x here.

        Per token, bm25s gives idf·tf/(tf + k1·K) and tantivy idf′·(k1′+1)·tf/(tf + k1′·K′), K = 1 − b +
        b·length/average. The ratio of the two lies between its values at tf → 0 and tf → ∞, so it is at
        most idf/idf′ · max(1, k1′K′/(k1K)) / (k1′+1); tantivy's length is rounded down and its average
        counts deleted chunks, so K′/K ≤ max(1, average/average′). idf′ is tantivy's (its document
        frequencies and N count deleted chunks)."""
        ratio = self._totals.tokens / len(self) / self._tantivy_average_length(tokens[0])
        length_factor = max(1.0, TANTIVY_K1 / BM25_K1 * max(1.0, ratio))
        weights = [
            bm25_idf(len(self), frequency) / bm25_idf(self._tantivy_documents, self._searcher.doc_freq(TOKENS, token))
            for token, frequency in zip(tokens, frequencies)
        ]
        return max(weights) * length_factor / (TANTIVY_K1 + 1)

    def _tantivy_average_length(self, token: str) -> float:
        """tantivy's own average chunk length (deleted chunks in), from its explanation of a search for a
        token some live chunk holds: the same for every token of this commit."""
        if self._tantivy_average is None:
            query = tantivy.Query.term_query(self._schema, TOKENS, token, index_option="freq")
            self._tantivy_average = self._explained(query)["avgdl"]
        return self._tantivy_average

    @cached_property
    def _tantivy_documents(self) -> int:
        """tantivy's own document count: deleted chunks in until a merge drops them (the totals document
        in too), from its explanation of a search for the totals document."""
        if self._totals.version is None:
            return self._searcher.num_docs
        return int(self._explained(tantivy.Query.term_query(self._schema, TOTALS, TOTALS_KEY))["N"])

    @cached_property
    def _has_deleted(self) -> bool:
        """Whether this commit's segments still hold deleted chunks (then tantivy's frequencies count them):
        more deleted documents than the totals documents of earlier commits."""
        earlier_totals = self._searcher.doc_freq(TOTALS, TOTALS_KEY) - 1
        return self._tantivy_documents - self._searcher.num_docs > earlier_totals

    def _explained(self, query: tantivy.Query) -> dict[str, float]:
        [(_, address)] = self._searcher.search(query, limit=1).hits
        return _explained(json.loads(query.explain(self._searcher, address).to_json()))

    def frequency(self, token: str) -> int:
        """Number of live chunks holding the token."""
        return self._count(TOKENS, token)

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token no chunk holds gets the highest weight."""
        return bm25_idf(len(self), self.frequency(token))

    def bigram_idf(self, bigram: str) -> float:
        """Inverse document frequency of a character bigram (0 for one no chunk holds)."""
        frequency = self._count(BIGRAMS, bigram)
        return bm25_idf(len(self), frequency) if frequency else 0.0

    def typical_idf(self) -> float:
        """The median IDF of the vocabulary: the weight of an ordinary word."""
        return median_idf(len(self), self._frequencies.values())

    def vocabulary(self) -> list[str]:
        """Every token some chunk holds, the most frequent first (then in code-point order)."""
        return list(self._frequencies)

    def _count(self, field: str, term: str) -> int:
        """Live chunks holding the term (tantivy's `doc_freq` counts deleted ones until a merge)."""
        frequency = self._searcher.doc_freq(field, term)
        if not frequency or not self._has_deleted:
            return frequency
        query = tantivy.Query.term_query(self._schema, field, term)
        found = self._searcher.search(query, limit=1, count=True)
        return int(found.count)  # type: ignore[attr-defined]  # in tantivy's result, not in its type stubs

    @cached_property
    def _frequencies(self) -> dict[str, int]:
        live = tantivy.Query.all_query() if self._has_deleted else None
        return {t: f for t, f in self._searcher.terms_with_prefix(TOKENS, "", filter_query=live) if f}

    @cached_property
    def _schema(self) -> tantivy.Schema:
        return self._index.schema


def _nth_highest(scores: np.ndarray, n: int) -> np.float32:
    return np.partition(scores, len(scores) - n)[len(scores) - n]


def _best(documents: list[tantivy.Document], scores: np.ndarray, n: int) -> list[tuple[str, float]]:
    """(chunk_id, score) of the `n` best, ties in catalogue order (document id, then place in it)."""
    cut = _nth_highest(scores, min(n, len(scores))) if len(scores) else 0
    kept = [
        (-scores[i], documents[i].get_first(DOC_ID), documents[i].get_first(POSITION), i)
        for i in np.flatnonzero(scores >= cut)
    ]
    return [(str(documents[i].get_first(CHUNK_ID)), float(scores[i])) for *_, i in sorted(kept)[:n]]


def _explained(node: dict) -> dict[str, float]:
    """The named values (`N`, `avgdl`, ...) of a tantivy explanation: each detail whose description is
    "name, what it is"."""
    found = {node["description"].split(",")[0]: node["value"]} if "," in node["description"] else {}
    for detail in node.get("details", []):
        found |= _explained(detail)
    return found


class KeywordWriter:
    """Changes to the index, all published by `commit` or none (a writer dropped or rolled back
    leaves the last commit as it was). Holds tantivy's writer lock of the folder until `close`.

    Keeps the token total of the chunks as it will be at commit: the tokens of a document it has
    not touched yet are read from the last commit (a sum over the document's chunks, no scan)."""

    def __init__(self, folder: Path, mode: Tokenizer = Tokenizer.JIEBA) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.mode = mode
        self._index = tantivy.Index(_schema(), path=str(folder), reuse=True)
        self._writer = self._index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        self._closed = False
        self._start_from_last_commit()

    def _start_from_last_commit(self) -> None:
        self._index.reload()
        self._committed = self._index.searcher()
        self._tokens = Totals.of(self._committed, self._index.schema).tokens
        self._written: dict[str, int] = {}  # doc_id → the tokens of its chunks since the last commit
        self._emptied = False  # `reset` since the last commit: no committed chunk is left

    def replace_document(self, doc_id: str, chunk_ids: Sequence[str], texts: Sequence[str]) -> None:
        """The document's chunks from now on: `texts[i]` is what is searched for `chunk_ids[i]` (for the
        store's chunks, `rag.store.catalogue.index_text`), in reading order (ties rank in this order);
        the document's old chunks are removed."""
        if len(chunk_ids) != len(texts):
            raise ValueError(f"{len(chunk_ids)} chunk ids for {len(texts)} texts")
        tokens = [tokenize(text, self.mode) for text in texts]
        self.replace_tokens(doc_id, chunk_ids, tokens, [han_bigrams(text) for text in texts])

    def replace_tokens(
        self, doc_id: str, chunk_ids: Sequence[str], tokens: Sequence[list[str]], bigrams: Sequence[list[str]] = ()
    ) -> None:
        """`replace_document` with each chunk's tokens (and bigrams, when given) already cut."""
        self.delete_document(doc_id)
        for position, (chunk_id, words) in enumerate(zip(chunk_ids, tokens, strict=True)):
            document = tantivy.Document()
            document.add_text(CHUNK_ID, chunk_id)
            document.add_text(DOC_ID, doc_id)
            document.add_unsigned(POSITION, position)
            document.add_text(TOKENS, "".join(f" {word} " for word in words))  # " a  b ": see `_scores`
            document.add_unsigned(LENGTH, len(words))
            if bigrams:
                document.add_text(BIGRAMS, " ".join(dict.fromkeys(bigrams[position])))
            self._writer.add_document(document)
        written = sum(len(words) for words in tokens)
        self._written[doc_id] = written
        self._tokens += written

    def delete_document(self, doc_id: str) -> None:
        self._tokens -= self._document_tokens(doc_id)
        self._written[doc_id] = 0
        self._writer.delete_documents_by_term(DOC_ID, doc_id)

    def _document_tokens(self, doc_id: str) -> int:
        """The tokens of the document's chunks as this writer has left them."""
        if doc_id in self._written:
            return self._written[doc_id]
        if self._emptied:
            return 0
        chunks = tantivy.Query.term_query(self._index.schema, DOC_ID, doc_id)
        found = self._committed.aggregate(chunks, {"tokens": {"sum": {"field": LENGTH}}})
        return int(found["tokens"]["value"])

    def reset(self) -> None:
        """Every chunk out (a rebuild starts with this)."""
        self._writer.delete_all_documents()
        self._tokens = 0
        self._written.clear()
        self._emptied = True

    def commit(self, version: int) -> None:
        """Publish every change since the last commit, as the index of store version `version`."""
        self._writer.delete_documents_by_term(TOTALS, TOTALS_KEY)
        totals = tantivy.Document()
        totals.add_text(TOTALS, TOTALS_KEY)
        totals.add_unsigned(LENGTH, self._tokens)
        totals.add_unsigned(VERSION, version)
        self._writer.add_document(totals)
        self._writer.commit()
        self._start_from_last_commit()
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
        self._start_from_last_commit()

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
