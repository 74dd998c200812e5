"""Shared plumbing of the benchmarks: timing summaries, subprocesses with their peak memory, a Chroma
server on loopback, throwaway PLANQA_HOMEs, and the JSON results.

Absolute times on a shared 2-core machine swing with whatever else runs, so every benchmark reports
ratios against a floor measured in the same run, interleaved with the thing measured.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PLANS = PROJECT / "data" / "plans"
QUESTIONS = PROJECT / "eval" / "qa.jsonl"
RESULTS = Path(__file__).resolve().parent / "results"
PYTHON = sys.executable
CHROMA = Path(PYTHON).with_name("chroma")
DEFAULT_WORK = Path("/tmp/planqa-bench")
SERVER_START_S = 30.0  # a Chroma server answers its heartbeat within this
HTTP_POLL_S = 0.1


def offline_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a PlanQA subprocess: offline, no stray PLANQA_* from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANQA_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(PROJECT))
    if home is not None:
        env["PLANQA_HOME"] = str(home)
    env.update(extra)
    return env


def set_offline() -> None:
    """This process: never reach a model hub; no Chroma telemetry."""
    os.environ.update(offline_env())


# -- figures -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    """Milliseconds of repeated measurements: median, 95th percentile, mean, count."""

    p50: float
    p95: float
    mean: float
    n: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Summary:
        ms = sorted(s * 1000 for s in seconds)
        if not ms:
            return cls(0.0, 0.0, 0.0, 0)
        return cls(statistics.median(ms), percentile(ms, 95), statistics.fmean(ms), len(ms))

    def ratio(self, floor: Summary) -> dict[str, float]:
        """p50 and p95 as multiples of the floor's p50 (the floor measured in the same run)."""
        return {"p50_x": self.p50 / floor.p50, "p95_x": self.p95 / floor.p50}

    def json(self) -> dict[str, float]:
        return {"p50_ms": round(self.p50, 2), "p95_ms": round(self.p95, 2), "mean_ms": round(self.mean, 2), "n": self.n}


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def questions(path: Path = QUESTIONS, limit: int | None = None) -> list[str]:
    """The questions of an eval file, in file order."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = [item["question"] for item in lines]
    return found[:limit] if limit else found


def load_average() -> float:
    return os.getloadavg()[0]


# -- processes -----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_http(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> float:
    """Seconds until `url` answers 200; raises when it never does or the process died."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(HTTP_POLL_S)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s")


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a live process, in kB, from /proc."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def tree_memory_kb(pid: int) -> dict[str, int]:
    """VmHWM summed over a process and its live children (a server may fork workers)."""
    total = {"VmRSS": 0, "VmHWM": 0}
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        try:
            for key, value in memory_kb(each).items():
                total[key] += value
        except FileNotFoundError:
            continue
    return total


@dataclass(frozen=True)
class Finished:
    """A subprocess that ran to the end: wall time, peak RSS (from wait4), output."""

    seconds: float
    peak_kb: int
    returncode: int
    stdout: str
    stderr: str


# Linux keeps a process's peak RSS across exec, and a child starts as a (v)fork of its parent: the
# peak wait4 reports is at least the parent's size. So a tiny launcher process (~10 MB) starts the
# command and reports the command's own peak; it is exact for anything bigger than the launcher.
LAUNCHER = r"""
import json, os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as sink:
    json.dump({"code": os.waitstatus_to_exitcode(status), "peak_kb": usage.ru_maxrss}, sink)
"""


def run_with_peak(args: Sequence[str], env: dict[str, str], timeout_s: float = 7200) -> Finished:
    """Run a command to the end; its peak RSS comes from the kernel (wait4's ru_maxrss in a launcher)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "peak.json"
        with open(Path(folder) / "out", "w+") as out, open(Path(folder) / "err", "w+") as err:
            process = subprocess.Popen(
                [PYTHON, "-c", LAUNCHER, str(report), *args],
                env=env,
                cwd=PROJECT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: launcher + command
            )
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group holds only the launcher and our command
                process.wait()
                raise
            seconds = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            measured = json.loads(report.read_text())
            return Finished(seconds, measured["peak_kb"], measured["code"], out.read(), err.read())


def stop(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """Terminate a process we started (by its pid), then kill it if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def chroma_server(path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A `chroma run` on a free loopback port over `path`; yields (url, process); stopped after."""
    if not CHROMA.exists():
        raise FileNotFoundError(f"{CHROMA} is missing (it comes with chromadb)")
    path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(path.parent / f"chroma-{port}.log", "w")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--port", str(port), "--host", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=offline_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/v2/heartbeat", SERVER_START_S, process)
        yield url, process
    finally:
        stop(process)
        log.close()


def fresh_dir(path: Path) -> Path:
    """An empty folder at `path` (whatever was there is removed: only ever our work folder)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# -- results ---------------------------------------------------------------------------------------------
def machine() -> dict[str, object]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1min": round(load_average(), 2),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_json(name: str, data: dict, folder: Path = RESULTS) -> Path:
    """benchmarks/results/<name>.json (overwritten by the next run of the same section)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.json"
    target.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target
