"""Many users at once: the app's `/ask` at 1, 10, 50 and 100 concurrent clients (issue 16).

The app runs as people run it, a process of its own (`python -m ui --home COPY --port P`), over a copy of a
built index of the bundled plans. The clients live in this process (asyncio, one HTTP connection each) and
speak Gradio's HTTP API as tests/test_load.py does: `POST /gradio_api/call/ask`, then read the event stream
to its `complete`. They ask the dev questions (eval/qa.jsonl, the `question` text only), each client in its
own shuffled order. Before the levels every question is asked once, so every level sees the same warm
caches (the in-app time is then the answer's own work, as in tests/test_load.py).

Per level: requests, errors, requests/s, p50 and p95 of the whole request (submit to `complete`), the
in-app answer time (the answer's `latency_ms`), the app process's CPU per request (from /proc: what the
request costs beyond the answer), and p95 ÷ the p95 at one client. A client's request waits for its
previous one (a closed loop), so N clients keep at most N requests in the app.

    .venv/bin/python -m benchmarks.load --home /tmp/h-plans
    .venv/bin/python -m benchmarks.load --home /tmp/h-plans --levels 1,10,50 --also /tmp/planqa-before

`--also DIR` runs the app of another checkout (the code before a change) over its own copy of the index,
level by level in turns with this one (which goes first alternates), so both see the same load; the
ratios between them are the comparison. Results go to benchmarks/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    DEFAULT_WORK,
    PROJECT,
    PYTHON,
    free_port,
    load_average,
    machine,
    offline_env,
    percentile,
    questions,
    set_offline,
    stop,
    wait_http,
    write_json,
)

LEVELS = (1, 10, 50, 100)
REQUESTS_PER_LEVEL = 400  # split evenly among the clients of a level (at least one each)
SEED = 16  # the clients' question orders
SERVE_START_S = 300.0  # imports + model + catalogue + Gradio on a busy 2-core machine
REQUEST_TIMEOUT_S = 300.0  # 100 clients on 2 cores: a request may wait long, but it must not hang the run
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class AskFailed(RuntimeError):
    """A `/ask` request that ended without an answer (refused at the door, or an error event)."""


@dataclass
class App:
    """One running app: which checkout it is, its URL, its process."""

    name: str
    url: str
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """User + system CPU of the app process so far (its threads included)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Level:
    """What one level of one app saw."""

    clients: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    in_app_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    app_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    load_average: float = 0.0

    def figures(self, single_p95_ms: float | None) -> dict[str, Any]:
        done = sorted(self.latencies_ms)
        requests = len(done) + len(self.errors)
        p95 = percentile(done, 95)
        return {
            "clients": self.clients,
            "requests": requests,
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:5],
            "seconds": round(self.seconds, 2),
            "requests_per_s": round(len(done) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(statistics.median(done), 1) if done else None,
            "p95_ms": round(p95, 1),
            "max_ms": round(done[-1], 1) if done else None,
            "in_app_p50_ms": round(statistics.median(self.in_app_ms), 1) if self.in_app_ms else None,
            "in_app_p95_ms": round(percentile(sorted(self.in_app_ms), 95), 1),
            "app_cpu_ms_per_request": round(self.app_cpu_s * 1000 / requests, 1) if requests else None,
            "client_cpu_ms_per_request": round(self.client_cpu_s * 1000 / requests, 1) if requests else None,
            "p95_over_single_client_p95": round(p95 / single_p95_ms, 2) if single_p95_ms else None,
            "load_average": round(self.load_average, 2),
        }


# -- one request -------------------------------------------------------------------------------------
async def ask(http: httpx.AsyncClient, url: str, question: str) -> dict[str, Any]:
    """One `/ask` over Gradio's HTTP API: submit, then read the event stream until the answer."""
    submitted = await http.post(f"{url}gradio_api/call/ask", json={"data": [question]})
    if submitted.status_code != 200:
        raise AskFailed(f"submit {submitted.status_code}: {submitted.text[:120]}")
    event = None
    async with http.stream("GET", f"{url}gradio_api/call/ask/{submitted.json()['event_id']}") as stream:
        if stream.status_code != 200:
            raise AskFailed(f"stream {stream.status_code}")
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.removeprefix("data:"))
                if event == "error":
                    raise AskFailed(f"error event: {str(data)[:120]}")
                return data[0]
    raise AskFailed("the stream ended without an answer")


async def client(url: str, asked: list[str], level: Level) -> None:
    """One user: its questions one after another, each timed from submit to answer."""
    timeout = httpx.Timeout(REQUEST_TIMEOUT_S)
    async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=1)) as http:
        for question in asked:
            started = time.perf_counter()
            try:
                answer = await ask(http, url, question)
            except (AskFailed, httpx.HTTPError) as error:
                level.errors.append(f"{type(error).__name__}: {error}")
                continue
            level.latencies_ms.append((time.perf_counter() - started) * 1000)
            level.in_app_ms.append(float(answer["latency_ms"]))


async def run_level(app: App, clients: int, pool: list[str], requests: int) -> Level:
    """`clients` users at once, `requests` requests in all (split evenly, at least one each)."""
    each = max(1, round(requests / clients))
    orders = []
    for number in range(clients):
        order = list(pool)
        random.Random(SEED * 1000 + clients * 10 + number).shuffle(order)
        orders.append((order * (each // len(order) + 1))[:each])
    level = Level(clients, load_average=load_average())
    cpu_before, client_cpu_before, started = app.cpu_seconds(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(app.url, order, level) for order in orders))
    level.seconds = time.perf_counter() - started
    level.app_cpu_s = app.cpu_seconds() - cpu_before
    level.client_cpu_s = time.process_time() - client_cpu_before
    return level


async def warm(app: App, pool: list[str]) -> None:
    """Every question once, one at a time: the caches every level then sees."""
    level = Level(1)
    await client(app.url, pool, level)
    if level.errors:
        raise RuntimeError(f"{app.name}: warm-up failed: {level.errors[:3]}")


# -- the apps ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """An app to measure: a checkout, and PLANQA_* settings of its own."""

    label: str
    checkout: Path
    env: dict[str, str] = field(default_factory=dict)


def parse_variant(text: str) -> Target:
    """`LABEL:NAME=VALUE,NAME=VALUE` → this checkout's app with those environment variables."""
    label, _, assignments = text.partition(":")
    env = dict(part.split("=", 1) for part in assignments.split(",") if part.strip())
    return Target(label, PROJECT, env)


@contextmanager
def running_app(name: str, target: Target, home: Path, work: Path):
    """The app of `target` over a fresh copy of `home` on a free loopback port; stopped after."""
    copy = work / f"home-{name}"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(home, copy)
    port = free_port()
    log = open(work / f"app-{name}.log", "w")
    env = offline_env(copy) | {"PYTHONPATH": str(target.checkout)} | target.env
    process = subprocess.Popen(
        [PYTHON, "-m", "ui", "--home", str(copy), "--port", str(port)],
        cwd=target.checkout,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, SERVE_START_S, process)
        yield App(name, url, process)
    finally:
        stop(process)
        log.close()


async def measure_apps(apps: list[App], pool: list[str], levels: list[int], requests: int) -> dict[str, list[Level]]:
    for app in apps:
        await warm(app, pool)
    seen: dict[str, list[Level]] = {app.name: [] for app in apps}
    for turn, clients in enumerate(levels):
        for app in apps if turn % 2 == 0 else apps[::-1]:
            seen[app.name].append(await run_level(app, clients, pool, requests))
    return seen


def measure(home: Path, work: Path, levels: list[int], requests: int, targets: list[Target]) -> dict[str, Any]:
    """Start the app of each target, measure every level in turns, stop them."""
    pool = questions()
    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        apps = [stack.enter_context(running_app(f"app{n}", target, home, work)) for n, target in enumerate(targets)]
        seen = asyncio.run(measure_apps(apps, pool, levels, requests))
    result: dict[str, Any] = {"home": str(home), "questions": len(pool), "levels": levels, "apps": {}}
    for target, app in zip(targets, apps):
        name = target.label
        by_level = seen[app.name]
        single = next((level for level in by_level if level.clients == 1), None)
        single_p95 = percentile(sorted(single.latencies_ms), 95) if single else None
        result["apps"][name] = [level.figures(single_p95) for level in by_level]
    return result


COLUMNS = (
    ("clients", "clients"),
    ("requests", "requests"),
    ("errors", "errors"),
    ("requests_per_s", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("in_app_p50_ms", "in-app p50"),
    ("in_app_p95_ms", "in-app p95"),
    ("app_cpu_ms_per_request", "app CPU ms/req"),
    ("client_cpu_ms_per_request", "client CPU ms/req"),
    ("p95_over_single_client_p95", "p95 ÷ 1-client p95"),
    ("load_average", "load"),
)


def print_table(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{name}")
    print("  ".join(f"{label:>{max(len(label), 7)}}" for _, label in COLUMNS))
    for row in rows:
        print("  ".join(f"{row[key]!s:>{max(len(label), 7)}}" for key, label in COLUMNS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a built PLANQA_HOME (default: the base index under --work)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "load", help="throwaway copies and app logs")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="concurrent clients per level")
    parser.add_argument("--requests", type=int, default=REQUESTS_PER_LEVEL, help="requests per level")
    parser.add_argument("--also", type=Path, action="append", default=[], help="another checkout to run alike")
    parser.add_argument(
        "--variant",
        type=parse_variant,
        action="append",
        default=[],
        help="this checkout with other settings, run alike: LABEL:PLANQA_X=1,PLANQA_Y=2",
    )
    args = parser.parse_args()
    set_offline()
    home = args.home
    if home is None:
        from benchmarks.run import ensure_base

        home, _ = ensure_base(args.work.parent)
    levels = [int(part) for part in args.levels.split(",") if part.strip()]
    targets = [
        Target("this checkout", PROJECT),
        *(Target(str(path), path.resolve()) for path in args.also),
        *args.variant,
    ]
    result = measure(home, args.work, levels, args.requests, targets) | {"machine": machine()}
    print(f"/ask under load: {result['questions']} dev questions, {args.requests} requests per level")
    for name, rows in result["apps"].items():
        print_table(name, rows)
    print(f"\n→ {write_json('load', result)}")


if __name__ == "__main__":
    main()
