"""How the app serves requests: whom it answers, how many of each kind wait, and what its upload
route takes. Everything here decides before Gradio spends a thread or a queue place on a request.

- `RequestGuard`, an ASGI middleware in front of Gradio: a request must name an allowed host (DNS
  rebinding); a state-changing request sent by a page must come from the app's own page (Origin);
  only the POST routes the page and `/ask` use are open; Gradio's raw upload route is off when
  writes are off, and otherwise limited in size, type, rate and bytes waiting.
- `GatedQueue`, Gradio's queue with one waiting room per concurrency group, so a flood of one kind of
  event never turns another away, and the admin password checked at the door of the write groups
  (`WriteGate`, with a limit on wrong guesses per client that never touches other clients).
- What Gradio does per event that this app never reads is skipped (`LeanSessionState`, and the
  monitoring summary in `GatedQueue`): under load it cost more CPU than the answers (issue 16).

Gradio's queue and upload route are its internals (gradio 6.31, pinned); tests/test_serving_limits.py
attacks the running app, so a Gradio that changes them fails there.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import gradio as gr
import gradio.route_utils
import gradio.state_holder
from gradio.block_function import BlockFunction
from gradio.queueing import Queue, process_validation_response
from gradio.state_holder import SessionState
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.settings import AppSettings, Settings
from ui.access import TOO_MANY_GUESSES, WRITES_OFF, WRONG_PASSWORD, Access, password_matches, write_access

# Concurrency groups (Gradio's `concurrency_id`): each has its own limit and its own waiting room.
ASK = "ask"  # the /ask API
PAGE = "page"  # the page's questions, searches, outlines and comparisons
WRITES = "writes"  # upload and delete: one at a time (one writer per PLANQA_HOME)
EVAL = "eval"  # running the eval suite
ADMIN_GROUPS = frozenset({WRITES, EVAL})  # let in only with the admin password
# Requests waiting per group; more are turned away (503). /ask's 64 takes tests/test_load.py's 20 clients at once
# (at 10, 416 of 4,000 requests got 503). A group not named here (a light page event) gets OTHER_ROOM.
ROOMS = {ASK: 64, PAGE: 64, WRITES: 4, EVAL: 1}
OTHER_ROOM = 16
# Waiting requests learn their place in the queue this often. Gradio's default ("live") tells every
# waiting request at each event that starts: n messages per event, O(n²) at n waiting (issue 16).
QUEUE_STATUS_EVERY_S = 1.0
QUEUE_FULL = "请求过多，请稍后再试 (queue full: {room} requests of this kind are waiting)"

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})  # a rebinding page can never make a browser send these
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POST routes the page and the API use; Gradio's others (run/…, which skip the queue, stream/…,
# component_server, process_recording — a second upload route) are refused.
POST_ROUTES = frozenset({"/gradio_api/queue/join", "/gradio_api/upload", "/gradio_api/cancel", "/gradio_api/reset"})
POST_PREFIXES = ("/gradio_api/call/",)  # named events, through the queue like queue/join
UPLOAD_ROUTE = "/gradio_api/upload"
MULTIPART_SLACK = 8 * 1024  # bytes of multipart framing (boundaries, part headers, the name) beyond the file
UPLOAD_WINDOW_S = 60.0
MAX_PENDING_FILES = 1000  # files waiting, all clients together (each upload looks at every one)


class Window:
    """At most `limit` events per key within the last `seconds` (a sliding window). Memory is
    bounded: beyond `max_keys` the key seen least recently is forgotten."""

    def __init__(
        self, limit: int, seconds: float, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000
    ) -> None:
        self.limit, self.seconds, self.clock, self.max_keys = limit, seconds, clock, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds until `key` may act again; 0 when it may now."""
        with self._lock:
            times = self._recent(self._events.get(key, deque()))
            return max(0.0, times[0] + self.seconds - self.clock()) if len(times) >= self.limit else 0.0

    def add(self, key: str) -> None:
        with self._lock:
            self._recent(self._events.setdefault(key, deque(maxlen=self.limit))).append(self.clock())
            self._events.move_to_end(key)
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def _recent(self, times: deque[float]) -> deque[float]:
        while times and times[0] <= self.clock() - self.seconds:
            times.popleft()
        return times


class Refusal(NamedTuple):
    """Why an event was not let into the queue; `position`: the input the reason is about."""

    message: str
    position: int | None


class WriteGate:
    """The admin password at the door of the queue. An event of a write group is let in only with
    the password in one of its password boxes (an event there without one is never let in). Wrong
    guesses count per client (its address): past `password_attempts` within `password_window_s` the
    client is refused unchecked until its oldest guess ages out. Other clients are never counted
    against; a right password clears the count."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.guesses = Window(settings.app.password_attempts, settings.app.password_window_s)
        self._boxes: set[int] = set()

    def password_box(self, box: gr.Textbox) -> gr.Textbox:
        """Mark `box` as where write events carry the password."""
        self._boxes.add(box._id)
        return box

    def refusal(self, fn: BlockFunction, data: list[Any], client: str) -> Refusal | None:
        if fn.concurrency_id not in ADMIN_GROUPS:
            return None
        if write_access(self.settings) is Access.OFF:
            return Refusal(WRITES_OFF, None)
        position = next((i for i, block in enumerate(fn.inputs) if block._id in self._boxes), None)
        if position is None:
            return Refusal(WRONG_PASSWORD, None)
        if wait := self.guesses.wait(client):
            return Refusal(TOO_MANY_GUESSES.format(seconds=math.ceil(wait)), position)
        if password_matches(self.settings, data[position] if position < len(data) else None):
            self.guesses.clear(client)
            return None
        self.guesses.add(client)
        return Refusal(WRONG_PASSWORD, position)


class LeanSessionState(SessionState):
    """Gradio's per-session state without the config of every block built up front. Gradio builds it
    for each new session (all the app's blocks: ~12 ms of the event loop), and an `/ask` sent without a
    session is a new session every time, so under load it cost more than the answer (issue 16). Events
    need only their own blocks' configs, which Gradio builds when missing (`_update_value_in_config`,
    `__setitem__`); the rest are built when something reads them all (`components`: deep links)."""

    def __init__(self, blocks: gr.Blocks) -> None:
        super().__init__(_WithoutBlocks(blocks.default_config))
        self._block_ids = blocks.blocks.keys()

    @property
    def components(self) -> Any:
        self.config_values = {
            key: self.config_values[key]
            if key in self.config_values
            else self.blocks_config.config_for_block(key, [], block)
            for key, block in self.blocks_config.blocks.items()
            if key in self._block_ids
        }
        return super().components


@dataclass(frozen=True)
class _WithoutBlocks:
    """What `SessionState.__init__` reads of the Blocks, with no blocks to build configs for."""

    default_config: Any
    blocks: dict[int, Any] = field(default_factory=dict)


def lean_sessions() -> None:
    """Have Gradio make `LeanSessionState`s: for sessions it keeps (`StateHolder`) and for events sent
    without one (`route_utils.restore_session_state`). Idempotent."""
    gradio.state_holder.SessionState = LeanSessionState  # type: ignore[misc]
    gradio.route_utils.SessionState = LeanSessionState  # type: ignore[misc]


class GatedQueue(Queue):
    """Gradio's queue with a waiting room per concurrency group (`ROOMS`) instead of one for all
    events, and `WriteGate` deciding before a write event takes a place. A refused password comes
    back as Gradio's validation error (422), which the page shows on the password box."""

    def __init__(self, blocks: gr.Blocks, gate: WriteGate) -> None:
        super().__init__(
            live_updates=False,  # queue positions every QUEUE_STATUS_EVERY_S, not at each event (issue 16)
            concurrency_count=blocks.max_threads,
            update_intervals=QUEUE_STATUS_EVERY_S,
            max_size=None,
            blocks=blocks,
            default_concurrency_limit=gate.settings.app.readers,
        )
        self.gate = gate

    def compute_analytics_summary(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Gradio summarises the last 10,000 events (a pandas frame, 5–25 ms) after every event, for a
        monitoring page this app does not serve (`enable_monitoring=False`); it is never read here."""
        return self.cached_event_analytics_summary

    async def push(self, body: Any, request: Any, username: str | None) -> tuple[bool, Any, Any]:
        # The app's own event, looked up without `route_utils.get_fn`, which first builds a session's
        # state (~50 ms of the event loop, kept for 10,000 sessions) for any session id a caller makes up.
        fn = self.blocks.fns.get(body.fn_index) if isinstance(body.fn_index, int) else None
        if fn is None:  # no such event: Gradio answers that in its own way
            return await super().push(body, request, username)
        client = request.client.host if request.client else "?"
        if refusal := self.gate.refusal(fn, list(body.data or []), client):
            if refusal.position is None:
                return False, refusal.message, "error"
            marks = [gr.validate(i != refusal.position, refusal.message) for i in range(len(fn.inputs))]
            return False, process_validation_response(marks, fn)[1], "validator_error"
        room = ROOMS.get(fn.concurrency_id, OTHER_ROOM)
        waiting = self.event_queue_per_concurrency_id.get(fn.concurrency_id)
        if waiting is not None and len(waiting.queue) >= room:
            return False, QUEUE_FULL.format(room=room), "queue_full"
        return await super().push(body, request, username)


def gate_queue(app: gr.Blocks, gate: WriteGate) -> None:
    """Queue every event of `app` through a `GatedQueue`, close the REST routes that would skip the
    queue (`/gradio_api/run/<event>`, open by default outside Hugging Face Spaces), and keep sessions lean."""
    app.queue(api_open=False, max_size=None, default_concurrency_limit=gate.settings.app.readers)
    app._queue = GatedQueue(app, gate)
    lean_sessions()


def allowed_hosts(app: AppSettings) -> frozenset[str] | None:
    """The host names requests may name (None: any): the loopback names, and `allowed_hosts` or else
    the bound address (an app bound to every interface adds nothing: its operator names the hosts)."""
    if "*" in app.allowed_hosts:
        return None
    named = app.allowed_hosts or ((app.host,) if app.host not in WILDCARD_BINDS else ())
    return LOOPBACK_NAMES | {_bare(name) for name in named}


def _bare(host: str) -> str:
    return host.strip().lower().strip("[]").rstrip(".")


@dataclass
class PendingUploads:
    """Files Gradio's upload route stored, until they are indexed or deleted for age (Gradio's
    `delete_cache` deletes them; this ledger counts their bytes against the budget)."""

    budget: int
    files: dict[str, int] = field(default_factory=dict)  # path → bytes
    arriving: int = 0  # bytes of uploads being received, counted before they land

    def bytes(self) -> int:
        for path in [p for p in self.files if not Path(p).exists()]:
            del self.files[path]
            with suppress(OSError):
                Path(path).parent.rmdir()  # Gradio leaves the emptied folder named for the content
        return sum(self.files.values())

    def add(self, paths: list[str]) -> None:
        for path in paths:
            self.files[path] = Path(path).stat().st_size


class RequestGuard:
    """ASGI middleware that refuses, before Gradio sees them: requests naming a host not allowed
    (403), state-changing requests from another site's page (403), POSTs to routes the app does not
    use (404), and raw uploads that are off (403), without a length (411), too large (413), too
    frequent from one client (429), over the budget of waiting bytes (503) or not of an accepted
    type (415, the stored file deleted at once)."""

    def __init__(self, app: ASGIApp, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.settings = settings
        self.hosts = allowed_hosts(settings.app)
        self.max_upload = int(settings.app.max_upload_mb * 1024 * 1024)
        self.uploads = Window(settings.app.uploads_per_minute, UPLOAD_WINDOW_S, clock=clock)
        self.pending = PendingUploads(int(settings.app.pending_uploads_mb * 1024 * 1024))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, text = refusal
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await PlainTextResponse(text, status_code=status)(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] == "POST" and _route(scope) == UPLOAD_ROUTE:
            await self._upload(scope, receive, send, headers)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        host = urlsplit("//" + headers.get("host", ""))
        try:
            host_port = host.port
        except ValueError:
            return 400, "请求的 Host 无效。"
        if not host.hostname:
            return 400, "请求缺少 Host。"
        if self.hosts is not None and _bare(host.hostname) not in self.hosts:
            return 403, (
                f"本应用不接受发往 {host.hostname} 的请求；如需通过这个名字访问，请把它加入 PLANQA_APP__ALLOWED_HOSTS。"
            )
        if scope["type"] == "http" and scope["method"] in SAFE_METHODS:
            return None
        if (origin := headers.get("origin")) is not None and not _same_origin(origin, host.hostname, host_port):
            return 403, "拒绝来自其他网页的请求。"
        if scope["type"] == "websocket":
            return None
        route = _route(scope)
        if scope["method"] != "POST" or not (route in POST_ROUTES or route.startswith(POST_PREFIXES)):
            return 404, "未找到。"
        return None

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        client = scope["client"][0] if scope.get("client") else "?"
        refusal = self._upload_refusal(client, headers)
        if refusal is not None:
            status, text, extra = refusal
            await PlainTextResponse(text, status_code=status, headers=extra)(scope, receive, send)
            return
        self.uploads.add(client)
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        length = int(headers["content-length"])
        self.pending.arriving += length
        try:
            await self.app(scope, receive, keep)
        finally:
            self.pending.arriving -= length
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        if start is not None and start["status"] == 200:
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
            stored = [str(p) for p in json.loads(body)]
            refused = [p for p in stored if Path(p).suffix.lower() not in self.settings.ingest.extensions]
            if refused:
                for path in stored:
                    Path(path).unlink(missing_ok=True)
                self.pending.bytes()  # and their folders
                kinds = "、".join(self.settings.ingest.extensions)
                name = Path(refused[0]).name
                text = f"不支持的文件类型：{name}。请上传 {kinds} 文件。"
                await PlainTextResponse(text, status_code=415)(scope, receive, send)
                return
            self.pending.add(stored)
        for message in messages:
            await send(message)

    def _upload_refusal(self, client: str, headers: Headers) -> tuple[int, str, dict[str, str]] | None:
        if write_access(self.settings) is Access.OFF:
            return 403, WRITES_OFF, {}
        try:
            length = int(headers["content-length"])
        except (KeyError, ValueError):
            length = -1
        if length < 0:
            return 411, "上传须注明长度（Content-Length）。", {}
        if length > self.max_upload + MULTIPART_SLACK:
            limit = self.settings.app.max_upload_mb
            return 413, f"文件过大：上限 {limit:g} MB。", {}
        if wait := self.uploads.wait(client):
            seconds = math.ceil(wait)
            return 429, f"上传过于频繁，请 {seconds} 秒后再试。", {"Retry-After": str(seconds)}
        waiting = self.pending.bytes() + self.pending.arriving + length
        if waiting > self.pending.budget or len(self.pending.files) >= MAX_PENDING_FILES:
            return 503, "待处理的上传过多，请几分钟后再试。", {"Retry-After": "60"}
        return None


def _route(scope: Scope) -> str:
    return str(scope["path"]).rstrip("/") or "/"


def _same_origin(origin: str, hostname: str, port: int | None) -> bool:
    """Whether a browser's Origin names the host and port the request was sent to (an absent port
    is the scheme's default; a reverse proxy must pass Host through as the browser sent it)."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (sandboxed frames, files) and anything odd
    default = 443 if parts.scheme == "https" else 80
    try:
        origin_port = parts.port or default
    except ValueError:
        return False
    return _bare(parts.hostname) == _bare(hostname) and origin_port == (port or default)


def upload_cache_schedule(settings: Settings) -> tuple[int, int]:
    """Gradio's `delete_cache` (how often to look, age to delete at, in seconds): files sent to the
    upload route and the copies Gradio makes of them live `upload_ttl_s`."""
    ttl = max(1, math.ceil(settings.app.upload_ttl_s))
    return max(1, min(60, ttl // 4)), ttl
