"""Keyword engines compared on the same jieba tokens (issue 16): today's in-memory bm25s index against
on-disk engines made for keyword search, SQLite FTS5 and tantivy.

Every engine indexes the same pre-tokenised chunks (`rag.search.keyword.tokenize` of
`rag.store.catalogue.index_text`, space-joined) and is asked the same query tokens the app searches
(`tokenize(Question.query)` with the question's document filter, as `HybridSearch.keyword_ranking`
does), so what differs is the engine alone:

- `bm25s` is today's design: the index is built in memory from the tokens at every start and after
  every write (the app also re-tokenises every chunk then; that time is reported on its own);
- `bm25s-saved` is bm25s's own on-disk format (numpy arrays, memory-mapped on load), rewritten whole on
  every write: the cheapest way to keep bm25s without rebuilding at start;
- `fts5` is SQLite's full-text index (stdlib `sqlite3`, ranked by its `bm25()`), one database file;
- `tantivy` is the Rust search library (PyPI `tantivy`), a folder of segments, memory-mapped.

Figures, each engine against `bm25s` in the same run: keyword-only retrieval on the eval sets
(hit@5, hit@10, MRR@10 of the gold quotes, scored as eval/metrics.py scores them), the cold open of
an existing index in a fresh process (and bm25s's rebuild), peak RSS, write rate and disk size, the
cost of replacing one document at that size, and query p50/p95 (the app's `candidates`, warm). At
the real corpora (the bundled plans: eval/qa.jsonl and eval/holdout.jsonl; plans + dev corpus:
eval/unseen.jsonl) and at synthetic corpora (benchmarks/synthetic.py: varied copies of the plans, the
real plans inside, so the plans' questions are asked among distractors).

    .venv/bin/python -m benchmarks.keyword_engines --all-home /tmp/h-all      # real corpora, 10k, 100k
    .venv/bin/python -m benchmarks.keyword_engines --sizes 10000 --home HOME  # another plans index

Homes given are copied into --work first (a Chroma client may write on opening). Tokens of each
corpus are cached under --work. Results: benchmarks/results/keyword_engines.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    DEFAULT_WORK,
    PROJECT,
    PYTHON,
    Summary,
    fresh_dir,
    load_average,
    machine,
    memory_kb,
    offline_env,
    run_with_peak,
    set_offline,
    write_json,
)

ENGINES = ("bm25s", "bm25s-saved", "fts5", "tantivy")
BASELINE = "bm25s"
EVAL = PROJECT / "eval"
PLANS_SETS = ("qa", "holdout")  # asked of the bundled plans (and of the synthetic corpora built from them)
ALL_SETS = ("unseen",)  # asked of the plans + data/devcorpus/docs
DEPTHS = (5, 10)  # hit@k; MRR over the deepest
QUERY_ROUNDS = 3  # every query asked this many times for p50/p95 (the first round warms the engine)
OPEN_REPEATS = 3  # fresh processes per engine and corpus, in alternating order
REPLACED_DOCUMENT = "neizi-tongchenghua-2021"  # the plan whose chunks are written again ("replace one document")
FTS5_TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '.%'"  # split on spaces only: "4.66", "30%" stay whole
MB = 1024 * 1024


# -- corpora -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One chunk as the engines see it: its id, its document, its tokens (space-joined)."""

    chunk_id: str
    doc_id: str
    tokens: str


def write_rows(path: Path, rows: Iterable[Row]) -> None:
    with open(path, "w", encoding="utf-8") as sink:
        for row in rows:
            sink.write(json.dumps([row.chunk_id, row.doc_id, row.tokens], ensure_ascii=False) + "\n")


def read_rows(path: Path) -> list[Row]:
    with open(path, encoding="utf-8") as source:
        return [Row(*json.loads(line)) for line in source]


def tokenised(articles, work: Path, name: str) -> tuple[Path, dict]:
    """The corpus file of `articles` (cached by name and chunk ids); how long jieba took for it."""
    from rag.search.keyword import tokenize
    from rag.settings import Settings
    from rag.store.catalogue import index_text

    mode = Settings(_env_file=None).retrieval.tokenizer
    path, marker = work / f"corpus-{name}.jsonl", work / f"corpus-{name}.json"
    key = {"chunks": len(articles), "last": articles[-1].chunk_id, "tokenizer": str(mode)}
    if path.exists() and marker.exists() and json.loads(marker.read_text()).get("key") == key:
        return path, json.loads(marker.read_text())
    started = time.perf_counter()
    rows = [Row(a.chunk_id, a.doc_id, " ".join(tokenize(index_text(a), mode))) for a in articles]
    seconds = time.perf_counter() - started
    write_rows(path, rows)
    done = {"key": key, "tokenize_s": round(seconds, 2), "tokenize_chunks_per_s": round(len(rows) / seconds, 1)}
    marker.write_text(json.dumps(done))
    return path, done


def synthetic_articles(source_home: Path, size: int) -> list:
    """The chunks of the synthetic corpus of `size` (benchmarks/synthetic.py), texts only: no vectors."""
    from benchmarks.synthetic import plan, read_source, vary

    source = read_source(source_home)
    articles = []
    for number, copy, take in plan(source, size):
        document, chunks, _ = source[number]
        articles += vary(document, chunks, copy)[1][:take]
    return articles


@dataclass(frozen=True)
class Query:
    """A question as the app searches it: its keyword tokens and the documents it names."""

    tokens: list[str]
    doc_ids: list[str]


def read_queries(home: Path, sets: Sequence[str]) -> tuple[list, dict[str, list], dict[str, list[Query]]]:
    """The index's chunks, and each eval set's answerable items with their queries as PlanQA reads them
    (`tokenize(Question.query)` and `Question.doc_ids`: what `HybridSearch.keyword_ranking` searches)."""
    from eval.ablations import read_question
    from eval.dataset import load_dataset
    from rag.api import PlanQA
    from rag.search.keyword import tokenize
    from rag.settings import Settings

    settings = Settings(_env_file=None, home=home)
    planqa = PlanQA(settings, build=False)
    items, queries = {}, {}
    with planqa.index.reading() as catalogue:
        for name in sets:
            answerable = [item for item in load_dataset(EVAL / f"{name}.jsonl") if item.answerable]
            parsed = [read_question(planqa, item.question) for item in answerable]
            items[name] = answerable
            queries[name] = [Query(tokenize(q.query, settings.retrieval.tokenizer), list(q.doc_ids)) for q in parsed]
            check_baseline(planqa, parsed, queries[name])
        articles = list(catalogue.articles)
    return articles, items, queries


def check_baseline(planqa, parsed, queries: list[Query]) -> None:
    """This script's `bm25s` engine must rank exactly as the app's keyword search does."""
    from rag.search.keyword import tokenize
    from rag.store.catalogue import index_text

    catalogue = planqa.index.catalogue()
    mode = planqa.settings.retrieval.tokenizer
    rows = [Row(a.chunk_id, a.doc_id, " ".join(tokenize(index_text(a), mode))) for a in catalogue.articles]
    engine = Bm25sMemory.from_rows(rows)
    n = planqa.settings.retrieval.candidates
    for question, query in zip(parsed, queries, strict=True):
        app = planqa.retriever.keyword_ranking(question.query, question.doc_ids or None)
        ours = engine.search(query.tokens, query.doc_ids, n)
        if [c for c, _ in app] != [c for c, _ in ours]:
            raise RuntimeError(f"the bm25s engine here ranks {question.text!r} unlike the app: update this script")


# -- engines -------------------------------------------------------------------------------------------------
class Bm25sMemory:
    """Today's design: bm25s built in memory (rag/search/keyword.py), candidates as hybrid.py takes them."""

    def __init__(self, bm25, chunk_ids: list[str], doc_ids: list[str]) -> None:
        import numpy as np

        self._bm25 = bm25
        self._chunk_ids = chunk_ids
        rows: dict[str, list[int]] = {}
        for position, doc_id in enumerate(doc_ids):
            rows.setdefault(doc_id, []).append(position)
        self._rows = {doc_id: np.array(found, dtype=np.int64) for doc_id, found in rows.items()}

    @classmethod
    def from_rows(cls, rows: list[Row]) -> Bm25sMemory:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([row.tokens.split() for row in rows], show_progress=False)
        return cls(bm25, [r.chunk_id for r in rows], [r.doc_id for r in rows])

    def search(self, tokens: list[str], doc_ids: list[str], n: int) -> list[tuple[str, float]]:
        import numpy as np

        from rag.search.hybrid import top_positive

        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return []
        scores = self._bm25.get_scores(known)
        if doc_ids:
            found = [self._rows[d] for d in doc_ids if d in self._rows]
            rows = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
            kept = np.zeros_like(scores)
            kept[rows] = scores[rows]
            scores = kept
        return [(self._chunk_ids[i], float(scores[i])) for i in top_positive(scores, n)]


class Bm25sEngine:
    """bm25s rebuilt from the tokens at every open: nothing of its own on disk (the corpus file stands
    in for the chunks the app reads from Chroma)."""

    name = "bm25s"

    def write(self, folder: Path, rows: list[Row]) -> None:
        Bm25sMemory.from_rows(rows)  # what every write costs today: the whole index again

    def replace(self, folder: Path, rows: list[Row], doc_id: str, new: list[Row]) -> None:
        Bm25sMemory.from_rows([r for r in rows if r.doc_id != doc_id] + new)

    def open(self, folder: Path, corpus: Path) -> Bm25sMemory:
        return Bm25sMemory.from_rows(read_rows(corpus))


class Bm25sSavedEngine:
    """bm25s's own files (`BM25.save`, loaded memory-mapped) and the chunk ids beside them."""

    name = "bm25s-saved"

    def write(self, folder: Path, rows: list[Row]) -> None:
        engine = Bm25sMemory.from_rows(rows)
        engine._bm25.save(str(folder), show_progress=False)
        ids = {"chunk_ids": [r.chunk_id for r in rows], "doc_ids": [r.doc_id for r in rows]}
        (folder / "ids.json").write_text(json.dumps(ids, ensure_ascii=False))

    def replace(self, folder: Path, rows: list[Row], doc_id: str, new: list[Row]) -> None:
        self.write(folder, [r for r in rows if r.doc_id != doc_id] + new)  # no incremental update in bm25s

    def open(self, folder: Path, corpus: Path) -> Bm25sMemory:
        import bm25s

        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        ids = json.loads((folder / "ids.json").read_text())
        return Bm25sMemory(bm25, ids["chunk_ids"], ids["doc_ids"])


class Fts5Reader:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def search(self, tokens: list[str], doc_ids: list[str], n: int) -> list[tuple[str, float]]:
        if not tokens:
            return []
        match = " OR ".join(f'"{t}"' for t in tokens)
        where, args = "terms MATCH ?", [match]
        if doc_ids:
            where += f" AND chunks.doc_id IN ({','.join('?' * len(doc_ids))})"
            args += doc_ids
        found = self._db.execute(  # CROSS JOIN: the index first, then the filter (else a MATCH per chunk)
            f"SELECT chunks.chunk_id, bm25(terms) AS score FROM terms CROSS JOIN chunks ON chunks.row = terms.rowid"
            f" WHERE {where} ORDER BY score LIMIT ?",
            [*args, n],
        )
        return [(chunk_id, -score) for chunk_id, score in found]


class Fts5Engine:
    """One SQLite file: the chunks' ids and documents in a table, their tokens in an FTS5 index."""

    name = "fts5"
    FILE = "keyword.sqlite3"

    def write(self, folder: Path, rows: list[Row]) -> None:
        db = sqlite3.connect(folder / self.FILE)
        db.execute("PRAGMA journal_mode=WAL")
        with db:
            db.execute(
                "CREATE TABLE chunks(row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL)"
            )
            db.execute("CREATE INDEX chunks_doc ON chunks(doc_id)")
            db.execute(f'CREATE VIRTUAL TABLE terms USING fts5(tokens, tokenize="{FTS5_TOKENIZER}")')
        self._insert(db, rows)
        with db:
            db.execute("INSERT INTO terms(terms) VALUES ('optimize')")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()

    @staticmethod
    def _insert(db: sqlite3.Connection, rows: list[Row]) -> None:
        with db:
            for row in rows:
                rowid = db.execute(
                    "INSERT INTO chunks(chunk_id, doc_id) VALUES (?, ?)", (row.chunk_id, row.doc_id)
                ).lastrowid
                db.execute("INSERT INTO terms(rowid, tokens) VALUES (?, ?)", (rowid, row.tokens))

    def replace(self, folder: Path, rows: list[Row], doc_id: str, new: list[Row]) -> None:
        db = sqlite3.connect(folder / self.FILE)
        with db:
            db.execute("DELETE FROM terms WHERE rowid IN (SELECT row FROM chunks WHERE doc_id = ?)", (doc_id,))
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._insert(db, new)
        db.close()

    def open(self, folder: Path, corpus: Path) -> Fts5Reader:
        return Fts5Reader(folder / self.FILE)


class TantivyReader:
    """The app's own reader (`rag.search.keyword_index.KeywordIndex`) under the engines' interface."""

    def __init__(self, folder: Path) -> None:
        from rag.search.keyword_index import KeywordIndex

        self._index = KeywordIndex(folder)

    def search(self, tokens: list[str], doc_ids: list[str], n: int) -> list[tuple[str, float]]:
        return self._index.ranking(tokens, n, doc_ids)


class TantivyEngine:
    """The app's tantivy index (`rag.search.keyword_index`), written by its own `KeywordWriter` from the
    rows' tokens as they are (jieba already ran once for every engine), without the bigram field the
    app's writer adds."""

    name = "tantivy"

    @staticmethod
    def _write(folder: Path, rows: list[Row], doc_id: str | None = None) -> None:
        """All rows (`doc_id` None: a fresh index), or the rows of `doc_id` replacing its chunks."""
        from rag.search.keyword_index import KeywordWriter

        by_document: dict[str, list[Row]] = {}
        for row in rows:
            by_document.setdefault(row.doc_id, []).append(row)
        with KeywordWriter(folder) as writer:
            for name, chunks in by_document.items():
                if doc_id is None or name == doc_id:
                    writer.replace_tokens(name, [r.chunk_id for r in chunks], [r.tokens.split() for r in chunks])
            writer.commit(1)

    def write(self, folder: Path, rows: list[Row]) -> None:
        self._write(folder, rows)

    def replace(self, folder: Path, rows: list[Row], doc_id: str, new: list[Row]) -> None:
        self._write(folder, new, doc_id)

    def open(self, folder: Path, corpus: Path) -> TantivyReader:
        return TantivyReader(folder)


def engine(name: str):
    return {e.name: e for e in (Bm25sEngine(), Bm25sSavedEngine(), Fts5Engine(), TantivyEngine())}[name]


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def rss_mb() -> dict[str, float]:
    found = memory_kb(os.getpid())
    return {"rss_mb": round(found["VmRSS"] / 1024, 1), "peak_mb": round(found["VmHWM"] / 1024, 1)}


# -- what a fresh process measures ---------------------------------------------------------------------------
def child_write(name: str, folder: Path, corpus: Path) -> dict:
    """Write the engine's index of the corpus into an empty folder."""
    rows = read_rows(corpus)
    loaded = rss_mb()
    started = time.perf_counter()
    engine(name).write(folder, rows)
    seconds = time.perf_counter() - started
    return {
        "write_s": round(seconds, 3),
        "chunks_per_s": round(len(rows) / seconds, 1),
        "disk_mb": round(disk_bytes(folder) / MB, 2),
        "rss_after_reading_corpus_mb": loaded["rss_mb"],
        **rss_mb(),
    }


def child_replace(name: str, folder: Path, corpus: Path, doc_id: str) -> dict:
    """Write one document's chunks again into the existing index (a re-ingest of one changed file)."""
    rows = read_rows(corpus)
    new = [r for r in rows if r.doc_id == doc_id]
    started = time.perf_counter()
    engine(name).replace(folder, rows, doc_id, new)
    seconds = time.perf_counter() - started
    return {
        "replace_s": round(seconds, 3),
        "chunks": len(new),
        "disk_mb": round(disk_bytes(folder) / MB, 2),
        **rss_mb(),
    }


def child_open(name: str, folder: Path, corpus: Path, queries_file: Path, n: int, spawned: float) -> dict:
    """Open the index, ask every query (`QUERY_ROUNDS` times), return timings and the first rankings;
    `spawned` is the parent's clock (`time.time()`) just before it started this process."""
    imported = time.perf_counter()
    if name.startswith("bm25s"):
        import bm25s  # noqa: F401 - what opening needs, timed apart from the open itself
    elif name == "tantivy":
        import tantivy  # noqa: F401
    after_import = time.perf_counter()
    rss_import = rss_mb()["rss_mb"]
    queries = [Query(**q) for q in json.loads(queries_file.read_text(encoding="utf-8"))]
    started = time.perf_counter()
    reader = engine(name).open(folder, corpus)
    opened = time.perf_counter()
    first = reader.search(queries[0].tokens, queries[0].doc_ids, n)
    answered = time.perf_counter()
    first_answer = time.time() - spawned
    rss_open = rss_mb()["rss_mb"]
    rankings = [[c for c, _ in first]]
    seconds: list[float] = []
    for round_number in range(QUERY_ROUNDS):
        for number, query in enumerate(queries):
            begun = time.perf_counter()
            found = reader.search(query.tokens, query.doc_ids, n)
            took = time.perf_counter() - begun
            if round_number:
                seconds.append(took)
            elif number:
                rankings.append([c for c, _ in found])
    return {
        "import_s": round(after_import - imported, 3),
        "open_s": round(opened - started, 4),
        "first_query_s": round(answered - opened, 4),
        "spawn_to_first_answer_s": round(first_answer, 3),
        "rss_after_import_mb": rss_import,
        "rss_after_open_mb": rss_open,
        **rss_mb(),
        "query": Summary.of(seconds).json(),
        "rankings": rankings,
    }


def in_child(mode: str, *args: str) -> dict:
    """One of the child modes in a fresh interpreter, under `nice`; its wall time and kernel peak RSS."""
    command = ["nice", "-n", "10", PYTHON, "-m", "benchmarks.keyword_engines", "--child", mode, *args]
    done = run_with_peak(command, offline_env())
    if done.returncode:
        raise RuntimeError(f"{mode} {args[:2]} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result | {"process_wall_s": round(done.seconds, 3), "process_peak_mb": round(done.peak_kb / 1024, 1)}


# -- one corpus ------------------------------------------------------------------------------------------------
def retrieval(rankings: list[list[str]], items: list, texts: dict[str, str]) -> dict[str, float]:
    """hit@k and MRR of the gold quotes over the top chunks, as eval/metrics.py scores retrieved lists."""
    from eval.metrics import hit_at, reciprocal_rank

    deepest = max(DEPTHS)
    lists = [[texts[c] for c in ranking[:deepest]] for ranking in rankings]
    found = {f"hit@{k}": statistics.fmean(hit_at(t, i.gold, k) for t, i in zip(lists, items)) for k in DEPTHS}
    found[f"mrr@{deepest}"] = statistics.fmean(reciprocal_rank(t, i.gold) for t, i in zip(lists, items))
    return {key: round(value, 4) for key, value in found.items()}


def measure_corpus(
    label: str,
    corpus: Path,
    articles: list,
    items: dict[str, list],
    queries: dict[str, list[Query]],
    work: Path,
    n: int,
) -> dict:
    """Every engine on one corpus: write, open (fresh processes), rankings, replace one document."""
    folder = fresh_dir(work / f"engines-{label}")
    texts = {a.chunk_id: a.text for a in articles}
    asked = [q for name in queries for q in queries[name]]
    queries_file = folder / "queries.json"
    queries_file.write_text(json.dumps([q.__dict__ for q in asked], ensure_ascii=False), encoding="utf-8")
    doc_ids = {a.doc_id for a in articles}
    replaced = REPLACED_DOCUMENT if REPLACED_DOCUMENT in doc_ids else articles[0].doc_id
    results: dict[str, dict] = {}
    for name in ENGINES:
        home = fresh_dir(folder / name)
        results[name] = {"write": in_child("write", name, str(home), str(corpus))}
    opens: dict[str, list[dict]] = {name: [] for name in ENGINES}
    for repeat in range(OPEN_REPEATS):
        for name in ENGINES if repeat % 2 == 0 else reversed(ENGINES):
            where = (str(folder / name), str(corpus), str(queries_file), str(n))
            opens[name].append(in_child("open", name, *where, repr(time.time())))
    for name in ENGINES:
        runs = opens[name]
        rankings = runs[0].pop("rankings")
        for run in runs[1:]:
            if run.pop("rankings") != rankings:
                raise RuntimeError(f"{name} ranked differently in two processes on {label}")
        per_set, start = {}, 0
        for set_name, set_queries in queries.items():
            chosen = rankings[start : start + len(set_queries)]
            per_set[set_name] = retrieval(chosen, items[set_name], texts)
            start += len(set_queries)
        median = {
            key: round(statistics.median(run[key] for run in runs), 4)
            for key in ("open_s", "first_query_s", "spawn_to_first_answer_s", "process_peak_mb", "rss_after_open_mb")
        }
        results[name] |= {
            "open": median | {"runs": runs},
            "query_p50_ms": statistics.median(run["query"]["p50_ms"] for run in runs),
            "query_p95_ms": statistics.median(run["query"]["p95_ms"] for run in runs),
            "retrieval": per_set,
            "same_top10_as_bm25s": None,
            "_rankings": rankings,
        }
    base = results[BASELINE]["_rankings"]
    for name in ENGINES:
        own = results[name].pop("_rankings")
        results[name]["same_top10_as_bm25s"] = round(statistics.fmean(a[:10] == b[:10] for a, b in zip(own, base)), 3)
    for name in ENGINES:  # last: a replace leaves deleted rows some engines count until a merge
        results[name]["replace_one_document"] = in_child("replace", name, str(folder / name), str(corpus), replaced)
    return {
        "label": label,
        "chunks": len(articles),
        "documents": len(doc_ids),
        "queries": {name: len(q) for name, q in queries.items()},
        "replaced_document": replaced,
        "engines": results,
        "ratios_to_bm25s": ratios(results),
        "load_average_after": round(load_average(), 2),
    }


def ratios(results: dict[str, dict]) -> dict[str, dict[str, float | None]]:
    """Each engine's figures ÷ bm25s's, measured in the same run (below 1: less time, memory, disk)."""
    base = results[BASELINE]

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    return {
        name: {
            "open_s": ratio(row["open"]["open_s"], base["open"]["open_s"]),
            "spawn_to_first_answer_s": ratio(
                row["open"]["spawn_to_first_answer_s"], base["open"]["spawn_to_first_answer_s"]
            ),
            "process_peak_mb": ratio(row["open"]["process_peak_mb"], base["open"]["process_peak_mb"]),
            "query_p50": ratio(row["query_p50_ms"], base["query_p50_ms"]),
            "query_p95": ratio(row["query_p95_ms"], base["query_p95_ms"]),
            "write_chunks_per_s": ratio(row["write"]["chunks_per_s"], base["write"]["chunks_per_s"]),
            "replace_one_document_s": ratio(
                row["replace_one_document"]["replace_s"], base["replace_one_document"]["replace_s"]
            ),
        }
        for name, row in results.items()
    }


# -- the run -----------------------------------------------------------------------------------------------------
def copied(home: Path, work: Path, name: str) -> Path:
    target = work / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(home, target)
    return target


def run(home: Path, all_home: Path | None, sizes: list[int], work: Path) -> dict:
    from rag.settings import Settings

    n = Settings(_env_file=None).retrieval.candidates
    plans_home = copied(home, work, "plans-home")
    articles, items, queries = read_queries(plans_home, PLANS_SETS)
    corpora = []
    corpus, tokenising = tokenised(articles, work, "plans")
    corpora.append(measure_corpus("plans", corpus, articles, items, queries, work, n) | {"tokenize": tokenising})
    if all_home is not None:
        all_articles, all_items, all_queries = read_queries(copied(all_home, work, "all-home"), ALL_SETS)
        corpus, tokenising = tokenised(all_articles, work, "all")
        corpora.append(
            measure_corpus("plans+devcorpus", corpus, all_articles, all_items, all_queries, work, n)
            | {"tokenize": tokenising}
        )
    for size in sizes:
        synthetic = synthetic_articles(plans_home, size)
        corpus, tokenising = tokenised(synthetic, work, f"syn-{size}")
        corpora.append(measure_corpus(f"{size}", corpus, synthetic, items, queries, work, n) | {"tokenize": tokenising})
    return {"candidates": n, "engines": list(ENGINES), "corpora": corpora, "machine": machine()}


def print_tables(result: dict) -> None:
    """One table of retrieval (every corpus and eval set), then one of costs per corpus."""
    from benchmarks.run import table

    quality = []
    for corpus in result["corpora"]:
        for set_name in corpus["queries"]:
            cells = [corpus["engines"][name]["retrieval"][set_name] for name in ENGINES]
            row = [f"{corpus['label']} ({corpus['chunks']} chunks): {set_name}"]
            quality.append(row + [f"{q['hit@5']:.3f} / {q['hit@10']:.3f} / {q['mrr@10']:.3f}" for q in cells])
    table("keyword-only retrieval: hit@5 / hit@10 / MRR@10 of the gold quotes", ["corpus: eval set", *ENGINES], quality)
    for corpus in result["corpora"]:
        rows = []
        for name, row in corpus["engines"].items():
            x = corpus["ratios_to_bm25s"][name]
            opened = row["open"]
            rows.append(
                [
                    name,
                    f"{opened['open_s'] * 1000:.1f} ({x['open_s']:.3g}x)",
                    f"{opened['spawn_to_first_answer_s']:.2f} ({x['spawn_to_first_answer_s']:.2f}x)",
                    f"{opened['process_peak_mb']:.0f} ({x['process_peak_mb']:.2f}x)",
                    f"{row['write']['chunks_per_s']:.0f} ({x['write_chunks_per_s']:.2f}x)",
                    f"{row['write']['disk_mb']:.1f}",
                    f"{row['replace_one_document']['replace_s'] * 1000:.0f} ({x['replace_one_document_s']:.2g}x)",
                    f"{row['query_p50_ms']:.2f} / {row['query_p95_ms']:.2f} ({x['query_p50']:.2f}x)",
                    f"{row['same_top10_as_bm25s']:.2f}",
                ]
            )
        tokens = corpus["tokenize"]
        table(
            f"{corpus['label']}: {corpus['chunks']} chunks, {corpus['documents']} documents",
            [
                "engine",
                "open ms",
                "spawn → 1st answer s",
                "peak RSS MB",
                "write chunks/s",
                "disk MB",
                "replace 1 doc ms",
                "query p50 / p95 ms",
                "same top 10",
            ],
            rows,
            f"(x): ÷ bm25s in the same run. jieba tokenising this corpus took {tokens['tokenize_s']} s "
            f"({tokens['tokenize_chunks_per_s']:.0f} chunks/s): today at every start and write, on disk only at write",
        )


def main() -> None:
    set_offline()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a built PLANQA_HOME of the bundled plans (default: the base index)")
    parser.add_argument("--all-home", type=Path, help="a built PLANQA_HOME of plans + data/devcorpus/docs (unseen)")
    parser.add_argument("--sizes", default="10000,100000", help="synthetic corpus sizes (default 10000,100000)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help=f"throwaway files (default {DEFAULT_WORK})")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)  # a measurement in a fresh process
    args = parser.parse_args()
    if args.child:
        mode, name, folder, corpus, *rest = args.child
        if mode == "write":
            found = child_write(name, Path(folder), Path(corpus))
        elif mode == "replace":
            found = child_replace(name, Path(folder), Path(corpus), rest[0])
        else:
            found = child_open(name, Path(folder), Path(corpus), Path(rest[0]), int(rest[1]), float(rest[2]))
        print(json.dumps(found, ensure_ascii=False))
        return
    home = args.home
    if home is None:
        from benchmarks.run import ensure_base

        home, _ = ensure_base(args.work)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = args.work / "keyword-engines"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = run(home, args.all_home, sizes, work)
    result["seconds"] = round(time.perf_counter() - started, 1)
    write_json("keyword_engines", result)
    print_tables(result)


if __name__ == "__main__":
    main()
