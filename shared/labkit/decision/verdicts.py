"""Verdicts from intervals: what is measured (keyed by role), a tested quantity, a verdict row, and the two
rules every claim uses. Lesson 04 section 4 and lab exercise 4.6; the claims themselves are in claims.py.

- `range_verdict`: a measured interval against a claimed range [low, high];
- `difference_verdict`: a paired difference of two strategies against 0.
Both say "agree" or "disagree" only when the interval lies wholly on one side, and which way a claim
fails ("better than claimed" or "worse than claimed"); otherwise "inconclusive"; "n/a" when nothing was
measured.
"""


from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labkit.data import EvalItem
from labkit.evaluate import EvalRun
from labkit.intervals import cluster_labels, estimate, paired
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


def difference_verdict(e: Estimate, sign: str, higher_is_better: bool) -> str:
    """The verdict on a paired difference for the claim 'difference {sign} 0' (sign '>' or '<'):
    agree / disagree (better or worse than claimed) when the interval excludes 0, else inconclusive."""
    side = _side(e, 0.0)
    if side == 0:
        return INCONCLUSIVE
    holds = side == (1 if sign == ">" else -1)
    return AGREE if holds else _failed(side == 1, higher_is_better)


def range_verdict(e: Estimate, low: float, high: float, higher_is_better: bool = False) -> str:
    """The verdict on a measured interval for the claim 'the quantity lies in [low, high]' (use -inf or inf
    for a one-sided claim): agree when the whole interval is inside, disagree (better or worse than claimed)
    when it lies wholly outside, inconclusive when it straddles an end, n/a when nothing was measured."""
    if e.n == 0:
        return NA
    if e.low >= low and e.high <= high:
        return AGREE
    if e.below(low) or e.above(high):
        return _failed(e.above(high), higher_is_better)
    return INCONCLUSIVE


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


