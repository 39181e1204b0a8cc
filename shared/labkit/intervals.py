"""Every metric of an eval run with its 95% interval, and paired differences between two runs.

    from labkit.intervals import run_estimates, paired, cluster_labels
    est = run_estimates(run, items)                 # {"accuracy": Estimate(0.35, 0.24, 0.48, ...), ...}
    print(est["accuracy"].format())                 # 0.35 [0.24, 0.48]
    diff = paired(rag_run, prompt_run, "accuracy", cluster_labels(items))   # rag - prompt-only, same questions

`labkit.evaluate.summarize` gives the point values; this module gives the same figures (the names of
`EvalSummary`'s fields) with intervals from `labkit.stats` and `labkit.paired`: rates with Wilson
intervals, percentiles and the means of tokens and cost with a seeded (cluster) bootstrap, which stays
inside what was observed: one uncached first prompt of 5,000 tokens among eighty cached ones of 30 is
too skewed for mean +- 1.96 SE, whose interval went below zero tokens. Questions that share
a gold source document are one cluster (`cluster_labels`): they stand or fall together, which widens the
intervals honestly.
Records are read only through EvalRecord's public fields and properties. `labkit compare`, lesson 04 and
`labkit.decision` use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from labkit import paired as pairs
from labkit import stats
from labkit.data import EvalItem
from labkit.evaluate import EvalRecord, EvalRun
from labkit.stats import Estimate


@dataclass(frozen=True)
class Metric:
    """One figure of EvalSummary: how each question scores on it and which interval it gets."""

    name: str       # the EvalSummary field (cost_per_million: its property)
    label: str      # column header
    kind: Literal["rate", "mean", "percentile"]  # "mean": bootstrap mean (skewed, never negative)
    score: Callable[[EvalRecord], Any]   # the question's value; None: the question does not count
    fmt: str        # how to print it
    q: float = 50   # for percentiles
    scale: float = 1


def _answerable(value: Callable[[EvalRecord], Any]) -> Callable[[EvalRecord], Any]:
    return lambda r: value(r) if r.answerable else None


METRICS: tuple[Metric, ...] = (
    Metric("accuracy", "accuracy", "rate", _answerable(lambda r: r.correct), "{:.2f}"),
    Metric("hallucination_rate", "hallucination", "rate", lambda r: r.hallucinated, "{:.2f}"),
    Metric("citation_accuracy", "citation", "rate", lambda r: r.citation_ok, "{:.2f}"),
    Metric("refusal_correct", "refusal", "rate", lambda r: r.correct_refusal, "{:.2f}"),
    Metric("false_refusal", "false refusal", "rate", _answerable(lambda r: r.refused), "{:.2f}"),
    Metric("format_ok", "format", "rate", lambda r: r.format_ok, "{:.2f}"),
    Metric("p50_latency_ms", "p50 ms", "percentile", lambda r: r.latency_ms, "{:,.0f}", q=50),
    Metric("p95_latency_ms", "p95 ms", "percentile", lambda r: r.latency_ms, "{:,.0f}", q=95),
    Metric("p50_retrieval_ms", "retrieval ms", "percentile", lambda r: r.retrieval_ms, "{:,.0f}", q=50),
    Metric("mean_input_tokens", "in tokens", "mean", lambda r: r.input_tokens, "{:,.0f}"),
    Metric("mean_output_tokens", "out tokens", "mean", lambda r: r.output_tokens, "{:,.0f}"),
    Metric("cost_per_query", "$/query", "mean", lambda r: r.cost_usd, "{:.5f}"),
    Metric("cost_per_million", "$/1M queries", "mean", lambda r: r.cost_usd, "{:,.0f}", scale=1_000_000),
)
METRIC = {m.name: m for m in METRICS}


def cluster_labels(items: Sequence[EvalItem]) -> dict[str, str]:
    """{question id: cluster}: the question's first gold source (the document it was written from);
    a question without a source (unanswerable) is a cluster of its own."""
    return {item.id: item.sources[0] if item.sources else f"(no source) {item.id}" for item in items}


def _metric(metric: str | Metric) -> Metric:
    if isinstance(metric, Metric):
        return metric
    if metric not in METRIC:
        raise ValueError(f"unknown metric {metric!r}: choose from {', '.join(METRIC)}")
    return METRIC[metric]


def scores(run: EvalRun, metric: str | Metric) -> dict[str, float]:
    """{question id: value} of the questions that count toward `metric` (e.g. accuracy: answerable ones)."""
    m = _metric(metric)
    values = {r.id: m.score(r) for r in run.records}
    return {k: float(v) for k, v in values.items() if v is not None}


def _labels(ids: Sequence[str], clusters: Mapping[str, str] | None) -> list[str] | None:
    if not clusters:
        return None
    missing = [i for i in ids if i not in clusters]
    if missing:
        raise ValueError(f"question {missing[0]} has no cluster label: pass the eval items the run answered "
                         f"(cluster_labels(items)), {len(missing)} missing in all")
    return [clusters[i] for i in ids]


def estimate(run: EvalRun, metric: str | Metric, clusters: Mapping[str, str] | None = None,
             seed: int = 0) -> Estimate:
    """One metric of `run` with its 95% interval; clusters: {question id: label} (see cluster_labels)."""
    m = _metric(metric)
    values = scores(run, m)
    labels = _labels(list(values), clusters)
    x = list(values.values())
    if m.kind == "rate":
        result = stats.rate(x, labels)
    elif m.kind == "mean":
        result = stats.bootstrap(x, lambda v: float(v.mean()), labels, seed=seed, name="mean")
    else:
        result = stats.percentile(x, m.q, labels, seed=seed)
    return result.scaled(m.scale) if m.scale != 1 else result


def run_estimates(run: EvalRun, items: Sequence[EvalItem] | None = None, seed: int = 0) -> dict[str, Estimate]:
    """Every metric of METRICS for `run`, clustered by gold source when `items` (the questions asked) are given."""
    clusters = cluster_labels(items) if items else None
    return {m.name: estimate(run, m, clusters, seed) for m in METRICS}


def paired(run_a: EvalRun, run_b: EvalRun, metric: str | Metric, clusters: Mapping[str, str] | None = None,
           seed: int = 0) -> Estimate:
    """metric(a) - metric(b) on the questions both runs scored: paired rates (McNemar), paired means
    (Miller), or a paired bootstrap of the percentile difference."""
    m = _metric(metric)
    a, b = scores(run_a, m), scores(run_b, m)
    ids = [i for i in a if i in b]
    labels = _labels(ids, clusters)
    x, y = [a[i] for i in ids], [b[i] for i in ids]
    if m.kind == "rate":
        result = pairs.paired_rate_diff(x, y, labels)
    elif m.kind == "mean":
        result = pairs.paired_mean_diff(x, y, labels)
    else:
        result = pairs.paired_bootstrap(x, y, lambda v: float(np.percentile(v, m.q)), labels, seed=seed,
                                        name=f"p{m.q:g} difference")
    return result.scaled(m.scale) if m.scale != 1 else result


def freshness_estimates(result: Any, clusters: Mapping[str, str] | None = None) -> dict[str, Estimate]:
    """new_fact and old_fact of a labkit.strategies.Freshness with intervals (a handful of questions: wide).
    new_fact is the accuracy of its run against the updated facts; old_fact is a share of the same n."""
    new = estimate(result.run, "accuracy", clusters)
    n = result.n
    low, high = stats.wilson(round(result.old_fact * n), n)
    return {"new_fact": new, "old_fact": Estimate(float(result.old_fact), low, high, n, "wilson")}
