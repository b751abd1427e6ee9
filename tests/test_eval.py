"""The citation-accuracy eval: metrics on hand-made answers, the CLI, RealTime QA, stock compare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rag.embed import Embedder
from rag.errors import RagError
from rag.eval.bootstrap import aggregate
from rag.eval.dataset import Item, contains_answer, gold_spans
from rag.eval.metrics import METRICS, Outcome, score, support_scores
from rag.eval.realtimeqa import build, run_realtimeqa
from rag.eval.runners import run_eval
from rag.types import Answer, AnswerSentence, Citation

from .conftest import ROOT, make_settings

RTQA = Path(__file__).parent / "fixtures" / "realtimeqa"
TEXT = "Ofcom opened an inquiry on Monday. The inquiry covers X. Lammy met Vance in Washington."
RATES = [m for m in METRICS if not m.startswith("latency") and m != "n"]


def check_rates(metrics: dict[str, object]) -> None:
    assert set(metrics) == set(METRICS)
    for name in RATES:
        v = metrics[name]
        assert v is None or (isinstance(v, float) and 0.0 <= v <= 1.0), (name, v)
    assert isinstance(metrics["n"], int)


def cite(n: int, start: int, end: int) -> Citation:
    return Citation("doc", "Title", None, None, None, "doc#0", start, end, TEXT[start:end], n)


def answer(text: str, sentences, cited: list[Citation], abstained: bool = False) -> Answer:
    sents = tuple(AnswerSentence(t, ns) for t, ns in sentences)
    return Answer("Where did Lammy meet Vance?", text, sents, tuple(cited), abstained=abstained)


def outcome(cites: list[tuple[int, int]], sentences=None, abstained=False) -> Outcome:
    cited = [cite(n, s, e) for n, (s, e) in enumerate(cites, 1)]
    text = " ".join(c.quote for c in cited)
    sents = sentences if sentences is not None else [(c.quote, (c.n,)) for c in cited]
    return Outcome(answer(text, sents, cited, abstained), (("doc", 0, len(TEXT)),), 5.0)


def item(answerable: bool = True, quote: str = "Lammy met Vance in Washington.") -> Item:
    evidence = [("doc", quote)] if answerable else []
    return Item("q", "Where did Lammy meet Vance?", ["Washington"] if answerable else [], evidence,
                answerable)  # fmt: skip


def test_citation_overlapping_the_gold_quote_counts_and_one_elsewhere_does_not() -> None:
    it = item()
    gold, problems = gold_spans(it, {"doc": TEXT})
    assert not problems and gold == [[("doc", 57, 87)]]
    lammy, ofcom = (57, 87), (0, 34)
    both = score(it, gold, outcome([lammy, ofcom]))
    assert both.citation_precision == 0.5 and both.citation_recall == 1.0
    assert [c["gold"] for c in both.as_dict()["cited"]] == [True, False]
    assert both.correct == 1.0 and both.hit == 1.0 and both.rr == 1.0
    off = score(it, gold, outcome([ofcom]))
    assert off.citation_precision == 0.0 and off.citation_recall == 0.0
    assert off.correct == 0.0  # "Washington" is not in the answer
    # a partial overlap of the gold span counts; touching its end does not
    assert score(it, gold, outcome([(70, 87)])).citation_recall == 1.0
    assert score(it, gold, outcome([(35, 57)])).citation_recall == 0.0


def test_the_answer_in_the_retrieved_passages_bounds_what_a_quote_can_get_right() -> None:
    gold, _ = gold_spans(item(), {"doc": TEXT})
    lammy, ofcom = (57, 87), (0, 34)
    read = replace(outcome([ofcom]), texts=(TEXT[:34], TEXT[57:]))
    missed = replace(outcome([ofcom]), texts=(TEXT[:56],))
    rows = [score(item(), gold, read), score(item(), gold, missed)]
    assert [r.answer_retrieved for r in rows] == [1.0, 0.0] and rows[0].correct == 0.0
    assert rows[0].as_dict()["answer_retrieved"] == 1.0
    assert score(item(False), [], read).answer_retrieved is None  # nothing to find
    assert score(item(), gold, outcome([lammy])).answer_retrieved is None  # texts not kept
    summary = aggregate(rows)
    assert summary.extra.answer_retrieved == 0.5 and summary.ci["answer_retrieved"] is not None
    assert summary.as_dict()["extra"]["answer_retrieved"] == 0.5


def test_quotes_missing_from_the_corpus_are_reported() -> None:
    _, problems = gold_spans(item(quote="not in the text"), {"doc": TEXT})
    assert len(problems) == 1 and "not found" in problems[0]


def test_support_precision_drops_a_citation_the_sentence_does_not_need() -> None:
    sentence = "Lammy met Vance in Washington."
    needed = outcome([(57, 87), (0, 34)], sentences=[(sentence, (1, 2))])
    assert support_scores(needed.answer) == (0.5, 1.0)
    # two halves that only together support the sentence: both needed
    halves = answer("", [("Ofcom opened an inquiry covering X.", (1, 2))],
                    [cite(1, 0, 34), cite(2, 35, 56)])  # fmt: skip
    assert support_scores(halves) == (1.0, 1.0)
    unsupported = outcome([(0, 34)], sentences=[("Vance flew to Paris.", (1,))])
    assert support_scores(unsupported.answer) == (0.0, 0.0)


def test_answer_matching_ignores_case_punctuation_articles_and_markers() -> None:
    assert contains_answer("They met in WASHINGTON, D.C. [1]", ["Washington"])
    assert contains_answer("The U.K.'s regulator acted. [2]", ["U.K."])
    assert contains_answer("It was the Online Safety Act.", ["Online Safety Act"])
    assert not contains_answer("The Buffalo Billsmen won.", ["Buffalo Bills"])
    assert not contains_answer("No answer here.", [])


def test_abstention_precision_recall_f1_and_bootstrap_intervals() -> None:
    gold, _ = gold_spans(item(), {"doc": TEXT})
    rows = [
        score(item(False), [], outcome([], abstained=True)),  # true positive
        score(item(False), [], outcome([(0, 34)])),  # false negative: answered
        score(item(), gold, outcome([], abstained=True)),  # false positive
        score(item(), gold, outcome([(57, 87)])),  # true negative, correct
    ]
    agg = aggregate(rows).as_dict()
    m = agg["metrics"]
    check_rates(m)
    assert m["abstention_precision"] == 0.5 and m["abstention_recall"] == 0.5
    assert m["abstention_f1"] == 0.5 and m["n"] == 4
    assert m["answer_correctness"] == 0.5  # over the answerable questions only
    assert m["citation_precision"] == 1.0  # over answered answerable questions only
    assert m["latency_p50_ms"] == 5.0
    lo, hi = agg["ci"]["answer_correctness"]
    assert 0.0 <= lo <= m["answer_correctness"] <= hi <= 1.0
    assert aggregate(rows).ci == agg["ci"]  # fixed seed
    never = aggregate([rows[1], rows[3]]).as_dict()["metrics"]
    assert never["abstention_precision"] is None and never["abstention_f1"] == 0.0


def test_cli_eval_on_the_seed_set(tmp_path: Path) -> None:
    out, index = tmp_path / "out", tmp_path / "users-index"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX_DIR": str(index)}
    cmd = [sys.executable, "-m", "rag", "eval", "--limit", "8", "--json", "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"metrics", "per_question", "compare", "ci", "checker"} <= set(data)
    check_rates(data["metrics"])
    m = data["metrics"]
    assert m["n"] == len(data["per_question"]) == 8 and data["compare"] == {}
    # one article holds every answer: retrieval must find it, and most answers must be right
    assert m["hit@k"] == 1.0 and m["span_hit@k"] == 1.0
    assert m["answer_correctness"] >= 0.5 and m["citation_recall"] > 0
    assert m["support_recall"] == 1.0  # extractive answers are quotes
    assert m["latency_p50_ms"] > 0
    row = data["per_question"][0]
    assert row["id"] == "q01" and row["gold"][0]["doc"] == "000_f647ec2645e8b019"
    for c in (c for r in data["per_question"] for c in r["cited"]):
        text = (ROOT / "seeds" / f"{c['doc_id']}.txt").read_text(encoding="utf-8")
        assert text[c["char_start"] : c["char_end"]] == c["quote"]
    for name in ("results.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    assert list(out.glob("*.png"))
    saved = json.loads((out / "results.json").read_text())
    assert saved["metrics"] == m and saved["index"]["manifest"]["articles"] == 1
    report = (out / "report.md").read_text()
    assert "## Failures: ours" in report and "metrics.png" in report
    for r in data["per_question"]:
        if r["correct"] == 0 or (r["citation_recall"] or 0) < 1:
            assert f"### {r['id']}: " in report
    assert not index.exists()  # the configured index is never touched


def test_realtimeqa_adapter_builds_corpus_and_set(tmp_path: Path) -> None:
    eval_set, corpus, counts = build(RTQA, tmp_path)
    assert counts == {
        "questions_read": 3,
        "skipped_no_evidence": 1,
        "articles": 3,  # the lantern story is in both weeks' results: kept once
        "passages": 2,
        "questions": 2,
    }
    records = [json.loads(line) for line in eval_set.read_text().splitlines()]
    assert [r["id"] for r in records] == ["20990106_0", "20990113_0"]
    first = records[0]
    assert first["answers"] == ["Amberly"] and first["choice"] == 1 and first["answerable"]
    assert first["evidence"][0]["doc"] == "20990106/evidence/0"
    quote = first["evidence"][0]["quote"]
    assert "<" not in quote and "Crumb & Co beat 212 entries" in quote
    feed = [
        json.loads(x) for x in (corpus / "20990106" / "evidence.jsonl").read_text().splitlines()
    ]
    assert feed[0]["text"] == quote
    assert len((corpus / "20990113" / "articles.jsonl").read_text().splitlines()) == 1
    _, _, one = build(RTQA, tmp_path / "one", limit=1)
    assert one["questions"] == 1 and one["articles"] == 2


def test_realtimeqa_eval_on_the_fixture(tmp_path: Path, embedder: Embedder) -> None:
    result = run_realtimeqa(RTQA, make_settings(tmp_path), embedder=embedder).as_dict()
    m = result["metrics"]
    check_rates(m)
    assert m["n"] == 2 and result["extra"]["skipped_no_evidence"] == 1
    assert m["hit@k"] == 1.0  # five small documents: all retrieved
    assert result["warnings"] == []
    mc = result["extra"]["mc_accuracy"]
    assert mc is not None and 0.0 <= mc <= 1.0
    assert all("mc_correct" in r for r in result["per_question"])
    assert {r["gold"][0]["doc"] for r in result["per_question"]} == {
        "20990106/evidence/0",
        "20990113/evidence/0",
    }
    assert not (tmp_path / "index").exists()


def test_compare_stock_on_a_tiny_corpus(tmp_path: Path, embedder: Embedder, corpus: Path) -> None:
    facts = [
        ("Who won the Brenholt chess tournament?", "chess_final", "Mira Okafor"),
        ("How far did the Tarnvik glacier pull back?", "glacier_survey", "41 metres"),
        ("How long will the Saltmarsh train drivers walk out?", "rail_strike", "48 hours"),
    ]
    lines = [
        {"id": f"t{i}", "question": q, "answers": [a], "evidence": [{"doc": d, "quote": a}],
         "answerable": True}
        for i, (q, d, a) in enumerate(facts)
    ]  # fmt: skip
    lines.append({"id": "u", "question": "Who won the Brenholt darts final?", "answers": [],
                  "evidence": [], "answerable": False})  # fmt: skip
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("".join(json.dumps(r) + "\n" for r in lines))
    run = run_eval(eval_set, corpus, make_settings(tmp_path), 4, None, ["stock"], embedder)
    result = run.as_dict()
    assert result["warnings"] == []
    stock = result["compare"]["stock"]
    check_rates(result["metrics"])
    check_rates(stock["metrics"])
    assert stock["metrics"]["hit@k"] == 1.0 and stock["metrics"]["answer_correctness"] > 0
    assert stock["extra"]["abstained"] == 0 and stock["metrics"]["abstention_recall"] == 0.0
    assert stock["index"]["unlocated_citations"] == 0
    from rag.eval.dataset import read_corpus

    texts = {d: a.text for d, a in read_corpus(corpus).items()}
    for row in stock["per_question"]:
        assert row["cited"] and len(row["retrieved"]) == 4
        for c in row["cited"]:
            assert texts[c["doc_id"]][c["char_start"] : c["char_end"]] == c["quote"]
    assert result["metrics"]["hit@k"] == 1.0


def test_compare_heuristic_reuses_the_index_and_gives_paired_differences(
    tmp_path: Path, embedder: Embedder, corpus: Path
) -> None:
    facts = [
        ("Who won the Brenholt chess tournament?", "chess_final", "Mira Okafor"),
        ("How far did the Tarnvik glacier pull back?", "glacier_survey", "41 metres"),
    ]
    lines = [
        {"id": f"t{i}", "question": q, "answers": [a], "evidence": [{"doc": d, "quote": a}],
         "answerable": True}
        for i, (q, d, a) in enumerate(facts)
    ]  # fmt: skip
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("".join(json.dumps(r) + "\n" for r in lines))
    settings = make_settings(tmp_path, answer_model="shipped")
    run = run_eval(eval_set, corpus, settings, 4, None, ["heuristic"], embedder)
    result = run.as_dict()
    heuristic = result["compare"]["heuristic"]
    assert heuristic["index"] is result["index"]  # asked on the same index, not rebuilt
    check_rates(heuristic["metrics"])
    diff = heuristic["difference"]
    for name in ("hit@k", "answer_correctness"):
        point, low, high = diff[name]
        assert point == pytest.approx(
            result["metrics"][name] - heuristic["metrics"][name], abs=1e-4
        )
        assert low <= point <= high
    from rag.eval.report import markdown

    assert "Ours minus heuristic on the same questions" in markdown(run)
    with pytest.raises(RagError, match="heuristic"):
        run_eval(eval_set, corpus, settings, 4, None, ["nonsense"], embedder)


def test_html_report_renders_the_table_and_escapes_article_markup() -> None:
    from rag.eval.report import to_html

    table = "| metric | ours |\n|---|---|\n| hit@k | 1.000 |\n"
    page = to_html(table + "\n- cited [1]: “<script>alert(1)</script>”\n")
    assert "<table>" in page and "<td>hit@k</td>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_paired_difference_of_two_runs_on_the_same_questions(tmp_path: Path) -> None:
    from rag.eval.paired import main, paired

    def run(name: str, correct: list[int], abstained: list[bool]) -> Path:
        rows = [
            {"id": f"q{i}", "answerable": i < 8, "abstained": a, "correct": c if i < 8 else None}
            for i, (c, a) in enumerate(zip(correct, abstained, strict=True))
        ]
        (tmp_path / name).write_text(json.dumps({"per_question": rows}))
        return tmp_path / name

    no = [False] * 8
    a = run("a.json", [1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [*no, True, False])
    b = run("b.json", [1, 1, 1, 1, 1, 1, 0, 0, 0, 0], [*no, True, True])
    from rag.eval.paired import load

    diff = paired(load(a), load(b))
    x, y, d, lo, hi = diff["correct"]
    assert (x, y, d) == (0.5, 0.75, 0.25) and lo <= 0.25 <= hi and lo >= 0  # B never worse
    assert diff["abstention_recall"][:3] == [0.5, 1.0, 0.5]
    other = tmp_path / "c.json"
    other.write_text(json.dumps({"per_question": [{"id": "z", "answerable": True}]}))
    with pytest.raises(SystemExit, match="same questions"):
        main([str(a), str(other)])
    with pytest.raises(SystemExit, match="not a results.json"):
        main([str(a), str(tmp_path / "missing.json")])
