"""What a claim asserts beyond its words, for the support check: the links it draws between
facts (a cause, an order in time), names that stand where its evidence has others, and
whether a sentence asserts anything at all (a question does not).
Text primitives (tokens, names, terms) come from rag.text."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .text import TOKEN, is_name, norm_token, strip_markers

# Words that join two facts by a cause, a purpose or an order in time, and which each states:
# each link of a claim must be matched by a link of the same kind in its evidence, one for one
# (a "so that" the evidence has does not back a "because" the claim adds). A participle,
# "…, causing floods", restates what an article tells in many ways, and is not judged.
LINK_KINDS = {
    "because": "cause", "due to": "cause", "as a result": "cause", "result of": "cause",
    "resulted in": "cause", "caused": "cause", "led to": "cause", "thanks to": "cause",
    "owing to": "cause", "in response to": "cause", "prompted": "cause", "therefore": "cause",
    "consequently": "cause", "which is why": "cause", ", so": "cause", "so that": "purpose",
    "in order to": "purpose", "since": "cause sequence", "after": "sequence",
    "following": "sequence", "before": "sequence", "prior to": "sequence", "until": "sequence",
    "subsequently": "sequence",
}  # fmt: skip
# …and words that state a cause in evidence, though too loose to judge in a claim
# ("prompting" is not one: "prompting Grok to make images" gives a chatbot a prompt)
CAUSE_WORDS = ("causing", "leading to", "amid", "why", "triggered", "sparked", "forced",
               "in protest")  # fmt: skip
_KINDS = LINK_KINDS | dict.fromkeys(CAUSE_WORDS, "cause")
NAME_JOINERS = frozenset(("of", "the", "and", "for", "de", "&"))  # inside a name


def _link_pattern(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(
        "|".join(
            (r"\b" if w[0].isalpha() else "") + re.escape(w).replace(r"\ ", r"\s+") + r"\b"
            for w in sorted(words, key=len, reverse=True)
        ),
        re.I,
    )


_CLAIM_LINK, _EVIDENCE_LINK = _link_pattern(LINK_KINDS), _link_pattern(_KINDS)


def links(text: str, evidence: bool = False) -> list[tuple[str, set[str]]]:
    """The link words of a text in order (as a claim, or as evidence), each with the kinds it
    states.

    >>> links("Sales fell because prices rose, after the strike.")
    [('because', {'cause'}), ('after', {'sequence'})]
    """
    pattern = _EVIDENCE_LINK if evidence else _CLAIM_LINK
    found = (" ".join(m.group(0).lower().split()) for m in pattern.finditer(text))
    return [(w, set(_KINDS[w].split())) for w in found]


def unstated_links(claim: str, evidence: str) -> list[str]:
    """The claim's link words that no link of the evidence matches: the same word first, then
    any of the same kind, each link of the evidence matching one of the claim's.

    >>> unstated_links("He resigned because of the scandal.", "He resigned. The scandal grew.")
    ['because']
    >>> unstated_links("He resigned after the vote.", "He resigned following the vote.")
    []
    >>> unstated_links("He quit because of burnout.", "He quit amid burnout.")
    []
    >>> unstated_links("X limited it so that only subscribers use it, because Y said so.",
    ...                "X limited it so that only subscribers use it. Y said so.")
    ['because']
    """
    pool = links(evidence, evidence=True)
    wanted = links(claim)
    for word, _ in list(wanted):  # the same word first
        same = next((i for i, (w, _) in enumerate(pool) if w == word), None)
        if same is not None:
            pool.pop(same)
            wanted.remove(next(x for x in wanted if x[0] == word))
    out = []
    for word, kinds in wanted:
        match = next((i for i, (_, k) in enumerate(pool) if k & kinds), None)
        if match is None:
            out.append(word)
        else:
            pool.pop(match)
    return out


def replaced_names(claim: str, sentence: str) -> list[str]:
    """The claim's names that stand where the sentence has other names, the words around them
    the same: a name moved in from elsewhere ("…the port at Evergas…" for "…the port at Marcus
    Hook…"). Empty unless the two read mostly alike (word-sequence similarity 0.6 or more).

    >>> replaced_names("The port at Evergas will be used by Sunoco.",
    ...                "The port at Marcus Hook will be used by Sunoco.")
    ['evergas']
    >>> replaced_names("He is a fellow at the Privacy Project, she said.",
    ...                "He is a fellow at the NYU School of Law, she said.")
    ['privacy', 'project']
    >>> replaced_names("The port at Marcus Hook will be used.",
    ...                "The port at Marcus Hook will be used by Sunoco.")
    []
    """
    import difflib

    mine, theirs = TOKEN.findall(claim), TOKEN.findall(sentence)
    low_mine, low_theirs = [norm_token(t) for t in mine], [norm_token(t) for t in theirs]
    match = difflib.SequenceMatcher(None, low_mine, low_theirs, autojunk=False)
    if match.ratio() < 0.6:
        return []
    out = []
    for op, i1, i2, j1, j2 in match.get_opcodes():
        ours = list(zip(mine[i1:i2], low_mine[i1:i2], strict=True))
        other = list(zip(theirs[j1:j2], low_theirs[j1:j2], strict=True))
        if op == "replace" and _name_run(ours) and _name_run(other):
            out += [low for _, low in ours if low not in low_theirs]
    return out


def _name_run(tokens: list[tuple[str, str]]) -> bool:
    """Names, joined inside by small words ("School of Law", "Bank of America")."""
    inner = tokens[1:-1]
    return bool(tokens) and all(
        is_name(t, low) or (low in NAME_JOINERS and (t, low) in inner) for t, low in tokens
    )


def asks(text: str) -> bool:
    """A sentence that is itself a question, which asserts nothing: it ends with a question mark
    outside any quotation (a quoted question is reported: 'He asked: “Why?”' says he asked).

    >>> asks("Can I go to New Zealand right now?"), asks("He asked: “Can I go?”")
    (True, False)
    """
    return strip_markers(text).rstrip().endswith("?")
