from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.errors import IngestError, RejectedFile
from rag.indexer import chunk_article
from rag.ingest import SourceFile, decode_text, discover, read_file
from rag.readers import normalise_date

DATA = Path(__file__).parent / "data"
SEED = Path(__file__).parent.parent / "seeds" / "000_f647ec2645e8b019.txt"


def read(path: Path, root: Path | None = None):  # type: ignore[no-untyped-def]
    return read_file(SourceFile(path, root or path.parent))


def test_txt_text_is_the_file_unchanged_and_headline_is_first_line() -> None:
    [article], bad = read(SEED, SEED.parent)
    assert not bad
    assert article.text == SEED.read_bytes().decode("utf-8")
    assert article.doc_id == "000_f647ec2645e8b019"
    # its sidecar, seeds/000_f647ec2645e8b019.meta.json, names the outlet and a headline
    assert article.title.startswith("Lammy raised Grok") and article.source == "POLITICO"


def test_a_headline_is_the_first_line_cut_to_length(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    [article], _ = read(path)
    assert article.title.startswith("LONDON – Britain’s Deputy Prime Minister")
    assert len(article.title) <= 141 and article.source is None


def test_markdown_headline_loses_its_hashes() -> None:
    [article], _ = read(DATA / "glacier_survey.md")
    assert article.title == "Survey finds Tarnvik glacier retreated 41 metres in a year"


def test_html_main_text_and_metadata() -> None:
    [a], _ = read(DATA / "chess_final.html")
    assert a.title == "Teenager Mira Okafor wins the Brenholt chess open"
    assert a.source == "The Brenholt Courier"
    assert a.author == "Daniel Roe"
    assert a.published == "2025-05-02"
    assert a.url == "https://courier.example/sport/okafor-chess-open"
    assert "94 moves" in a.text
    assert "tracking" not in a.text and "color: black" not in a.text


def test_feed_records_get_numbered_ids_and_fields(tmp_path: Path) -> None:
    articles, bad = read(DATA / "feeds" / "wire.jsonl", DATA)
    assert [a.doc_id for a in articles] == ["feeds/wire/0", "feeds/wire/1"]
    assert articles[0].source == "Northern Wire"
    assert articles[1].published == "2025-06-20"  # "June 20, 2025" normalised
    assert not bad


def test_broken_feed_line_is_reported_and_others_kept(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_text('{"title": "ok", "text": "Fine text."}\n{broken\n{"title": "no text"}\n')
    articles, bad = read(feed)
    assert [a.title for a in articles] == ["ok"]
    assert [b.where.rsplit(" ", 1)[-1] for b in bad] == ["2", "3"]
    assert "invalid JSON" in bad[0].reason and "text" in bad[1].reason


def _pdf(text: str) -> bytes:
    """A minimal one-page PDF showing `text` in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "notice.pdf"
    path.write_bytes(_pdf("The Pellow ferry timetable changes on 1 July."))
    [a], _ = read(path)
    assert "Pellow ferry timetable" in a.text
    assert a.doc_id == "notice"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait", "UTF-8"),
    ],
)
def test_unreadable_text_is_rejected_with_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(RejectedFile, match=reason):
        read(path)


def test_utf16_with_bom_is_decoded() -> None:
    assert decode_text("Grüße aus Köln.".encode("utf-16")) == "Grüße aus Köln."


def test_corrupt_pdf_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(RejectedFile, match="PDF"):
        read(path)


def test_discover_walks_folders_and_names_ids(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "story.txt").write_text("x")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    files, rejected, skipped = discover([tmp_path])
    assert [f.base_id for f in files] == ["a/b/story"]
    assert skipped == [str(tmp_path / "photo.png")] and not rejected
    files, rejected, _ = discover([tmp_path / "photo.png"])
    assert not files and "unsupported file type '.png'" in rejected[0].reason
    with pytest.raises(IngestError, match="does not exist"):
        discover([tmp_path / "missing"])


def test_dates_are_normalised() -> None:
    assert normalise_date("2023-01-06T10:00:00Z") == "2023-01-06"
    assert normalise_date("Fri, 06 Jan 2023 10:00:00 GMT") == "2023-01-06"
    assert normalise_date("6 January 2023") == "2023-01-06"
    assert normalise_date("sometime") == "sometime"


PORTHAVEN = """Porthaven solar farm approved
Porthaven Gazette
By Jane Marsh
12 March 2025

The Porthaven council approved a 40-hectare solar farm on Tuesday.
The farm will power about 9,000 homes, the developer said.
Tom Ellis contributed reporting.
"""


def test_outlet_byline_and_date_lines_are_metadata_not_sentences(
    tmp_path: Path, embedder: Embedder
) -> None:
    path = tmp_path / "solar.txt"
    path.write_text(PORTHAVEN)
    [a], _ = read(path)
    assert (a.title, a.source, a.author, a.published) == (
        "Porthaven solar farm approved",
        "Porthaven Gazette",
        "Jane Marsh",
        "2025-03-12",
    )
    assert a.text == PORTHAVEN  # offsets still index the file
    quoted = {a.text[s:e] for c in chunk_article(a, embedder) for s, e in c.sentences}
    assert "The farm will power about 9,000 homes, the developer said." in quoted
    assert not quoted & {"Porthaven Gazette", "By Jane Marsh", "12 March 2025"}
    assert "Tom Ellis contributed reporting." not in quoted


def test_a_short_line_under_the_headline_alone_is_not_an_outlet(tmp_path: Path) -> None:
    path = tmp_path / "sub.txt"
    path.write_text("Harbour reopens\nBackground\nThe harbour closed in May.\n")
    [a], _ = read(path)
    assert a.source is None


def test_front_matter_gives_metadata(tmp_path: Path, embedder: Embedder) -> None:
    path = tmp_path / "fm.md"
    text = "---\ntitle: Solar farm approved\noutlet: Porthaven Gazette\ndate: 2025-03-12\n"
    text += "url: https://gazette.example/solar\n---\n# Solar farm\n\nThe council approved it.\n"
    path.write_text(text)
    [a], _ = read(path)
    assert (a.title, a.source, a.published, a.url) == (
        "Solar farm approved",
        "Porthaven Gazette",
        "2025-03-12",
        "https://gazette.example/solar",
    )
    quoted = {a.text[s:e] for c in chunk_article(a, embedder) for s, e in c.sentences}
    assert "The council approved it." in quoted and not any("outlet" in q for q in quoted)


def test_a_sidecar_gives_metadata_and_is_not_an_article(tmp_path: Path) -> None:
    (tmp_path / "solar.txt").write_text(PORTHAVEN)
    meta = {"source": "Gazette Online", "published": "March 13, 2025", "url": "https://g.example"}
    (tmp_path / "solar.meta.json").write_text(json.dumps(meta))
    files, rejected, skipped = discover([tmp_path])
    assert [f.path.name for f in files] == ["solar.txt"] and not rejected and not skipped
    [a], _ = read(tmp_path / "solar.txt")
    assert (a.source, a.published, a.url) == ("Gazette Online", "2025-03-13", "https://g.example")
    _, rejected, _ = discover([tmp_path / "solar.meta.json"])
    assert "sidecar" in rejected[0].reason
    (tmp_path / "solar.meta.json").write_text("{not json")
    with pytest.raises(RejectedFile, match=r"sidecar solar\.meta\.json is not valid JSON"):
        read(tmp_path / "solar.txt")


def test_files_are_read_as_the_ingest_reaches_them(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large archive is never held in memory at once: each batch is embedded and written
    before the next file is read."""
    import rag.indexer
    import rag.ingest
    from rag.engine import Engine

    from .conftest import make_settings

    folder = tmp_path / "feeds"
    folder.mkdir()
    for n in range(3):
        rows = [
            {"title": f"Report {n}.{k}", "text": f"The council of town {n} met on day {k}. "
             f"It voted {k + n} times on the budget for the river bridge."}
            for k in range(2)
        ]  # fmt: skip
        (folder / f"feed{n}.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    events: list[str] = []
    real_read, real_flush = rag.ingest.read_file, rag.indexer._Ingest.flush

    def reading(src: SourceFile, limits: object = None):  # type: ignore[no-untyped-def]
        events.append(f"read {src.path.name}")
        return real_read(src, limits)  # type: ignore[arg-type]

    def flushing(self: rag.indexer._Ingest) -> None:
        events.append(f"write {len(self.pending)}")
        real_flush(self)

    monkeypatch.setattr(rag.ingest, "read_file", reading)
    monkeypatch.setattr(rag.indexer._Ingest, "flush", flushing)
    engine = Engine(make_settings(tmp_path, ingest_batch_chunks=2), embedder)
    report = engine.ingest([folder])
    assert report.exit_code == 0 and len(report.added) == 6
    assert events[:3] == ["read feed0.jsonl", "write 2", "read feed1.jsonl"]
    assert events.count("write 2") == 3 and report.stages["reading"] > 0
