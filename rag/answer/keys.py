"""A question and a quoted span of a passage -> the words of the quote that answer it.

The reader sees them in bold: in a long quoted sentence, "18,400" or "Helen Okafor" is what
was asked for. The kind of answer comes from the question's first words, the words from the
named entities spaCy found in the passage at ingest (none when RAG_ENTITIES=false).
"""

from __future__ import annotations

from ..text import words
from ..types import Passage

#: A question's opening words -> the entity labels that answer it.
KINDS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("how", "many"), frozenset({"CARDINAL", "QUANTITY"})),
    (("how", "much"), frozenset({"MONEY", "QUANTITY", "CARDINAL"})),
    (("how", "long"), frozenset({"DATE", "QUANTITY"})),
    (("how", "far"), frozenset({"QUANTITY"})),
    (("how", "old"), frozenset({"DATE", "CARDINAL"})),
    (("when",), frozenset({"DATE"})),
    (("what", "day"), frozenset({"DATE"})),
    (("what", "date"), frozenset({"DATE"})),
    (("who",), frozenset({"PERSON", "ORG"})),
    (("whom",), frozenset({"PERSON", "ORG"})),
    (("where",), frozenset({"GPE", "LOC"})),
)


def wanted(question: str) -> frozenset[str]:
    """The entity labels that answer a question, by its opening words (none: unknown kind).

    >>> sorted(wanted("How many visitors came?")), sorted(wanted("Who won the final?"))
    (['CARDINAL', 'QUANTITY'], ['ORG', 'PERSON'])
    """
    said = words(question)
    for opening, labels in KINDS:
        n = len(opening)
        if any(tuple(said[i : i + n]) == opening for i in range(min(3, len(said)))):
            return labels
    return frozenset()


def key_words(question: str, passage: Passage | None, start: int, end: int) -> tuple[str, ...]:
    """The entities inside [start, end) of the passage's article of the kind asked for."""
    labels = wanted(question)
    if not labels or passage is None:
        return ()
    found = [e.text for e in passage.entities if e.label in labels and start <= e.start < end]
    return tuple(dict.fromkeys(found))
