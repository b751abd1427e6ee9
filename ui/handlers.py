"""Chat, upload and removal events -> engine calls -> chat messages, panel HTML and library rows.

Each handler catches the engine's errors and returns them as messages for the page: a RagError
says what to do next; anything else is logged with its traceback and named in one line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.errors import RagError
from rag.text import strip_markers
from rag.types import Answer
from ui.inputs import make_filters, parse_day, stage_uploads, uploaded_articles
from ui.render import (
    Turn,
    clip,
    esc,
    render_answer,
    render_draft,
    render_error,
    render_meta,
    render_panel,
)
from ui.report import in_words

if TYPE_CHECKING:
    from rag.engine import Engine
    from rag.types import Article

log = logging.getLogger(__name__)

TABLE_TITLE_CHARS = 90
STREAM_PAUSE = 0.03  # seconds between streamed sentences


def follow_up_history(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(question, answer text without its [n] markers) of each answered turn, oldest first."""
    return [(t.answer.question, strip_markers(t.answer.text)) for t in turns]


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
        chat: list[dict[str, Any]],
        turns: list[Turn],
        top_k: float,
        outlets: list[str] | None,
        start: str,
        end: str,
        as_of: str = "",
    ) -> Iterator[tuple[Any, ...]]:
        """Chat submit: yields (chat, question box, sources panel, turns) as the answer streams.

        `chat` is the page's messages, only ever appended to; `turns` is the state, one Turn per
        answered question, and follow-ups are made standalone from its answers.
        """
        if not question.strip():  # said beside the box: in the chat it would join the last answer
            gr.Warning("Type a question about the articles first.")
            yield chat, question, gr.skip(), turns
            return
        shown = [*chat, _user(question)]
        yield shown, "", gr.skip(), turns
        answer: Answer | None = None
        written = ""
        try:
            k = int(top_k) if top_k else None
            filters = make_filters(outlets, start, end) or None
            day = parse_day("'answer as of'", as_of)
            history = follow_up_history(turns)
            for item in self.engine.stream(question, history, k, filters, day):
                if isinstance(item, Answer):
                    answer = item
                else:  # the model's words as they come; replaced by the checked answer
                    written += item
                    yield [*shown, _bot(render_draft(written))], gr.skip(), gr.skip(), turns
        except RagError as err:
            yield [*shown, _bot(render_error(str(err)))], gr.skip(), gr.skip(), turns
            return
        except Exception as err:  # keep tracebacks in the log, not in the chat
            log.exception("answering failed")
            msg = f"answering failed ({type(err).__name__}) — see the server log"
            yield [*shown, _bot(render_error(msg))], gr.skip(), gr.skip(), turns
            return
        assert answer is not None
        yield from _reveal(shown, [*turns, Turn(answer, self._quoted(answer))])

    def _quoted(self, answer: Answer) -> dict[str, Article]:
        """The articles the answer's sources (or related passages) quote, by doc_id."""
        found = {c.doc_id: self.engine.article(c.doc_id) for c in answer.citations + answer.related}
        return {doc_id: article for doc_id, article in found.items() if article is not None}

    def ask_api(self, question: str, as_of: str = "") -> dict[str, Any]:
        """Answer a question about the articles as of a day (YYYY-MM-DD, empty: today);
        returns the `rag ask --json` dict."""
        try:
            return self.engine.ask(question, as_of=as_of or None).to_dict()
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
        lines = [f"Refused {r}" for r in refused]
        if saved:
            progress(0.1, desc="Indexing")
            lines = self._ingest(uploaded_articles(saved, self.uploads)) + lines
        return ("\n".join(lines), *self.library(), None)

    def _ingest(self, paths: list[Path]) -> list[str]:
        if not paths:
            return ["Nothing to index: a metadata file (.meta.json) needs its article beside it."]
        try:
            report = self.engine.ingest(list(paths), progress=True)
        except RagError as err:
            return [f"Could not add the files: {err}"]
        except Exception as err:  # keep tracebacks in the log, not in the page
            log.exception("ingest failed")
            return [f"Could not add the files ({type(err).__name__}) — see the server log."]
        for r in report.rejected:  # a refused file is not kept, so no later upload reports it
            path = Path(r.where)
            if path.parent.resolve() == self.uploads.resolve():
                path.unlink(missing_ok=True)
        return in_words(report, {a["doc_id"]: a for a in self.engine.articles()})

    def confirm_remove(self, doc_id: str | None) -> tuple[Any, Any]:
        """The first click on Remove: say what would go, and show the button that does it."""
        if not doc_id:
            return "Pick an article to remove first.", gr.Button(visible=False)
        title = next((a["title"] for a in self.engine.articles() if a["doc_id"] == doc_id), doc_id)
        msg = f"Remove '{clip(title, 70)}' ({doc_id}) from the index? Click 'Yes, remove it'."
        return msg, gr.Button(visible=True)

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
        msg = f"Removed {doc_id}." if removed else f"{doc_id} was not in the index."
        return (msg, *self.library())

    def library(self) -> tuple[Any, Any, Any, Any, Any]:
        """Fresh (article table, remove-choices dropdown, outlet-filter dropdown, story table,
        the story filter's names)."""
        arts = self.engine.articles()
        rows = [_library_row(a) for a in arts]
        docs = [(f"{clip(a['title'], 60)} ({a['doc_id']})", a["doc_id"]) for a in arts]
        outlets = sorted({a["source"] for a in arts if a["source"]})
        names = self.engine.store.entity_names() if arts else []
        return (
            gr.Dataframe(value=rows or [["", "", "", "", ""]]),
            gr.Dropdown(choices=docs, value=None),
            gr.Dropdown(choices=outlets),
            self.stories_naming(None),
            gr.Dropdown(choices=names, value=None),
        )

    def stories_naming(self, name: str | None) -> Any:
        """The story table, only stories whose articles name `name` (all when None)."""
        wanted = None
        if name:
            wanted = self.engine.store.entity_index().get(name.casefold(), set())
        stories = [_story_row(s) for s in self.engine.stories(wanted)]
        return gr.Dataframe(value=stories or [["", "", "", "", ""]])


def _reveal(shown: list[dict[str, Any]], turns: list[Turn]) -> Iterator[tuple[Any, ...]]:
    """The last turn's answer a sentence at a time, then whole with its small print."""
    n, answer = len(turns) - 1, turns[-1].answer
    panel = render_panel(turns)
    for i in range(1, len(answer.sentences)):
        yield [*shown, _bot(render_answer(answer, n, i))], gr.skip(), panel, turns
        time.sleep(STREAM_PAUSE)
    final = render_answer(answer, n) + render_meta(answer)
    yield [*shown, _bot(final)], gr.skip(), panel, turns


def _library_row(a: dict[str, Any]) -> list[Any]:
    title = clip(a["title"], TABLE_TITLE_CHARS)
    return [title, a["source"] or "", a["published"] or "", a["chunks"], a["doc_id"]]


def _story_row(s: dict[str, Any]) -> list[Any]:
    headline = clip(s["headline"], TABLE_TITLE_CHARS)
    return [headline, ", ".join(s["outlets"]), s["first"] or "", s["last"] or "", s["copies"]]
