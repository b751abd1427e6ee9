"""An ingest of uploaded files -> what happened to each, in sentences a newsroom reader uses.

"Added 'Porthaven solar farm approved' (18 passages)." rather than "added 1, updated 0,
unchanged 1 … 1 chunks embedded (0.4 chunks/s)".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ui.render import clip

TITLE_CHARS = 70


def plural(n: int, word: str) -> str:
    """A count and its noun.

    >>> plural(1, "passage"), plural(3, "passage")
    ('1 passage', '3 passages')
    """
    return f"{n} {word}{'' if n == 1 else 's'}"


def in_words(report: Any, library: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One sentence per article added, updated, kept once or skipped, then the time taken.

    `library` is the index's articles by doc_id (title, chunks) after the ingest.

    >>> from rag.indexer import IngestReport
    >>> from rag.readers import Rejection
    >>> r = IngestReport(added=["solar"], rejected=[Rejection("/up/empty.txt", "empty file")])
    >>> in_words(r, {"solar": {"title": "Solar farm approved", "chunks": 3}})[:2]
    ["Added 'Solar farm approved' (3 passages).", 'Skipped empty.txt: empty file.']
    """

    def named(doc_id: str) -> str:
        article = library.get(doc_id) or {}
        return f"'{clip(str(article.get('title') or doc_id), TITLE_CHARS)}'"

    def passages(doc_id: str) -> str:
        return plural(int((library.get(doc_id) or {}).get("chunks") or 0), "passage")

    lines = [f"Added {named(d)} ({passages(d)})." for d in report.added]
    lines += [f"Updated {named(d)} ({passages(d)})." for d in report.updated]
    lines += [
        f"{named(kept)} is already in the library with the same text: kept once ({d})."
        for d, kept in report.duplicates
    ]
    lines += [f"Skipped {Path(r.where).name}: {r.reason.rstrip('.')}." for r in report.rejected]
    if not lines:
        return ["Nothing new: every file was already in the library unchanged."]
    if report.added or report.updated:
        took = f"{report.seconds:.0f} s" if report.seconds >= 1 else "under a second"
        lines.append(f"Done in {took}.")
    return lines
