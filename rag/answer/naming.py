"""Whom or what a question asks to be named, and whether a sentence names it: the one a
"which X" / "what is the name of X" / "who were the X" question asks to identify, which a
sentence that mentions an X without naming it ("two people familiar with the meeting") does
not say; and whose words a "what did X say" question asks for, which only a sentence where X
speaks gives. Read without a parser, as rag/answer/asked.py reads its answer types."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..text import STOPWORDS, is_name, strip_possessive, terms
from .asked import DETERMINERS, PRONOUNS, SAID_Q, asked

# "What is the name of the X…", "Who were the X…", "Which X did…": the X a question asks to
# identify (at most three words before an auxiliary in the last form, where no parser marks
# where the noun phrase ends)
_ONE_Q = re.compile(
    r"\b(?:what|which)(?:['’]s| is| was| are| were) the names? of (?:the |a |an )?(?P<a>[^?;]+)"
    r"|\bwho (?:is|are|was|were) the (?P<b>[^?;]+)"
    r"|\b(?:which|what) (?P<c>(?:[\w’'-]+ ){1,3}?)(?:is|are|was|were|has|have|had|did|does|do"
    r"|will|would|can|could|should|might|must)\b",
    re.I,
)
_TOKEN = re.compile(r"(?:\w\.){2,}|[\w’'-]+|[^\w\s]")  # "U.K." is one word
# words that end the noun phrase a question asks about
_PHRASE_END = frozenset(
    """who whom that which where when whose why how in on at of for with from by to near behind
    after before during over under about into between and or but is are was were has have had
    did does do will would can could should might must as than like""".split()  # noqa: SIM905
)
# words that introduce one or some of a kind without saying which
_UNNAMED = frozenset(
    """a an one two both three four five six seven eight nine ten several some few unnamed
    unidentified anonymous""".split()  # noqa: SIM905
)
# "Baltimore has been a violent city", "reclassify marijuana as a lower-risk substance": the
# thing is named as the subject, not left open
_PREDICATIVE = frozenset(
    """is was are were be been being become became becomes remains remained as considered
    called named seen""".split()  # noqa: SIM905
)
_SET_OFF = frozenset((",", "(", ":", "—", "–", "including", "called", "named", "dubbed"))
_SAME = {"both": "two"}  # "both people" are "the two people" named before
_BEFORE_HEAD = frozenset("the this that these those its his her their our your my".split())  # noqa: SIM905


@dataclass(frozen=True)
class AskedOne:
    """What a which-one question asks to identify: the noun ("forum") and the words the
    question puts before it ("dark", "web"; "two" in "the two people")."""

    head: str
    modifiers: tuple[str, ...]
    # the rest of the question's terms, what it says the thing did ("met", "washington")
    event: frozenset[str] = frozenset()


def asked_one(question: str) -> AskedOne | None:
    """The kind of thing a which-one question asks to identify, when the question describes it
    (a bare "Which city…?" describes nothing a sentence could leave open: None).

    >>> one = asked_one("What is the name of the dark web forum where the material was shared?")
    >>> one.head, one.modifiers, sorted(one.event)
    ('forum', ('dark', 'web'), ['materi', 'share'])
    >>> asked_one("Who were the two people who briefed the reporters?").modifiers
    ('two',)
    >>> asked_one("Which city hosts the games?"), asked_one("What did Ofcom conclude?")
    (None, None)
    """
    m = _ONE_Q.search(asked(question))
    if not m:
        return None
    phrase: list[str] = []
    for word in _TOKEN.findall(m.group("a") or m.group("b") or m.group("c")):
        if not word[0].isalnum() or word.lower() in _PHRASE_END:
            break
        phrase.append(strip_possessive(word.lower()))
    mods = tuple(w for w in phrase[:-1] if w not in ("the", "a", "an"))
    if not phrase or not mods or phrase[-1] in STOPWORDS or phrase[-1] in _UNNAMED:
        return None
    event = set(terms(asked(question))) - set(terms(" ".join(phrase))) - {"name"}
    return AskedOne(phrase[-1], mods, frozenset(event))


def leaves_unnamed(one: AskedOne, sentence: str, question: str) -> bool:
    """Does the sentence mention the thing asked about only as one of a kind, without naming
    it ("…circulated on a dark web forum.")? Such a sentence is on topic and does not answer.
    A name within two words before or four after the mention names it ("Nightshade, a new
    tool", "a tool called Nightshade"); so do names the question does not already hold.

    >>> one = asked_one("What is the name of the dark web forum where it was shared?")
    >>> leaves_unnamed(one, "It was being circulated on a dark web forum.", "")
    True
    >>> leaves_unnamed(one, "It was shared on Dread, a dark web forum.", "")
    False
    >>> q = "Who were the two people who briefed reporters?"
    >>> leaves_unnamed(asked_one(q), "Two people familiar with the meeting told POLITICO.", q)
    True
    >>> leaves_unnamed(asked_one(q), "Both people were granted anonymity.", q)
    True
    >>> leaves_unnamed(asked_one(q), "Two people, Ann Lee and Bo Ray, briefed reporters.", q)
    False
    >>> q = "Who were the two people who met in Washington?"
    >>> s = "Lee raised it with Ray when the two met in Washington, two people said."
    >>> leaves_unnamed(asked_one(q), s, q)
    False
    """
    return unnamed_mention(one, sentence, question) is not None


def unnamed_mention(one: AskedOne, sentence: str, question: str) -> str | None:
    """The sentence's first mention of the thing asked about ("a dark web forum") when it
    mentions it only without naming it (`leaves_unnamed`), else None.

    >>> q = "Who were the two people who briefed reporters?"
    >>> unnamed_mention(asked_one(q), "Both people were granted anonymity.", q)
    'both people'
    """
    tokens = _TOKEN.findall(sentence)
    if _points_back(one, tokens):
        return None
    head = terms(one.head)
    described = {t for w in one.modifiers for t in terms(w) or [w]}
    known = set(terms(question))
    mentions = [i for i, t in enumerate(tokens) if t[0].isalnum() and terms(t) == head]
    first = None
    for i in mentions:
        start = next(
            (j for j in range(i - 1, max(-1, i - 5), -1) if tokens[j].lower() in _UNNAMED), None
        )
        between = tokens[start + 1 : i] if start is not None else []
        if start is None or any(not w[0].islower() or w in _BEFORE_HEAD for w in between):
            return None  # "the forum", "Boeing's spacecraft": may be named elsewhere
        if start > 0 and tokens[start - 1].lower() in _PREDICATIVE:
            return None
        said = {t for w in tokens[start:i] for t in terms(w) or [_SAME.get(w.lower(), w.lower())]}
        if not said & described:
            return None  # another one of the kind: "a new food bank location"
        # "both" points back: to names anywhere before it in the sentence
        near = tokens[0 if tokens[start].lower() in _SAME else max(0, start - 2) : i + 5]
        # further on, a name set off as an apposition: "two people familiar with it, Ann Lee
        # and …" (not "… told POLITICO", the outlet)
        set_off = [
            w for k, w in enumerate(tokens[i + 5 : i + 10], i + 5) if tokens[k - 1] in _SET_OFF
        ]
        if any(_new_name(w, known) for w in near + set_off):
            return None
        first = first or " ".join([tokens[start].lower(), *tokens[start + 1 : i + 1]])
    return first


def _points_back(one: AskedOne, tokens: list[str]) -> bool:
    """A headless "the two" or "both" that points back to things the sentence has named, and
    does what the question says the thing did: "…Lammy … with JD Vance when the two met in
    Washington" for "Who were the two people who met in Washington?"."""
    numbers = {w for w in one.modifiers if w in _UNNAMED}
    for k, word in enumerate(tokens):
        low = word.lower()
        the_n = low in numbers and k > 0 and tokens[k - 1].lower() == "the"
        if not (the_n or (low == "both" and "two" in numbers)):
            continue
        after = tokens[k + 1 : k + 5]
        headless = bool(after) and terms(after[0]) != terms(one.head)
        if headless and one.event & {t for w in after for t in terms(w)}:
            return True
    return False


def _new_name(word: str, known: set[str]) -> bool:
    """A capitalised word or a figure that the question does not already hold."""
    return (is_name(word, word.lower()) or word[0].isdigit()) and not set(terms(word)) <= known


def said_subject(question: str) -> str | None:
    """The word naming whom a what-did-X-say question quotes: the last word of a capitalised
    name, else the noun its phrase ends on; None for a pronoun.

    >>> said_subject("What did JD Vance say publicly after the meeting?")
    'Vance'
    >>> said_subject("What did the selection committee that picks the list say was key?")
    'committee'
    >>> said_subject("What did the U.K. government say about Ofcom?")
    'U.K.'
    >>> said_subject("President Biden spoke this week. What did he say?") is None
    True
    """
    m = SAID_Q.search(asked(question))
    if not m:
        return None
    phrase = []
    for word in _TOKEN.findall(m.group("who")):
        if not word[0].isalnum() or word.lower() in _PHRASE_END:
            break
        phrase.append(strip_possessive(word))
    while phrase and phrase[0].casefold() in DETERMINERS:
        phrase = phrase[1:]
    if not phrase or phrase[0].casefold() in PRONOUNS:
        return None
    run = list(itertools.takewhile(lambda w: w[:1].isupper(), phrase))
    return run[-1] if run else phrase[-1]


# words that give someone's words beyond rag.attribution.SPEECH's "said", "told", "according"
_SPEECH_MORE = frozenset(
    """claimed claims called calls described describes respond responded responds replied replies
    comment commented comments
    suggested admitted acknowledged urged vowed promised pledged denied criticised criticized
    condemned accused branded statement spokesperson spokesman spokeswoman interview
    letter""".split()  # noqa: SIM905
)
# a name after one of these is not who speaks ("raised the issue with Vance, explained…")
_OBJECT_OF = frozenset("with to of about for at on from into against over than".split())  # noqa: SIM905
_SPEAKING_PRONOUNS = frozenset(("he", "she", "they"))
_SPEECH_REACH = 4  # tokens between a speaker's name and "said", "told", "statement"


def speaks_for(subject: str, text: str, speech: frozenset[str], before: str = "") -> bool:
    """Does the text give the subject's own words: its name, not after a preposition (but
    "according to"), within a few words of a word of speech ("X said in a statement",
    "according to the committee")? A "he said" or "she added" counts when the sentence
    before names the subject.

    >>> speech = frozenset({"said", "told", "explained", "according"})
    >>> speaks_for("Vance", "Lammy raised it with JD Vance, explained the U.K.’s position.", speech)
    False
    >>> speaks_for("X", "In a statement, X said: “We act.”", speech)
    True
    >>> speaks_for("Starmer", "Starmer called the images disgraceful.", speech)
    True
    >>> speaks_for("Starmer", "“It is vile,” he said.", speech, before="Starmer spoke first.")
    True
    """
    tokens = _TOKEN.findall(text)
    low = [t.lower() for t in tokens]
    want = terms(subject)
    spoken = [j for j, w in enumerate(low) if w in speech or w in _SPEECH_MORE]
    for i, word in enumerate(tokens):
        if not word[0].isalnum() or terms(word) != want:
            continue
        k = i - 1
        while k >= 0 and (tokens[k][:1].isupper() or low[k] in DETERMINERS):
            k -= 1  # the rest of the name and its article: "JD" of "with JD Vance", "the"
        if k >= 0 and low[k] in _OBJECT_OF and low[k - 1 : k + 1] != ["according", "to"]:
            continue
        if any(abs(i - j) <= _SPEECH_REACH for j in spoken):
            return True
    pronoun = any(
        low[i] in _SPEAKING_PRONOUNS and abs(i - j) == 1 for i in range(len(low)) for j in spoken
    )
    return pronoun and set(want) <= set(terms(before))
