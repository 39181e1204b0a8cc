"""The seed article's claims, quoted, each with the test that decides it, and `verdicts` that runs them.

The table (SEED_CLAIMS) is declarative on purpose: one row per claim, the article's words, where they are
from, and how the measurement tests them; a reader checks a row against the article without reading code.
The builders above it turn "RAG is more accurate than prompt-only" into a paired comparison on the same
questions, "$300-800 per 1M queries" into an interval against a range, and so on. Lesson 04 section 4.
"""

from __future__ import annotations

from collections.abc import Sequence

from labkit.decision.verdicts import (
    AGREE,
    FINE_TUNED_ANY,
    INCONCLUSIVE,
    NA,
    WORSE,
    Check,
    Claim,
    Measured,
    Outcome,
    Quantity,
    Verdict,
    difference_verdict,
    range_verdict,
)
from labkit.intervals import METRIC


def _label(metric: str) -> str:
    return METRIC[metric].label if metric in METRIC else metric


def _why_not(m: Measured, roles: Sequence[str], freshness: bool = False) -> str:
    return "; ".join(m.missing(r, freshness) or "" for r in roles)


def _fallback(m: Measured, roles: Sequence[str], used: str, freshness: bool = False) -> str:
    return "" if used == roles[0] else f"{m.missing(roles[0], freshness)}: used {used}'s run"


def _range(roles: Sequence[str], metric: str, low: float, high: float, pattern: str,
           higher_is_better: bool = False) -> Check:
    """The measured interval of `metric` (first usable role of `roles`) against the claimed [low, high]."""
    def check(m: Measured) -> Outcome:
        role = m.first(roles)
        if role is None:
            return NA, (), _why_not(m, roles)
        e = m.estimate(role, metric)
        if e.n == 0:
            return NA, (), f"{role}: no question counts toward {_label(metric)}"
        verdict = range_verdict(e, low, high, higher_is_better)
        q = Quantity(f"{role} {_label(metric)}", e, pattern, f"in [{low:g}, {high:g}]")
        return verdict, (q,), _fallback(m, roles, role)
    return check


def _compare(metric: str, a: Sequence[str] | str, b: str, sign: str, pattern: str,
             higher_is_better: bool, freshness: bool = False) -> Check:
    """The paired difference a - b of `metric` on the same questions, for the claim 'a - b {sign} 0'
    (a: a role, or roles to take the first usable of; freshness: the runs after the knowledge update)."""
    roles = (a,) if isinstance(a, str) else tuple(a)

    def check(m: Measured) -> Outcome:
        first = m.first(roles, freshness)
        if first is None:
            return NA, (), _why_not(m, roles, freshness)
        reason = m.missing(b, freshness)
        if reason:
            return NA, (), reason
        e = m.paired(first, b, metric, freshness)
        if e.n == 0:
            return NA, (), f"no question that both {first} and {b} answered counts toward {_label(metric)}"
        q = Quantity(f"{first} - {b} {'new facts' if freshness else _label(metric)}", e, pattern, f"{sign} 0")
        return difference_verdict(e, sign, higher_is_better), (q,), _fallback(m, roles, first, freshness)
    return check


def _best(metric: str, role: str, others: Sequence[str], pattern: str) -> Check:
    """`role` beats each measured other on `metric` (paired differences, higher is better)."""
    def check(m: Measured) -> Outcome:
        if m.missing(role):
            return NA, (), m.missing(role) or ""
        rest = [o for o in others if m.missing(o) is None]
        left_out = "; ".join(m.missing(o) or "" for o in others if o not in rest)
        if not rest:
            return NA, (), left_out
        qs = tuple(Quantity(f"{role} - {o} {_label(metric)}", m.paired(role, o, metric), pattern, "> 0")
                   for o in rest)
        qs = tuple(q for q in qs if q.estimate.n > 0)
        if not qs:
            return NA, (), f"no question that {role} and another strategy answered counts toward {_label(metric)}"
        found = [difference_verdict(q.estimate, ">", True) for q in qs]
        verdict = WORSE if WORSE in found else AGREE if all(v == AGREE for v in found) else INCONCLUSIVE
        return verdict, qs, f"left out: {left_out}" if left_out else ""
    return check


def _order(what: str, roles: Sequence[str]) -> Check:
    """Seconds of `what` ("setup" or "iteration", labkit.effort) rise in the order of `roles`: agree when
    each interval lies below the next one's, worse when one lies above it, else inconclusive."""
    def check(m: Measured) -> Outcome:
        times = m.effort.get(what, {})
        missing = [r for r in roles if r not in times or times[r].n == 0]
        if missing:
            return NA, (), f"no {what} time for {', '.join(missing)}"
        qs = tuple(Quantity(f"{r} {what} s", times[r], "{:,.1f}", "increasing") for r in roles)
        pairs = [(times[a], times[b]) for a, b in zip(roles, roles[1:])]
        if all(x.high < y.low for x, y in pairs):
            verdict = AGREE
        elif any(x.low > y.high for x, y in pairs):
            verdict = WORSE
        else:
            verdict = INCONCLUSIVE
        return verdict, qs, "machine time only: writing documents, prompts or training data is not counted"
    return check


def _volume(m: Measured) -> Outcome:
    """At the largest knowledge base measured, RAG - prompt-only accuracy on the same questions > 0."""
    if not m.volume:
        return NA, (), "the knowledge-volume curve was not measured (labkit.effort.volume_curve)"
    from labkit.intervals import paired as paired_runs

    top = m.volume[-1]
    e = paired_runs(top.rag, top.prompt_only, "accuracy", None, m.seed)
    q = Quantity(f"rag - prompt-only accuracy at {top.fraction:.0%} of the budget", e, DIFF, "> 0")
    note = (f"{top.n_docs} documents, {top.kb_tokens:,} tokens; prompt-only carries {top.prompt_docs} of them")
    return difference_verdict(e, ">", True), (q,), note


RATE, DIFF = "{:.2f}", "{:+.2f}"
SEED_CLAIMS: tuple[Claim, ...] = (
    Claim("decision matrix", "Latency", "RAG: Medium (retrieval adds 100-500ms)",
          "RAG's median retrieval time lies in 100-500 ms",
          _range(("rag",), "p50_retrieval_ms", 100, 500, "{:,.0f}")),
    Claim("decision matrix", "Latency", "Prompt Engineering: Lowest",
          "prompt-only answers faster than RAG (difference of medians < 0)",
          _compare("p50_latency_ms", "prompt-only", "rag", "<", "{:+,.0f}", higher_is_better=False)),
    Claim("decision matrix", "Latency", "Fine-Tuning: Lowest",
          "the fine-tuned model answers faster than RAG (difference of medians < 0)",
          _compare("p50_latency_ms", FINE_TUNED_ANY, "rag", "<", "{:+,.0f}", higher_is_better=False)),
    Claim("decision matrix", "Per-Query Cost", "Fine-Tuning: Low (no retrieval step); RAG: Medium",
          "fine-tuned costs less per query than RAG",
          _compare("cost_per_query", FINE_TUNED_ANY, "rag", "<", "{:+.5f}", higher_is_better=False)),
    Claim("decision matrix", "Per-Query Cost", "Prompt Engineering: Low-Medium (longer prompts); RAG: Medium",
          "prompt-only costs less per query than RAG",
          _compare("cost_per_query", "prompt-only", "rag", "<", "{:+.5f}", higher_is_better=False)),
    Claim("decision matrix", "Accuracy", "RAG: High (grounded); Prompt Engineering: Good for simple tasks",
          "RAG's key-fact accuracy is above prompt-only's",
          _compare("accuracy", "rag", "prompt-only", ">", DIFF, higher_is_better=True)),
    Claim("decision matrix", "Accuracy", "Fine-Tuning: Highest (internalized knowledge)",
          "the knowledge-tuned model's accuracy is above prompt-only's and RAG's",
          _best("accuracy", "fine-tuned", ("prompt-only", "rag"), DIFF)),
    Claim("decision matrix", "Hallucination Risk", "RAG: Low (cites sources); Prompt Engineering: Medium-High",
          "RAG hallucinates less often than prompt-only",
          _compare("hallucination_rate", "rag", "prompt-only", "<", DIFF, higher_is_better=False)),
    Claim("key takeaways", "Hallucination", "RAG reduces hallucination better than fine-tuning",
          "RAG hallucinates less often than the knowledge-tuned model",
          _compare("hallucination_rate", "rag", "fine-tuned", "<", DIFF, higher_is_better=False)),
    Claim("decision matrix", "Data Freshness", "RAG: Real-time (retrieves latest docs)",
          "after re-indexing, RAG states the new facts more often than the knowledge-tuned model",
          _compare("accuracy", "rag", "fine-tuned", ">", DIFF, higher_is_better=True, freshness=True)),
    Claim("decision matrix", "Data Freshness", "Fine-Tuning: Stale (frozen at training time)",
          "without retraining, the knowledge-tuned model states the new facts less often than RAG",
          _compare("accuracy", "fine-tuned", "rag", "<", DIFF, higher_is_better=True, freshness=True)),
    Claim("cost table", "Monthly (1M queries)", "Prompt Engineering: $200-500",
          "prompt-only $ per 1M queries (measured tokens x dated price) lies in $200-500",
          _range(("prompt-only",), "cost_per_million", 200, 500, "{:,.0f}")),
    Claim("cost table", "Monthly (1M queries)", "RAG: $300-800",
          "RAG $ per 1M queries lies in $300-800",
          _range(("rag",), "cost_per_million", 300, 800, "{:,.0f}")),
    Claim("cost table", "Monthly (1M queries)", "Fine-Tuning: $150-400 + hosting",
          "fine-tuned $ per 1M queries (tokens only, no hosting) lies in $150-400",
          _range(FINE_TUNED_ANY, "cost_per_million", 150, 400, "{:,.0f}")),
    Claim("key takeaways", "Format", "Fine-tune when you need consistent style or format",
          "the format-tuned model follows its trained format in at least 90% of answers",
          _range(("fine-tuned-format",), "format_ok", 0.9, 1.0, "{:.0%}", higher_is_better=True)),
    Claim("decision flowchart", "Format", "Is the model not following your format/style consistently? "
          "-> Consider fine-tuning",
          "the format-tuned model follows the format more often than the base model prompted with two "
          "training tickets as examples",
          _compare("format_ok", "fine-tuned-format", "prompt-format", ">", DIFF, higher_is_better=True)),
    Claim("key takeaways", "Knowledge", "Fine-tune ... not for adding factual knowledge (use RAG for that)",
          "RAG's accuracy is above the knowledge-tuned model's",
          _compare("accuracy", "rag", "fine-tuned", ">", DIFF, higher_is_better=True)),
    Claim("decision matrix", "Accuracy", "RAG: High (grounded in real documents)",
          "RAG's accuracy is above the whole knowledge base in one cached prompt",
          _compare("accuracy", "rag", "prompt-whole-kb", ">", DIFF, higher_is_better=True)),
    Claim("decision matrix", "Knowledge Volume", "Prompt Engineering: Small (fits in context window); "
          "RAG: Unlimited (retrieve as needed)",
          "with a knowledge base of twice the prompt budget, RAG's accuracy is above prompt-only's",
          _volume),
    Claim("cost table", "Time to first result", "Hours (prompt) / Days (RAG) / Weeks (fine-tuning)",
          "building from nothing takes prompt-only < RAG < fine-tuning",
          _order("setup", ("prompt-only", "rag", "fine-tuned"))),
    Claim("cost table", "Iteration speed", "Minutes (prompt) / Hours (RAG) / Days-Weeks (fine-tuning)",
          "applying one changed fact takes prompt-only < RAG < fine-tuning",
          _order("iteration", ("prompt-only", "rag", "fine-tuned"))),
    Claim("key takeaways", "Hybrid", "The hybrid approach wins in production",
          "the hybrid's accuracy is above every other strategy's",
          _best("accuracy", "hybrid", ("prompt-only", "rag", "fine-tuned", "fine-tuned-format"), DIFF)),
)




def verdicts(measured: Measured, claims: Sequence[Claim] = SEED_CLAIMS) -> list[Verdict]:
    """One Verdict per claim, in the order of `claims`."""
    rows = []
    for claim in claims:
        verdict, quantities, note = claim.check(measured)
        rows.append(Verdict(claim.where, claim.factor, claim.quote, claim.test, verdict, quantities, note))
    return rows


