"""Load: 20 clients × 200 questions at once against the running app's `/ask`, with an upload and a
delete (three times) in the middle, must give the answers a sequential run gives, with no errors.

The app is started on loopback over a copy of the built index; clients speak Gradio's HTTP API
(`POST /gradio_api/call/ask`, then read the event stream), one `httpx.Client` per client thread.
Every request is compared with the sequential run in full, minus `latency_ms`. While a plan is
uploaded, scores of the bundled plans' articles shift a little (BM25 and the score floor see one
more document), so an answer may equal the sequential answer with that plan indexed instead; any
other answer is a mix of two index states, or a corruption, and fails.

What this guards: the queue takes 20 clients at once (`ui.serving.ROOMS`; at 10, 416 of 4,000
requests got 503), and an answer reads one index state while a write lands (at the moment of a
delete, an answer mixed the catalogue of one state with the store of the other).

Figures (clients × questions, errors, p50/p95 latency, throughput) are printed (`pytest -s`) and
written to `load.json` in the module's temporary folder; they are reported, not asserted.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import PROJECT, copy_home, make_settings, serving

from rag.api import PlanQA
from rag.settings import AppSettings
from ui.chat import EXAMPLES
from ui.documents import delete, upload

CLIENTS = 20
QUESTIONS = 200
SEED = 7  # each client asks every question once, in its own order from this seed
# (upload, delete): each starts when this share of the concurrent requests is answered. Three rounds:
# each write is a moment an answer in flight can straddle, and one round missed the race now and then.
WRITE_ROUNDS = ((0.10, 0.25), (0.40, 0.55), (0.70, 0.85))
EVAL_SET = PROJECT / "eval" / "qa.jsonl"
TIMEOUT_S = 120.0
PASSWORD = "load-s3cret"  # the writes go through the app's write functions, which need it
NEW_PLAN_FILE = "qinghe-zhihui-nongye-2026.txt"
NEW_PLAN = """青禾县智慧农业发展规划（2026—2030年）
一、总体要求
（一）发展目标。到2030年，全县建成智慧农业示范园区17个，农产品加工转化率达到72%。
（二）基本原则。坚持规划引领、创新驱动、绿色发展。
二、重点任务
（一）建设数字田园。新建高标准农田8.6万亩，推广水肥一体化技术。
（二）培育新型经营主体。到2030年培育家庭农场1200家。
"""
NEW_PLAN_TITLE = "青禾县智慧农业发展规划"
NEW_QUESTION = "青禾县到2030年要建成多少个智慧农业示范园区？"
UNANSWERABLE = ["周杰伦什么时候来内江开演唱会？", "明天成都会下雨吗？"]


class AskFailed(RuntimeError):
    """A `/ask` call that ended without an answer."""


def load_questions() -> list[str]:
    """200 distinct questions: the eval set, the chat examples, two unanswerable ones, then the
    eval questions again with 请问 in front (new text, so new embeddings and new BM25 queries)."""
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    asked = [json.loads(line)["question"] for line in lines if line.strip()]
    questions = list(dict.fromkeys([*asked, *EXAMPLES, *UNANSWERABLE, *("请问" + q for q in asked)]))
    assert len(questions) >= QUESTIONS
    return questions[:QUESTIONS]


def ask_http(http: httpx.Client, url: str, question: str) -> dict[str, Any]:
    """One `/ask` call over Gradio's HTTP API: submit, then read the event stream to its end."""
    submitted = http.post(f"{url}gradio_api/call/ask", json={"data": [question]})
    submitted.raise_for_status()
    stream = http.get(f"{url}gradio_api/call/ask/{submitted.json()['event_id']}")
    stream.raise_for_status()
    event = None
    for line in stream.text.splitlines():
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            data = json.loads(line.removeprefix("data:"))
            if event == "error":
                raise AskFailed(f"{question}: {data}")
            return data[0]
    raise AskFailed(f"{question}: the stream ended without an answer: {stream.text[-300:]!r}")


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as compared between runs: everything but the time it took."""
    return {key: value for key, value in answer.items() if key != "latency_ms"}


def differing(answer: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    return [key for key in answer if answer[key] != reference.get(key)]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class LoadRun:
    """What the load run saw. `before`/`with_plan`: the sequential answers without and with the
    uploaded plan; `answers`: (question, answer) of every concurrent request."""

    before: dict[str, dict[str, Any]]
    with_plan: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # requests answered before each started, ended
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)  # what the writer thread did, and when
    new_answers: list[dict[str, Any]] = field(default_factory=list)  # to NEW_QUESTION, after each upload
    writer_error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


class Counter:
    """Requests answered so far; the writer waits on it."""

    def __init__(self) -> None:
        self.value = 0
        self._changed = threading.Condition()

    def add(self) -> None:
        with self._changed:
            self.value += 1
            self._changed.notify_all()

    def wait_for(self, target: int, stop: threading.Event) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.value >= target or stop.is_set(), timeout=TIMEOUT_S * 5)


@pytest.fixture(scope="module")
def load_planqa(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> PlanQA:
    """PlanQA over a writable copy of the built index (this module uploads and deletes)."""
    home = copy_home(built_home, tmp_path_factory.mktemp("load"))
    return PlanQA(make_settings(home, app=AppSettings(password=PASSWORD)), build=False)


@pytest.fixture(scope="module")
def load_url(load_planqa: PlanQA) -> Iterator[str]:
    with serving(load_planqa) as url:
        yield url


@pytest.fixture(scope="module")
def new_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("new-plan") / NEW_PLAN_FILE
    path.write_text(NEW_PLAN, encoding="utf-8")
    return path


def new_plan_id(planqa: PlanQA) -> str:
    return next(d.doc_id for d in planqa.documents() if d.title == NEW_PLAN_TITLE)


@pytest.fixture(scope="module")
def load_run(load_planqa: PlanQA, load_url: str, new_plan: Path, tmp_path_factory: pytest.TempPathFactory) -> LoadRun:
    """The sequential run, the concurrent run with an upload and a delete, and the figures."""
    questions = load_questions()
    figures: dict[str, Any] = {"clients": CLIENTS, "questions": len(questions), "requests": CLIENTS * len(questions)}

    # Sequential: the reference answers through the API, one request at a time.
    before: dict[str, dict[str, Any]] = {}
    sequential_ms: list[float] = []
    with httpx.Client(timeout=TIMEOUT_S) as http:
        started = time.perf_counter()
        for question in questions:
            asked = time.perf_counter()
            before[question] = comparable(ask_http(http, load_url, question))
            sequential_ms.append((time.perf_counter() - asked) * 1000)
        sequential_s = time.perf_counter() - started
    # And the answers while the new plan is indexed (in-process: `ask` gives what `/ask` sends).
    assert upload(load_planqa, str(new_plan), PASSWORD).kind == "ok"
    with_plan = {q: comparable(json.loads(json.dumps(load_planqa.ask(q).to_json()))) for q in questions}
    assert delete(load_planqa, new_plan_id(load_planqa), PASSWORD).kind == "ok"
    run = LoadRun(before=before, with_plan=with_plan)

    # Concurrent: CLIENTS threads ask every question; a writer uploads, asks, deletes meanwhile.
    total = CLIENTS * len(questions)
    done, stop, lock = Counter(), threading.Event(), threading.Lock()

    def client(number: int) -> None:
        order = list(questions)
        random.Random(SEED * 1000 + number).shuffle(order)
        with httpx.Client(timeout=TIMEOUT_S) as http:
            for question in order:
                asked, first = time.perf_counter(), done.value
                try:
                    answer = ask_http(http, load_url, question)
                except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                    with lock:
                        run.errors.append(f"client {number}: {type(error).__name__}: {error}")
                else:
                    elapsed = (time.perf_counter() - asked) * 1000
                    with lock:
                        run.answers.append((question, comparable(answer)))
                        run.spans.append((first, done.value))
                        run.latencies_ms.append(elapsed)
                        run.server_ms.append(answer["latency_ms"])
                done.add()

    def writer() -> None:
        try:
            for upload_at, delete_at in WRITE_ROUNDS:
                done.wait_for(int(total * upload_at), stop)
                write = {"upload_started_at": done.value, "upload": upload(load_planqa, str(new_plan), PASSWORD)}
                write["upload_done_at"] = done.value
                with httpx.Client(timeout=TIMEOUT_S) as http:
                    run.new_answers.append(ask_http(http, load_url, NEW_QUESTION))
                done.wait_for(int(total * delete_at), stop)
                write.update(
                    delete_started_at=done.value, delete=delete(load_planqa, new_plan_id(load_planqa), PASSWORD)
                )
                write["delete_done_at"] = done.value
                run.writes.append(write)
        except Exception as error:  # noqa: BLE001
            run.writer_error = f"{type(error).__name__}: {error}"

    threads = [threading.Thread(target=client, args=(n,), name=f"load-client-{n}") for n in range(CLIENTS)]
    write_thread = threading.Thread(target=writer, name="load-writer")
    started = time.perf_counter()
    cpu_started = time.process_time()
    for thread in [*threads, write_thread]:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    stop.set()
    write_thread.join()
    run.after = {q: comparable(json.loads(json.dumps(load_planqa.ask(q).to_json()))) for q in questions}

    figures.update(
        errors=len(run.errors),
        answered=len(run.answers),
        sequential={
            "seconds": round(sequential_s, 2),
            "requests_per_s": round(len(questions) / sequential_s, 1),
            "p50_ms": round(percentile(sequential_ms, 50), 1),
            "p95_ms": round(percentile(sequential_ms, 95), 1),
        },
        concurrent={
            "seconds": round(concurrent_s, 2),
            "requests_per_s": round(total / concurrent_s, 1),
            "p50_ms": round(percentile(run.latencies_ms, 50), 1),
            "p95_ms": round(percentile(run.latencies_ms, 95), 1),
            "max_ms": round(max(run.latencies_ms, default=float("nan")), 1),
            "server_p50_ms": round(percentile(run.server_ms, 50), 1),
            "server_p95_ms": round(percentile(run.server_ms, 95), 1),
            "cpu_seconds": round(cpu_s, 1),  # this process: the app and the clients
        },
        answers_as_with_plan=sum(a != run.before[q] and a == run.with_plan[q] for q, a in run.answers),
        writes=[
            {key: (list(value) if isinstance(value, tuple) else value) for key, value in w.items()} for w in run.writes
        ],
    )
    run.figures = figures
    report = tmp_path_factory.mktemp("load-report") / "load.json"
    report.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nload: {CLIENTS} clients × {len(questions)} questions, {len(run.errors)} errors, figures in {report}")
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return run


# -- the tests ---------------------------------------------------------------------------------
def test_every_request_of_twenty_clients_is_answered(load_run: LoadRun) -> None:
    assert load_run.errors == []
    assert len(load_run.answers) == CLIENTS * QUESTIONS


def test_every_concurrent_answer_is_the_sequential_one(load_run: LoadRun) -> None:
    before, with_plan = load_run.before, load_run.with_plan
    mixed = [
        (q, span, differing(answer, before[q]), differing(answer, with_plan[q]))
        for (q, answer), span in zip(load_run.answers, load_run.spans)
        if answer != before[q] and answer != with_plan[q]
    ]
    # (question, requests answered before it started and when it ended, fields unlike each run)
    assert mixed == [], f"{len(mixed)} answers match neither sequential run: {mixed[:5]}; writes {load_run.writes}"


def test_answers_about_the_bundled_plans_keep_their_text_and_sources(load_run: LoadRun) -> None:
    changed = [
        q
        for q, answer in load_run.answers
        if not load_run.before[q]["refused"]
        and (answer["answer"], answer["citations"]) != (load_run.before[q]["answer"], load_run.before[q]["citations"])
    ]
    assert changed == []


def test_the_upload_and_the_delete_happen_while_clients_ask(load_run: LoadRun) -> None:
    writes, total = load_run.writes, CLIENTS * QUESTIONS
    assert load_run.writer_error == ""
    assert len(writes) == len(WRITE_ROUNDS)
    assert all(w["upload"].kind == "ok" and w["delete"].kind == "ok" for w in writes), writes
    assert 0 < writes[0]["upload_started_at"] and writes[-1]["delete_done_at"] < total
    assert load_run.figures["answers_as_with_plan"] > 0  # some answers came from the index with the plan


def test_an_uploaded_plan_is_answered_from_under_load(load_run: LoadRun) -> None:
    assert len(load_run.new_answers) == len(WRITE_ROUNDS)
    for answer in load_run.new_answers:
        assert answer["refused"] is False and "17个" in answer["answer"]
        assert (answer["citations"][0]["doc_title"], answer["citations"][0]["clause_ref"]) == (
            NEW_PLAN_TITLE,
            "一、（一）",
        )


def test_after_the_delete_the_answers_are_those_from_before(load_run: LoadRun) -> None:
    assert load_run.after == load_run.before
