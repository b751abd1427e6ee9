"""Hostile files, generated here: each gets a clear outcome, the rest is ingested, nothing lost."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.engine import Engine
from rag.indexer import IngestReport

from .conftest import DATA, FACTS, make_settings
from .test_ingest import _pdf

MB = 1024 * 1024
UNICODE_NAME = "ünïcödé 新闻 – report"


def article(headline: str, fact: str) -> str:
    return f"{headline}\n\n{fact}\nOfficials said more details would follow next week.\n"


def pypdf_file(encrypt: bool = False) -> bytes:
    """A one-page PDF written by pypdf, optionally encrypted with a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf("The Ossery dam holds 3 lakes."))))
    if encrypt:
        writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_hostile(folder: Path) -> dict[str, tuple[str, str]]:
    """Write the hostile corpus; returns file name -> (expected outcome, words in the reason)."""
    folder.mkdir()
    w = {
        "empty.txt": b"",
        "whitespace.md": b"  \n\t\r\n   \n",
        "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40,
        "latin1.txt": "Café Lindqvist closed on Sunday.".encode("latin-1"),
        "utf16.txt": article("Varde ferry", "The Varde ferry now sails at 06:40.").encode("utf-16"),
        "scripts.html": (
            b"<html><head><style>body{color:red}</style><script>var story = 'The mayor "
            b"resigned on Monday. Nobody saw it coming.';</script></head><body>"
            b"<script>document.write('Breaking news: the river froze overnight.')</script>"
            b'<iframe src="https://ads.example/frame"></iframe><noscript></noscript></body></html>'
        ),
        "malformed.html": (
            b"<html><body><p>The Quillon bakery reopened on Friday after the flood.<div><b>"
            b"It sold 900 loaves by noon, the owner said.</p></i></span><p>Unclosed <a href='x"
        ),
        "broken.jsonl": (
            json.dumps({"title": "Orla pier", "text": "The Orla pier reopened on 3 May."})
            + "\n{not json at all\n[1, 2, 3]\n"
            + json.dumps({"title": "no text here"})
            + "\n"
            + json.dumps({"title": "Orla tram", "text": "The Orla tram carried 8,000 riders."})
            + "\n"
        ).encode(),
        "corrupt.pdf": pypdf_file()[: len(pypdf_file()) // 2],  # cut off mid-stream
        "encrypted.pdf": pypdf_file(encrypt=True),
        "name with spaces.txt": article(
            "Brisk market", "The Brisk market has 212 stalls."
        ).encode(),
        f"{UNICODE_NAME}.txt": article(
            "Ystad lighthouse", "The Ystad lighthouse was repainted in teal, the harbour said."
        ).encode(),
        "dots..in..name.md": article("# Kell bridge", "The Kell bridge spans 81 metres.").encode(),
        "hash#tag.txt": article("Poll result", "Turnout in Marrow reached 64 per cent.").encode(),
        "twin_a.txt": article("Twin story", "The Corran choir sang for 5 hours.").encode(),
        "twin_b.txt": article("Twin story", "The Corran choir sang for 5 hours.").encode(),
    }
    for name, data in w.items():
        (folder / name).write_bytes(data)
    shutil.copy(DATA / "harbour_bridge.txt", folder / "harbour copy.txt")  # already indexed
    # a 50 MB article (many normal lines) and one line of 5 MB: over the article size limit
    line = "The Fenmoor committee met again on Tuesday and adjourned without a vote. "
    with (folder / "huge.txt").open("w") as f:
        for _ in range(50 * MB // (len(line) * 100) + 1):
            f.write((line * 10 + "\n") * 10)
    (folder / "one_line.txt").write_text(line * (5 * MB // len(line) + 1))
    # a long single line under the limit: reaches the segmenter in pieces, and is indexed
    long_line = "".join(f"Dock {i} handled {i * 7} crates on the night shift. " for i in range(500))
    (folder / "long_line.txt").write_text("Lanmouth dock figures " + long_line)
    # links: a folder that links back to its parent, two files linking to each other, a
    # dangling one
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.txt").write_text(article("Inner", "The Tove mill grinds 40 sacks."))
    os.symlink("..", folder / "sub" / "back")
    os.symlink("loop_b.txt", folder / "loop_a.txt")
    os.symlink("loop_a.txt", folder / "loop_b.txt")
    os.symlink("nowhere.txt", folder / "dangling.txt")
    # report key (a rejected file's path in the folder, or a doc id) -> (outcome, detail words)
    return {
        "empty.txt": ("rejected", "empty file"),
        "whitespace.md": ("rejected", "empty file"),
        "image.txt": ("rejected", "binary data"),
        "latin1.txt": ("rejected", "not valid UTF-8"),
        "utf16": ("added", ""),
        "scripts.html": ("rejected", "no article text"),
        "malformed": ("added", ""),
        "broken/0": ("added", ""),
        "broken.jsonl line 2": ("rejected", "invalid JSON"),
        "broken.jsonl line 3": ("rejected", "JSON object"),
        "broken.jsonl line 4": ("rejected", "'text'"),
        "broken/4": ("added", ""),  # ids count lines: fixing line 2 later keeps this id
        "corrupt.pdf": ("rejected", "corrupt or unreadable PDF"),
        "encrypted.pdf": ("rejected", "encrypted PDF"),
        "name with spaces": ("added", ""),
        UNICODE_NAME: ("added", ""),
        "dots..in..name": ("added", ""),
        "hash#tag": ("added", ""),
        "twin_a": ("added", ""),
        "twin_b": ("duplicate", "twin_a"),
        "harbour copy": ("duplicate", "harbour_bridge"),
        "huge.txt": ("rejected", "52, characters RAG_MAX_ARTICLE_CHARS"),
        "one_line.txt": ("rejected", "5, characters RAG_MAX_ARTICLE_CHARS"),
        "long_line": ("added", ""),
        "sub/inner": ("added", ""),
        "sub/back": ("rejected", "link loop"),
        "loop_a.txt": ("rejected", "looping symbolic link"),
        "loop_b.txt": ("rejected", "looping symbolic link"),
        "dangling.txt": ("rejected", "broken or looping symbolic link"),
    }


def outcomes(report: IngestReport, folder: Path) -> dict[str, tuple[str, str]]:
    """The report as report key -> (outcome, detail), the shape of make_hostile's answer."""
    out = {r.where.replace(f"{folder}/", ""): ("rejected", r.reason) for r in report.rejected}
    out.update({doc: ("duplicate", twin) for doc, twin in report.duplicates})
    out.update({doc: ("added", "") for doc in report.added})
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, str]]]:
    folder = tmp_path_factory.mktemp("hostile") / "inbox"
    return folder, make_hostile(folder)


@pytest.mark.slow
def test_every_hostile_file_gets_a_clear_outcome_and_nothing_is_lost(
    tmp_path: Path, embedder: Embedder, corpus: Path, hostile: tuple[Path, dict]
) -> None:
    folder, expected = hostile
    engine = Engine(make_settings(tmp_path), embedder)
    assert engine.ingest([corpus]).exit_code == 0
    report = engine.ingest([folder])
    got = outcomes(report, folder)
    print("\n" + "\n".join(f"| `{k}` | {v[0]} | {v[1]} |" for k, v in sorted(got.items())))
    assert set(got) == set(expected)
    for key, (outcome, words) in expected.items():
        kind, detail = got[key]
        assert kind == outcome, f"{key}: {kind} ({detail})"
        assert all(word in detail for word in words.split()), f"{key}: {detail!r} lacks {words}"
    assert report.exit_code == 3
    # every valid file is in, every earlier article is still there, and the parts agree
    # tests/data holds 14 articles: one per fact and six in stories/
    assert engine.store.article_count() == 14 + len(report.added)
    assert engine.store.chunk_count() == engine.store.collection.count()
    for question, doc_id, words in FACTS[:3]:
        cited = engine.ask(question).citations[0]
        assert cited.doc_id == doc_id and all(w in cited.quote for w in words)
    answer = engine.ask("What colour was the Ystad lighthouse repainted?")
    assert answer.citations[0].doc_id == UNICODE_NAME and "teal" in answer.citations[0].quote
    text = engine.article("long_line")
    assert text is not None
    chunks = engine.store.chunks([f"long_line#{n}" for n in range(engine.store.chunk_count())])
    assert len(chunks) > 3
    for chunk, art in chunks.values():
        assert art.text[chunk.char_start : chunk.char_end] == chunk.text
    utf16 = engine.article("utf16")
    assert utf16 is not None and "06:40" in utf16.text


@pytest.mark.slow
def test_cli_reports_each_rejection_and_exits_3(tmp_path: Path, hostile: tuple[Path, dict]) -> None:
    folder, expected = hostile
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp_path / "index")}
    args = [sys.executable, "-m", "rag", "ingest", str(folder), "--json"]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    rejected = {r["file"].replace(f"{folder}/", "") for r in report["rejected"]}
    assert rejected == {key for key, (outcome, _) in expected.items() if outcome == "rejected"}
    added = {key for key, (outcome, _) in expected.items() if outcome == "added"}
    assert set(report["added"]) == added | {"harbour copy"}  # its twin is not in this index
    assert [d["doc_id"] for d in report["duplicates"]] == ["twin_b"]
    assert report["seconds"] < 300


def test_a_file_over_the_size_limit_is_rejected_unread(fresh: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "big.jsonl").write_text(json.dumps({"text": "x " * MB}) + "\n")
    (folder / "small.txt").write_text(article("Small", "The Pell garden has 9 beds."))
    engine = Engine(fresh.settings.model_copy(update={"max_file_mb": 1.0}), fresh.embedder)
    report = engine.ingest([folder])
    assert report.added == ["small"]
    [rej] = report.rejected
    assert "over the 1 MB limit (RAG_MAX_FILE_MB)" in rej.reason
