"""A model's JSON answer -> the same text with [n] markers that a free-text answer carries.

Small models cite badly in free text (a marker after the wrong sentence, or none). Where the
server can hold a model to a JSON schema (llama.cpp and OpenAI `response_format`, Ollama
`format`), it is asked for

    {"answerable": bool, "sentences": [{"text": str, "cites": [int, ...]}, ...]}

and the reply is turned back into marked text, so that verification reads every backend's
answer the same way. A reply that is not such JSON is used as free text.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answerable": {"type": "boolean"},
        "sentences": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "cites": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["text", "cites"],
            },
        },
    },
    "required": ["answerable", "sentences"],
}

# subtle: the examples hold no sentence a small model could copy as its answer (one copied
# "Ofcom acted." from an earlier example into 5 of 20 answers)
RULES = """Reply with JSON only, in this shape:
{"answerable": true, "sentences": [{"text": "...", "cites": [2]}]}
- "text": one sentence, without any [n] markers; "cites": the numbers of the passages it
  comes from.
- If the passages do not answer the question: {"answerable": false, "sentences": []}."""

# what an unanswerable reply becomes: a sentence the verifier reads as "no answer"
GAP = "The passages do not answer this question."


def sentence_text(item: Any) -> str:
    """One {"text", "cites"} item -> 'text [1][2]'; anything else -> ''."""
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return ""
    cites = item.get("cites")
    cites = cites if isinstance(cites, list) else []
    marks = "".join(f"[{c}]" for c in cites if isinstance(c, int) and not isinstance(c, bool))
    text = item["text"].strip()
    return f"{text} {marks}".strip() if text else ""


def marked_text(reply: str) -> str | None:
    """The JSON reply as marked text; None when it is not the JSON asked for.

    >>> marked_text('{"answerable": true, "sentences": [{"text": "Ofcom acted.", "cites": [2]}]}')
    'Ofcom acted. [2]'
    >>> marked_text('{"answerable": false, "sentences": []}')
    'The passages do not answer this question.'
    >>> marked_text("Ofcom acted [2].") is None
    True
    """
    try:
        data = json.loads(reply)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sentences"), list):
        return None
    parts = [t for t in map(sentence_text, data["sentences"]) if t]
    return " ".join(parts) if parts else GAP


class JsonStream:
    """Streamed JSON deltas -> marked text, one finished sentence at a time.

    >>> s = JsonStream()
    >>> s.feed('{"answerable": true, "sentences": [{"text": "A.", "ci') + s.feed('tes": [1]}, {')
    'A. [1]'
    >>> s.feed('"text": "B.", "cites": []}]}') + s.close()
    ' B.'

    A reply that does not open with "{" is passed through as free text.
    """

    def __init__(self) -> None:
        self.buffer = ""
        self.pos: int | None = None  # where the next sentence item may start
        self.shown = 0  # sentences emitted
        self.free: bool | None = None  # None until the first character decides
        self.decoder = json.JSONDecoder()

    def feed(self, delta: str) -> str:
        self.buffer += delta
        if self.free is None and self.buffer.strip():
            self.free = not self.buffer.lstrip().startswith("{")
        if self.free:
            out, self.buffer = self.buffer, ""
            return out
        return self._sentences()

    def _sentences(self) -> str:
        if self.pos is None:
            key = self.buffer.find('"sentences"')
            start = self.buffer.find("[", key) if key >= 0 else -1
            if start < 0:
                return ""
            self.pos = start + 1
        out = []
        while True:
            rest = self.buffer[self.pos :]
            skip = len(rest) - len(rest.lstrip(" \n\r\t,"))
            if not rest[skip:].startswith("{"):
                break
            try:
                item, end = self.decoder.raw_decode(rest, skip)
            except json.JSONDecodeError:
                break  # not finished yet
            self.pos += end
            text = sentence_text(item)
            if text:
                out.append(("" if self.shown == 0 else " ") + text)
                self.shown += 1
        return "".join(out)

    def close(self) -> str:
        if self.free:
            out, self.buffer = self.buffer, ""
            return out
        return ""
