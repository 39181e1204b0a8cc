"""The seed article's claims tested against measured 95% intervals, and its decision flowchart as a function.

    from labkit.decision import Measured, verdicts, recommend
    measured = Measured(runs={"prompt-only": run1, "rag": run2}, items=questions)   # runs keyed by role
    for v in verdicts(measured):
        print(v.verdict, "|", v.measured)    # e.g. "inconclusive | rag - prompt-only accuracy +0.11 [-0.05, +0.27]"
    recommend(knowledge_tokens=11_000, changes_often=True, needs_format=False,
              latency_budget_ms=None, retrieval_ms=40)          # -> "rag"

Every claim is quoted from the article (its decision matrix, cost table and key takeaways) and paired with
the quantity that tests it. A verdict is computed, never written by hand:
- "agree" / "disagree": only when the 95% interval of the tested quantity lies wholly on one side of the
  claim's boundary (a range claim: wholly inside, or wholly outside, the claimed range);
- a disagreement says which way it fails: "disagree (better than claimed)" (retrieval takes 19 ms where
  the seed says 100-500 ms) or "disagree (worse than claimed)";
- "inconclusive": the interval straddles the boundary, so these questions cannot tell;
- "n/a": a strategy the test needs did not run, or did not really run (a base model standing in for a
  fine-tuned one because no adapter was trained).
Two strategies are compared on the same questions (paired differences, labkit.intervals.paired).

Runs are keyed by *role* (ROLES): "fine-tuned" is the adapter trained on knowledge-base Q&A (the seed's
"internalized knowledge"), "fine-tuned-format" the support-ticket format adapter ("fine-tune for format"),
"hybrid" the seed's hybrid pipeline. Latency and cost claims about "Fine-Tuning" use the knowledge
adapter's run, or the format adapter's when that is the only one (both read no documents).
Lesson 04 and `labkit compare` use this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labkit.data import EvalItem
from labkit.evaluate import EvalRun
from labkit.intervals import METRIC, cluster_labels, estimate, paired
from labkit.prompts import TOKEN_BUDGET
from labkit.stats import Estimate

KINDS = ("prompt-only", "rag", "fine-tuned", "hybrid")   # strategy kinds (labkit.strategies); `recommend`'s answers
ROLES = ("prompt-only", "prompt-whole-kb", "prompt-format", "rag", "fine-tuned", "fine-tuned-format", "hybrid")
AGREE, INCONCLUSIVE, NA = "agree", "inconclusive", "n/a"
BETTER, WORSE = "disagree (better than claimed)", "disagree (worse than claimed)"
VERDICTS = (AGREE, BETTER, WORSE, INCONCLUSIVE, NA)
FINE_TUNED_ANY = ("fine-tuned", "fine-tuned-format")     # for the latency and cost claims


@dataclass
class Measured:
    """What the claims are tested against: eval runs and freshness results keyed by role, the questions
    asked (their gold sources cluster the intervals) and the roles whose run is not what the role claims."""

    runs: Mapping[str, EvalRun]
    items: Sequence[EvalItem] = ()
    freshness: Mapping[str, Any] = field(default_factory=dict)  # role -> labkit.strategies.Freshness
    not_real: Mapping[str, str] = field(default_factory=dict)   # role -> why it is n/a (e.g. no adapter)
    seed: int = 0                                               # of the bootstrap intervals
    effort: Mapping[str, Mapping[str, Estimate]] = field(default_factory=dict)  # "setup"/"iteration" -> role -> s
    volume: Sequence[Any] = ()                                  # labkit.effort.VolumePoint, smallest first

    def __post_init__(self) -> None:
        unknown = sorted((set(self.runs) | set(self.freshness) | set(self.not_real)) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role {', '.join(unknown)}: runs are keyed by one of {', '.join(ROLES)}")
        self.clusters = cluster_labels(self.items) if self.items else None

    def missing(self, role: str, freshness: bool = False) -> str | None:
        """Why `role` cannot be used (None: it can)."""
        if role in self.not_real:
            return f"{role}: {self.not_real[role]}"
        if role not in (self.freshness if freshness else self.runs):
            return f"no {role} {'freshness result' if freshness else 'run'}"
        return None

    def first(self, roles: Sequence[str], freshness: bool = False) -> str | None:
        """The first of `roles` that can be used (None: none can)."""
        return next((r for r in roles if self.missing(r, freshness) is None), None)

    def estimate(self, role: str, metric: str) -> Estimate:
        return estimate(self.runs[role], metric, self.clusters, self.seed)

    def paired(self, a: str, b: str, metric: str, freshness: bool = False) -> Estimate:
        runs = {r: f.run for r, f in self.freshness.items()} if freshness else self.runs
        return paired(runs[a], runs[b], metric, self.clusters, self.seed)


@dataclass(frozen=True)
class Quantity:
    """A tested quantity: what it is, its estimate, how to print it and the claim it is held against."""

    label: str
    estimate: Estimate
    pattern: str
    claim: str      # e.g. "< 0", "in [100, 500]"

    @property
    def text(self) -> str:
        return f"{self.label} {self.estimate.format(self.pattern)}"

    def as_dict(self) -> dict:
        return {"label": self.label, "claim": self.claim, **self.estimate.as_dict()}


Outcome = tuple[str, tuple[Quantity, ...], str]   # (verdict, quantities, note)
Check = Callable[[Measured], Outcome]


@dataclass(frozen=True)
class Claim:
    where: str      # which part of the article
    factor: str
    quote: str      # the article's words
    test: str       # how the measurement tests it
    check: Check


@dataclass(frozen=True)
class Verdict:
    """One claim's row: the seed's words, the test, every interval, the verdict (one of VERDICTS)."""

    where: str
    factor: str
    quote: str
    test: str
    verdict: str
    quantities: tuple[Quantity, ...]
    note: str = ""

    @property
    def measured(self) -> str:
        return "; ".join(q.text for q in self.quantities) or self.note

    def row(self) -> dict:
        """For a table (labkit.evaluate.format_table)."""
        return {"factor": self.factor, "seed says": self.quote, "test": self.test, "measured": self.measured,
                "verdict": self.verdict}

    def as_dict(self) -> dict:
        """JSON-able: every interval with value, low, high, n and method."""
        return {"where": self.where, "factor": self.factor, "seed says": self.quote, "test": self.test,
                "verdict": self.verdict, "measured": self.measured, "note": self.note,
                "intervals": [q.as_dict() for q in self.quantities]}


def _side(e: Estimate, boundary: float) -> int:
    """+1: the interval lies above the boundary, -1: below, 0: it contains it (or is unknown)."""
    return 1 if e.above(boundary) else -1 if e.below(boundary) else 0


def _failed(measured_higher: bool, higher_is_better: bool) -> str:
    return BETTER if measured_higher == higher_is_better else WORSE


def _judge(e: Estimate, sign: str, higher_is_better: bool) -> str:
    """A paired difference against 0 for the claim 'difference {sign} 0'."""
    side = _side(e, 0.0)
    if side == 0:
        return INCONCLUSIVE
    holds = side == (1 if sign == ">" else -1)
    return AGREE if holds else _failed(side == 1, higher_is_better)


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
        if e.low >= low and e.high <= high:
            verdict = AGREE
        elif e.below(low) or e.above(high):
            verdict = _failed(e.above(high), higher_is_better)
        else:
            verdict = INCONCLUSIVE
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
        reason = _why_not(m, roles, freshness) if first is None else m.missing(b, freshness)
        if reason:
            return NA, (), reason
        e = m.paired(first, b, metric, freshness)
        if e.n == 0:
            return NA, (), f"no question that both {first} and {b} answered counts toward {_label(metric)}"
        q = Quantity(f"{first} - {b} {'new facts' if freshness else _label(metric)}", e, pattern, f"{sign} 0")
        return _judge(e, sign, higher_is_better), (q,), _fallback(m, roles, first, freshness)
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
        found = [_judge(q.estimate, ">", True) for q in qs]
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
    return _judge(e, ">", True), (q,), note


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
    Claim("key takeaways", "Format", "Fine-tune when you need consistent style or format",
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


def counts(rows: Iterable[Verdict]) -> dict[str, int]:
    """{verdict: how many rows} for every verdict of VERDICTS."""
    rows = list(rows)
    return {v: sum(r.verdict == v for r in rows) for v in VERDICTS}


# ----------------------------------------------------------------------------------------------
# From labkit.strategies objects to roles
# ----------------------------------------------------------------------------------------------
# Today's FineTuned strategy serves module 3's support-ticket adapter: the format role. A strategy may
# name its role itself with a `role` attribute (e.g. a knowledge-tuned variant: role = "fine-tuned").
ROLE_OF_KIND = {"prompt-only": "prompt-only", "rag": "rag", "fine-tuned": "fine-tuned-format", "hybrid": "hybrid"}


def role_of(strategy: Any) -> str:
    return getattr(strategy, "role", None) or ROLE_OF_KIND[strategy.kind]


def not_real(strategy: Any) -> str | None:
    """Why the strategy does not stand for its role (None: it does): a base model answering for a
    fine-tuned one because its adapter is missing (labkit.strategies sets `real = False`)."""
    if not getattr(strategy, "real", True):
        return f"'{strategy.name}' answered: the adapter is missing, so the base model stood in"
    return None


def from_strategies(strategies: Sequence[Any], runs: Mapping[str, EvalRun], items: Sequence[EvalItem] = (),
                    freshness: Sequence[Any] = (), effort: Mapping[str, Mapping[str, Estimate]] | None = None,
                    volume: Sequence[Any] = ()) -> Measured:
    """Measured from `labkit.strategies.compare`'s {name: run}, `measure_freshness`'s results and, when
    given, labkit.effort's setup / iteration times and knowledge-volume curve."""
    roles = [role_of(s) for s in strategies]
    doubled = sorted({r for r in roles if roles.count(r) > 1})
    if doubled:
        raise ValueError(f"two strategies have the role {', '.join(doubled)}: give each a distinct `role`")
    fresh = {f.strategy: f for f in freshness}
    return Measured(runs={role_of(s): runs[s.name] for s in strategies}, items=items,
                    freshness={role_of(s): fresh[s.name] for s in strategies if s.name in fresh},
                    not_real={role_of(s): why for s in strategies if (why := not_real(s))},
                    effort=effort or {}, volume=volume)


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
