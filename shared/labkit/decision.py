"""The seed article's claims next to measured figures, and its decision flowchart as a function.

    from labkit.decision import Measured, verdicts, recommend
    rows = verdicts(Measured(summaries={"prompt-only": s1, "rag": s2, ...}, freshness={...}))
    recommend(knowledge_tokens=11_000, changes_often=True, needs_format=False,
              latency_budget_ms=None, retrieval_ms=40)          # -> "rag"

Every claim is quoted from the article (its decision matrix, cost table and key takeaways) and paired with
the comparison that tests it; the verdict is computed from the measurements, never written by hand. A
claim whose strategies were not measured gets the verdict "n/a". Thresholds that the article leaves vague
("Lowest", "High") are read as orderings between strategies and written into each claim's `test` text.

Strategy kinds: "prompt-only", "rag", "fine-tuned", "hybrid" (the `kind` of each labkit.strategies class).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from labkit.prompts import TOKEN_BUDGET

KINDS = ("prompt-only", "rag", "fine-tuned", "hybrid")


@dataclass
class Measured:
    """What the claims are checked against: summaries by strategy kind, freshness results by kind."""

    summaries: Mapping[str, Any]                          # kind -> labkit.evaluate.EvalSummary
    freshness: Mapping[str, Any] = field(default_factory=dict)  # kind -> labkit.strategies.Freshness

    def get(self, kind: str, attr: str) -> float | None:
        """A summary's figure, or None when the strategy was not run or the figure is undefined (NaN)."""
        summary = self.summaries.get(kind)
        value = None if summary is None else getattr(summary, attr)
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)

    def fresh(self, kind: str) -> float | None:
        result = self.freshness.get(kind)
        return None if result is None else float(result.new_fact)


Check = Callable[[Measured], tuple[str, bool | None]]


@dataclass(frozen=True)
class Claim:
    where: str      # which part of the article
    factor: str
    quote: str      # the article's words
    test: str       # how the measurement tests it
    check: Check


def _fmt(value: float | None, pattern: str) -> str:
    return "not measured" if value is None else pattern.format(value)


def _compare(attr: str, a: str, b: str, op: str, pattern: str) -> Check:
    """A check 'a op b' on one summary figure (op: '<', '<=', '>', '>=')."""
    ops = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

    def check(m: Measured) -> tuple[str, bool | None]:
        x, y = m.get(a, attr), m.get(b, attr)
        text = f"{a} {_fmt(x, pattern)} vs {b} {_fmt(y, pattern)}"
        return text, None if x is None or y is None else ops[op](x, y)
    return check


def _within(kind: str, attr: str, low: float, high: float, pattern: str, scale: float = 1) -> Check:
    def check(m: Measured) -> tuple[str, bool | None]:
        x = m.get(kind, attr)
        x = None if x is None else x * scale
        return f"{kind} {_fmt(x, pattern)}", None if x is None else low <= x <= high
    return check


def _best(attr: str, kind: str, others: tuple[str, ...], pattern: str, highest: bool = True) -> Check:
    def check(m: Measured) -> tuple[str, bool | None]:
        x = m.get(kind, attr)
        rest = {o: m.get(o, attr) for o in others if m.get(o, attr) is not None}
        text = ", ".join(f"{k} {_fmt(v, pattern)}" for k, v in {kind: x, **rest}.items())
        if x is None or not rest:
            return text, None
        return text, x >= max(rest.values()) if highest else x <= min(rest.values())
    return check


def _freshness(kind: str, other: str, fresher: bool) -> Check:
    def check(m: Measured) -> tuple[str, bool | None]:
        x, y = m.fresh(kind), m.fresh(other)
        text = f"new fact after the update: {kind} {_fmt(x, '{:.0%}')} vs {other} {_fmt(y, '{:.0%}')}"
        return text, None if x is None or y is None else (x > y if fresher else x < y)
    return check


SEED_CLAIMS: tuple[Claim, ...] = (
    Claim("decision matrix", "Latency", "RAG: Medium (retrieval adds 100-500ms)",
          "RAG's median retrieval time lies in 100-500 ms",
          _within("rag", "p50_retrieval_ms", 100, 500, "{:,.0f} ms retrieval (p50)")),
    Claim("decision matrix", "Latency", "Prompt Engineering: Lowest",
          "prompt-only answers faster than RAG (p50)",
          _compare("p50_latency_ms", "prompt-only", "rag", "<", "{:,.0f} ms")),
    Claim("decision matrix", "Latency", "Fine-Tuning: Lowest",
          "the fine-tuned model answers faster than RAG (p50)",
          _compare("p50_latency_ms", "fine-tuned", "rag", "<", "{:,.0f} ms")),
    Claim("decision matrix", "Per-Query Cost", "Fine-Tuning: Low (no retrieval step); RAG: Medium",
          "fine-tuned costs less per query than RAG",
          _compare("cost_per_query", "fine-tuned", "rag", "<", "${:.5f}")),
    Claim("decision matrix", "Per-Query Cost", "Prompt Engineering: Low-Medium (longer prompts); RAG: Medium",
          "prompt-only costs at most what RAG costs per query",
          _compare("cost_per_query", "prompt-only", "rag", "<=", "${:.5f}")),
    Claim("decision matrix", "Accuracy", "RAG: High (grounded); Prompt Engineering: Good for simple tasks",
          "RAG's key-fact accuracy is above prompt-only's",
          _compare("accuracy", "rag", "prompt-only", ">", "{:.2f}")),
    Claim("decision matrix", "Accuracy", "Fine-Tuning: Highest (internalized knowledge)",
          "fine-tuned accuracy is the highest of the three strategies",
          _best("accuracy", "fine-tuned", ("prompt-only", "rag"), "{:.2f}")),
    Claim("decision matrix", "Hallucination Risk", "RAG: Low (cites sources); Prompt Engineering: Medium-High",
          "RAG hallucinates less often than prompt-only",
          _compare("hallucination_rate", "rag", "prompt-only", "<", "{:.2f}")),
    Claim("key takeaways", "Hallucination", "RAG reduces hallucination better than fine-tuning",
          "RAG hallucinates less often than the fine-tuned model",
          _compare("hallucination_rate", "rag", "fine-tuned", "<", "{:.2f}")),
    Claim("decision matrix", "Data Freshness", "RAG: Real-time (retrieves latest docs)",
          "after re-indexing, RAG states the new facts more often than the fine-tuned model",
          _freshness("rag", "fine-tuned", fresher=True)),
    Claim("decision matrix", "Data Freshness", "Fine-Tuning: Stale (frozen at training time)",
          "without retraining, the fine-tuned model states the new facts less often than RAG",
          _freshness("fine-tuned", "rag", fresher=False)),
    Claim("cost table", "Monthly (1M queries)", "Prompt Engineering: $200-500",
          "prompt-only $ per 1M queries (measured tokens x dated price) lies in $200-500",
          _within("prompt-only", "cost_per_query", 200, 500, "${:,.0f} per 1M", scale=1e6)),
    Claim("cost table", "Monthly (1M queries)", "RAG: $300-800",
          "RAG $ per 1M queries lies in $300-800",
          _within("rag", "cost_per_query", 300, 800, "${:,.0f} per 1M", scale=1e6)),
    Claim("cost table", "Monthly (1M queries)", "Fine-Tuning: $150-400 + hosting",
          "fine-tuned $ per 1M queries (tokens only, no hosting) lies in $150-400",
          _within("fine-tuned", "cost_per_query", 150, 400, "${:,.0f} per 1M", scale=1e6)),
    Claim("key takeaways", "Format", "Fine-tune when you need consistent style or format",
          "the fine-tuned model follows its trained format in at least 90% of answers",
          _within("fine-tuned", "format_ok", 0.9, 1.0, "{:.0%} in format")),
    Claim("key takeaways", "Hybrid", "The hybrid approach wins in production",
          "the hybrid's accuracy is the highest of all strategies",
          _best("accuracy", "hybrid", ("prompt-only", "rag", "fine-tuned"), "{:.2f}")),
)


def verdict_text(agrees: bool | None) -> str:
    return "n/a" if agrees is None else ("agree" if agrees else "disagree")


def verdicts(measured: Measured, claims: tuple[Claim, ...] = SEED_CLAIMS) -> list[dict]:
    """One row per claim: where, factor, the seed's words, the test, the measured figures, the verdict."""
    rows = []
    for claim in claims:
        text, agrees = claim.check(measured)
        rows.append({"where": claim.where, "factor": claim.factor, "seed says": claim.quote, "test": claim.test,
                     "measured": text, "verdict": verdict_text(agrees)})
    return rows


# ----------------------------------------------------------------------------------------------
# The decision flowchart, from measured inputs
# ----------------------------------------------------------------------------------------------
def recommend(knowledge_tokens: int, changes_often: bool, needs_format: bool, latency_budget_ms: float | None,
              retrieval_ms: float, budget: int = TOKEN_BUDGET) -> str:
    """The seed's flowchart as a function; returns one of KINDS.

    1. Knowledge fits the prompt (`knowledge_tokens` < `budget`) and does not change often: prompt-only.
    2. Large (does not fit) or changing knowledge: add RAG ...
    4. ... unless the measured `retrieval_ms` alone exceeds the latency budget and the knowledge is stable:
       then fine-tune the knowledge in.
    3./5. Needing a consistent format adds fine-tuning: fine-tuned alone, or the hybrid with RAG.
    """
    needs_retrieval = knowledge_tokens >= budget or changes_often
    too_slow = latency_budget_ms is not None and retrieval_ms > latency_budget_ms
    if needs_retrieval and too_slow and not changes_often:
        return "fine-tuned"
    if needs_retrieval:
        return "hybrid" if needs_format else "rag"
    return "fine-tuned" if needs_format else "prompt-only"
