"""The web app locked down: login, server-side upload checks, no file served that it should not.

The app runs as `main()` launches it (`launch_options`), on 127.0.0.1, driven over raw HTTP and
through gradio_client, the way a hostile client would.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.errors import RagError
from ui.app import build_app, launch_options, parse_auth

from .conftest import DATA, ROOT, make_settings
from .servers import call, file_data, free_port, upload, wait_http

USER, PASSWORD = "editor", "correct:horse"
QUESTION = "Who won the Brenholt chess tournament?"

pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Any]:
    """A served app with RAG_UI_AUTH set; yields (url, engine)."""
    tmp = tmp_path_factory.mktemp("locked")
    news = tmp / "news"
    news.mkdir()
    shutil.copy(DATA / "chess_final.html", news)
    settings = make_settings(tmp, ui_auth=f"{USER}:{PASSWORD}")
    engine = Engine(settings, embedder)
    assert engine.ingest([news]).exit_code == 0
    port = free_port()
    app = build_app(engine)
    app.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        **launch_options(settings),
    )
    yield f"http://127.0.0.1:{port}", engine, app
    app.close()


@pytest.fixture
def session(locked: Any) -> Iterator[httpx.Client]:
    url = locked[0]
    with httpx.Client(base_url=url, timeout=60) as client:
        assert client.post("/login", data={"username": USER, "password": PASSWORD}).is_success
        yield client


def test_auth_setting_is_parsed_and_checked() -> None:
    assert parse_auth("ed:pa:ss") == ("ed", "pa:ss")
    for bad in ["nopassword", ":pw", "user:", ""]:
        with pytest.raises(RagError, match="user:password"):
            parse_auth(bad)


def test_wrong_password_is_refused_and_the_right_one_works(locked: Any) -> None:
    from gradio_client import Client

    url = locked[0]
    assert httpx.get(f"{url}/config").status_code == 401
    assert httpx.get(f"{url}/gradio_api/info").status_code == 401
    wrong = httpx.post(f"{url}/login", data={"username": USER, "password": "guess"})
    assert wrong.status_code == 400 and "Incorrect credentials" in wrong.text
    with pytest.raises(Exception, match="(?i)credentials|login|401|auth"):
        Client(url, auth=(USER, "guess"), verbose=False)
    with pytest.raises(Exception):  # noqa: B017 — no login at all: gradio_client cannot connect
        Client(url, verbose=False).predict(QUESTION, api_name="/ask")
    answer = Client(url, auth=(USER, PASSWORD), verbose=False).predict(QUESTION, api_name="/ask")
    assert "Mira Okafor" in answer["answer"] and answer["citations"][0]["doc_id"] == "chess_final"


@pytest.mark.parametrize(
    "target",
    [
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "../../../../../../etc/passwd",
        "{index}/meta.sqlite3",
        "{index}/manifest.json",
        f"{ROOT}/README.md",
        "README.md",
        "http://127.0.0.1:{port}/config",
        "http://localhost:{port}/gradio_api/info",
    ],
)
def test_no_endpoint_serves_arbitrary_files(
    session: httpx.Client, locked: Any, target: str
) -> None:
    url, engine = locked[0], locked[1]
    target = target.format(index=engine.settings.index_dir, port=url.rsplit(":", 1)[1])
    for route in ("/gradio_api/file=", "/gradio_api/file/", "/file=", "/file/", "/static/"):
        r = session.get(route + target)
        assert r.status_code in (403, 404), (route, target, r.status_code)
        assert "root:" not in r.text and "SQLite format" not in r.text


def test_uploads_are_checked_server_side(
    session: httpx.Client, locked: Any, tmp_path: Path
) -> None:
    url, engine, app = locked
    uploads = Path(engine.settings.index_dir) / "uploads"
    # size: gradio's upload route refuses more than MAX_UPLOAD_MB
    big = session.post(
        "/gradio_api/upload",
        files=[("files", ("big.txt", b"a" * (21 * 1024 * 1024), "text/plain"))],
    )
    assert big.status_code == 413 and "maximum allowed size" in big.text
    # names: a path in the name is reduced to a safe base name inside uploads/
    body = b"Orrin ferry\n\nThe Orrin ferry carries 312 cars a day.\n"
    [stored] = upload(session, [("../../etc/passwd.txt", body)])
    done = call(session, "add_files", [[file_data(stored, "../../etc/passwd.txt")]])
    assert done["success"], done
    assert done["output"]["data"][0].startswith("Added 'Orrin ferry'")
    assert (uploads / "passwd.txt").read_bytes() == body
    assert sorted(p.name for p in uploads.iterdir()) == ["passwd.txt"]
    # type: no extension, or a wrong one, is refused before the handler runs
    for name, data in [("../../etc/passwd", b"root:x:0:0"), ("evil.exe", b"MZ")]:
        [stored] = upload(session, [(name, data)])
        done = call(session, "add_files", [[file_data(stored, name)]])
        assert not done["success"] and "Invalid file type" in json.dumps(done), done
    # count: more than MAX_UPLOADS files at once
    many = upload(session, [(f"n{i}.txt", b"News %d.\n" % i) for i in range(21)])
    done = call(session, "add_files", [[file_data(p, Path(p).name) for p in many]])
    assert done["success"] and "21 files is too many" in done["output"]["data"][0]
    # a path the client never uploaded is not read, however it is named
    secret = tmp_path / "secret.txt"
    secret.write_text("The vault code is 4417.\n")
    for path in (str(secret), "/etc/passwd"):
        done = call(session, "add_files", [[file_data(path, "note.txt")]])
        assert not done["success"], done
    assert sorted(p.name for p in uploads.iterdir()) == ["passwd.txt"]
    assert {a["doc_id"] for a in engine.articles()} == {"chess_final", "passwd"}


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, from /proc/net/tcp (hex, as stored)."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if table.exists():
            for line in table.read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


def outside_address() -> str:
    """This machine's address on its default route (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))
        return str(s.getsockname()[0])


@pytest.mark.slow
def test_rag_serve_listens_on_loopback_only_by_default(engine: Engine) -> None:
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(engine.settings.index_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/config", proc)
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 and nothing else
        address = outside_address()
        if not address.startswith("127."):
            with socket.socket() as s:
                s.settimeout(2)
                assert s.connect_ex((address, port)) != 0, f"reachable on {address}"
    finally:
        proc.terminate()
        proc.wait(30)
