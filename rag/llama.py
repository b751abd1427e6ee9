"""Engine -> LlamaIndex objects: a BaseRetriever and a query engine returning cited nodes only."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from .types import Citation, Passage


def passage_node(p: Passage) -> NodeWithScore:
    a, c = p.article, p.chunk
    node = TextNode(
        id_=c.chunk_id,
        text=c.text,
        start_char_idx=c.char_start,
        end_char_idx=c.char_end,
        metadata={
            "doc_id": a.doc_id,
            "title": a.title,
            "source": a.source,
            "published": a.published,
            "url": a.url,
        },
    )
    return NodeWithScore(node=node, score=p.score)


def citation_node(c: Citation) -> NodeWithScore:
    node = TextNode(
        id_=f"{c.chunk_id}@{c.char_start}",
        text=c.quote,
        start_char_idx=c.char_start,
        end_char_idx=c.char_end,
        metadata=c.to_dict(),
    )
    return NodeWithScore(node=node, score=1.0)


class HybridRetriever(BaseRetriever):
    """Dense, BM25 and article-vector rankings fused by reciprocal rank, as a LlamaIndex
    retriever."""

    def __init__(self, engine: Any, top_k: int | None = None) -> None:
        super().__init__()
        self._engine = engine
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [passage_node(p) for p in self._engine.retrieve(query_bundle.query_str, self._top_k)]


class CitedQueryEngine(CustomQueryEngine):
    """engine.ask() as a LlamaIndex query engine; source_nodes hold only what the answer cites."""

    engine: Any
    top_k: int | None = None

    def custom_query(self, query_str: str) -> Response:
        answer = self.engine.ask(query_str, self.top_k)
        return Response(
            response=answer.text,
            source_nodes=[citation_node(c) for c in answer.citations],
            metadata={"answer": answer.to_dict()},
        )
