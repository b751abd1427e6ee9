"""The web app: helper functions, then a real server driven by headless Chromium and the API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rag.engine import Engine
from rag.errors import RagError
from rag.types import Answer, AnswerSentence, Article, Citation, Copy
from ui.app import build_app
from ui.handlers import Handlers
from ui.inputs import make_filters, safe_upload_name, stage_uploads
from ui.render import Turn, render_answer, render_meta, render_sentence, render_source, render_turn

from .conftest import ROOT, make_settings

STORIES = ROOT / "tests" / "fixtures" / "stories" / "riverton.jsonl"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DOCS = ROOT / "docs"
SEED_QUESTION = "What did Ofcom do about the Grok images?"
TWO_SOURCES = "How did Vance react to Lammy?"
OFF_TOPIC = "What is the boiling point of mercury?"
HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1"> Brellin council notice'
HOSTILE = (
    f"{HOSTILE_TITLE}\n\n"
    "The Brellin council published a notice reading <script>window.__pwned=1</script> "
    "on its website on Monday.\n"
    'The notice also embedded <img src=x onerror="window.__pwned=1"> as an image tag, '
    "a council spokesperson said.\n"
)
FESTIVAL = (
    "Varnholm lantern festival breaks its record\n\n"
    "The Varnholm lantern festival drew 18,400 visitors on Saturday, organisers said.\n"
    "It was the festival's ninth year on the quay.\n"
)
LAST_ANSWER = "#chat [data-testid=bot]"
TIMINGS: dict[str, tuple[float, float]] = {}

pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

# ---------- helpers, no browser ----------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.md", "win.ini.md"),
        ("My Article (final).HTML", "My_Article_final.html"),
        (".hidden.txt", "hidden.txt"),
        ("README.md", "readme-upload.md"),
        ("über/café news.pdf", "cafe_news.pdf"),
        ("feed.JSONL", "feed.jsonl"),
    ],
)
def test_upload_names_are_sanitised(given: str, expected: str) -> None:
    assert safe_upload_name(given) == expected


@pytest.mark.parametrize("name", ["evil.exe", "notes", "archive.tar.gz", "../x.sh", "page.php"])
def test_upload_types_outside_the_list_are_refused(name: str) -> None:
    with pytest.raises(RagError, match="unsupported file type"):
        safe_upload_name(name)


def test_stage_uploads_copies_only_good_files(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.exe"
    good.write_text("Title\n\nBody.")
    bad.write_bytes(b"MZ")
    saved, refused = stage_uploads([str(good), str(bad)], tmp_path / "uploads")
    assert saved == ["good.txt"]
    assert len(refused) == 1 and "bad.exe" in refused[0]
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["good.txt"]
    saved, refused = stage_uploads([str(good)] * 21, tmp_path / "uploads")
    assert saved == [] and "too many" in refused[0]


def test_filters_are_validated() -> None:
    assert make_filters(["POLITICO"], "2026-01-01", "").sources == ("POLITICO",)
    for start, end in [("2026-13-01", ""), ("yesterday", ""), ("", "2026-2-1")]:
        with pytest.raises(RagError, match="YYYY-MM-DD"):
            make_filters(None, start, end)
    with pytest.raises(RagError, match="swap them"):
        make_filters(None, "2026-02-01", "2026-01-01")


def test_rendering_escapes_article_text() -> None:
    text = f"{HOSTILE_TITLE}\n\nIntro. It said <script>x()</script> today. More.\n"
    quote = "It said <script>x()</script> today."
    start = text.index(quote)
    cite = Citation("h", HOSTILE_TITLE, "<b>Outlet</b>", None, "javascript:alert(1)", "h#0",
                    start, start + len(quote), quote, 1)  # fmt: skip
    out = render_source(cite, Article("h", HOSTILE_TITLE, text), "src-0-1", "[1]")
    assert "<script>" not in out and "<img" not in out and "javascript:" not in out
    assert "<mark>It said &lt;script&gt;x()&lt;/script&gt; today.</mark>" in out
    assert "Intro. <mark>" in out and "</mark> More." in out


def test_source_names_the_other_outlets_that_carry_its_sentence() -> None:
    text = "Floods hit Riverton. At least 12 people died."
    cite = Citation("w", "Floods", "Northern Wire", "2025-03-10", None, "w#0", 21, 46,
                    text[21:46], 1)  # fmt: skip
    assert "also reported" not in render_source(cite, Article("w", "Floods", text), "s", "[1]")
    others = (
        Copy("c", "<b>Daily Courier</b>", "2025-03-10", "https://dailycourier.example/a"),
        Copy("v", "Valley Times", "2025-03-11", "javascript:alert(1)"),
        Copy("u", "Northern Wire", "2025-03-12", None),  # its own outlet again: not counted
    )
    out = render_source(replace(cite, also_reported_by=others), Article("w", "F", text), "s", "")
    assert (
        '<p class="also">also reported by <a href="https://dailycourier.example/a" '
        'target="_blank" rel="noopener noreferrer">&lt;b&gt;Daily Courier&lt;/b&gt;</a>, '
        "Valley Times (3 outlets)</p>"
    ) in out
    assert "javascript:" not in out


def test_sentences_get_links_and_badges() -> None:
    s = AnswerSentence("Ofcom acted [2] and wrote [sic] to X. [1]", (1, 2), "partial")
    out = render_sentence(s, turn=3)
    assert 'href="#src-3-2"' in out and 'href="#src-3-1"' in out
    assert "[sic]" in out and "badge partial" in out
    assert "badge" not in render_sentence(AnswerSentence("Fine. [1]", (1,)), turn=0)


def test_errors_become_chat_messages(fresh: Engine) -> None:
    h = Handlers(fresh)
    *_, (chat, _box, _panel, turns) = h.respond("Who met?", [], [], 8, None, "2026-99-01", "")
    assert chat[-1]["role"] == "assistant" and "⚠" in chat[-1]["content"]
    assert turns == []
    before = [{"role": "user", "content": "Who met?"}, {"role": "assistant", "content": "x"}]
    *_, (chat, box, _panel, turns) = h.respond("  ", before, [], 8, None, "", "")
    assert chat == before and turns == []  # a notice beside the box, not a chat message


def test_no_index_is_a_chat_message_and_an_empty_library(fresh: Engine) -> None:
    h = Handlers(fresh)
    *_, (chat, *_rest) = h.respond(SEED_QUESTION, [], [], 8, None, "", "")
    assert chat[0]["role"] == "user" and "⚠" in chat[-1]["content"]
    assert "no index" in chat[-1]["content"]
    assert h.library()[1].choices == []


def _rows(table: Any) -> list[list[Any]]:
    return list(table.value["data"])


def test_library_lists_stories_with_their_outlets_dates_and_copies(
    tmp_path: Path, embedder: Any
) -> None:
    engine = Engine(make_settings(tmp_path), embedder)
    assert engine.ingest([STORIES]).exit_code == 0
    h = Handlers(engine)
    rows = _rows(h.library()[3])
    flood = next(r for r in rows if r[0].startswith("Riverton floods: at least 12 dead"))
    outlets = "Northern Wire, Daily Courier, Valley Times"
    assert flood[1:] == [outlets, "2025-03-10", "2025-03-12", 4]
    market = ["Riverton farmers' market reopens", "Valley Times", "2025-02-22", "2025-02-22", 1]
    assert market in rows
    # filtered by a name spaCy found in the articles
    names = h.library()[4].choices
    assert ("Maria Santos", "Maria Santos") in names or "Maria Santos" in str(names)
    council = _rows(h.stories_naming("Maria Santos"))
    assert [r[0] for r in council] == ["Riverton council approves new library"]
    assert len(_rows(h.stories_naming(None))) == len(rows)


def test_follow_ups_are_read_from_the_answers_kept_in_the_state(ui_engine: Engine) -> None:
    h = Handlers(ui_engine)
    *_, (chat, _box, _panel, turns) = h.respond(SEED_QUESTION, [], [], 8, None, "", "")
    assert [t.answer.question for t in turns] == [SEED_QUESTION]
    follow_up = "What did they say next?"
    *_, (chat, _box, panel, turns) = h.respond(follow_up, chat, turns, 8, None, "", "")
    assert [m["role"] for m in chat] == ["user", "assistant"] * 2 and len(turns) == 2
    assert "Ofcom" in (turns[1].answer.query or "")  # carried over from the first question
    assert '<section class="turn" id="turn-0" hidden>' in panel and 'id="turn-1">' in panel


def test_abstention_lists_related_not_citations(ui_engine: Engine) -> None:
    answer = ui_engine.ask(OFF_TOPIC)
    assert answer.abstained and answer.related
    out = render_answer(answer, turn=0)
    assert "Related passages (not citations)" in out and 'class="cite"' not in out


# ---------- the served app ----------


@pytest.fixture(scope="module")
def ui_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Engine:
    eng = Engine(make_settings(tmp_path_factory.mktemp("ui")), embedder)
    assert eng.ingest([ROOT / "seeds"]).exit_code == 0
    eng.ask(SEED_QUESTION)  # warm the models, so browser timings measure the app
    return eng


@pytest.fixture(scope="module")
def server(ui_engine: Engine) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build_app(ui_engine)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    DOCS.mkdir(exist_ok=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()
    if TIMINGS:
        lines = [f"{k}: first text {a:.0f} ms, final {b:.0f} ms" for k, (a, b) in TIMINGS.items()]
        (DOCS / "ui-timings.txt").write_text(
            "Browser time from clicking Send (headless Chromium, warm models):\n"
            + "\n".join(lines)
            + "\n"
        )
        print("\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    pg = browser.new_page(viewport={"width": 1400, "height": 900})
    pg.goto(server)
    pg.wait_for_selector("#question textarea")
    yield pg
    pg.close()


# Records, in the page, when the next answer's first text and its final small print appear.
WATCH = """() => {
  const count = (sel) => document.querySelectorAll(sel).length;
  const FIRST = '#chat .sent, #chat .abstain, #chat .error', FINAL = '#chat .meta, #chat .error';
  const t = window.__t = { n: count(FIRST), m: count(FINAL) };
  document.querySelector('#send').addEventListener('click', () => {
    t.start = performance.now();
  }, { once: true, capture: true });
  new MutationObserver((_, obs) => {
    if (t.start === undefined) return;
    if (!t.first && count(FIRST) > t.n) t.first = performance.now() - t.start;
    if (!t.final && count(FINAL) > t.m) { t.final = performance.now() - t.start; obs.disconnect(); }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


def ask(page: Any, question: str, label: str | None = None) -> None:
    page.fill("#question textarea", question)
    page.evaluate(WATCH)
    page.click("#send")
    page.wait_for_function("() => window.__t.final !== undefined", timeout=60_000)
    t = page.evaluate("window.__t")
    TIMINGS[label or question] = (t["first"], t["final"])


def open_source(page: Any, n: int = 1) -> Any:
    page.locator(LAST_ANSWER).last.locator(f"a.cite:text-is('[{n}]')").first.click()
    mark = page.locator("#sources details[open] mark")
    mark.wait_for(state="visible")
    return mark


def upload(page: Any, files: list[Any]) -> str:
    page.get_by_role("tab", name="Library").click()
    before = page.input_value("#report textarea")
    page.set_input_files("#upload input[type=file]", files)
    page.wait_for_timeout(500)  # the upload itself, before the button uses it
    page.click("#add")
    page.wait_for_function(
        "(b) => { const v = document.querySelector('#report textarea').value; return v && v != b }",
        arg=before,
        timeout=60_000,
    )
    return page.input_value("#report textarea")


@pytest.mark.slow
def test_answer_cites_and_click_highlights_the_quote(page: Any, ui_engine: Engine) -> None:
    expected = ui_engine.ask(SEED_QUESTION)
    ask(page, SEED_QUESTION)
    assert page.locator("#chat a.cite").count() >= 1
    mark = open_source(page, 1)
    assert mark.text_content() == expected.citations[0].quote
    answer = ui_engine.ask(TWO_SOURCES)
    assert len(answer.citations) >= 2
    ask(page, TWO_SOURCES, "two-sentence answer")
    group = page.locator("#sources .article").last  # the seed's quotes under one header
    assert group.locator("details.src").count() == len(answer.citations)
    assert group.locator(".art-head .title").inner_text() == answer.citations[0].title
    for c in reversed(answer.citations):
        assert open_source(page, c.n).text_content() == c.quote
    open_source(page, 1)
    page.mouse.move(0, 0)
    page.screenshot(path=str(DOCS / "chat.png"))
    first = page.locator(LAST_ANSWER).first.locator("a.cite").first
    first.click()  # an older answer's marker brings back that answer's sources
    assert page.locator("#sources details[open] mark").text_content() == expected.citations[0].quote
    meta = page.locator("#chat .meta").last.text_content()
    assert "extractive" in meta and "retrieve" in meta and "total" in meta


@pytest.mark.slow
def test_bad_date_is_a_chat_message(page: Any) -> None:
    page.locator("#settings").get_by_text("Settings").click()
    page.fill("#from input, #from textarea", "2026-13-45")
    ask(page, SEED_QUESTION, "bad date")
    error = page.locator(f"{LAST_ANSWER} .error").text_content()
    assert "'2026-13-45' is not a 'published from' date" in error and "YYYY-MM-DD" in error
    assert page.locator("#chat a.cite").count() == 0


@pytest.mark.slow
def test_off_topic_question_abstains_with_related_passages(page: Any) -> None:
    ask(page, OFF_TOPIC)
    last = page.locator(LAST_ANSWER).last
    assert "don't answer" in last.locator(".abstain").text_content()
    assert last.locator("ul.related li").count() >= 1
    assert last.locator("a.cite").count() == 0
    assert page.locator("#sources details.src").count() >= 1
    assert "not citations" in page.locator("#sources").text_content()
    page.locator("#sources details.src").first.locator("summary").click()
    page.mouse.move(0, 0)
    page.screenshot(path=str(DOCS / "abstain.png"))


@pytest.mark.slow
def test_api_returns_the_ask_json_shape(server: str, ui_engine: Engine) -> None:
    from gradio_client import Client

    result = Client(server, verbose=False).predict(SEED_QUESTION, api_name="/ask")
    keys = {"question", "answer", "abstained", "sentences", "citations", "related", "timings_ms"}
    keys |= {"backend", "fallback", "query", "as_of", "period", "conflicts", "reason"}
    assert set(result) == keys
    assert result["citations"] == ui_engine.ask(SEED_QUESTION).to_dict()["citations"]
    # the API's as_of field; the seed article is undated, so nothing says it came later
    early = Client(server, verbose=False).predict(SEED_QUESTION, "2000-01-01", api_name="/ask")
    assert early["as_of"] == "2000-01-01" and early["citations"] == result["citations"]
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        Client(server, verbose=False).predict(SEED_QUESTION, "January 2000", api_name="/ask")


@pytest.mark.slow
def test_uploaded_article_is_indexed_and_cited(page: Any, tmp_path: Path) -> None:
    path = tmp_path / "varnholm_festival.txt"
    path.write_text(FESTIVAL)
    report = upload(page, [str(path)])
    assert report.startswith("Added 'Varnholm lantern festival") and "(1 passage)." in report
    assert "added 1" not in report and "chunks/s" not in report  # words, not counters
    assert "Varnholm lantern festival" in page.locator("#library").text_content()
    page.wait_for_timeout(600)  # let the table's refresh settle before the picture
    page.screenshot(path=str(DOCS / "library.png"), full_page=True)
    page.get_by_role("tab", name="Chat").click()
    ask(page, "How many visitors did the Varnholm lantern festival draw?", "uploaded article")
    assert "18,400" in page.locator(LAST_ANSWER).last.locator("strong").first.text_content()
    mark = open_source(page, 1)
    assert "18,400 visitors" in mark.text_content()
    assert (
        "Varnholm lantern festival" in page.locator("#sources details[open] summary").inner_text()
    )


@pytest.mark.slow
def test_hostile_article_renders_as_text(page: Any, tmp_path: Path) -> None:
    path = tmp_path / "brellin_notice.txt"
    path.write_text(HOSTILE)
    assert upload(page, [str(path)]).startswith("Added '")
    page.get_by_role("tab", name="Chat").click()
    ask(page, "What notice did the Brellin council publish?", "hostile article")
    mark = open_source(page, 1)
    assert "<script>window.__pwned=1</script>" in mark.inner_text()
    assert page.get_by_text("<script>window.__pwned=1</script>").first.is_visible()
    assert page.locator("#sources summary").last.inner_text().count("<img src=x") == 1
    assert page.locator("#sources script, #sources img, #chat [data-testid=bot] img").count() == 0
    assert page.evaluate("window.__pwned") is None


@pytest.mark.slow
def test_upload_path_traversal_and_bad_types_are_refused(page: Any, ui_engine: Engine) -> None:
    uploads = Path(ui_engine.settings.index_dir) / "uploads"
    body = b"Orrin ferry\n\nThe Orrin ferry carries 312 cars a day."
    sneaky = {"name": "../../etc/passwd.txt", "mimeType": "text/plain", "buffer": body}
    assert upload(page, [sneaky]).startswith("Added 'Orrin ferry'")
    assert (uploads / "passwd.txt").read_bytes() == body
    assert not (uploads.parent.parent / "etc").exists()
    exe = {"name": "evil.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}
    page.set_input_files("#upload input[type=file]", [exe])
    page.get_by_text("Invalid file type").first.wait_for()
    assert not (uploads / "evil.exe").exists()
    page.locator("#remove-doc input").click()
    page.get_by_role("option", name="Orrin ferry (passwd)").click()
    page.click("#remove")  # asks first
    page.locator("#confirm").wait_for(state="visible")
    asked = page.input_value("#report textarea")
    assert asked.startswith("Remove 'Orrin ferry' (passwd) from the index?")
    assert "passwd" in [a["doc_id"] for a in ui_engine.articles()]
    page.click("#confirm")
    page.wait_for_function(
        "document.querySelector('#report textarea').value.startsWith('Removed passwd')"
    )
    page.locator("#confirm").wait_for(state="hidden")
    assert "passwd" not in [a["doc_id"] for a in ui_engine.articles()]
    assert not (uploads / "passwd.txt").exists()


def test_meta_line_shows_the_search_and_the_period() -> None:
    answer = Answer(
        "What has he said?",
        "x",
        (),
        (),
        query="What has Elon Musk said about the British government?",
        as_of="2025-03-15",
        period={"from": "2025-03-03", "to": "2025-03-09", "recent": False, "phrase": "last week"},
    )
    html = render_meta(answer)
    assert "Searched for: “What has Elon Musk said about the British government?”" in html
    period = "articles published 2025-03-03 to 2025-03-09 (&quot;last week&quot;), as of 2025-03-15"
    assert period in html
    assert "Searched for" not in render_meta(Answer("q", "x", (), ()))


@pytest.mark.slow
def test_filters_on_show_above_the_box_and_an_empty_result_says_so(page: Any) -> None:
    page.locator("#settings").get_by_text("Settings").click()
    page.fill("#to input, #to textarea", "2000-01-01")
    page.locator("#settings").get_by_text("Settings").first.click()  # closed again
    active = page.locator("#active-filters")
    active.get_by_text("Filters on").wait_for(state="visible")
    assert "published … to 2000-01-01" in active.text_content()
    ask(page, SEED_QUESTION, "filtered out")
    said = page.locator(LAST_ANSWER).last.text_content()
    assert "No article matches the filters on (published up to 2000-01-01)" in said


@pytest.mark.slow
def test_an_empty_question_is_a_notice_not_part_of_the_last_answer(page: Any) -> None:
    ask(page, SEED_QUESTION, "before an empty question")
    bubbles = page.locator("#chat .message").count()
    last = page.locator(LAST_ANSWER).last.text_content()
    page.fill("#question textarea", "   ")
    page.click("#send")
    page.get_by_text("Type a question about the articles first.").wait_for(state="visible")
    assert page.locator("#chat .message").count() == bubbles
    assert page.locator(LAST_ANSWER).last.text_content() == last


@pytest.mark.slow
def test_layout_on_a_narrow_window_and_no_chrome_over_the_text(browser: Any, server: str) -> None:
    pg = browser.new_page(viewport={"width": 600, "height": 1000})
    pg.goto(server)
    pg.wait_for_selector("#question textarea")
    ask(pg, SEED_QUESTION, "narrow window")
    sources = pg.locator("#sources").bounding_box()
    settings = pg.locator("#settings").bounding_box()
    assert sources["y"] < settings["y"]  # the sources right after the chat, settings last
    assert pg.locator("#chat [data-testid=block-label]").count() == 0  # no label over the text
    assert pg.locator("#sources [data-testid=block-label]").count() == 0  # no </> badge
    assert pg.get_by_text("Sources", exact=True).is_visible()
    assert pg.locator("#chat button[aria-label*=opy], #chat button[title*=opy]").count() == 0
    assert pg.get_by_text("Settings", exact=True).count() <= 1  # only Gradio's footer link
    pg.screenshot(path=str(DOCS / "narrow.png"), full_page=True)
    pg.close()


@pytest.mark.slow
def test_a_refused_upload_is_said_in_words_and_not_kept(page: Any, ui_engine: Engine) -> None:
    uploads = Path(ui_engine.settings.index_dir) / "uploads"
    empty = {"name": "empty.txt", "mimeType": "text/plain", "buffer": b"   \n"}
    report = upload(page, [empty])
    assert "Skipped empty.txt: empty file" in report
    assert not (uploads / "empty.txt").exists()  # not kept, so not reported again
    # outlet and date on the lines under the headline: metadata, shown in the table
    body = b"Kessel pier\nKessel Gazette\n12 March 2025\n\nThe Kessel pier reopened after repairs."
    again = upload(page, [{"name": "pier.txt", "mimeType": "text/plain", "buffer": body}])
    assert again.startswith("Added 'Kessel pier'") and "empty.txt" not in again
    for shown in ("Kessel Gazette", "2025-03-12"):
        page.locator("#library span").filter(has_text=shown).first.wait_for()
    pier = next(a for a in ui_engine.articles() if a["doc_id"] == "pier")
    assert (pier["source"], pier["published"]) == ("Kessel Gazette", "2025-03-12")


def test_quotes_of_one_article_share_one_header() -> None:
    article = Article("a", "Ofcom contacts X", "One. Two. Three.", source="POLITICO")

    def cite(n: int, start: int, end: int, doc: str = "a") -> Citation:
        text = article.text if doc == "a" else "Other."
        return Citation(doc, "Head " + doc, "POLITICO", None, None, f"{doc}#0", start, end,
                        text[start:end], n)  # fmt: skip

    answer = Answer("q", "x", (), (cite(1, 0, 4), cite(2, 5, 9), cite(3, 0, 6, "b")))
    html = render_turn(Turn(answer, {"a": article}), 0)
    assert html.count('<div class="article">') == 1 and html.count("Head a") == 3
    assert "2 quotes" in html and 'id="src-0-1"' in html and 'id="src-0-2"' in html
    assert html.count("Head b") == 1  # an article quoted once keeps its own card


@pytest.mark.slow
def test_a_quote_names_its_speaker_and_a_follow_up_shows_its_search(page: Any) -> None:
    ask(page, "Who said X has got to get a grip of this?", "quote with its speaker")
    said = page.locator(LAST_ANSWER).last.text_content()
    assert "X has got to get a grip" in said and "Keir Starmer said" in said
    ask(page, "What did he say about the government?", "follow-up")
    meta = page.locator(LAST_ANSWER).last.locator(".searched").text_content()
    assert (
        meta.startswith("Searched for: “")
        and meta != "Searched for: “What did he say about the government?”"
    )


@pytest.mark.slow
def test_adding_files_shows_progress_and_keeps_the_tables(page: Any, tmp_path: Path) -> None:
    page.get_by_role("tab", name="Library").click()
    seed_row = page.locator("#library span").filter(has_text="Lammy raised Grok").first
    seed_row.wait_for()
    files = []
    for i in range(6):
        body = f"Kessel harbour note {i}\n\n" + " ".join(
            f"The Kessel harbour board met on day {i} and approved berth {j} for ferries."
            for j in range(40)
        )
        files.append(
            {"name": f"harbour_{i}.txt", "mimeType": "text/plain", "buffer": body.encode()}
        )
    page.set_input_files("#upload input[type=file]", files)
    page.wait_for_timeout(500)
    page.click("#add")
    # while the files are indexed: a progress bar on the report, the article table still shown
    page.locator("#report .progress-level, #report .eta-bar").first.wait_for(state="attached")
    assert seed_row.is_visible()
    shown = "#library .progress-level, #library .eta-bar, #library .pending, #stories .eta-bar"
    assert page.locator(shown).count() == 0  # no loading cover over the tables
    page.wait_for_function(
        "() => document.querySelector('#report textarea').value.includes('Kessel harbour note 5')",
        timeout=120_000,
    )
