"""Who did it: a claim that gives a passage's action to someone the passage names in another part.

A small model's paraphrase can keep every word of the sentence that backs it and still swap who
did what: "The U.K. government has previously attacked the U.K.'s Labour government" from "X's
CEO and owner, tech billionaire Elon Musk, has previously attacked the U.K.'s Labour
government". Facts, term containment and sentence similarity all pass it. This reads both
sentences with spaCy's dependency parser and finds the swap in its plainest form: the claim's
verb is the passage's verb (any verb of saying matches another: "JD Vance said" from "one
person familiar with the meeting said"), the passage gives it a doer the claim never mentions
and never to the claim's doer, and the claim's own doer appears in the passage only after that
verb (as what was acted on or spoken to). The passage's doer may appear in the claim too, but
only after the claim's verb: then the two have exchanged roles ("X told Ofcom that they made
urgent contact" from "Ofcom, which said it made urgent contact with X"). A named doer the
passage's sentence never mentions, where it names another ("Chicago passed a bill" from "New
York State passed a bill"), was moved in from elsewhere. Anything less certain
is left to the other checks: a passive ("X was fined by Ofcom" from "Ofcom fined X") names the
passage's doer and passes; a pronoun doer is not judged.

Where no doer can be read, `turned_round` compares word order around a shared verb instead: what
the passage puts before it and the claim after it, and the other way, is an exchange whatever
the parse made of either side.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from ..text import STOPWORDS, normalise, terms

SUBJECTS = ("nsubj", "nsubjpass")
RELATIVES = {"which", "who", "that", "whom"}
VERBS = ("VERB", "AUX")
# Verbs that name a source: one of them in the claim matches any of them in the passage (who
# said it matters more than how it was said)
SPEECH = frozenset(
    ("say", "says", "said", "saying", "tell", "tells", "told", "state", "states", "stated",
     "claim", "claims", "claimed", "add", "adds", "added", "warn", "warns", "warned", "argue",
     "argues", "argued", "announce", "announces", "announced", "insist", "insists", "insisted",
     "explain", "explains", "explained", "confirm", "confirms", "confirmed", "declare",
     "declares", "declared", "note", "notes", "noted", "conclude", "concludes", "concluded",
     "report", "reports", "reported", "write", "writes", "wrote")
)  # fmt: skip
# the parser and tagger only: no entities or lemmas are read here
NOT_NEEDED = ("ner", "lemmatizer")
_RUN = threading.Lock()


@lru_cache(maxsize=1)
def parser() -> Any:
    """spaCy's small English pipeline with its tagger and parser (loaded on first use)."""
    from ..entities import load_english

    return load_english(NOT_NEEDED)


@lru_cache(maxsize=512)
def parsed(text: str) -> Any:
    """The text's parse, remembered: both checks read the same claim and sentence, and an
    answer's sentences are often checked against the same article sentence."""
    nlp = parser()
    with _RUN:
        return nlp(text)


def _words(tokens: Iterable[Any]) -> set[str]:
    """Content words; "U.K." is one word ("uk"), so that it does not share a "u" with "U.S."."""
    out = (normalise(t.text.replace(".", "")).split() for t in tokens)
    return {w for ws in out for w in ws if w not in STOPWORDS}


def _verb_key(token: Any) -> tuple[str, ...]:
    """What makes two verbs the same action: any verb of saying, else the stem."""
    return ("<say>",) if token.lower_ in SPEECH else tuple(terms(token.text))


def _doers(verb: Any) -> list[Any]:
    """The subjects of a verb (a conjoined verb shares its first verb's), a relative pronoun
    read as the noun it stands for."""
    found = [c for c in verb.children if c.dep_ in SUBJECTS]
    if not found and verb.dep_ == "conj":
        return _doers(verb.head)
    return [c.head.head if c.lower_ in RELATIVES and c.head.dep_ == "relcl" else c for c in found]


def _doer_span(doer: Any, verb: Any) -> list[Any]:
    """The doer's phrase, without the verb's own clause (a relative clause's antecedent
    "Ofcom, which said … X" is "Ofcom", not everything the clause says)."""
    inside = {t.i for t in verb.subtree} if doer.is_ancestor(verb) else set()
    span = [t for t in doer.subtree if t.i not in inside]
    while span and span[-1].pos_ == "PUNCT":
        span.pop()
    return span


def _passive(verb: Any) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)


def _any_key(token: Any) -> tuple[str, ...]:
    """A verb's key, or the word itself where it has no content term ("have")."""
    return _verb_key(token) or (token.lower_,)


def _sides(word: Any) -> tuple[set[str], set[str]]:
    """The content words of the sentence before the word and after it."""
    return _words(word.doc[: word.i]), _words(word.doc[word.i + 1 :])


def _swap_at(verb: Any, claim_doer: Any, claim_verb: Any) -> str | None:
    """The passage's doer of `verb`, when the claim's own doer is only acted on (or spoken to)
    there and the claim names the passage's doer nowhere, or (both verbs active) not as its
    doer: the two exchanged roles. Or, both doers names, when the claim's is not in the
    passage's sentence at all: a name moved in from elsewhere."""
    doer_words = _words(_doer_span(claim_doer, claim_verb))
    # before the verb in its own clause: "which" of "images on X, …, Ofcom, which said … X"
    before = _words(t for t in verb.subtree if t.i < verb.i)
    after = _words(verb.doc[verb.i + 1 :])  # a quotation is often parsed outside the verb's clause
    moved = claim_doer.pos_ == "PROPN" and not doer_words & _words(verb.doc)
    if not moved and (not doer_words & after or doer_words & before):
        return None
    claim = claim_verb.doc
    active = not _passive(verb) and not _passive(claim_verb)
    # subtle: the claim's own doer, not all it says before its verb ("ALDMERE – all traffic
    # will close to the bridge over Aldmere harbour" names the bridge's harbour in a dateline)
    named = doer_words if active and not moved else _words(claim)
    for doer in _doers(verb):
        span = _doer_span(doer, verb)
        said = _words(span)
        kind_ok = doer.pos_ == "PROPN" if moved else doer.pos_ != "PRON"
        if said and not said & named and kind_ok:
            return " ".join(t.text for t in span).replace(" ’s", "’s").replace(" 's", "'s")
    return None


def swapped_doer(claim: str, evidence: str) -> str | None:
    """Who the evidence says did what the claim gives to another, or None.

    >>> swapped_doer("The U.K. government has attacked the U.K.'s Labour government.",
    ...              "Tech billionaire Elon Musk has attacked the U.K.'s Labour government.")
    'Tech billionaire Elon Musk'
    >>> swapped_doer("The Labour government was attacked by Elon Musk.",
    ...              "Elon Musk has attacked the Labour government.") is None
    True
    >>> swapped_doer("X told Ofcom that it had made urgent contact.",
    ...              "Ofcom said it had made urgent contact with X.")
    'Ofcom'
    >>> swapped_doer("Ofcom told X that it had made urgent contact.",
    ...              "Ofcom said it had made urgent contact with X.") is None
    True
    >>> swapped_doer("Chicago passed a bill in June to legalize the vehicle.",
    ...              "New York State passed a bill in June to legalize the vehicle.")
    'New York State'
    >>> swapped_doer("The state passed a bill in June to legalize the vehicle.",
    ...              "New York State passed a bill in June to legalize the vehicle.") is None
    True
    """
    c, e = parsed(claim), parsed(evidence)
    for verb in (t for t in c if t.pos_ in VERBS and _verb_key(t)):
        for doer in _doers(verb):
            if doer.pos_ == "PRON":
                continue
            doer_words = _words(_doer_span(doer, verb))
            same = [t for t in e if t.pos_ in VERBS and _verb_key(t) == _verb_key(verb)]
            if any(doer_words & _words(_doer_span(d, t)) for t in same for d in _doers(t)):
                continue  # the passage gives this action to the claim's doer too
            for match in same:
                found = _swap_at(match, doer, verb)
                if found:
                    return found
    return None


def turned_round(claim: str, evidence: str) -> str | None:
    """The verb the claim shares with the evidence and has turned it round: words the evidence
    puts before it the claim puts after it, and words after it, before, at least three in
    all. That is a doer and an object exchanged in any form, named or not ("Those totals
    account for 40% of the schedule" -> "40% of the schedule account for those totals").
    A verb of saying is not judged (its speaker stands before or after it at will), nor one
    whose voice differs (a passive turns its active round by design).

    >>> turned_round("Some semblance of a storage requirement currently have only 23 states.",
    ...              "Only 23 states currently have some semblance of a storage requirement.")
    'have'
    >>> turned_round("On Friday the regulator fined the company.",
    ...              "The regulator fined the company on Friday.") is None
    True
    >>> turned_round("The 32-year-old man was arrested by Merseyside police.",
    ...              "Merseyside police arrested the 32-year-old man.") is None
    True
    """
    c, e = parsed(claim), parsed(evidence)
    for verb in (t for t in e if t.pos_ == "VERB" and t.lower_ not in SPEECH):
        # the claim's word may be read as a noun: a turned sentence parses badly
        same = [t for t in c if _any_key(t) == _any_key(verb)]
        once = sum(_any_key(t) == _any_key(verb) for t in e) == 1
        if len(same) != 1 or not once or _passive(same[0]) != _passive(verb):
            continue
        (mine_before, mine_after), (its_before, its_after) = _sides(same[0]), _sides(verb)
        # a word on both sides of either verb tells nothing ("households … households")
        mine_before, mine_after = mine_before - mine_after, mine_after - mine_before
        its_before, its_after = its_before - its_after, its_after - its_before
        there, back = mine_before & its_after, mine_after & its_before
        if there and back and len(there) + len(back) >= 3:
            return same[0].text
    return None
