"""A minimal OpenAI-protocol chat server for tests: `POST /v1/chat/completions`, streamed (server-sent
events) or not, answered by a function of the request. It stands in for a remote model (DeepSeek, Qwen,
vLLM, Ollama) so the real `ChatOpenAI` client path runs over HTTP on loopback.

    with FakeOpenAIServer(lambda request: "答案[1]。") as server:
        settings = ...(llm=LLMSettings(base_url=server.base_url, model="fake"))
        server.requests  # every request received: {"path", "headers" (lower-case names), "body"}
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Respond = Callable[[dict[str, Any]], str]  # the request body → the answer text
COMPLETIONS_PATH = "/v1/chat/completions"
PIECE_CHARS = 4  # characters per streamed chunk: several chunks for any real answer


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class FakeOpenAIServer:
    """Serves on 127.0.0.1 at a free port while the `with` block runs; `status` other than 200 makes
    every request fail with an OpenAI-style error body."""

    def __init__(self, respond: Respond, status: int = 200) -> None:
        self.respond = respond
        self.status = status
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                if self.path != COMPLETIONS_PATH:
                    return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                if fake.status != 200:
                    return self._json(
                        fake.status,
                        {"error": {"message": "refused by the fake server", "type": "invalid_request_error"}},
                    )
                model, text = body.get("model", ""), fake.respond(body)
                if body.get("stream"):
                    return self._events(model, text, bool(body.get("stream_options", {}).get("include_usage")))
                self._json(200, _completion(model, text))

            def _json(self, status: int, data: dict[str, Any]) -> None:
                payload = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _events(self, model: str, text: str, usage: bool) -> None:
                """The answer as server-sent events, a few characters each, as OpenAI streams it."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()  # HTTP/1.0: closing the connection ends the stream
                chunks = [_chunk(model, {"role": "assistant", "content": ""})]
                chunks += [
                    _chunk(model, {"content": text[i : i + PIECE_CHARS]}) for i in range(0, len(text), PIECE_CHARS)
                ]
                chunks.append(_chunk(model, {}, "stop"))
                if usage:
                    chunks.append({**_chunk(model, {}), "choices": [], "usage": _completion(model, "")["usage"]})
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler
