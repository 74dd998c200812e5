"""Peak memory (RSS high-water mark) of the processes people run: `serve`, `ask --jsonl`, `ingest`.

Processes that run to the end are measured exactly by the kernel (os.wait4's ru_maxrss). The app is
started on a free loopback port, asked a few questions through its named endpoint (`/ask`, as
gradio_client calls it), and its VmHWM read from /proc while it still runs; then it is stopped.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.common import (
    PROJECT,
    PYTHON,
    QUESTIONS,
    free_port,
    fresh_dir,
    offline_env,
    percentile,
    run_with_peak,
    stop,
    tree_memory_kb,
    wait_http,
)

SERVE_START_S = 300.0  # imports + model + catalogue + Gradio on a busy 2-core machine
SERVE_QUESTIONS = 30


def ingest_cli(home: Path) -> dict:
    """`python -m rag ingest --reset` (the bundled plans) into `home`: wall time and peak RSS."""
    fresh_dir(home)
    done = run_with_peak([PYTHON, "-m", "rag", "ingest", "--reset"], offline_env(home))
    if done.returncode:
        raise RuntimeError(f"rag ingest failed:\n{done.stderr[-3000:]}")
    return {
        "command": "python -m rag ingest --reset",
        "seconds": round(done.seconds, 1),
        "peak_rss_mb": round(done.peak_kb / 1024, 1),
    }


def ask_jsonl(home: Path, out: Path, env_extra: dict[str, str] | None = None) -> dict:
    """`python -m rag ask --jsonl eval/qa.jsonl`: wall time, peak RSS, answers written."""
    done = run_with_peak(
        [PYTHON, "-m", "rag", "ask", "--jsonl", str(QUESTIONS), "--out", str(out)],
        offline_env(home, **(env_extra or {})),
    )
    if done.returncode:
        raise RuntimeError(f"rag ask --jsonl failed:\n{done.stderr[-3000:]}")
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {
        "command": "python -m rag ask --jsonl eval/qa.jsonl",
        "questions": len(answers),
        "errors": sum("error" in a for a in answers),
        "seconds": round(done.seconds, 1),
        "peak_rss_mb": round(done.peak_kb / 1024, 1),
    }


def serve_ready() -> str:
    """Empty when `python -m rag serve` can start, else why not."""
    if not (PROJECT / "ui" / "app.py").exists():
        return "ui/app.py does not exist yet (the UI is being written)"
    source = (PROJECT / "ui" / "app.py").read_text(encoding="utf-8")
    if "def launch" not in source:
        return "ui/app.py has no launch() yet"
    return ""


def serve(base_home: Path, work: Path, questions: list[str]) -> dict:
    """Start the app on a copy of the built index, ask through /ask, read its VmHWM, stop it."""
    from gradio_client import Client

    home = work / "serve-home"
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(base_home, home)
    port = free_port()
    log = open(work / "serve.log", "w")
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "-m", "rag", "serve", "--port", str(port)],
        env=offline_env(home),
        cwd=PROJECT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, SERVE_START_S, process)
        ready = time.perf_counter() - started
        idle = tree_memory_kb(process.pid)
        client = Client(url, verbose=False)
        seconds, cited = [], 0
        for question in questions:
            begun = time.perf_counter()
            answer = client.predict(question, api_name="/ask")
            seconds.append(time.perf_counter() - begun)
            data = json.loads(answer) if isinstance(answer, str) else answer
            cited += bool(data.get("citations"))
        after = tree_memory_kb(process.pid)
    finally:
        stop(process)
        log.close()
    seconds.sort()
    return {
        "command": "python -m rag serve",
        "ready_seconds": round(ready, 1),
        "questions": len(questions),
        "answers_with_citations": cited,
        "http_ask_p50_ms": round(statistics.median(seconds) * 1000, 1),
        "http_ask_p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "rss_idle_mb": round(idle["VmRSS"] / 1024, 1),
        "rss_after_questions_mb": round(after["VmRSS"] / 1024, 1),
        "peak_rss_mb": round(after["VmHWM"] / 1024, 1),
    }


def measure(base_home: Path, work: Path, questions: list[str], ingest: dict | None = None) -> dict:
    """Peak RSS of serve (or, when the app is not ready, ask --jsonl in its place), ask --jsonl, ingest."""
    results: dict[str, object] = {}
    reason = serve_ready()
    if reason:
        results["serve"] = {"skipped": reason, "instead": "ask --jsonl (below) is the long-running reader measured"}
    else:
        results["serve"] = serve(base_home, work, questions[:SERVE_QUESTIONS])
    results["ask_jsonl"] = ask_jsonl(base_home, work / "answers.jsonl")
    results["ingest"] = ingest or ingest_cli(work / "ingest-cli-home")
    return results
