"""Real servers for tests: a `chroma run` process and a `rag serve` process on free ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Poll `url` until it answers 200; fail early with the log when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port N`, which can be killed and restarted."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path, self.port = path, port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = path.parent / f"chroma-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        cmd = [str(BIN / "chroma"), "run", "--path", str(self.path)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_http(f"{self.url}/api/v2/heartbeat", self.proc, timeout=60)
        return self

    def kill(self) -> None:
        """SIGKILL: the server vanishes as in a crash, mid-session."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def pause(self) -> None:
        """SIGSTOP: the port stays open but nothing answers (a hung server)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)


@contextmanager
def llama_cpp_server(gguf: Path, log: Path) -> Iterator[str]:
    """`python -m llama_cpp.server` with a GGUF model on a free port; yields its /v1 URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host",
           "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_http(f"{url}/models", proc, timeout=120)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def rag_serve(env: dict[str, str], log: Path) -> Iterator[str]:
    """`rag serve` on a free port with this environment; yields its URL (no trailing /)."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/config", proc, timeout=300)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


# ---------- driving a served app over raw HTTP, as the page does ----------


def upload(session: httpx.Client, files: list[tuple[str, bytes]]) -> list[str]:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    r = session.post("/gradio_api/upload", files=parts)
    assert r.status_code == 200, r.text
    return list(r.json())


def fn_index(session: httpx.Client, fn: str) -> int:
    """The index of the app's event handler named `fn`, from the page's own config."""
    deps = session.get("/config").json()["dependencies"]
    return next(i for i, d in enumerate(deps) if d.get("api_name") == fn)


def call(
    session: httpx.Client, fn: str, data: list[Any], session_hash: str | None = None
) -> dict[str, Any]:
    """Run one of the app's events through the queue by its index, as the page does; events
    of one page share its `session_hash` (a choice offered by one is valid in the next)."""
    index = fn_index(session, fn)
    session_hash = session_hash or uuid.uuid4().hex[:10]
    body = {"data": data, "fn_index": index, "session_hash": session_hash}
    assert session.post("/gradio_api/queue/join", json=body).is_success
    with session.stream("GET", f"/gradio_api/queue/data?session_hash={session_hash}") as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    return dict(msg)
    raise AssertionError("the event never completed")


def file_data(path: str, name: str) -> dict[str, Any]:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
