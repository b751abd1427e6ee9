"""A follow-up question + the chat so far -> a question that stands on its own, for retrieval.

Without an LLM: when the follow-up leans on earlier turns ("What did he say next?"), the names
and figures of the most recent earlier question (or, failing that, answer) are carried into it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .text import TOKEN, facts, strip_html, strip_markers, strip_possessive, words

_REFERS = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then|next|"
    r"else|more|again|also|too|the same|other)\b",
    re.I,
)

Turn = tuple[str, str]


def plain_question(question: str) -> str:
    """A question with HTML tags (and script or style contents) taken out, for retrieval.

    >>> plain_question("<b>Who</b> won?<script>alert(1)</script>")
    'Who won?'
    """
    return " ".join(strip_html(question).split()) or question


def as_turns(history: Iterable[Any] | None) -> list[Turn]:
    """(user, assistant) pairs from pairs or from Gradio-style {"role", "content"} messages."""
    turns: list[Turn] = []
    for item in history or []:
        if isinstance(item, dict):
            content = str(item.get("content") or "")
            if item.get("role") == "user":
                turns.append((content, ""))
            elif turns and item.get("role") == "assistant":
                turns[-1] = (turns[-1][0], (turns[-1][1] + " " + content).strip())
        else:
            user, bot = item
            turns.append((str(user or ""), str(bot or "")))
    return [t for t in turns if t[0].strip()]


def needs_context(question: str) -> bool:
    """A question with a pronoun or reference word, or without a name or figure of its own."""
    return bool(_REFERS.search(question)) or not facts(question)


def carry_entities(question: str, history: Sequence[Turn], entities: bool = True) -> str:
    """'What did he say next?' after 'What did Elon Musk say?' -> '… (Elon Musk)'.

    With `entities`, the people, organisations and places spaCy finds in a turn are carried
    ("Helen Okafor", not "Emergency, Helen, Okafor" from the capitals of "Emergency service
    director Helen Okafor"); a turn where it finds none falls back to capitalised words and
    figures, which also catch names the small model does not know.
    """
    if not history or not needs_context(question):
        return question
    own = facts(question)
    have = question.casefold()
    person = entities and bool(PERSONAL.intersection(words(question)))
    for user, bot in reversed(history):
        # "he" or "she" is a person: "Who owns X?" answered "… Elon Musk …" carries Musk, not X
        people = _entity_names(user + "\n" + bot, PEOPLE) if person else []
        if people:  # then what the last question named: its topic ("Brenholt", "X")
            people += _entity_names(user) if entities else []
            carried = [n for n in dict.fromkeys(people) if n.casefold() not in have]
            if carried:
                return f"{question} ({', '.join(carried[:6])})"
        for text in (user, bot):
            found = _entity_names(text) if entities else []
            if found:
                names = [n for n in found if n.casefold() not in have]
            else:
                names = [n for n in _names_in_order(text) if n.casefold() not in own]
            if names:
                return f"{question} ({', '.join(names[:6])})"
    return question


def _entity_names(text: str, labels: frozenset[str] | None = None) -> list[str]:
    """The people, organisations and places of a turn (its citation markers left out)."""
    from .entities import NAMES, names

    return names(strip_markers(text), labels or NAMES) if text.strip() else []


#: Pronouns that stand for a person, and the label of the names they can stand for.
PERSONAL = frozenset(["he", "him", "his", "she", "her", "hers", "himself", "herself"])
PEOPLE = frozenset({"PERSON"})


def _names_in_order(text: str) -> list[str]:
    """The surface forms of the facts of a text, in order, each once."""
    wanted = facts(text)
    out: list[str] = []
    for tok in TOKEN.findall(text):
        key = strip_possessive(tok.casefold().strip(".-’'"))
        if key in wanted and key not in {o.casefold() for o in out}:
            out.append(strip_possessive(tok.strip(".-’'")))
    return out
