"""labkit.intervals and labkit.decision on synthetic eval runs: real EvalRecord/EvalRun/summarize objects with
chosen outcomes, over the real questions (their gold sources are the clusters)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from labkit import decision as dc
from labkit.data import load_eval
from labkit.evaluate import EvalRecord, EvalRun, summarize
from labkit.intervals import METRICS, cluster_labels, paired, run_estimates

ITEMS = load_eval("all")
ANSWERABLE = [i for i in ITEMS if i.answerable]


def _record(item, correct: bool, latency: float = 1000.0, retrieval: float | None = None, cost: float = 0.0003,
            hallucinated: bool = False, format_ok: bool = True, tokens: int = 1000, cited_ok: bool | None = None):
    refused = not item.answerable and correct
    return EvalRecord(id=item.id, category=item.category, answerable=item.answerable, answer="synthetic",
                      key_fact_score=(1.0 if correct else 0.5) if item.answerable else 0.0, missing=[],
                      refused=refused, correct_refusal=None if item.answerable else refused, format_ok=format_ok,
                      input_tokens=tokens, output_tokens=tokens // 20, latency_ms=latency, cost_usd=cost,
                      unsupported=["$1"] if hallucinated else [], citation_ok=cited_ok, retrieval_ms=retrieval)


def _run(records) -> EvalRun:
    return EvalRun(list(records), summarize(list(records)))


def _strategy_runs(items, seed: int = 3) -> dict[str, EvalRun]:
    """prompt-only right on ~35% and RAG on ~70% of the questions (mostly the same ones); RAG 19 ms of
    retrieval, prompt-only slower (its long prompt) and dearer; a fine-tuned model with ~30% in format."""
    rng = np.random.default_rng(seed)
    base = rng.random(len(items))
    runs = {"prompt-only": [], "rag": [], "fine-tuned-format": []}
    for item, u, noise in zip(items, base, rng.random((len(items), 4))):
        runs["prompt-only"].append(_record(item, u < 0.35, latency=1900 + 300 * noise[0], cost=0.0004 + 1e-5 * noise[1],
                                           hallucinated=noise[2] < 0.4))
        runs["rag"].append(_record(item, u < 0.7, latency=1500 + 300 * noise[1], retrieval=17 + 4 * noise[2],
                                   cost=0.0002 + 1e-5 * noise[3], hallucinated=noise[2] < 0.1, cited_ok=True))
        runs["fine-tuned-format"].append(_record(item, u < 0.1, latency=1200 + 200 * noise[3], cost=0.0001,
                                                 format_ok=noise[0] < 0.3, hallucinated=noise[1] < 0.5))
    return {role: _run(records) for role, records in runs.items()}


def _by_quote(rows):
    return {r.quote: r for r in rows}


def test_run_estimates_carry_the_summary_values_with_intervals():
    run = _strategy_runs(ITEMS)["rag"]
    plain, clustered = run_estimates(run), run_estimates(run, ITEMS)
    s = run.summary
    assert set(plain) == {m.name for m in METRICS}
    for name, e in clustered.items():
        expected = s.cost_per_million if name == "cost_per_million" else getattr(s, name)
        assert e.value == pytest.approx(expected), name
        assert e.low <= e.value <= e.high, name
    assert clustered["accuracy"].n == s.n_answerable and clustered["refusal_correct"].n == s.n_unanswerable
    for name in ("accuracy", "hallucination_rate", "format_ok"):  # clustering never narrows a rate
        assert clustered[name].high - clustered[name].low >= plain[name].high - plain[name].low - 1e-12
    assert "clustered" in clustered["accuracy"].method and "bootstrap p95" in clustered["p95_latency_ms"].method
    assert math.isnan(run_estimates(_strategy_runs(ITEMS)["prompt-only"])["p50_retrieval_ms"].value)
    with pytest.raises(ValueError, match="has no cluster label"):
        run_estimates(run, ITEMS[:5])


def test_token_and_cost_means_stay_inside_what_was_observed():
    """The recorded run's prompt-only: one uncached first prompt (~4,800 tokens) among cached ones (~30) gave
    "80 [-36, 196]" input tokens with mean +- 1.96 SE; the bootstrap mean cannot go below the smallest value."""
    items = ITEMS[:81]
    records = [_record(item, True, tokens=4800 if k == 0 else 30, cost=0.0144 if k == 0 else 0.0002)
               for k, item in enumerate(items)]
    est = run_estimates(_run(records), items)
    for name in ("mean_input_tokens", "cost_per_query"):
        e, smallest = est[name], min(r.input_tokens if name == "mean_input_tokens" else r.cost_usd for r in records)
        assert e.low >= smallest * (1 - 1e-9), name
        assert e.low < e.value < e.high and "bootstrap mean" in e.method, name


def test_cluster_labels_are_the_first_gold_source():
    labels = cluster_labels(ITEMS)
    assert len(labels) == 141 and len(set(labels.values())) < 100
    item = next(i for i in ITEMS if len(i.sources) > 1)
    assert labels[item.id] == item.sources[0]
    assert labels[next(i.id for i in ITEMS if not i.sources)].startswith("(no source)")


def test_a_verdict_turns_inconclusive_when_the_sample_is_cut_to_a_few_questions():
    claim = "RAG: High (grounded); Prompt Engineering: Good for simple tasks"
    full = _by_quote(dc.verdicts(dc.Measured(_strategy_runs(ITEMS), items=ITEMS)))[claim]
    assert full.verdict == dc.AGREE
    diff = full.quantities[0].estimate
    assert diff.low > 0 and diff.n == len(ANSWERABLE) == 120
    few = ANSWERABLE[:6]
    cut = _by_quote(dc.verdicts(dc.Measured(_strategy_runs(few), items=few)))[claim]
    assert cut.verdict == dc.INCONCLUSIVE
    e = cut.quantities[0].estimate
    assert e.n == 6 and e.low < 0 < e.high and e.value > 0  # RAG still looks better, but six questions cannot tell
    assert "rag - prompt-only accuracy" in cut.measured and "[" in cut.measured


def test_verdicts_say_which_way_a_claim_fails():
    rows = _by_quote(dc.verdicts(dc.Measured(_strategy_runs(ITEMS), items=ITEMS)))
    retrieval = rows["RAG: Medium (retrieval adds 100-500ms)"]
    assert retrieval.verdict == dc.BETTER and retrieval.quantities[0].estimate.high < 100   # ~19 ms
    assert rows["Prompt Engineering: Lowest"].verdict == dc.WORSE                          # slower than RAG here
    assert rows["Prompt Engineering: Low-Medium (longer prompts); RAG: Medium"].verdict == dc.WORSE  # dearer
    assert rows["RAG: Low (cites sources); Prompt Engineering: Medium-High"].verdict == dc.AGREE
    assert rows["Prompt Engineering: $200-500"].verdict == dc.AGREE                        # ~$405 per 1M
    assert rows["RAG: $300-800"].verdict == dc.BETTER                                      # ~$205 per 1M
    assert rows["Fine-tune when you need consistent style or format"].verdict == dc.WORSE   # ~30% in format
    fine = rows["Fine-Tuning: Lowest"]
    assert fine.verdict == dc.AGREE and "used fine-tuned-format's run" in fine.note
    for quote in ("Fine-Tuning: Highest (internalized knowledge)", "RAG reduces hallucination better than fine-tuning",
                  "RAG: Real-time (retrieves latest docs)", "The hybrid approach wins in production"):
        assert rows[quote].verdict == dc.NA and not rows[quote].quantities, quote
    assert len(rows) == len(dc.SEED_CLAIMS) and all(r.verdict in dc.VERDICTS for r in rows.values())


def test_a_range_claim_above_its_range_is_worse_and_straddling_is_inconclusive():
    runs = _strategy_runs(ITEMS)
    runs["prompt-only"] = _run(_record(i, True, cost=0.0009 + 1e-5 * (k % 3)) for k, i in enumerate(ITEMS))
    assert _by_quote(dc.verdicts(dc.Measured(runs)))["Prompt Engineering: $200-500"].verdict == dc.WORSE  # ~$910
    runs["prompt-only"] = _run(_record(i, True, cost=0.0002 + 0.0006 * (k % 2)) for k, i in enumerate(ITEMS[:8]))
    row = _by_quote(dc.verdicts(dc.Measured(runs)))["Prompt Engineering: $200-500"]
    assert row.verdict == dc.INCONCLUSIVE and row.quantities[0].estimate.low < 500 < row.quantities[0].estimate.high


def test_a_strategy_that_did_not_really_run_gives_na():
    runs = _strategy_runs(ITEMS)
    why = "'qwen-base (not fine-tuned)' answered: no adapter was trained"
    rows = _by_quote(dc.verdicts(dc.Measured(runs, items=ITEMS, not_real={"fine-tuned-format": why})))
    row = rows["Fine-tune when you need consistent style or format"]
    assert row.verdict == dc.NA and why in row.note and row.measured == row.note
    assert rows["Fine-Tuning: Lowest"].verdict == dc.NA
    runs["fine-tuned"] = runs.pop("fine-tuned-format")   # the knowledge adapter's run: its claims get verdicts
    rows = _by_quote(dc.verdicts(dc.Measured(runs, items=ITEMS)))
    best = rows["Fine-Tuning: Highest (internalized knowledge)"]
    assert best.verdict == dc.WORSE and [q.label for q in best.quantities] == [
        "fine-tuned - prompt-only accuracy", "fine-tuned - rag accuracy"]
    assert rows["Fine-Tuning: Lowest"].note == ""
    assert rows["Fine-tune when you need consistent style or format"].verdict == dc.NA
    with pytest.raises(ValueError, match="unknown role smollm2"):
        dc.Measured({"smollm2": runs["rag"]})


def test_freshness_verdicts_on_six_questions_are_inconclusive():
    fresh_items = [i for i in load_eval("dev") if i.updated_key_facts]
    assert len(fresh_items) == 6
    def result(k):  # noqa: E306
        run = _run(_record(i, j < k) for j, i in enumerate(fresh_items))
        return SimpleNamespace(strategy="x", action="", n=6, new_fact=run.summary.accuracy, old_fact=0.0, run=run)
    runs = _strategy_runs(ITEMS)
    runs["fine-tuned"] = runs["fine-tuned-format"]
    measured = dc.Measured(runs, items=ITEMS, freshness={"rag": result(2), "fine-tuned": result(0)})
    rows = _by_quote(dc.verdicts(measured))
    for quote in ("RAG: Real-time (retrieves latest docs)", "Fine-Tuning: Stale (frozen at training time)"):
        row = rows[quote]
        assert row.verdict == dc.INCONCLUSIVE and row.quantities[0].estimate.n == 6, quote
    assert rows["RAG: Real-time (retrieves latest docs)"].quantities[0].estimate.value == pytest.approx(2 / 6)
    measured = dc.Measured(runs, items=ITEMS, freshness={"rag": result(6), "fine-tuned": result(0)})
    rows = _by_quote(dc.verdicts(measured))
    assert rows["RAG: Real-time (retrieves latest docs)"].verdict == dc.AGREE          # 6 of 6 against 0 of 6
    assert rows["Fine-Tuning: Stale (frozen at training time)"].verdict == dc.AGREE


def test_the_json_form_carries_every_interval():
    rows = dc.verdicts(dc.Measured(_strategy_runs(ITEMS), items=ITEMS))
    data = json.loads(json.dumps([r.as_dict() for r in rows], allow_nan=False))
    assert {d["verdict"] for d in data} <= set(dc.VERDICTS)
    for d in data:
        assert set(d) >= {"seed says", "test", "verdict", "measured", "intervals"}
        for q in d["intervals"]:
            assert {"label", "claim", "value", "low", "high", "n", "method"} <= set(q) and q["low"] <= q["high"]
    assert sum(dc.counts(rows).values()) == len(dc.SEED_CLAIMS)


def test_from_strategies_maps_kinds_to_roles():
    runs = _strategy_runs(ITEMS)
    strategies = [SimpleNamespace(kind="prompt-only", name="prompt-only"), SimpleNamespace(kind="rag", name="rag"),
                  SimpleNamespace(kind="fine-tuned", name="qwen-base (not fine-tuned)", real=False),
                  SimpleNamespace(kind="hybrid", name="hybrid", role="hybrid")]
    by_name = {"prompt-only": runs["prompt-only"], "rag": runs["rag"],
               "qwen-base (not fine-tuned)": runs["fine-tuned-format"], "hybrid": runs["rag"]}
    m = dc.from_strategies(strategies, by_name, ITEMS, [SimpleNamespace(strategy="rag", run=runs["rag"])])
    assert set(m.runs) == {"prompt-only", "rag", "fine-tuned-format", "hybrid"} and set(m.freshness) == {"rag"}
    assert set(m.not_real) == {"fine-tuned-format"} and "adapter is missing" in m.not_real["fine-tuned-format"]
    knowledge = SimpleNamespace(kind="fine-tuned", name="ft-kb", role="fine-tuned")
    assert dc.role_of(knowledge) == "fine-tuned" and dc.not_real(knowledge) is None
    with pytest.raises(ValueError, match="distinct `role`"):
        dc.from_strategies(strategies[:1] * 2, by_name)


def test_paired_pairs_only_the_questions_both_runs_scored():
    runs = _strategy_runs(ITEMS)
    half = _run(runs["rag"].records[:40])
    e = paired(half, runs["prompt-only"], "accuracy")
    assert e.n == sum(r.answerable for r in runs["rag"].records[:40])


def test_a_metric_no_question_counts_toward_is_na():
    runs = _strategy_runs(ITEMS)
    runs["rag"] = _run(_record(i, True) for i in ITEMS)   # a "rag" run that never timed a retrieval
    row = _by_quote(dc.verdicts(dc.Measured(runs, items=ITEMS)))["RAG: Medium (retrieval adds 100-500ms)"]
    assert row.verdict == dc.NA and "no question counts toward retrieval ms" in row.note


def test_a_run_over_both_splits_reports_each_split_with_its_own_interval():
    from labkit.commands.compare_report import by_split, split_table, splits_as_record, splits_from_record

    tuned = _run(_record(i, correct=i.split == "dev") for i in ITEMS)  # right on dev only: tuned to dev
    parts = by_split(ITEMS, {"tuned": tuned})["tuned"]
    dev_n = sum(i.answerable for i in ITEMS if i.split == "dev")
    test_n = sum(i.answerable for i in ITEMS if i.split == "test")
    assert parts["dev"]["accuracy"].value == 1.0 and parts["dev"]["accuracy"].n == dev_n
    assert parts["test"]["accuracy"].value == 0.0 and parts["test"]["accuracy"].n == test_n
    assert parts["test"]["accuracy"].high < parts["dev"]["accuracy"].low  # the gap is a finding, not noise
    assert parts["dev"]["hallucination_rate"].n + parts["test"]["hallucination_rate"].n == len(ITEMS)
    assert f"accuracy (dev, n={dev_n})" in split_table({"tuned": parts})
    # the record's JSON form reads back to the same estimates (lesson 04 and the README block read it)
    saved = json.loads(json.dumps(splits_as_record({"tuned": parts})))
    assert splits_from_record(saved) == {"tuned": parts}
    assert by_split([i for i in ITEMS if i.split == "dev"], {"tuned": tuned}) == {}
