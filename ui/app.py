"""Questions and uploaded files -> a web app of cited answers: chat, sources panel, library.

`build_app(engine)` returns the Gradio Blocks; `main()` serves it on 127.0.0.1:7860.
Every [n] in an answer opens source n beside the chat, its quoted sentence marked. Article text,
titles and questions are HTML-escaped before they reach the page.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import sys
import time
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.errors import RagError
from rag.retrieve import Filters
from rag.settings import Settings
from rag.text import strip_html
from rag.types import Answer
from ui.render import (
    clip,
    esc,
    render_answer,
    render_draft,
    render_error,
    render_meta,
    render_panel,
    render_turn,
)

if TYPE_CHECKING:
    from rag.engine import Engine

log = logging.getLogger(__name__)

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl", ".json")
MAX_UPLOAD_MB = 20
MAX_UPLOADS = 20
MAX_NAME_CHARS = 100
TABLE_TITLE_CHARS = 90
STREAM_PAUSE = 0.03  # seconds between streamed sentences
# Questions are answered a few at a time, also while an upload is being ingested; uploads and
# removals go one at a time. (Measured with `python -m tests.chat_load`, README.)
ASKING_AT_ONCE = 4
EXAMPLES = [
    "What did Ofcom do about the Grok images?",
    "What did Keir Starmer say about the images?",
    "Who did David Lammy meet in Washington?",
]
LIBRARY_HEADERS = ["Title", "Outlet", "Published", "Chunks", "Document id"]

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

ASSETS = Path(__file__).with_name("assets")


def read_assets() -> tuple[str, str]:
    """(the page's <style> head, the sources panel's on-load script), from ui/assets/."""
    css = (ASSETS / "style.css").read_text(encoding="utf-8")
    js = (ASSETS / "cite.js").read_text(encoding="utf-8")
    return f"<style>\n{css}</style>", js


# ---------- chat messages for follow-ups ----------


def plain_history(history: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Chat messages with the HTML of rendered answers reduced to their text."""
    out = []
    for m in history:
        text = strip_html(str(m.get("content") or ""))
        out.append({"role": str(m.get("role")), "content": html.unescape(" ".join(text.split()))})
    return out


# ---------- input checks ----------


def parse_day(label: str, value: str | None) -> str | None:
    """'' -> None; a valid YYYY-MM-DD -> itself; anything else -> RagError."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise RagError(f"'{value}' is not a {label} date — write it as YYYY-MM-DD") from None
    return value


def make_filters(outlets: Sequence[str] | None, start: str | None, end: str | None) -> Filters:
    lo, hi = parse_day("'published from'", start), parse_day("'published to'", end)
    if lo and hi and lo > hi:
        raise RagError(f"'published from' ({lo}) is after 'published to' ({hi}) — swap them")
    return Filters(sources=tuple(outlets or ()), published_from=lo, published_to=hi)


def safe_upload_name(name: str) -> str:
    """A user's file name -> a safe basename of [A-Za-z0-9._-]; RagError if its type is wrong."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()  # é -> e
    base = _UNSAFE_CHARS.sub("_", base).lstrip("._-")
    stem, dot, ext = base.rpartition(".")
    ext = "." + ext.lower() if dot else ""
    if ext not in UPLOAD_TYPES:
        kinds = ", ".join(UPLOAD_TYPES)
        raise RagError(f"{name!r}: unsupported file type — upload one of {kinds}")
    stem = stem.strip("._-")[:MAX_NAME_CHARS] or "upload"
    if f"{stem}{ext}".lower() == "readme.md":  # the ingester skips README.md files
        stem = "readme-upload"
    return stem + ext


def stage_uploads(files: Sequence[str], dest: Path) -> tuple[list[str], list[str]]:
    """Copy checked uploads into dest; returns (saved names, refusal messages)."""
    if len(files) > MAX_UPLOADS:
        return [], [f"{len(files)} files is too many — add at most {MAX_UPLOADS} at a time"]
    saved: list[str] = []
    refused: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    for src in map(Path, files):
        try:
            name = safe_upload_name(src.name)
        except RagError as err:
            refused.append(str(err))
            continue
        if src.stat().st_size > MAX_UPLOAD_MB * 1024 * 1024:
            refused.append(f"{src.name!r} is over {MAX_UPLOAD_MB} MB — split it or shrink it")
            continue
        shutil.copyfile(src, dest / name)
        saved.append(name)
    return saved, refused


def report_lines(report: Any) -> list[str]:
    lines = [report.summary()]
    lines += [f"  added: {d}" for d in report.added]
    lines += [f"  updated: {d}" for d in report.updated]
    lines += [
        f"  duplicate: {d} (same text as {twin}, stored once)" for d, twin in report.duplicates
    ]
    lines += [f"  rejected: {Path(r.where).name}: {r.reason}" for r in report.rejected]
    return lines


# ---------- event handlers ----------


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": esc(text)}


def _bot(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


class Handlers:
    """The app's callbacks, bound to one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.uploads = Path(engine.settings.index_dir) / "uploads"

    def respond(
        self,
        question: str,
        history: list[dict[str, Any]],
        turns: list[str],
        top_k: float,
        outlets: list[str] | None,
        start: str,
        end: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Chat submit: yields (chat, question box, sources panel, turns) as the answer streams."""
        history = [*history, _user(question)] if question.strip() else list(history)
        yield history, "", gr.skip(), turns
        answer: Answer | None = None
        written = ""
        try:
            k = int(top_k) if top_k else None
            earlier = plain_history(history[:-1])
            filters = make_filters(outlets, start, end) or None
            for item in self.engine.stream(question, earlier, k, filters):
                if isinstance(item, Answer):
                    answer = item
                else:  # the model's words as they come; replaced by the checked answer
                    written += item
                    yield [*history, _bot(render_draft(written))], gr.skip(), gr.skip(), turns
        except RagError as err:
            yield [*history, _bot(render_error(str(err)))], gr.skip(), gr.skip(), turns
            return
        except Exception as err:  # keep tracebacks in the log, not in the chat
            log.exception("answering failed")
            msg = f"answering failed ({type(err).__name__}) — see the server log"
            yield [*history, _bot(render_error(msg))], gr.skip(), gr.skip(), turns
            return
        assert answer is not None
        yield from self._stream(answer, history, turns)

    def _stream(
        self, answer: Answer, history: list[dict[str, Any]], turns: list[str]
    ) -> Iterator[tuple[Any, ...]]:
        turn = len(turns)
        turns = [*turns, render_turn(answer, turn, self.engine.article)]
        panel = render_panel(turns)
        for i in range(1, len(answer.sentences)):
            yield [*history, _bot(render_answer(answer, turn, i))], gr.skip(), panel, turns
            time.sleep(STREAM_PAUSE)
        final = render_answer(answer, turn) + render_meta(answer)
        yield [*history, _bot(final)], gr.skip(), panel, turns

    def ask_api(self, question: str) -> dict[str, Any]:
        """Answer a question about the articles; returns the `rag ask --json` dict."""
        try:
            return self.engine.ask(question).to_dict()
        except RagError as err:
            raise gr.Error(str(err)) from err

    def add_files(
        self,
        files: list[str] | None,
        progress: Any = gr.Progress(track_tqdm=True),  # noqa: B008
    ) -> tuple[Any, ...]:
        """Upload: check and copy the files into <index>/uploads/, ingest that folder."""
        if not files:
            return ("Choose one or more files first.", *self.library(), gr.skip())
        progress(0, desc="Checking files")
        saved, refused = stage_uploads(files, self.uploads)
        lines = [f"refused: {r}" for r in refused]
        if saved:
            progress(0.1, desc="Indexing")
            lines = self._ingest() + lines
        return ("\n".join(lines), *self.library(), None)

    def _ingest(self) -> list[str]:
        try:
            return report_lines(self.engine.ingest([self.uploads], progress=True))
        except RagError as err:
            return [f"ingest failed: {err}"]
        except Exception as err:  # keep tracebacks in the log, not in the page
            log.exception("ingest failed")
            return [f"ingest failed ({type(err).__name__}) — see the server log"]

    def remove(self, doc_id: str | None) -> tuple[Any, ...]:
        """Remove one article from the index (and its uploaded copy, if it was uploaded)."""
        if not doc_id:
            return ("Pick an article to remove first.", *self.library())
        path = next((a["path"] for a in self.engine.articles() if a["doc_id"] == doc_id), None)
        try:
            removed = self.engine.remove([doc_id])
        except RagError as err:
            return (f"could not remove {doc_id}: {err}", *self.library())
        if path and Path(path).resolve().parent == self.uploads.resolve():
            Path(path).unlink(missing_ok=True)
        msg = f"removed {doc_id}" if removed else f"{doc_id} was not in the index"
        return (msg, *self.library())

    def library(self) -> tuple[Any, Any, Any]:
        """Fresh (article table, remove-choices dropdown, outlet-filter dropdown)."""
        arts = self.engine.articles()
        rows = [_library_row(a) for a in arts]
        docs = [(f"{clip(a['title'], 60)} ({a['doc_id']})", a["doc_id"]) for a in arts]
        outlets = sorted({a["source"] for a in arts if a["source"]})
        return (
            gr.Dataframe(value=rows or [["", "", "", "", ""]]),
            gr.Dropdown(choices=docs, value=None),
            gr.Dropdown(choices=outlets),
        )


def _library_row(a: dict[str, Any]) -> list[Any]:
    title = clip(a["title"], TABLE_TITLE_CHARS)
    return [title, a["source"] or "", a["published"] or "", a["chunks"], a["doc_id"]]


# ---------- layout ----------


def _chat_tab(h: Handlers) -> Any:
    """The chat beside its sources panel; returns the outlet filter (the library refreshes it)."""
    turns = gr.State([])
    style, cite_js = read_assets()
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chat, box, send = _chat_column()
            top_k, outlets, start, end = _settings(h)
        with gr.Column(scale=2):
            sources = gr.HTML(
                render_panel([]),
                label="Sources",
                show_label=True,
                container=True,
                padding=True,
                elem_id="sources",
                head=style,
                js_on_load=cite_js,
            )
    inputs = [box, chat, turns, top_k, outlets, start, end]
    outputs = [chat, box, sources, turns]
    for event in (send.click, box.submit):
        event(
            h.respond,
            inputs,
            outputs,
            api_visibility="private",
            concurrency_id="asking",
            concurrency_limit=ASKING_AT_ONCE,
        )
    chat.clear(lambda: ([], render_panel([])), None, [turns, sources], api_visibility="private")
    return outlets


def _chat_column() -> tuple[Any, Any, Any]:
    chat = gr.Chatbot(
        label="Answers",
        height=480,
        render_markdown=False,
        elem_classes=["rag-chat"],
        elem_id="chat",
        buttons=["copy"],
        feedback_options=None,
        placeholder="Ask about the articles: every answer sentence cites the sentence it quotes.",
    )
    with gr.Row(equal_height=True):
        box = gr.Textbox(
            show_label=False,
            placeholder="Ask a question about the articles…",
            scale=5,
            container=False,
            elem_id="question",
        )
        send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="send")
    gr.Examples(EXAMPLES, inputs=[box], label="Examples")
    return chat, box, send


def _settings(h: Handlers) -> tuple[Any, Any, Any, Any]:
    with gr.Accordion("Settings", open=False, elem_id="settings"):
        top_k = gr.Slider(1, 30, value=h.engine.settings.top_k, step=1, label="Passages (top-k)")
        outlets = gr.Dropdown(
            [], multiselect=True, label="Only these outlets (none = all)", elem_id="outlets"
        )
        with gr.Row():
            start = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", elem_id="from")
            end = gr.Textbox(label="Published to", placeholder="YYYY-MM-DD", elem_id="to")
    return top_k, outlets, start, end


def _library_tab(h: Handlers, outlets: Any) -> tuple[Any, ...]:
    """Upload, list and remove articles; returns the components `library()` refreshes."""
    kinds = ", ".join(UPLOAD_TYPES)
    gr.Markdown(
        f"Add articles ({kinds}; up to {MAX_UPLOADS} files of {MAX_UPLOAD_MB} MB each). "
        "They are copied into the index folder under `uploads/` and indexed."
    )
    files = gr.File(
        file_count="multiple",
        file_types=list(UPLOAD_TYPES),
        label="Files",
        height=160,
        elem_id="upload",
    )
    add = gr.Button("Add to library", variant="primary", elem_id="add")
    report = gr.Textbox(label="Ingest report", lines=4, interactive=False, elem_id="report")
    table = gr.Dataframe(
        headers=LIBRARY_HEADERS,
        interactive=False,
        wrap=True,
        column_widths=["48%", "14%", "12%", "8%", "18%"],
        max_height=420,
        label="Indexed articles",
        elem_id="library",
    )
    with gr.Row(equal_height=True):
        doc = gr.Dropdown([], label="Article to remove", scale=4, elem_id="remove-doc")
        drop = gr.Button("Remove from index", variant="stop", scale=1, elem_id="remove")
    shown = (table, doc, outlets)
    add.click(
        h.add_files,
        [files],
        [report, *shown, files],
        api_visibility="private",
        concurrency_id="library",
        concurrency_limit=1,
    )
    drop.click(
        h.remove,
        [doc],
        [report, *shown],
        api_visibility="private",
        concurrency_id="library",
        concurrency_limit=1,
    )
    return shown


def build_app(engine: Engine) -> gr.Blocks:
    """The web app for one engine: Chat and Library tabs, and the /ask API endpoint."""
    h = Handlers(engine)
    # Uploads are copied into <index>/uploads/ at once; Gradio's own copies (served to whoever
    # knows their path) are swept hourly once a day old, and all at a restart.
    with gr.Blocks(
        title="News Q&A — cited answers", analytics_enabled=False, delete_cache=(3600, 86400)
    ) as app:
        gr.Markdown("## News Q&A\nAnswers quote the articles; click a [n] to see the sentence.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                outlets = _chat_tab(h)
            with gr.Tab("Library", id="library-tab"):
                shown = _library_tab(h, outlets)
        gr.api(
            h.ask_api,
            api_name="ask",
            concurrency_id="asking",
            concurrency_limit=ASKING_AT_ONCE,
        )
        app.load(h.library, None, list(shown), api_visibility="private")
    return app


def parse_auth(value: str) -> tuple[str, str]:
    """'user:password' -> (user, password); the password may itself hold colons."""
    user, colon, password = value.partition(":")
    if not (colon and user.strip() and password):
        raise RagError("RAG_UI_AUTH must look like user:password — e.g. RAG_UI_AUTH=editor:s3cret")
    return user.strip(), password


def launch_options(settings: Settings) -> dict[str, Any]:
    """What `launch()` enforces server-side: the login, the upload size, no index files served."""
    options: dict[str, Any] = {
        "max_file_size": f"{MAX_UPLOAD_MB}mb",
        "blocked_paths": [str(Path(settings.index_dir).resolve())],
    }
    if settings.ui_auth:
        options["auth"] = parse_auth(settings.ui_auth)
    return options


def main(
    host: str = "127.0.0.1",
    port: int = 7860,
    settings: Settings | None = None,
    build: bool = False,
) -> None:
    """Serve the app; with build, index the seeds folder first when there is no index."""
    from rag.engine import Engine

    settings = settings or Settings()
    options = launch_options(settings)  # a bad RAG_UI_AUTH fails before any work
    if host not in ("127.0.0.1", "localhost", "::1") and "auth" not in options:
        print(f"warning: serving on {host} without a login — set RAG_UI_AUTH", file=sys.stderr)
    engine = Engine.from_settings(settings)
    if build:
        engine.build_if_missing(lambda line: print(line, file=sys.stderr))
    if engine.has_index():  # load the models now, not during the first question
        engine.ask("What happened?")
    build_app(engine).launch(server_name=host, server_port=port, **options)


if __name__ == "__main__":
    main()
