"""Cold start: from process start to the first answer, on an index that is already built.

A fresh interpreter runs the steps a first question goes through, one at a time, and stamps each:
interpreter start, imports, opening the store, loading the model, the catalogue (Chroma get + BM25),
the question reader, the first ask. The command line (`python -m rag ask … --json`) is timed whole
too. "Cold" is the process; the operating system's file cache is warm after the first repeat, as it
is for a server restarted on the same machine. `-X importtime` says which imports cost most.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.common import PYTHON, offline_env, run_with_peak

QUESTION = "内江和自贡离得有多远？"
STEPS = ("interpreter", "imports", "open store", "model load", "catalogue", "question reader", "first ask")
CHILD = r"""
import json, sys, time
stamps = [time.time()]
from rag.api import PlanQA
from rag.store.library import Library
from rag.settings import Settings
stamps.append(time.time())
settings = Settings()
index = Library(settings)
stamps.append(time.time())
index.embeddings
stamps.append(time.time())
index.catalogue()
stamps.append(time.time())
planqa = PlanQA(settings, index=index, build=False)
planqa.reader
stamps.append(time.time())
answer = planqa.ask(sys.argv[1])
stamps.append(time.time())
print(json.dumps({"stamps": stamps, "citations": [c.article.clause_ref for c in answer.citations]}))
"""
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def stepwise(home: Path) -> dict:
    """One fresh process: seconds per step, from the parent's clock before it was spawned."""
    spawned = time.time()
    done = subprocess.run(
        [PYTHON, "-c", CHILD, QUESTION], env=offline_env(home), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"cold start child failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    stamps = [spawned] + data["stamps"]
    steps = {name: stamps[i + 1] - stamps[i] for i, name in enumerate(STEPS)}
    return {"steps": steps, "total": stamps[-1] - spawned, "citations": data["citations"]}


def cli(home: Path) -> dict:
    """`python -m rag ask QUESTION --json` end to end: wall seconds and peak RSS."""
    done = run_with_peak([PYTHON, "-m", "rag", "ask", QUESTION, "--json"], offline_env(home))
    if done.returncode:
        raise RuntimeError(f"rag ask failed:\n{done.stderr[-3000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "seconds": done.seconds,
        "peak_kb": done.peak_kb,
        "citations": [c["clause_ref"] for c in answer["citations"]],
    }


def import_costs(top: int = 12) -> dict[str, float]:
    """Import ms of `rag.api` per third-party package (from `python -X importtime`): the cumulative
    time of each place a package is first entered from another package, summed."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import rag.api"],
        env=offline_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [m for m in map(_IMPORT_LINE.match, done.stderr.splitlines()) if m]
    totals: dict[str, float] = defaultdict(float)
    stack: list[tuple[int, str]] = []  # (depth, package) of the enclosing imports
    for match in reversed(rows):  # importtime prints children before parents; reversed, parents come first
        depth, package = len(match.group(3)) // 2, match.group(4).split(".")[0]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if not stack or stack[-1][1] != package:
            totals[package] += int(match.group(2)) / 1000
        stack.append((depth, package))
    total = totals.pop("rag", 0.0)
    totals.pop("ingest", None)
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return {"rag.api (all)": round(total, 1)} | {name: round(ms, 1) for name, ms in ranked[:top]}


def measure(home: Path, repeats: int = 3) -> dict:
    """Median of `repeats` fresh processes, step by step, and the CLI timed whole."""
    runs = [stepwise(home) for _ in range(repeats)]
    clis = [cli(home) for _ in range(repeats)]
    steps = {name: round(statistics.median(r["steps"][name] for r in runs), 3) for name in STEPS}
    return {
        "question": QUESTION,
        "repeats": repeats,
        "steps_seconds": steps,
        "total_seconds": round(statistics.median(r["total"] for r in runs), 2),
        "total_seconds_all": [round(r["total"], 2) for r in runs],
        "first_answer_citations": runs[0]["citations"],
        "cli_ask_seconds": round(statistics.median(c["seconds"] for c in clis), 2),
        "cli_ask_seconds_all": [round(c["seconds"], 2) for c in clis],
        "cli_ask_peak_rss_mb": round(max(c["peak_kb"] for c in clis) / 1024, 1),
        "import_ms_by_package": import_costs(),
    }
