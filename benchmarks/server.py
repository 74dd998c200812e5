"""The same work against a Chroma server (`chroma run`) and the embedded store, side by side.

Both stores get the same ingest of the bundled plans, with the passage vectors taken from the built
index (so the store's own cost is what differs, not the model's); then the catalogue is built, the
eval questions are asked of both in turns (one floor, as in benchmarks/latency.py), and a batch
`ask --jsonl` runs against each in a subprocess for wall time and peak memory, with the server's own
memory read from /proc.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks import latency, memory
from benchmarks.common import PLANS, chroma_server, fresh_dir, tree_memory_kb
from benchmarks.profile import INGEST_STAGES, profiled

CATALOGUE_REPEATS = 3


class TableEmbeddings:
    """The product's embeddings, except that passages come from a table of known vectors."""

    def __init__(self, real, table: dict[str, np.ndarray]) -> None:
        self._real = real
        self._table = table

    def passage_vectors(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._table[text] for text in texts])

    def __getattr__(self, name: str):
        return getattr(self._real, name)


def vector_table(base_home: Path) -> dict[str, np.ndarray]:
    """index_text(article) → its vector, from a built index of the bundled plans."""
    from rag.settings import Settings
    from rag.store.catalogue import index_text
    from rag.store.chroma import ArticleStore, make_client

    settings = Settings(_env_file=None, home=base_home)
    client = make_client(settings)
    articles = ArticleStore(client, settings.collection_name).articles()
    found = client.get_collection(settings.collection_name).get(
        ids=[a.chunk_id for a in articles], include=["embeddings"]
    )
    by_id = dict(zip(found["ids"], np.asarray(found["embeddings"], dtype=np.float32)))
    return {index_text(a): by_id[a.chunk_id] for a in articles}


def _settings(home: Path, url: str = ""):
    from rag.settings import Settings

    return Settings(_env_file=None, home=home, store={"chroma_url": url})


def _ingest(settings, table: dict[str, np.ndarray], profile, bucket: str) -> float:
    from rag.store.library import Library

    index = Library(settings)
    index.embeddings = TableEmbeddings(index.embeddings, table)
    profile.bucket = bucket
    report = index.ingest([PLANS], reset=True)
    if report.failed:
        raise RuntimeError(f"{bucket} ingest failed: {[f.error for f in report.failed]}")
    return report.seconds


def _catalogue_seconds(settings) -> float:
    from rag.store.library import Library

    index = Library(settings)
    started = time.perf_counter()
    index.catalogue()
    return time.perf_counter() - started


def measure(base_home: Path, work: Path, questions: list[str]) -> dict:
    from rag.api import PlanQA

    table = vector_table(base_home)
    embedded = _settings(fresh_dir(work / "embedded-home"))
    with chroma_server(fresh_dir(work / "server-data")) as (url, process):
        served = _settings(fresh_dir(work / "server-home"), url)
        with profiled(INGEST_STAGES) as profile:
            ingest_seconds = {
                name: _ingest(s, table, profile, name) for name, s in (("embedded", embedded), ("server", served))
            }
            ingest_stages = {
                name: {k: v["ms"] for k, v in profile.per_call(1, name).items()} for name in ingest_seconds
            }
        catalogue = {"embedded": [], "server": []}
        for _ in range(CATALOGUE_REPEATS):
            catalogue["embedded"].append(_catalogue_seconds(embedded))
            catalogue["server"].append(_catalogue_seconds(served))
        instances = {"embedded": PlanQA(embedded, build=False), "server": PlanQA(served, build=False)}
        timings = latency.measure_many(instances, questions)
        batch = {
            "embedded": memory.ask_jsonl(embedded.home, work / "answers-embedded.jsonl"),
            "server": memory.ask_jsonl(served.home, work / "answers-server.jsonl", {"PLANQA_STORE__CHROMA_URL": url}),
        }
        server_memory = tree_memory_kb(process.pid)
    rows = {}
    for name in ("embedded", "server"):
        rows[name] = {
            "ingest_seconds (vectors precomputed)": round(ingest_seconds[name], 2),
            "ingest_breakdown_ms": ingest_stages[name],
            "catalogue_seconds_median": round(statistics.median(catalogue[name]), 3),
            "latency": timings[name]["latency"],
            "ask_miss_breakdown_per_ask": timings[name]["ask_miss_breakdown_per_ask"],
            "ask_jsonl": batch[name],
        }
    server_over_embedded = {
        "ingest_x": round(ingest_seconds["server"] / ingest_seconds["embedded"], 2),
        "catalogue_x": round(statistics.median(catalogue["server"]) / statistics.median(catalogue["embedded"]), 2),
        **{
            f"{kind}_p50_x": round(
                rows["server"]["latency"][kind]["p50_ms"] / rows["embedded"]["latency"][kind]["p50_ms"], 2
            )
            for kind in ("search_miss", "search_hit", "ask_miss", "ask_hit")
        },
        **{
            f"{kind}_p50_extra_ms": round(
                rows["server"]["latency"][kind]["p50_ms"] - rows["embedded"]["latency"][kind]["p50_ms"], 2
            )
            for kind in ("search_hit", "ask_hit")
        },
        "ask_jsonl_wall_x": round(batch["server"]["seconds"] / batch["embedded"]["seconds"], 2),
    }
    return {
        "floor_query_embedding": timings["embedded"]["floor_query_embedding"],
        "stores": rows,
        "server_over_embedded": server_over_embedded,
        "server_process": {
            "rss_mb": round(server_memory["VmRSS"] / 1024, 1),
            "peak_rss_mb": round(server_memory["VmHWM"] / 1024, 1),
        },
        "app_peak_rss_mb": {name: batch[name]["peak_rss_mb"] for name in batch},
    }
