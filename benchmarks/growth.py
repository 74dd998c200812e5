"""How PlanQA grows with the corpus: 1k, 10k, 100k chunks (synthetic, see benchmarks/synthetic.py).

For each size a fresh subprocess opens the index as the product does and reports: the catalogue
build (Chroma get of every chunk and document, the BM25 index, the vector sample, the question
reader), resident memory, search and ask latency against one query embedding (interleaved, cache
miss and hit, as in benchmarks/latency.py), and retrieval hit@5 on the eval questions (the real
plans are in every synthetic corpus; the varied copies are distractors).

    python -m benchmarks.growth --measure HOME [--questions 40] [--chroma-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import unicodedata
from pathlib import Path

from benchmarks.common import PYTHON, QUESTIONS, memory_kb, offline_env, run_with_peak, set_offline
from benchmarks.profile import CATALOGUE_STAGES, profiled

HIT_AT = 5
WRITE_SOURCE = "neizi-tongchenghua-2021"  # the real plan copied for the write measurement
NEW_COPY = 99_999  # a copy number no synthetic corpus uses: the document written and deleted again
# Chroma calls inside replace_document / delete_document (collections' methods, by class).
WRITE_STAGES = (
    ("articles: delete where doc_id", "chromadb.api.models.Collection", "Collection.delete"),
    ("upsert (articles, then the document)", "chromadb.api.models.Collection", "Collection.upsert"),
    ("get", "chromadb.api.models.Collection", "Collection.get"),
    ("modify (version bump)", "chromadb.api.models.Collection", "Collection.modify"),
)


def spread(items: list, n: int) -> list:
    """`n` items spread evenly over the list (all of them when n >= len)."""
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def hit_rate(planqa, items: list[dict], k: int = HIT_AT) -> dict:
    """Share of answerable questions with a gold quote inside one of the top-k hybrid hits."""
    answerable = [item for item in items if item.get("gold")]
    hits = 0
    for item in answerable:
        found = [_normal(h.article.text) for h in planqa.search(item["question"], k=k)]
        quotes = [_normal(g["quote"]) for g in item["gold"]]
        hits += any(q in text for q in quotes for text in found)
    return {f"hit@{k}": round(hits / len(answerable), 3) if answerable else None, "questions": len(answerable)}


def measure_home(home: Path, n_questions: int, chroma_url: str = "") -> dict:
    """Open the index at `home` like the product, and measure it (run in a fresh process)."""
    from benchmarks import latency
    from rag.api import PlanQA
    from rag.settings import Settings

    settings = Settings(_env_file=None, home=home, store={"chroma_url": chroma_url})
    rss_start = memory_kb_self()
    with profiled(CATALOGUE_STAGES) as profile:
        started = time.perf_counter()
        planqa = PlanQA(settings, build=False)
        opened = time.perf_counter()
        planqa.index.embeddings.query_vector("预热")
        model_loaded = time.perf_counter()
        rss_model = memory_kb_self()
        catalogue = planqa.index.catalogue()
        catalogued = time.perf_counter()
        planqa.reader  # noqa: B018 - builds the question reader, as the first question would
        read = time.perf_counter()
        stages = profile.per_call(1)
    rss_catalogue = memory_kb_self()
    items = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = spread(items, n_questions)
    timings = latency.measure(planqa, [item["question"] for item in chosen])
    quality = hit_rate(planqa, chosen)
    writes = one_more_document(planqa)
    return {
        "chunks": len(catalogue.articles),
        "documents": len(catalogue.documents),
        "store": chroma_url or "embedded",
        "seconds": {
            "open store": round(opened - started, 2),
            "model load + first query": round(model_loaded - opened, 2),
            "catalogue": round(catalogued - model_loaded, 2),
            "question reader": round(read - catalogued, 2),
        },
        "catalogue_stages_ms": {label: row["ms"] for label, row in stages.items()},
        "memory_mb": {
            "rss_after_import": round(rss_start["VmRSS"] / 1024, 1),
            "rss_after_model": round(rss_model["VmRSS"] / 1024, 1),
            "rss_after_catalogue": round(rss_catalogue["VmRSS"] / 1024, 1),
            "catalogue_delta": round((rss_catalogue["VmRSS"] - rss_model["VmRSS"]) / 1024, 1),
            "peak": round(memory_kb_self()["VmHWM"] / 1024, 1),
        },
        "quality": quality,
        "write_one_document": writes,
        **timings,
    }


def one_more_document(planqa, copy: int = NEW_COPY) -> dict:
    """Chroma's cost of adding one more plan (vectors given) to this index, and of removing it again,
    as an ingest or delete of one file would pay at this size."""
    import numpy as np

    from benchmarks.synthetic import NOISE_SIGMA, noisy, vary
    from rag.store.chroma import make_client

    catalogue = planqa.index.catalogue()
    document = catalogue.documents_by_id.get(WRITE_SOURCE) or next(
        d for d in catalogue.documents if "-syn" not in d.doc_id
    )
    articles = catalogue.of_document(document.doc_id)
    collection = make_client(planqa.settings).get_collection(planqa.settings.collection_name)
    found = collection.get(ids=[a.chunk_id for a in articles], include=["embeddings"])
    by_id = dict(zip(found["ids"], np.asarray(found["embeddings"], dtype=np.float32)))
    vectors = noisy(np.stack([by_id[a.chunk_id] for a in articles]), np.random.default_rng(copy), NOISE_SIGMA)
    new_document, new_articles = vary(document, articles, copy)
    store = planqa.index.store
    with profiled(WRITE_STAGES) as profile:
        started = time.perf_counter()
        store.replace_document(new_document, new_articles, vectors)
        written = time.perf_counter() - started
        started = time.perf_counter()
        store.delete_document(new_document.doc_id)
        deleted = time.perf_counter() - started
        stages = profile.per_call(1)
    return {
        "document": document.doc_id,
        "chunks": len(new_articles),
        "document_chars": len(new_document.text),
        "replace_document_s": round(written, 3),
        "delete_document_s": round(deleted, 3),
        "chroma_calls_ms": {label: row["ms"] for label, row in stages.items()},
    }


def memory_kb_self() -> dict[str, int]:
    return memory_kb(os.getpid())


def measure_in_subprocess(home: Path, n_questions: int, chroma_url: str = "") -> dict:
    """`measure_home` in a fresh interpreter: memory and cold caches belong to that size alone."""
    args = [PYTHON, "-m", "benchmarks.growth", "--measure", str(home), "--questions", str(n_questions)]
    if chroma_url:
        args += ["--chroma-url", chroma_url]
    done = run_with_peak(args, offline_env(home))
    if done.returncode:
        raise RuntimeError(f"growth measurement of {home} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = {"wall_seconds": round(done.seconds, 1), "peak_rss_mb": round(done.peak_kb / 1024, 1)}
    return result


def build_in_subprocess(source: Path, home: Path, size: int, chroma_url: str = "") -> dict:
    """The synthetic index of `size` chunks (reused when already built), in its own process."""
    args = [PYTHON, "-m", "benchmarks.synthetic", "--size", str(size), "--source", str(source), "--home", str(home)]
    if chroma_url:
        args += ["--chroma-url", chroma_url]
    done = run_with_peak(args, offline_env(home))
    if done.returncode:
        raise RuntimeError(f"building the synthetic index of {size} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["builder_peak_rss_mb"] = round(done.peak_kb / 1024, 1)
    return result


def main() -> None:
    set_offline()
    parser = argparse.ArgumentParser(description="Measure one PLANQA_HOME (used by python -m benchmarks).")
    parser.add_argument("--measure", type=Path, required=True, help="The PLANQA_HOME to open.")
    parser.add_argument("--questions", type=int, default=40, help="Eval questions to time (spread over the set).")
    parser.add_argument("--chroma-url", default="", help="Read from this Chroma server.")
    args = parser.parse_args()
    print(json.dumps(measure_home(args.measure, args.questions, args.chroma_url), ensure_ascii=False))


if __name__ == "__main__":
    main()
