"""Ingest throughput against its floor: pure passage embedding of the same texts.

The plans are parsed once to get exactly the texts ingest embeds (`rag.store.catalogue.index_text`); those
are embedded in the product's batches before and after a real `Library.ingest` into a throwaway
PLANQA_HOME, and ingest's chunks per second is divided by embedding's (the mean of the two).
A ratio near 1 means ingest is as fast as the model allows; the breakdown says where the rest goes.
Because the two pure runs and the ingest see different load on a shared machine, the ingest's wall
time over the embedding time inside that same ingest is reported too: it cannot be fooled by load.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from benchmarks.common import fresh_dir, load_average
from benchmarks.profile import INGEST_STAGES, profiled


def embed_all(embeddings, texts: list[str], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        embeddings.passage_vectors(texts[start : start + batch])
    return time.perf_counter() - started


def measure(home: Path, files: list[Path]) -> dict:
    """Ingest `files` into a fresh `home`, between two runs of pure passage embedding."""
    from ingest.clean import CleaningRules
    from ingest.pipeline import parse_file
    from rag.settings import Settings
    from rag.store.catalogue import index_text
    from rag.store.library import Library

    settings = Settings(_env_file=None, home=fresh_dir(home))
    index = Library(settings)
    rules = CleaningRules.load(settings.ingest.rules_file)
    articles = [
        a
        for path in files
        for a in parse_file(path, rules, settings.ingest.max_chunk_tokens, settings.ingest.limits)[1]
    ]
    texts = [index_text(a) for a in articles]
    batch = settings.ingest.batch_size
    embeddings = index.embeddings
    embeddings.passage_vectors(texts[:2])  # model loaded and warm before anything is timed
    load_before = load_average()
    pure_before = embed_all(embeddings, texts, batch)
    with profiled(INGEST_STAGES) as profile:
        report = index.ingest(files)
        stages = profile.per_call(1)
    pure_after = embed_all(embeddings, texts, batch)
    if report.failed:
        raise RuntimeError(f"ingest failed: {[f.error for f in report.failed]}")
    pure = statistics.fmean([pure_before, pure_after])
    embedded_ms = stages.get("passage embedding", {}).get("ms")
    chunks = len(texts)
    return {
        "files": [p.name for p in files],
        "chunks": chunks,
        "articles": len({(a.doc_id, a.order) for a in articles}),
        "characters_embedded": sum(map(len, texts)),
        "pure_embedding_seconds": [round(pure_before, 2), round(pure_after, 2)],
        "floor_ms_per_passage": round(pure * 1000 / chunks, 1),
        "ingest_seconds": round(report.seconds, 2),
        "ingest_chunks_per_s": round(chunks / report.seconds, 3),
        "embedding_chunks_per_s": round(chunks / pure, 3),
        "ratio_ingest_to_embedding_throughput": round(pure / report.seconds, 3),
        "ingest_over_its_embedding": round(report.seconds * 1000 / embedded_ms, 3) if embedded_ms else None,
        "ingest_breakdown_ms": {label: row["ms"] for label, row in stages.items()},
        "load_average": {"before": round(load_before, 2), "after": round(load_average(), 2)},
    }
