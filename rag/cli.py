"""Command line -> engine calls: `rag ingest | ask | chat | serve | stats | check | eval`,
`rag calibrate` and `rag migrate`.

Heavy libraries (torch, chromadb) are imported inside commands, so `rag --help` stays fast.
Exit codes: 0 ok, 1 error (one line on stderr), 2 usage error, 3 ingest with rejected files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .errors import RagError
from .render import render, stream_answer
from .settings import Settings

if TYPE_CHECKING:
    from .engine import Engine

LISTED = 10  # duplicates shown in the plain ingest report; rejections are always all shown

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Answers questions about news articles, every sentence cited to an article sentence.",
)


def _engine(top_k: int | None = None) -> Engine:
    from .engine import Engine

    settings = Settings()
    if top_k is not None:
        settings = settings.model_copy(update={"top_k": top_k})
    return Engine.from_settings(settings)


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: seeds dir).")
    ] = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose files are gone.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Add new and changed articles to the index; unchanged ones are skipped."""
    engine = _engine()
    report = engine.ingest(list(paths) if paths else None, prune=prune)
    if json_out:
        typer.echo(json.dumps(_report_dict(report), indent=2))
    else:
        typer.echo(report.summary())
        for doc, twin in report.duplicates[:LISTED]:
            typer.echo(f"  duplicate: {doc} (same text as {twin}, stored once)")
        if len(report.duplicates) > LISTED:
            more = len(report.duplicates) - LISTED
            typer.echo(f"  … and {more} more duplicate(s); `rag ingest --json` lists them all")
        for r in report.rejected:
            typer.echo(f"  rejected: {r.where}: {r.reason}")
        if report.skipped:
            typer.echo(f"  skipped {len(report.skipped)} file(s) of unsupported types")
    raise typer.Exit(report.exit_code)


def _report_dict(report: Any) -> dict[str, Any]:
    return {
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "duplicates": [{"doc_id": d, "same_as": t} for d, t in report.duplicates],
        "rejected": [{"file": r.where, "reason": r.reason} for r in report.rejected],
        "removed": report.removed,
        "skipped": report.skipped,
        "chunks": report.chunks,
        "seconds": round(report.seconds, 3),
        "stages": {k: round(v, 3) for k, v in report.stages.items()},  # seconds per step
    }


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the articles.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    top_k: Annotated[int | None, typer.Option(min=1, max=100, help="Passages to retrieve.")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Print words as they come.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
) -> None:
    """Answer one question with cited sentences."""
    engine = _engine(top_k)
    if json_out:
        answer = engine.ask(question, as_of=as_of).to_dict()
        typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    elif stream:
        typer.echo(stream_answer(engine, question, as_of=as_of))
    else:
        typer.echo(render(engine.ask(question, as_of=as_of)))


AS_OF_HELP = "Answer as of this day (YYYY-MM-DD; default today): later articles are not used."


@app.command()
def chat(
    build: Annotated[
        bool, typer.Option(help="Build the index from the seeds dir if missing.")
    ] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
) -> None:
    """Ask questions in a loop in the terminal (empty line or Ctrl-D quits)."""
    engine = _engine()
    if build:
        engine.build_if_missing(lambda line: typer.echo(line, err=True))
    engine.store  # noqa: B018 — fail now, not after the first question, when there is no index
    typer.echo("Ask about the articles (empty line to quit).")
    history: list[tuple[str, str]] = []
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = engine.chat(question, history, as_of=as_of)
            typer.echo(render(answer) + "\n")
            history.append((question, answer.text))
        except RagError as err:
            typer.echo(f"error: {err}", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 7860,
    build: Annotated[
        bool, typer.Option(help="Build the index from the seeds dir if missing.")
    ] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP)] = None,
) -> None:
    """Start the chat UI (and its HTTP API) in the browser."""
    from ui.app import main as serve_ui

    serve_ui(host=host, port=port, settings=Settings(), build=build)


@app.command()
def stats(json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """What the index holds and how it was built."""
    info = _engine().stats()
    if json_out:
        typer.echo(json.dumps(info, indent=2))
        return
    m = info["manifest"]
    typer.echo(f"index: {info['database']}")
    typer.echo(f"articles: {info['articles']}, chunks: {info['chunks']}")
    typer.echo(
        f"embedding model: {m.get('embed_model')} (dimension {m.get('dimension')}, "
        f"{m.get('chunk_tokens')} word pieces per chunk)"
    )
    typer.echo(f"updated: {m.get('updated_at')}")


@app.command()
def check(
    claim: Annotated[str | None, typer.Argument(help="The sentence to fact-check.")] = None,
    source: Annotated[
        str | None, typer.Option(help="An indexed doc_id, or a file, to check the claim against.")
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option(
            help='JSON Lines of {"claim": str, "doc": str}; one verdict a line, in order.'
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Does an article back a sentence? The support checker's score, label and evidence."""
    from .check import check_claim, check_pairs, load_source, read_pairs
    from .embed import Embedder
    from .verify import make_checker

    if (pairs is None) == (claim is None or source is None):
        raise typer.BadParameter('give "CLAIM" --source DOC_ID_OR_FILE, or --pairs FILE.jsonl')
    settings = Settings()
    if pairs is not None:
        todo = read_pairs(pairs)  # a bad line fails here, before any verdict is printed
        embedder = Embedder.from_settings(settings)
        checker, pooling = make_checker(settings, embedder), settings.sentence_vectors
        for verdict in check_pairs(todo, checker, embedder, pooling):
            typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False))
        return
    assert claim is not None and source is not None
    engine = _engine()
    articles = load_source(source, engine.article if engine.has_index() else None)
    checker = make_checker(settings, engine.embedder)
    verdict = check_claim(claim, articles, checker, engine.embedder, settings.sentence_vectors)
    if json_out:
        typer.echo(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{verdict.label} (score {verdict.score:.2f})")
    if verdict.quote:
        where = f"{verdict.doc_id} {verdict.char_start}-{verdict.char_end}"
        kind = "evidence" if verdict.evidence else "closest sentence (does not back it)"
        typer.echo(f"  {kind} [{where}]: “{verdict.quote}”")
    if verdict.missing:
        typer.echo(f"  not in the article: {', '.join(verdict.missing)}")
    if verdict.doer:
        typer.echo(f"  the article says {verdict.doer} did this")
    for flaw in verdict.flaws:
        typer.echo(f"  {flaw}")


@app.command("eval")
def eval_(
    eval_set: Annotated[
        Path, typer.Option("--set", help="Eval set (JSON Lines, see eval/README.md).")
    ] = Path("eval/citations.jsonl"),
    corpus: Annotated[
        Path | None, typer.Option(help="Folder or file to index (default: seeds dir).")
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="Answering backend (default: RAG_LLM).")
    ] = None,
    top_k: Annotated[int | None, typer.Option(min=1, max=100, help="Passages to retrieve.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("eval/out"),
    json_out: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    compare: Annotated[
        list[str] | None,
        typer.Option(
            help="Also score another pipeline on the same questions: stock (LlamaIndex), or "
            "heuristic (ours without the answer model, on the same index)."
        ),
    ] = None,
    realtimeqa: Annotated[
        Path | None,
        typer.Option(help="Evaluate on a RealTime QA folder (*_qa.jsonl + *_gcs.jsonl) instead."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
) -> None:
    """Score citation accuracy on an eval set, in a temporary index; writes a report."""
    from .eval.report import summary, write_report
    from .eval.runners import json_view, run_eval

    settings = Settings()
    show = None if not json_out else False
    if realtimeqa is not None:
        from .eval.realtimeqa import run_realtimeqa

        result = run_realtimeqa(
            realtimeqa, settings, top_k, backend, compare, limit=limit, progress=show
        )
    else:
        result = run_eval(
            eval_set, corpus, settings, top_k, backend, compare, limit=limit, progress=show
        )
    files = write_report(result, out)
    if json_out:
        typer.echo(json.dumps(json_view(result), ensure_ascii=False, indent=2))
        return
    typer.echo(summary(result))
    typer.echo(f"report: {', '.join(str(f) for f in files)}")


@app.command()
def calibrate(
    sample: Annotated[int, typer.Option(help="Chunks drawn from the index.")] = 120,
    eval_set: Annotated[
        Path | None, typer.Option("--set", help="Eval set whose gold quotes are added.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """How well the support checker tells faithful from faulty sentences: ROC AUC, rates."""
    from .eval.calibrate import describe, run_calibration

    result = run_calibration(Settings(), sample, eval_set)
    typer.echo(json.dumps(result, indent=2) if json_out else describe(result))


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="postgresql://… URL to copy the index into.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Copy the embedded index (RAG_INDEX_DIR) into PostgreSQL and the Chroma server at
    RAG_CHROMA_URL, embedding nothing again; a second run copies nothing."""
    from .migrate import migrate as run

    counts = run(Settings(), to)
    typer.echo(json.dumps(counts.as_dict(), indent=2) if json_out else counts.summary())


def main() -> None:
    """Console entry point: RagError -> one line on stderr, exit 1."""
    try:
        app()  # standalone: usage errors print themselves and exit 2
    except RagError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo(
            "interrupted — what was already indexed is kept; run it again to finish", err=True
        )
        sys.exit(130)
