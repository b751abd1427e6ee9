"""Answers -> terminal text: the answer, its sources with quotes and offsets, what was checked."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from .engine import Engine
    from .types import Answer


def stream_answer(
    engine: Engine, question: str, history: list[Any] | None = None, as_of: str | None = None
) -> str:
    """Print the answer as it is written; return the checked sources (and the checked text
    when checking changed it) to print after it."""
    from .types import Answer

    final: Answer | None = None
    written = ""
    for item in engine.stream(question, history, as_of=as_of):
        if isinstance(item, Answer):
            final = item
        else:
            written += item
            typer.echo(item, nl=False)
            sys.stdout.flush()
    assert final is not None
    typer.echo("")
    full = render(final)
    if " ".join(written.split()) == " ".join(final.text.split()):
        return full[len(final.text) :].lstrip("\n") if full.startswith(final.text) else full
    return "\nAfter checking every sentence against its source:\n" + full


def render(answer: Answer) -> str:
    """An answer for the terminal: the text, then each source with its quote and offsets."""
    from .copies import reported_by

    lines = [answer.text, ""]
    if answer.conflicts:
        from .conflicts import describe

        lines += [f"Reports differ: {describe(c)}" for c in answer.conflicts] + [""]
    if answer.abstained:
        lines.append("Related passages (not citations):")
    for c in answer.citations or answer.related:
        head = f"[{c.n}]" if c.n is not None else " -"
        meta = ", ".join(x for x in (c.source, c.published, c.url) if x)
        lines.append(f"{head} {c.title}" + (f" — {meta}" if meta else ""))
        lines.append(f"    “{c.quote}”")
        if also := reported_by(c):
            lines.append(f"    {also}")
        lines.append(f"    {c.doc_id} chars {c.char_start}–{c.char_end}")
    for s in answer.sentences:
        if s.support != "supported" or s.note:
            lines.append(f"! {s.support}: “{s.text}” — {s.note or 'not backed by its citation'}")
    if answer.query:
        lines.append(f"(searched for: {answer.query})")
    if answer.period:
        from .when import describe_period

        lines.append(f"({describe_period(answer.period, answer.as_of)})")
    if answer.fallback:
        lines.append(f"(the LLM failed: {answer.fallback}; this answer is extractive)")
    return "\n".join(lines).rstrip()
