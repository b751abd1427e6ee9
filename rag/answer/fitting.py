"""Which candidate sentences can answer a question at all, and, when the closest one cannot,
why: a how-many or when question needs a number or a date, a yes/no question a sentence that
names whom it asks about, a which-one question one that names the thing it asks for, a
what-did-X-say question one where X speaks. The articles may discuss the topic yet not give
it; the reason is what the abstention tells the reader ("the closest passages mention a dark
web forum but do not name it")."""

from __future__ import annotations

from dataclasses import dataclass

from ..attribution import SPEECH, attributed
from ..types import Passage
from .asked import figure_asked, names_subject, polar_subject, type_match
from .naming import AskedOne, asked_one, said_subject, speaks_for, unnamed_mention

_SINGLE = ("a ", "an ", "one ")


@dataclass(frozen=True)
class Needs:
    """What a question needs of a sentence, read once per question."""

    question: str
    figure: str | None  # "number", "date", "calendar date", "length of time"
    one: AskedOne | None  # the thing a which-one question asks to identify
    speaker: str | None  # whose words a what-did-X-say question asks for
    subject: str | None  # whom a yes/no question asks about

    @classmethod
    def of(cls, question: str) -> Needs:
        return cls(
            question,
            figure_asked(question),
            asked_one(question),
            said_subject(question),
            polar_subject(question),
        )

    def why_not(self, passage: Passage, start: int, end: int) -> str | None:
        """Why the sentence article_text[start:end] cannot answer; None when it can.

        >>> from rag.types import Article, Chunk, Passage
        >>> text = "The images were shared on a dark web forum."
        >>> art = Article("d", "T", text)
        >>> p = Passage(Chunk("d#0", "d", 0, 0, len(text), text, ((0, len(text)),)), art, 1.0, 1)
        >>> Needs.of("What is the name of the dark web forum?").why_not(p, 0, len(text))
        'the closest passages mention a dark web forum but do not name it'
        >>> Needs.of("How many images were shared?").why_not(p, 0, len(text))
        'the closest passages give no number'
        """
        sentence = passage.article.text[start:end]
        if self.figure and not type_match(self.question, sentence):
            return f"the closest passages give no {self.figure}"
        mention = self.one and unnamed_mention(self.one, sentence, self.question)
        if mention:
            it = "it" if mention.lower().startswith(_SINGLE) else "them"
            return f"the closest passages mention {mention} but do not name {it}"
        if self.speaker and not speaks_for(self.speaker, *spoken(passage, start, end)):
            who = self.speaker if self.speaker[:1].isupper() else f"the {self.speaker}"
            return f"the closest passages do not quote {who}"
        if self.subject and not names_subject(self.subject, sentence):
            return f"the closest passages say nothing about {self.subject}"
        return None


def spoken(passage: Passage, start: int, end: int) -> tuple[str, frozenset[str], str]:
    """The sentence (with the sentence that opens its quotation and names who speaks, when it
    is inside one), the words of speech, and the sentence of its chunk before that: what
    `speaks_for` reads."""
    text = passage.article.text
    s, e = attributed(text, start, end)
    before = [text[a:b] for a, b in passage.chunk.sentences if b <= s]
    return text[s:e], SPEECH, before[-1] if before else ""
