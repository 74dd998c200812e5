"""What the running app refuses before it spends a thread, a queue place or a byte of disk (issue 14:
items 1, 5 and 6; ui/serving.py):

- a flood of write events with a wrong password, or of page events, never turns `/ask` away; a wrong
  password is refused at the door of the queue, and a client that keeps guessing waits, alone;
- a request naming a foreign host (DNS rebinding) or sent by another site's page changes nothing;
- Gradio's upload route takes only what a person uploading a plan sends (size, type, rate, bytes
  waiting) and keeps it only until it is indexed or old.

Each test fails with the protection it names removed. Clients speak Gradio's HTTP protocol as an
attacker does (no page); each sends from its own loopback address (127.0.0.x), which the app sees as
a client of its own.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PROJECT, copy_home, free_port, make_settings, serving
from gradio.utils import get_upload_folder
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from rag.api import PlanQA
from rag.settings import AppSettings
from ui import access
from ui.access import TOO_MANY_GUESSES, WRITES_OFF, WRONG_PASSWORD
from ui.app import build_app, launch_options
from ui.serving import LeanSessionState, RequestGuard, Window, allowed_hosts

PASSWORD = "pw-serving-7f3a"
GUESSES = 3  # wrong passwords a client may send per window in these apps
UPLOADS = 3  # uploads per client per minute in these apps
ASKERS, QUESTIONS_EACH = 20, 4
DOC = "chuannan-yuxi-2023"  # a bundled plan the attacks try to delete
FOREIGN = "rebind.evil.example"
SLOW_SUITE = [sys.executable, "-c", "import time; time.sleep(8)"]  # holds the eval slot
TIMEOUT_S = 120.0


# -- the apps ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def qa(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> PlanQA:
    """PlanQA with an admin password, over a writable copy of the built index."""
    app = AppSettings(password=PASSWORD, password_attempts=GUESSES, uploads_per_minute=UPLOADS, max_upload_mb=1)
    return PlanQA(make_settings(copy_home(built_home, tmp_path_factory.mktemp("serving")), app=app), build=False)


@pytest.fixture(scope="module")
def url(qa: PlanQA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(qa, reports_dir=tmp_path_factory.mktemp("reports"), eval_command=SLOW_SUITE) as served:
        yield served


@pytest.fixture(scope="module")
def events(url: str) -> dict[str, int]:
    """Event name → index, read from the page's config as an attacker would."""
    config = httpx.get(url + "config").json()
    return {d["api_name"]: d["id"] for d in config["dependencies"]}


def client(last_octet: int) -> httpx.Client:
    """An HTTP client the app sees at 127.0.0.`last_octet`."""
    return httpx.Client(timeout=TIMEOUT_S, transport=httpx.HTTPTransport(local_address=f"127.0.0.{last_octet}"))


def join(http: httpx.Client, url: str, fn: int, data: list[Any], **headers: str) -> tuple[httpx.Response, str]:
    """Put an event in the queue, as the page does (`POST /gradio_api/queue/join`)."""
    session = secrets.token_hex(8)
    body = {"data": data, "fn_index": fn, "session_hash": session, "event_data": None, "trigger_id": None}
    return http.post(url + "gradio_api/queue/join", json=body, headers=headers), session


def completed(http: httpx.Client, url: str, session: str) -> dict[str, Any]:
    """The outcome of a session's event, read from the event stream."""
    with http.stream("GET", url + f"gradio_api/queue/data?session_hash={session}") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and (message := json.loads(line[5:])).get("msg") == "process_completed":
                return message
    raise AssertionError("the event stream ended without an outcome")


def ask(http: httpx.Client, url: str, question: str) -> dict[str, Any]:
    """One `/ask` over Gradio's HTTP API; raises with the reason unless it was answered."""
    submitted = http.post(url + "gradio_api/call/ask", json={"data": [question]})
    submitted.raise_for_status()
    stream = http.get(url + f"gradio_api/call/ask/{submitted.json()['event_id']}")
    event = None
    for line in stream.text.splitlines():
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:") and event == "complete":
            return json.loads(line.removeprefix("data:"))[0]
    raise AssertionError(f"{question}: {stream.text[-200:]!r}")


def questions() -> list[str]:
    lines = (PROJECT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def doc_ids(qa: PlanQA) -> list[str]:
    return [d.doc_id for d in qa.documents()]


def refused_message(response: httpx.Response) -> str:
    """The reason in a 422 the page paints on the password box."""
    return next(mark["message"] for mark in response.json()["detail"] if not mark["is_valid"])


class Flood:
    """Threads posting `make(n)` → (fn, data) to the queue from 127.0.0.(first + n) until stopped;
    `statuses` counts the answers."""

    def __init__(self, url: str, threads: int, first: int, make: Any) -> None:
        self.url, self.make, self.statuses = url, make, Counter[int]()
        self.stop, self.lock = threading.Event(), threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n, first + n)) for n in range(threads)]

    def _run(self, n: int, octet: int) -> None:
        with client(octet) as http:
            while not self.stop.is_set():
                fn, data = self.make(n)
                status = join(http, self.url, fn, data)[0].status_code
                with self.lock:
                    self.statuses[status] += 1
                n += 1

    def __enter__(self) -> Flood:
        for thread in self.threads:
            thread.start()
        time.sleep(1.0)  # in full flow before the first question
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def ask_from_many_clients(url: str) -> tuple[int, list[str]]:
    """ASKERS clients each ask QUESTIONS_EACH questions at once: (answered, errors)."""
    asked = questions()
    answered, errors, lock = [0], [], threading.Lock()

    def asker(n: int) -> None:
        with client(100 + n) as http:
            for question in asked[n * QUESTIONS_EACH : (n + 1) * QUESTIONS_EACH]:
                try:
                    ask(http, url, question)
                except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                    with lock:
                        errors.append(f"{type(error).__name__}: {error}"[:200])
                else:
                    with lock:
                        answered[0] += 1

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(ASKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answered[0], errors


# -- item 1: no one can stop /ask --------------------------------------------------------------------
def test_a_flood_of_wrong_passwords_never_turns_an_ask_away(url: str, events: dict[str, int], qa: PlanQA) -> None:
    """The gate at the queue's door (`WriteGate` in `GatedQueue.push`): wrong passwords never take a place."""
    writes = [
        (events["do_upload"], [None, "guess"]),
        (events["do_delete"], [DOC, "guess"]),
        (events["do_run"], ["guess"]),
    ]
    with Flood(url, threads=40, first=150, make=lambda n: writes[n % len(writes)]) as flood:
        answered, errors = ask_from_many_clients(url)
    assert errors == []
    assert answered == ASKERS * QUESTIONS_EACH
    assert set(flood.statuses) == {422} and flood.statuses[422] > 100, flood.statuses  # all refused at the door
    assert DOC in doc_ids(qa)


def test_a_flood_of_page_events_fills_only_their_own_room(url: str, events: dict[str, int]) -> None:
    """A waiting room per concurrency group (`ROOMS`): page events turned away (503) leave /ask's room free."""
    search = (events["do_search"], ["产业集群", "hybrid", "", 5])
    with Flood(url, threads=30, first=200, make=lambda n: search) as flood:
        answered, errors = ask_from_many_clients(url)
    assert errors == []
    assert answered == ASKERS * QUESTIONS_EACH
    assert flood.statuses[503] > 0, flood.statuses  # the page's room was full while the clients asked


def test_a_wrong_password_is_refused_at_once_while_a_write_runs(url: str, events: dict[str, int]) -> None:
    """The gate: a guess is answered at the door, not after waiting for the slot, and takes no place
    in the room (one place for the eval suite), so the administrator's next run still gets in."""
    with client(1) as admin, client(30) as guesser:
        assert join(admin, url, events["do_run"], [PASSWORD])[0].status_code == 200  # runs for 8 s
        time.sleep(1.0)
        started = time.perf_counter()
        statuses = [join(guesser, url, events["do_run"], ["guess"])[0].status_code for _ in range(10)]
        took = time.perf_counter() - started
        assert statuses == [422] * 10
        assert took < 5.0  # each once waited 1 s inside the slot
        assert join(admin, url, events["do_run"], [PASSWORD])[0].status_code == 200  # waits in the room


def test_a_client_that_guesses_too_often_waits_and_no_one_else_does(
    url: str, events: dict[str, int], qa: PlanQA
) -> None:
    """The per-client limit on wrong guesses (`WriteGate.guesses`)."""
    delete = events["do_delete"]
    with client(40) as guesser, client(41) as administrator:
        for _ in range(GUESSES):
            response, _ = join(guesser, url, delete, [None, "guess"])
            assert (response.status_code, refused_message(response)) == (422, WRONG_PASSWORD)
        response, _ = join(guesser, url, delete, [None, PASSWORD])  # right, but too late
        assert response.status_code == 422
        assert re.fullmatch(TOO_MANY_GUESSES.format(seconds=r"(29\d|300)"), refused_message(response))
        response, session = join(administrator, url, delete, [None, PASSWORD])
        assert response.status_code == 200
        outcome = completed(administrator, url, session)
        assert "请先选择要删除的文件" in outcome["output"]["data"][0]  # let in, and nothing to delete


def test_an_event_cannot_be_run_around_the_queue(url: str, qa: PlanQA) -> None:
    """`api_open=False`: Gradio's REST route (`/gradio_api/run/<event>`) would run a write directly."""
    assert build_app(qa).api_open is False
    with client(42) as http:
        response = http.post(url + "gradio_api/run/do_delete", json={"data": [DOC, PASSWORD]})
    assert response.status_code == 404
    assert DOC in doc_ids(qa)


def test_a_new_session_builds_block_configs_only_when_they_are_all_read(qa: PlanQA) -> None:
    """Gradio built the config of every block (~12 ms of the event loop) for each new session, and an
    `/ask` sent without a session is a new one each time (issue 16); deep links still read them all."""
    app = build_app(qa)
    lean, gradios = LeanSessionState(app), LeanSessionState.__bases__[0](app)
    assert lean.config_values == {}
    assert list(lean.components) == list(gradios.components) and len(gradios.config_values) == len(app.blocks)


def test_answering_keeps_no_monitoring_summary(qa: PlanQA) -> None:
    """Gradio summarised its last 10,000 events in a pandas frame after each event (5–25 ms), for a
    monitoring page this app does not serve (issue 16)."""
    app = build_app(qa)
    app.launch(**launch_options(qa.settings, server_port=free_port(), prevent_thread_lock=True))
    try:
        with client(43) as http:
            for question in ("川南渝西融合发展的目标是什么？", "内江和自贡相距多远？"):
                submitted = http.post(app.local_url + "gradio_api/call/ask", json={"data": [question]})
                assert (
                    "event: complete"
                    in http.get(app.local_url + f"gradio_api/call/ask/{submitted.json()['event_id']}").text
                )
        assert len(app._queue.event_analytics) == 2
        assert app._queue.cached_event_analytics_summary == {"functions": {}}
    finally:
        app.close()


@pytest.mark.parametrize("route", ["process_recording", "component_server", "stream/x", "run/ask"])
def test_post_routes_the_app_does_not_use_are_not_found(url: str, route: str) -> None:
    """The POST routes `RequestGuard` lets through: the queue, the upload route, cancel and reset."""
    with client(43) as http:
        response = http.post(url + "gradio_api/" + route, files={"files": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 404


def test_a_guess_ages_out_of_the_window() -> None:
    now = [0.0]
    window = Window(2, 60, clock=lambda: now[0])
    window.add("a"), window.add("a")
    assert window.wait("a") == 60 and window.wait("b") == 0
    now[0] = 59.5
    assert window.wait("a") == 0.5
    now[0] = 60.0
    assert window.wait("a") == 0


def test_the_password_is_compared_in_constant_time(qa: PlanQA, monkeypatch: pytest.MonkeyPatch) -> None:
    """`hmac.compare_digest` over equal-length digests: neither characters nor length show in the time."""
    compared: list[tuple[int, int]] = []
    compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return compare(a, b)

    monkeypatch.setattr(access.hmac, "compare_digest", spy)
    assert access.password_matches(qa.settings, "g") is False
    assert access.password_matches(qa.settings, PASSWORD * 50) is False
    assert access.password_matches(qa.settings, PASSWORD) is True
    assert compared == [(32, 32)] * 3


# -- item 5: DNS rebinding and other sites' pages --------------------------------------------------
def test_a_write_naming_a_foreign_host_is_refused_and_the_document_stays(
    url: str, events: dict[str, int], qa: PlanQA
) -> None:
    """The Host check (`RequestGuard`, DNS rebinding): even with the password a page could have learnt."""
    port = url.rstrip("/").rsplit(":", 1)[1]
    with client(50) as http:
        response, _ = join(http, url, events["do_delete"], [DOC, PASSWORD], Host=f"{FOREIGN}:{port}")
    assert response.status_code == 403
    assert DOC in doc_ids(qa)


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
def test_a_write_sent_by_another_sites_page_is_refused_and_the_document_stays(
    url: str, events: dict[str, int], qa: PlanQA, origin: str
) -> None:
    """The Origin check (`RequestGuard`): a page elsewhere cannot post to the app (CSRF)."""
    with client(51) as http:
        response, _ = join(http, url, events["do_delete"], [DOC, PASSWORD], Origin=origin)
    assert response.status_code == 403
    assert DOC in doc_ids(qa)


def test_a_write_from_the_apps_own_page_is_let_in(url: str, events: dict[str, int]) -> None:
    with client(52) as http:
        response, _ = join(http, url, events["do_delete"], [None, PASSWORD], Origin=url.rstrip("/"))
    assert response.status_code == 200


def test_the_page_is_not_served_under_a_foreign_host(url: str) -> None:
    response = httpx.get(url, headers={"Host": FOREIGN})
    assert response.status_code == 403
    assert "PLANQA_APP__ALLOWED_HOSTS" in response.text


def test_the_hosts_an_app_answers_to() -> None:
    loopback = {"localhost", "127.0.0.1", "::1"}
    assert allowed_hosts(AppSettings()) == loopback
    assert allowed_hosts(AppSettings(host="0.0.0.0")) == loopback  # its operator names the others
    assert allowed_hosts(AppSettings(host="10.0.0.5")) == loopback | {"10.0.0.5"}
    assert allowed_hosts(AppSettings(allowed_hosts=("PlanQA.example.org.",))) == loopback | {"planqa.example.org"}
    assert allowed_hosts(AppSettings(allowed_hosts=("*",))) is None


def guarded(tmp_path: Path, **app: Any) -> TestClient:
    """`RequestGuard` in front of a two-route app, with the given app settings."""

    async def page(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    routes = [Route("/", page), Route("/gradio_api/queue/join", page, methods=["POST"])]
    settings = make_settings(tmp_path, app=AppSettings(password=PASSWORD, **app))
    return TestClient(RequestGuard(Starlette(routes=routes), settings), base_url="http://testserver")


@pytest.mark.parametrize(
    ("host", "origin", "status"),
    [
        ("planqa.example.org", "https://planqa.example.org", 200),  # behind a TLS proxy: default ports
        ("planqa.example.org:8443", "https://planqa.example.org:8443", 200),
        ("planqa.example.org", "https://planqa.example.org:8443", 403),
        ("planqa.example.org", "https://other.example.org", 403),
        ("other.example.org", None, 403),
        ("[::1]:7860", "http://[::1]:7860", 200),
    ],
)
def test_a_named_host_is_answered_and_its_own_page_may_write(tmp_path, host, origin, status) -> None:
    headers = {"Host": host} | ({"Origin": origin} if origin else {})
    with guarded(tmp_path, allowed_hosts=("planqa.example.org",)) as http:
        assert http.post("/gradio_api/queue/join", headers=headers).status_code == status


# -- item 6: Gradio's upload route -------------------------------------------------------------------
def stored_anywhere(name: str) -> list[Path]:
    return list(Path(get_upload_folder()).glob(f"*/{name}"))


def test_the_upload_route_refuses_a_program_and_keeps_nothing(url: str) -> None:
    """The type check on what the route stored (415; the file deleted at once)."""
    name = f"payload-{secrets.token_hex(4)}.exe"
    with client(60) as http:
        response = http.post(url + "gradio_api/upload", files={"files": (name, b"MZ" * 1000, "application/x-msdos")})
    assert response.status_code == 415 and "不支持的文件类型" in response.text
    assert stored_anywhere(name) == []


def test_the_upload_route_refuses_a_request_over_the_limit_whatever_its_files(url: str) -> None:
    """The size of the whole request (413 before a byte is stored): Gradio's own limit is per file."""
    names = [f"part-{secrets.token_hex(4)}.txt" for _ in range(3)]
    files = [("files", (name, b"x" * 600_000, "text/plain")) for name in names]  # each under 1 MB, 1.8 MB in all
    with client(61) as http:
        response = http.post(url + "gradio_api/upload", files=files)
    assert response.status_code == 413
    assert [p for name in names for p in stored_anywhere(name)] == []


def test_the_upload_route_limits_each_client_and_only_that_client(url: str) -> None:
    """The per-client rate (429 with Retry-After)."""

    def send(http: httpx.Client) -> httpx.Response:
        return http.post(url + "gradio_api/upload", files={"files": (f"n-{secrets.token_hex(4)}.txt", b"note")})

    with client(62) as eager, client(63) as other:
        assert [send(eager).status_code for _ in range(UPLOADS)] == [200] * UPLOADS
        refused = send(eager)
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
        assert send(other).status_code == 200


def test_a_file_indexed_through_the_app_leaves_no_upload_behind(url: str, events: dict[str, int], qa: PlanQA) -> None:
    """`do_upload` deletes the copy Gradio received once the original is kept in uploads/."""
    text = "青峰县智慧农业试点方案\n一、总体目标\n（一）发展目标。到2027年建成智慧农场9个。\n"
    with client(64) as http:
        (path,) = http.post(url + "gradio_api/upload", files={"files": ("qingfeng-2027.txt", text.encode())}).json()
        assert Path(path).is_file()
        file = {"path": path, "meta": {"_type": "gradio.FileData"}, "orig_name": "qingfeng-2027.txt"}
        response, session = join(http, url, events["do_upload"], [file, PASSWORD])
        assert response.status_code == 200
        assert "已索引《青峰县智慧农业试点方案》" in completed(http, url, session)["output"]["data"][0]
    assert not Path(path).exists() and not Path(path).parent.exists()
    assert (qa.settings.uploads_dir / "qingfeng-2027.txt").read_text(encoding="utf-8") == text


@pytest.fixture(scope="module")
def short_lived_url(qa: PlanQA) -> Iterator[str]:
    """The same index behind an app whose uploads live 2 s, with 1.5 MB of them waiting at most."""
    app = AppSettings(password=PASSWORD, max_upload_mb=1, upload_ttl_s=2, pending_uploads_mb=1.5)
    settings = make_settings(qa.settings.home, app=app)
    with serving(PlanQA(settings, index=qa.index, build=False)) as served:
        yield served


def test_uploads_never_indexed_are_deleted_after_their_time_and_free_the_budget(short_lived_url: str) -> None:
    """Gradio's `delete_cache` on the upload folder, and the budget of bytes waiting (503)."""

    def send(http: httpx.Client) -> httpx.Response:
        name = f"big-{secrets.token_hex(4)}.txt"
        return http.post(short_lived_url + "gradio_api/upload", files={"files": (name, b"x" * 900_000)})

    with client(70) as http:
        first = send(http)
        assert first.status_code == 200
        (path,) = first.json()
        assert send(http).status_code == 503  # 1.8 MB would be waiting
        deadline = time.monotonic() + 30
        while Path(path).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not Path(path).exists()
        assert send(http).status_code == 200


def test_an_app_without_a_password_has_no_writes_and_takes_no_uploads(qa: PlanQA) -> None:
    """Writes are off without a password, wherever the app binds (ui/access.py)."""
    settings = make_settings(qa.settings.home)
    with serving(PlanQA(settings, index=qa.index, build=False)) as served:
        names = {d["api_name"] for d in httpx.get(served + "config").json()["dependencies"]}
        response = httpx.post(served + "gradio_api/upload", files={"files": ("plan.txt", b"x")})
    assert not names & {"do_upload", "do_delete", "do_run"}
    assert (response.status_code, response.text) == (403, WRITES_OFF)
