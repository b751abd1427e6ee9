"""Questions and uploaded files -> a web app of cited answers: chat, sources panel, library.

`build_app(engine)` lays out the Gradio Blocks and wires them to `ui.handlers`; `main()` serves
it on 127.0.0.1:7860. Every [n] in an answer opens source n beside the chat, its quoted sentence
marked (HTML from `ui.render`, CSS and script from `ui/assets/`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.errors import RagError
from rag.settings import Settings
from ui.handlers import Handlers
from ui.inputs import MAX_UPLOAD_MB, MAX_UPLOADS, UPLOAD_TYPES
from ui.render import render_filters, render_panel

if TYPE_CHECKING:
    from rag.engine import Engine

# Questions are answered a few at a time, also while an upload is being ingested; uploads and
# removals go one at a time. (Measured with `python -m tests.chat_load`, README.)
ASKING_AT_ONCE = 4
EXAMPLES = [
    "What did Ofcom do about the Grok images?",
    "What did Keir Starmer say about the images?",
    "Who did David Lammy meet in Washington?",
]
LIBRARY_HEADERS = ["Title", "Outlet", "Published", "Chunks", "Document id"]
STORY_HEADERS = ["Headline", "Outlets", "First published", "Last published", "Copies"]

ASSETS = Path(__file__).with_name("assets")


def read_assets() -> tuple[str, str]:
    """(the page's <style> head, the sources panel's on-load script), from ui/assets/."""
    css = (ASSETS / "style.css").read_text(encoding="utf-8")
    js = (ASSETS / "cite.js").read_text(encoding="utf-8")
    return f"<style>\n{css}</style>", js


# ---------- layout ----------


def _chat_tab(h: Handlers) -> Any:
    """The chat beside its sources panel; returns the outlet filter (the library refreshes it)."""
    turns = gr.State([])  # one ui.render.Turn per answered question: data, not HTML
    style, cite_js = read_assets()
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chat, box, send, active = _chat_column()
        with gr.Column(scale=2):
            gr.HTML('<h3 class="panel-title">Sources</h3>', elem_id="sources-title")
            sources = gr.HTML(
                render_panel([]),
                show_label=False,
                container=True,
                padding=True,
                elem_id="sources",
                head=style,
                js_on_load=cite_js,
            )
    # below both columns: on a narrow window the sources still come right after the chat
    top_k, outlets, start, end, as_of = _settings(h)
    narrowing = [outlets, start, end, as_of]
    for field in narrowing:
        field.change(render_filters, narrowing, active, api_visibility="private")
    inputs = [box, chat, turns, top_k, outlets, start, end, as_of]
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


def _chat_column() -> tuple[Any, Any, Any, Any]:
    chat = gr.Chatbot(
        label="Answers",
        show_label=False,  # its floating label covered the first line of text
        height=480,
        render_markdown=False,
        elem_classes=["rag-chat"],
        elem_id="chat",
        buttons=[],  # no copy button on every message: a quote is copied from its source
        feedback_options=None,
        placeholder="Ask about the articles: every answer sentence cites the sentence it quotes.",
    )
    active = gr.HTML("", elem_id="active-filters")  # the filters on, seen with Settings closed
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
    return chat, box, send, active


def _settings(h: Handlers) -> tuple[Any, Any, Any, Any, Any]:
    # not "Settings": Gradio's footer has a link by that name
    with gr.Accordion("Search settings", open=False, elem_id="settings"):
        top_k = gr.Slider(1, 30, value=h.engine.settings.top_k, step=1, label="Passages (top-k)")
        outlets = gr.Dropdown(
            [], multiselect=True, label="Only these outlets (none = all)", elem_id="outlets"
        )
        with gr.Row():
            start = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", elem_id="from")
            end = gr.Textbox(label="Published to", placeholder="YYYY-MM-DD", elem_id="to")
        as_of = gr.Textbox(
            label="Answer as of (later articles are not used; time words count from it)",
            placeholder="YYYY-MM-DD (empty: today)",
            elem_id="as-of",
        )
    return top_k, outlets, start, end, as_of


def _stories_table() -> Any:
    """The library by story: the copies of one story in several outlets make one row."""
    return gr.Dataframe(
        headers=STORY_HEADERS,
        interactive=False,
        wrap=True,
        column_widths=["44%", "26%", "12%", "12%", "6%"],
        max_height=420,
        label="Stories (copies of one story in several outlets count once)",
        elem_id="stories",
    )


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
    report = gr.Textbox(label="What happened", lines=4, interactive=False, elem_id="report")
    naming = gr.Dropdown(
        [], label="Only stories naming (people, organisations, places)", filterable=True,
        elem_id="story-entity",
    )  # fmt: skip
    stories = _stories_table()
    table = gr.Dataframe(
        headers=LIBRARY_HEADERS,
        interactive=False,
        wrap=True,
        column_widths=["48%", "14%", "12%", "8%", "18%"],
        max_height=420,
        label="Indexed articles",
        elem_id="library",
    )
    doc, sure = _removal(h, report)
    shown = (table, doc, outlets, stories, naming)
    naming.change(h.stories_naming, [naming], stories, api_visibility="private")
    add.click(
        h.add_files,
        [files],
        [report, *shown, files],
        api_visibility="private",
        concurrency_id="library",
        concurrency_limit=1,
        show_progress_on=[report],  # the tables stay readable while files are indexed
    )
    sure.click(
        h.remove, [doc], [report, *shown], api_visibility="private",
        concurrency_id="library", concurrency_limit=1,
    ).then(lambda: gr.Button(visible=False), None, sure, api_visibility="private")  # fmt: skip
    return shown


def _removal(h: Handlers, report: Any) -> tuple[Any, Any]:
    """The article picker, its Remove button (which asks first) and the button that removes."""
    with gr.Row(equal_height=True):
        doc = gr.Dropdown([], label="Article to remove", scale=4, elem_id="remove-doc")
        drop = gr.Button("Remove from index", variant="stop", scale=1, elem_id="remove")
        sure = gr.Button("Yes, remove it", variant="stop", visible=False, elem_id="confirm")
    drop.click(h.confirm_remove, [doc], [report, sure], api_visibility="private")
    doc.change(lambda: gr.Button(visible=False), None, sure, api_visibility="private")
    return doc, sure


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
