"""RealTime QA (*_qa.jsonl + *_gcs.jsonl) -> a corpus of feeds and an eval set for `rag eval`.

The corpus holds, per week, the search-result articles of its questions (deduplicated by URL
and by text) in `<week>/articles.jsonl`, and each question's evidence passage (HTML -> text)
in `<week>/evidence.jsonl`. The gold evidence of a question is its whole passage; the accepted
answer is the text of the right choice, and the choices are kept for multiple-choice accuracy.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ..errors import RagError
from ..readers import normalise_date

if TYPE_CHECKING:
    from ..embed import Embedder
    from ..settings import Settings
    from .metrics import EvalResult


def passage_text(html: str) -> str:
    """An evidence passage's HTML as plain text, whitespace collapsed."""
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise RagError(f"{path} line {lineno}: invalid JSON ({err.msg})") from err
    return out


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def build(src: Path, dest: Path, limit: int | None = None) -> tuple[Path, Path, dict[str, Any]]:
    """Write dest/corpus/ and dest/realtimeqa.jsonl; returns (eval set, corpus, counts).

    Questions without evidence are skipped (counted); `limit` keeps the first N usable ones,
    and the corpus then holds only their articles.
    """
    qa_files = sorted(Path(src).glob("*_qa.jsonl"))
    if not qa_files:
        raise RagError(f"no *_qa.jsonl files in {src} — point --realtimeqa at a RealTime QA folder")
    corpus = dest / "corpus"
    items: list[dict[str, Any]] = []
    seen_urls: set[str] = set()
    seen_texts: dict[str, str] = {}  # text -> doc id
    counts = {"questions_read": 0, "skipped_no_evidence": 0, "articles": 0, "passages": 0}
    for qa_file in qa_files:
        if limit is not None and len(items) >= limit:
            break
        week = qa_file.name.removesuffix("_qa.jsonl")
        articles: list[dict[str, Any]] = []
        passages: list[dict[str, Any]] = []
        results = {
            r["question_id"]: r.get("search_result") or []
            for r in _lines(qa_file.with_name(f"{week}_gcs.jsonl"))
        }
        for q in _lines(qa_file):
            if limit is not None and len(items) >= limit:
                break
            counts["questions_read"] += 1
            passage = passage_text(q.get("evidence") or "")
            if not passage:
                counts["skipped_no_evidence"] += 1
                continue
            for r in results.get(q["question_id"], []):
                _add_article(r, week, articles, seen_urls, seen_texts)
            items.append(_item(q, _add_passage(q, passage, week, passages, seen_texts), passage))
        if articles:
            _write(corpus / week / "articles.jsonl", articles)
        if passages:
            _write(corpus / week / "evidence.jsonl", passages)
        counts["articles"] += len(articles)
        counts["passages"] += len(passages)
    if not items:
        raise RagError(f"no RealTime QA question in {src} has an evidence passage")
    eval_set = dest / "realtimeqa.jsonl"
    _write(eval_set, items)
    counts["questions"] = len(items)
    return eval_set, corpus, counts


def _add_article(
    r: dict[str, Any],
    week: str,
    articles: list[dict[str, Any]],
    seen_urls: set[str],
    seen_texts: dict[str, str],
) -> None:
    """A search result as a feed record of the week, unless its URL or text was seen."""
    text, url = (r.get("text") or "").strip(), r.get("url") or ""
    if not text or (url and url in seen_urls) or text in seen_texts:
        return
    seen_urls.add(url)
    seen_texts[text] = f"{week}/articles/{len(articles)}"
    articles.append(
        {
            "title": r.get("title") or "",
            "text": text,
            "url": url or None,
            "source": urlparse(url).netloc or None,
            "published": r.get("publish_date"),
        }
    )


def _add_passage(
    q: dict[str, Any],
    passage: str,
    week: str,
    passages: list[dict[str, Any]],
    seen_texts: dict[str, str],
) -> str:
    """The doc id of a question's evidence passage, added as a document of its own if new."""
    doc = seen_texts.get(passage)
    if doc is None:
        doc = seen_texts[passage] = f"{week}/evidence/{len(passages)}"
        passages.append(
            {
                "text": passage,
                "source": q.get("question_source"),
                "published": q.get("question_date"),
            }
        )
    return doc


def _item(q: dict[str, Any], doc: str, passage: str) -> dict[str, Any]:
    """A RealTime QA question as an eval-set record: the passage is its gold evidence."""
    right = int(q["answer"][0])
    return {
        "id": q["question_id"],
        "question": q["question_sentence"],
        "answers": [q["choices"][right]],
        "evidence": [{"doc": doc, "quote": passage}],
        "answerable": True,
        "choices": q["choices"],
        "choice": right,
        "as_of": normalise_date(q.get("question_date")),
    }


def run_realtimeqa(
    src: Path,
    settings: Settings,
    top_k: int | None = None,
    backend: str | None = None,
    compare: list[str] | None = None,
    embedder: Embedder | None = None,
    limit: int | None = None,
    progress: bool | None = False,
) -> EvalResult:
    """`rag eval --realtimeqa DIR`: build the corpus and set in a temporary folder, score them."""
    import tempfile

    from .runners import run_eval

    with tempfile.TemporaryDirectory(prefix="rag-rtqa-") as tmp:
        eval_set, corpus, counts = build(Path(src), Path(tmp), limit)
        result = run_eval(
            eval_set, corpus, settings, top_k, backend, compare, embedder, progress=progress
        )
    summary = result.ours.summary
    extra = replace(summary.extra, skipped_no_evidence=counts["skipped_no_evidence"])
    return replace(
        result,
        ours=replace(result.ours, summary=replace(summary, extra=extra)),
        set=f"RealTime QA {src}" + (f" (first {limit} questions)" if limit else ""),
        corpus="search results + evidence passages of those questions (temporary)",
        realtimeqa=counts,
    )
