"""A real news sentence -> claims that keep its words and facts but change what it says.

The errors a small model makes in its own words are rarely a wrong number: it keeps the
article's names and words and puts them in a relation the article does not state ("X told
Ofcom…" where Ofcom said it; "Ofcom could face an investigation" where X could; a cause the
article never gives). The facts check cannot see these, since every name is in the passage.
These perturbations, made with a parse of the sentence (spaCy's tagger and parser, as the
who-did-it check uses), show the support model such claims:

- `swap_roles`: the doer and what it acts on exchanged ("X contacted Ofcom");
- `move_name`: a name replaced by another name of the same passage (the passage still holds it);
- `invent_link`: the sentence joined to another of its passage by a cause or sequence it never
  states ("…, because …");
- `trim`: a backed shorter claim, an apposition or relative clause set off by a comma left
  out (so that shortening alone is not learned as a sign of an error).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from ..text import MONTHS, STOPWORDS, WEEKDAYS, negated

SUBJECT = "nsubj"
OBJECTS = ("dobj", "pobj", "dative")
LINKS = (", because {b}", ", after {b}", ", so {b}", " as a result of the fact that {b}")
# a name: capitalised words (two letters or more), possibly joined by "of" ("Bank of England")
_NAME = re.compile(r"\b[A-Z][\w’'-]+(?: (?:of |de |the )?[A-Z][\w’'-]+)*")
MAX_SPAN = 8  # tokens of a doer or an object that is swapped, at most
MAX_ASIDE = 15  # tokens of an aside that is left out, at most


def _span(token: Any) -> tuple[int, int]:
    """Character span of a token's phrase (its subtree)."""
    sub = list(token.subtree)
    return sub[0].idx, sub[-1].idx + len(sub[-1].text)


def _plain(token: Any) -> bool:
    """A noun phrase worth swapping: short, not a pronoun, not a clause."""
    sub = list(token.subtree)
    return (
        token.pos_ in ("PROPN", "NOUN")
        and len(sub) <= MAX_SPAN
        and not any(t.pos_ in ("VERB", "AUX") for t in sub)
    )


def _objects(verb: Any) -> list[Any]:
    """What a verb acts on: its direct object, or the object of a preposition it governs."""
    out = [c for c in verb.children if c.dep_ in OBJECTS]
    for prep in (c for c in verb.children if c.dep_ == "prep"):
        out += [c for c in prep.children if c.dep_ == "pobj"]
    return out


def swap_roles(doc: Any) -> str | None:
    """The sentence with its first verb's doer and object exchanged, or None.

    The parse is spaCy's `Doc` of the sentence (`rag.verify.roles.parser()`).
    """
    text = doc.text
    for verb in (t for t in doc if t.pos_ == "VERB"):
        doers = [c for c in verb.children if c.dep_ == SUBJECT and _plain(c)]
        objects = [o for o in _objects(verb) if _plain(o)]
        if not doers or not objects:
            continue
        (a, b), (c, d) = _span(doers[0]), _span(objects[0])
        if b > c or text[a:b].casefold() == text[c:d].casefold():
            continue
        first, second = text[a:b], text[c:d]
        first = first if doers[0].pos_ == "PROPN" or a else first[0].lower() + first[1:]
        swapped = text[:a] + second + text[b:c] + first + text[d:]
        return swapped[0].upper() + swapped[1:]
    return None


def names(text: str) -> list[str]:
    """Runs of capitalised words, not a month or a weekday, and not a sentence's opening word
    unless the run is longer (a capitalised opening word is rarely a name).

    >>> names("Maybe the regulator told Ofcom on Monday. Bank of England staff met.")
    ['Ofcom', 'Bank of England']
    """
    out = []
    for m in _NAME.finditer(text):
        first = m.group().split()[0].casefold()
        opening = not text[: m.start()].strip() or text[: m.start()].rstrip()[-1] in '.!?”"“'
        if opening and " " not in m.group():
            continue
        if first not in STOPWORDS and first not in MONTHS and first not in WEEKDAYS:
            out.append(m.group())
    return out


def move_name(sentence: str, passage: str, rng: random.Random) -> str | None:
    """The sentence with one of its names replaced by another name of its passage, or None.

    >>> move_name("The regulator Ofcom wrote to X.", "It was backed by Starmer.", random.Random(0))
    'The regulator Starmer wrote to X.'
    """
    own = names(sentence)
    pool = sorted(set(names(passage)))
    pool = [n for n in pool if n.casefold() not in sentence.casefold()]
    if not own or not pool:
        return None
    name = rng.choice(own)
    return sentence.replace(name, rng.choice(pool), 1)


def invent_link(sentence: str, other: str, rng: random.Random) -> str:
    """The sentence joined to another by a link its passage never states.

    >>> invent_link("X restricted the tool.", "The government disagrees.", random.Random(1))
    'X restricted the tool, after the government disagrees.'
    """
    body = sentence.rstrip(".”\"' ")
    tail = other.strip().rstrip(".")
    tail = tail[0].lower() + tail[1:] if tail[:2] != tail[:2].upper() else tail
    return body + rng.choice(LINKS).format(b=tail) + "."


def trim(doc: Any) -> str | None:
    """The sentence without its first aside (an apposition or a relative clause set off by a
    comma), which a shorter claim may leave out and still be backed, or None.

    The parse is spaCy's `Doc` of the sentence.
    """
    for t in doc:
        sub = list(t.subtree)
        a, b = sub[0].i, sub[-1].i
        if t.dep_ not in ("appos", "relcl") or a == 0 or doc[a - 1].text != ",":
            continue
        kept = [x for x in doc if not a <= x.i <= b]
        if b - a >= MAX_ASIDE or not any(x.pos_ in ("VERB", "AUX") for x in kept):
            return None  # most of the sentence, or its verb, would go
        if negated(doc[a : b + 1].text):
            return None  # "…, not the regulator, …": leaving it out changes what is said
        end = b + 2 if b + 1 < len(doc) and doc[b + 1].text == "," else b + 1
        head = doc[: a - 1].text
        rest = doc[end:].text if end < len(doc) else ""
        out = head + rest if rest[:1] in ",.;:" else f"{head} {rest}".strip()
        return out if len(out.split()) >= 6 else None
    return None


def relation_claims(
    sentences: Sequence[str], passage: str, parses: Sequence[Any], rng: random.Random
) -> list[tuple[str, str, int]]:
    """(claim, kind, backed) from each sentence of one passage: the four perturbations above."""
    out: list[tuple[str, str, int]] = []
    for i, (text, doc) in enumerate(zip(sentences, parses, strict=True)):
        others = [t for j, t in enumerate(sentences) if j != i]
        made = {
            ("roles swapped", 0): swap_roles(doc),
            ("name moved", 0): move_name(text, passage, rng),
            ("invented link", 0): invent_link(text, rng.choice(others), rng) if others else None,
            ("trimmed", 1): trim(doc),
        }
        out += [(c, k, y) for (k, y), c in made.items() if c and c != text]
    return out
