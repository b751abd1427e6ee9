"""Answers questions about news articles; every answer sentence cites the article sentence it
came from, with character offsets, and every citation is checked.

>>> from rag import Engine
>>> engine = Engine.from_settings()
>>> engine.ingest(["seeds"])
>>> print(engine.ask("What did Ofcom do about the Grok images?").text)
"""

from .engine import Engine
from .errors import RagError
from .settings import Settings
from .types import Answer, AnswerSentence, Article, Citation, Passage

__all__ = [
    "Answer",
    "AnswerSentence",
    "Article",
    "Citation",
    "Engine",
    "Passage",
    "RagError",
    "Settings",
]
