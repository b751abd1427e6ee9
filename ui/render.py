"""Answers and citations -> escaped HTML: chat messages and the sources panel (pure functions).

Every [n] in an answer links to `#src-<turn>-<n>`, the id of source n in the panel's section for
that turn (ui/assets/cite.js opens it). Article text, titles and questions are HTML-escaped here,
before they reach the page; nothing in this module imports gradio. `Turn` is what the chat state
keeps of each answered question: data, rendered here whenever the page needs it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rag.conflicts import describe
from rag.copies import other_outlets
from rag.text import TRAILING_MARKERS, find_markers
from rag.when import describe_period

if TYPE_CHECKING:
    from rag.types import Answer, AnswerSentence, Article, Citation, Conflict

CONTEXT_CHARS = 500  # most paragraph text shown on each side of a quote


@dataclass(frozen=True)
class Turn:
    """One answered question as the chat state keeps it: the checked answer, and the articles its
    sources quote as they were when it was answered (so its panel reads the same later)."""

    answer: Answer
    articles: Mapping[str, Article] = field(default_factory=dict)


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are clickable; anything else (javascript:, data:) is dropped."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def cite_links(numbers: Sequence[int], turn: int) -> str:
    return "".join(
        f'<a class="cite" href="#src-{turn}-{n}" title="Show source {n}">[{n}]</a>' for n in numbers
    )


def badge(support: str, note: str = "") -> str:
    if support == "partial":
        why = esc(note or "Only partly backed by its source")
        return f'<span class="badge partial" title="{why}">partial</span>'
    if support == "unsupported":
        why = esc(note or "Not backed by its source")
        return f'<span class="badge unsupported" title="{why}">unverified</span>'
    if note:
        return f'<span class="badge recited" title="{esc(note)}">re-cited</span>'
    return ""


def render_sentence(sentence: AnswerSentence, turn: int) -> str:
    """One answer sentence: escaped text, its [n] markers as links, a badge unless supported."""
    text = TRAILING_MARKERS.sub("", sentence.text)
    cited, shown, parts, pos = set(sentence.citations), [], [], 0
    for start, end, numbers in find_markers(text):
        if set(numbers) <= cited:  # otherwise brackets that belong to the quoted text
            parts += [bold(text[pos:start], sentence.key), " ", cite_links(numbers, turn)]
            shown += numbers
            pos = end
    parts.append(bold(text[pos:], sentence.key))
    missing = [n for n in sentence.citations if n not in shown]
    links = " " + cite_links(missing, turn) if missing else ""
    body = "".join(parts) + links + badge(sentence.support, sentence.note)
    return f'<span class="sent {sentence.support}">{body}</span>'


def bold(text: str, keys: Sequence[str]) -> str:
    """Escaped text with the first occurrence of each key in bold.

    >>> bold("It drew 18,400 <visitors>.", ["18,400"])
    'It drew <strong>18,400</strong> &lt;visitors&gt;.'
    """
    out = esc(text)
    for key in keys:
        mark = esc(key)
        if mark and mark in out and f">{mark}<" not in out:
            out = out.replace(mark, f"<strong>{mark}</strong>", 1)
    return out


def render_answer(answer: Answer, turn: int, upto: int | None = None) -> str:
    """The answer message; `upto` limits it to its first sentences while streaming."""
    if answer.abstained:
        return f'<p class="abstain">{esc(answer.text)}</p>{render_related(answer.related)}'
    shown = answer.sentences[:upto]
    body = '<p class="answer">' + " ".join(render_sentence(s, turn) for s in shown) + "</p>"
    return body + (render_conflicts(answer.conflicts) if upto is None else "")


def render_conflicts(conflicts: Sequence[Conflict]) -> str:
    """'Reports differ: 15 (Northern Wire, 2025-03-12) · 12 (Daily Courier, 2025-03-10)', each
    with the fact it is about on hover."""
    return "".join(
        f'<p class="conflict" title="{esc(c.fact)}"><strong>Reports differ:</strong> '
        f"{esc(describe(c))}</p>"
        for c in conflicts
    )


def render_related(related: Sequence[Citation]) -> str:
    if not related:
        return ""
    items = "".join(f"<li>“{esc(c.quote)}”</li>" for c in related)
    note = "Related passages (not citations), with their articles beside the chat:"
    return f'<p class="related-note">{note}</p><ul class="related">{items}</ul>'


def render_meta(answer: Answer) -> str:
    t = answer.timings
    notice = ""
    if answer.fallback:
        notice = (
            f'<p class="fallback">The language model failed ({esc(answer.fallback)}); this '
            "answer was extracted directly from the articles instead.</p>"
        )
    if answer.query:  # a follow-up, made standalone: what was actually searched for
        notice += f'<p class="searched">Searched for: “{esc(answer.query)}”</p>'
    period = describe_period(answer.period, answer.as_of)
    if period:
        notice += f'<p class="period">Searched {esc(period)}.</p>'
    return notice + (
        f'<small class="meta">{esc(answer.backend)} · retrieve {t.get("retrieve", 0):.0f} ms'
        f" · total {t.get('total', 0):.0f} ms</small>"
    )


def render_filters(
    outlets: Sequence[str] | None, start: str | None, end: str | None, as_of: str | None
) -> str:
    """The filters in force, shown above the question box ('' when none is)."""
    parts = [f"outlets: {', '.join(outlets)}"] if outlets else []
    if start or end:
        parts.append(f"published {start or '…'} to {end or '…'}")
    if as_of:
        parts.append(f"as of {as_of}")
    if not parts:
        return ""
    return (
        f'<p class="filters-on">Filters on — {esc("; ".join(parts))} (change them in Settings)</p>'
    )


def render_error(message: str) -> str:
    return f'<p class="error">⚠ {esc(message)}</p>'


def render_draft(written: str) -> str:
    """The model's words so far, shown until the checked answer replaces them."""
    return f'<p class="draft">{esc(written)}</p>'


def paragraph(text: str, start: int, end: int) -> tuple[str, str]:
    """The text before and after [start, end) on its line(s), trimmed to CONTEXT_CHARS."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before = text[line_start:start]
    after = text[end : len(text) if line_end < 0 else line_end]
    if len(before) > CONTEXT_CHARS:
        before = "…" + before[-CONTEXT_CHARS:].split(" ", 1)[-1]
    if len(after) > CONTEXT_CHARS:
        after = after[:CONTEXT_CHARS].rsplit(" ", 1)[0] + "…"
    return before, after


def render_source(c: Citation, article: Article | None, dom_id: str, label: str) -> str:
    """One source: headline, outlet, date, link, and its paragraph with the quote marked
    (inside an article's group, CSS shows the quote in place of the repeated headline)."""
    before, after = ("", "")
    if article is not None and article.text[c.char_start : c.char_end] == c.quote:
        before, after = paragraph(article.text, c.char_start, c.char_end)
    byline = " · ".join([esc(c.source) or "outlet not given", esc(c.published) or "date not given"])
    url = safe_url(c.url)
    link = (
        f'<a class="url" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'
        if url
        else '<span class="where">no link given</span>'
    )
    return (
        f'<details class="src" id="{dom_id}"><summary data-quote="“{esc(clip(c.quote, 90))}”">'
        f'{label}<span class="title">{esc(c.title)}'
        f'</span><span class="byline">{byline}</span></summary>{link}'
        f'<p class="para">{esc(before)}<mark>{esc(c.quote)}</mark>{esc(after)}</p>'
        f"{render_copies(c)}"
        f'<div class="where">{esc(c.doc_id)} · characters {c.char_start}–{c.char_end}</div>'
        "</details>"
    )


def render_copies(c: Citation) -> str:
    """'also reported by A, B (3 outlets)' under a source, each outlet linked to its copy."""
    names = other_outlets(c)
    if not names:
        return ""
    urls = {x.source or x.doc_id: safe_url(x.url) for x in reversed(c.also_reported_by)}
    shown = [
        f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(name)}</a>'
        if (url := urls.get(name))
        else esc(name)
        for name in names
    ]
    return f'<p class="also">also reported by {", ".join(shown)} ({len(names) + 1} outlets)</p>'


def render_turn(turn: Turn, n: int) -> str:
    """The panel content for answer n: its cited sources, or its related passages, the
    sources of one article under one header."""
    answer, article = turn.answer, turn.articles.get
    question = f"<h4>“{esc(answer.question)}”</h4>"
    if answer.abstained:
        cards = [(c, f"rel-{n}-{i}", "") for i, c in enumerate(answer.related, start=1)]
        head = '<p class="placeholder">No answer — related passages, not citations:</p>'
    else:
        num = '<span class="num">[{}]</span>'
        cards = [(c, f"src-{n}-{c.n}", num.format(c.n)) for c in answer.citations]
        head = ""
    groups: dict[str, list[tuple[Citation, str, str]]] = {}
    for card in cards:
        groups.setdefault(card[0].doc_id, []).append(card)
    body = "".join(render_article(cs, article(cs[0][0].doc_id)) for cs in groups.values())
    return question + head + body


def render_article(cards: Sequence[tuple[Citation, str, str]], article: Article | None) -> str:
    """The sources quoting one article ((citation, dom id, label) each): a card alone, or
    under one header when there are several, so its headline and byline are not repeated."""
    shown = [render_source(c, article, dom_id, label) for c, dom_id, label in cards]
    if len(cards) == 1:
        return shown[0]
    c = cards[0][0]
    byline = " · ".join([esc(c.source) or "outlet not given", esc(c.published) or "date not given"])
    head = (
        f'<div class="art-head"><span class="title">{esc(c.title)}</span>'
        f'<span class="byline">{byline} · {len(cards)} quotes</span></div>'
    )
    return f'<div class="article">{head}{"".join(shown)}</div>'


def render_panel(turns: Sequence[Turn]) -> str:
    """All answers' sources; only the latest visible until an older [n] is clicked."""
    if not turns:
        return '<p class="placeholder">Click a [n] marker in an answer to read its source.</p>'
    last = len(turns) - 1
    return "".join(
        f'<section class="turn" id="turn-{i}"{"" if i == last else " hidden"}>'
        f"{render_turn(turn, i)}</section>"
        for i, turn in enumerate(turns)
    )
