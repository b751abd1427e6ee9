"""Answers questions about news articles; every answer sentence cites the article sentence it
came from, with character offsets, and every citation is checked.

>>> import tempfile
>>> from rag import Engine, Settings
>>> engine = Engine.from_settings(Settings(index_dir=tempfile.mkdtemp()))
>>> engine.ingest(["seeds"]).added != []
True
>>> answer = engine.ask("What did Ofcom do about the Grok images?")
>>> answer.abstained, answer.citations[0].quote in engine.article(answer.citations[0].doc_id).text
(False, True)
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
