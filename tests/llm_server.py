"""A small scripted LLM HTTP server for tests: real HTTP, real SSE and NDJSON streaming.

`reply(messages)` decides what the "model" says; the server speaks /v1/models and
/v1/chat/completions (plain and stream=true) the way llama.cpp, vLLM and OpenAI do, and
Ollama's native /api/chat.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[list[dict[str, Any]]], str]
PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)


def passages_of(messages: list[dict[str, Any]]) -> dict[int, str]:
    """The numbered passages in the prompt the engine sent."""
    text = "\n".join(str(m.get("content") or "") for m in messages)
    return {int(n): body for n, body in PASSAGE.findall(text)}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _json(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append(body)
        if self.server.delay:
            time.sleep(self.server.delay)
        if self.server.status != 200:
            self._json(self.server.status, {"error": {"message": "scripted failure"}})
            return
        kind = (body.get("response_format") or {}).get("type")
        if kind in self.server.refuse_formats:  # as servers without that output format answer
            message = f"response_format '{kind}' is not supported"
            self._json(self.server.refuse_status, {"error": {"message": message}})
            return
        if self.path == "/api/chat":  # Ollama's native API
            self._ollama(body)
            return
        if not self.path.endswith("/chat/completions"):
            self._json(404, {"error": {"message": "not found"}})
            return
        text = self.server.reply(body.get("messages", []))
        if body.get("stream"):
            self._stream(text)
        else:
            self._json(200, _completion(text))

    def _ollama(self, body: dict[str, Any]) -> None:
        text = self.server.reply(body.get("messages", []))
        base = {"model": body.get("model"), "created_at": "2026-01-01T00:00:00Z"}
        end = {**base, "message": {"role": "assistant", "content": ""}, "done": True,
               "done_reason": "stop", "prompt_eval_count": 1, "eval_count": 1}  # fmt: skip
        if body.get("stream", True) is False:
            self._json(200, {**end, "message": {"role": "assistant", "content": text}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        step = self.server.chunk
        for i in range(0, len(text), step):
            piece = {**base, "message": {"role": "assistant", "content": text[i : i + step]}}
            self.wfile.write((json.dumps({**piece, "done": False}) + "\n").encode())
            self.wfile.flush()
        self.wfile.write((json.dumps(end) + "\n").encode())

    def _stream(self, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        step = self.server.chunk
        for i in range(0, len(text), step):
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "scripted",
                "choices": [{"index": 0, "delta": {"content": text[i : i + step]}}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        done = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "scripted",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    reply: Reply
    delay: float = 0.0
    status: int = 200
    chunk: int = 5
    requests: list[dict[str, Any]]
    refuse_formats: frozenset[str] = frozenset()
    refuse_status: int = 400  # llama-cpp-python's server answers an unknown format with 500


@contextmanager
def scripted_llm(reply: Reply) -> Iterator[_Server]:
    """A running server on a free 127.0.0.1 port; its URL is `server.url`."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.reply = reply
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
