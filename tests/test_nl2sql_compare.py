"""`labkit compare --task sql` (labkit.nl2sql.compare): intervals on every metric, the seed's claims tested on
paired differences, and the quality-vs-quantity claim read from its record. Synthetic runs test the verdict
logic; one test runs the command end to end on the local model."""

from __future__ import annotations

import json

import pytest

from labkit import cli
from labkit.decision import AGREE, INCONCLUSIVE, NA, VERDICTS, WORSE
from labkit.nl2sql import compare
from labkit.nl2sql.metrics import SqlRecord, by_difficulty, summarize
from labkit.nl2sql.output import extract_sql
from labkit.nl2sql.runner import SqlRun
from labkit.nl2sql.strategies import DECODING


def record(i: int, correct: bool, format_ok: bool = True, latency_ms: float = 1000.0, tokens: int = 100) -> SqlRecord:
    return SqlRecord(f"s{i:03d}", "easy" if i % 2 else "hard", False, correct, format_ok, True, latency_ms,
                     tokens, 20, tokens * 1e-6, "SELECT 1", "SELECT 1", "same rows")


def run(name: str, rights: list[bool], **kw) -> SqlRun:
    records = [record(i, ok, **kw) for i, ok in enumerate(rights)]
    return SqlRun(name, name, records, summarize(records), by_difficulty(records))


def condition(name: str, n_train: int, rights: list[bool], share: float = 0.0) -> dict:
    return {"name": name, "n_train": n_train, "corrupt_share": share,
            "records": [{"id": f"v{i}", "correct": ok} for i, ok in enumerate(rights)]}


def claim(rows, factor: str):
    return next(r for r in rows if r.factor == factor)


def test_every_metric_has_an_interval():
    est = compare.estimates(run("rag", [True, False] * 10))
    assert set(est) == {m[0] for m in compare.METRICS}
    accuracy = est["execution_accuracy"]
    assert accuracy.value == 0.5 and accuracy.low < 0.5 < accuracy.high and accuracy.n == 20
    assert "execution accuracy" in compare.metrics_table({"rag": run("rag", [True] * 3)})


def test_format_claim_agrees_only_when_the_paired_interval_excludes_zero():
    n = 40
    runs = {"fine-tuned": run("fine-tuned", [True] * n), "prompt-only": run("prompt-only", [True] * n,
                                                                              format_ok=False)}
    assert claim(compare.claims(runs), "Format").verdict == AGREE
    few = {k: SqlRun(v.strategy, v.kind, v.records[:2], v.summary) for k, v in runs.items()}
    assert claim(compare.claims(few), "Format").verdict == INCONCLUSIVE  # 2 questions cannot tell
    assert claim(compare.claims({"rag": runs["fine-tuned"]}), "Format").verdict == NA


def test_latency_and_cost_claims_compare_fine_tuned_with_rag():
    runs = {"fine-tuned": run("fine-tuned", [True] * 30, latency_ms=500, tokens=50),
            "rag": run("rag", [True] * 30, latency_ms=2000, tokens=900)}
    rows = compare.claims(runs)
    assert claim(rows, "Latency").verdict == AGREE and claim(rows, "Per-Query Cost").verdict == AGREE
    # the row names what it tested: a mean of paired differences, not the p50 of the metrics table
    assert [q.label for q in claim(rows, "Latency").quantities] == ["fine-tuned - rag mean latency ms"]
    slower = {**runs, "fine-tuned": run("fine-tuned", [True] * 30, latency_ms=4000, tokens=2000)}
    assert claim(compare.claims(slower), "Latency").verdict == WORSE


def test_the_quality_claim_reads_the_recorded_experiment():
    right = [True] * 36 + [False] * 4
    clean = {"when": "today", "validation": [f"v{i}" for i in range(40)], "conditions": [
        condition("25 clean", 25, [False] * 30 + [True] * 10), condition("119 clean", 119, right),
        condition("119, 30% corrupted", 119, [False] * 30 + [True] * 10, 0.3)]}
    assert claim(compare.claims({}, clean), "Data").verdict == AGREE
    close = {**clean, "conditions": [condition("25 clean", 25, right[:-1] + [False]),
                                     condition("119 clean", 119, right), condition("119, 30%", 119, right, 0.3)]}
    assert claim(compare.claims({}, close), "Data").verdict == INCONCLUSIVE
    assert claim(compare.claims({}, None), "Data").verdict == NA
    assert {r.verdict for r in compare.claims({}, clean)} <= set(VERDICTS)


def test_the_command_refuses_a_support_split():
    assert cli.main(["compare", "--task", "sql", "--split", "dev"]) == 2


@pytest.mark.slow
def test_compare_task_sql_with_the_local_model(capsys):
    assert cli.main(["compare", "--task", "sql", "--limit", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "sql" and out["split"] == "test" and len(out["questions"]) == 1
    assert list(out["strategies"]) == ["prompt-only", "rag", "fine-tuned", "hybrid"]
    for s in out["strategies"].values():
        for m in s["metrics"].values():
            assert m["low"] is None or m["low"] <= m["value"] <= m["high"]
        assert s["metrics"]["execution_accuracy"]["n"] == 1
        (r,) = s["records"]
        assert r["id"] == out["questions"][0] and r["text"].strip() and r["message"]  # DuckDB's error or reason
        assert r["sql"] == extract_sql(r["text"])  # what was executed
        assert 0 < r["output_tokens"] <= DECODING["max_tokens"] and r["latency_ms"] > 0
    by_name = {n: s["records"][0] for n, s in out["strategies"].items()}
    assert by_name["prompt-only"]["input_tokens"] > 1000 > by_name["fine-tuned"]["input_tokens"]  # the schema
    assert {c["verdict"] for c in out["claims"]} <= set(VERDICTS) and len(out["claims"]) == 4
    fmt = next(c for c in out["claims"] if c["factor"] == "Format")
    assert fmt["verdict"] in (INCONCLUSIVE, NA) and fmt["intervals"][0]["n"] == 1  # one question decides nothing
