"""Score NL->SQL replies by running them: one record per question, and the summary of a run.

Used by the NL->SQL lesson and lab (issue 18) and by `labkit.nl2sql.runner`. Per question (`SqlRecord`):

* `correct`: execution accuracy. The reply's SQL (`output.extract_sql`) returns the same rows as the gold
  query on the AcmeCorp DuckDB database (`labkit.sqlcheck.compare`); for a question that asks for an order
  (`pair.ordered`: "top 5 ..., highest first") the rows must also come back in the same order.
* `format_ok`: the raw reply is exactly one SELECT and nothing else (`output.format_problem`).
* `valid`: the SQL ran (one SELECT that DuckDB parsed, bound and finished within the timeout), whatever it
  returned. Invalid-SQL rate = 1 - mean(valid). `message` is DuckDB's message when it did not run, else
  the comparison's reason ("same rows", "expected 12 rows, got 300").
* latency, input and output tokens (the reply's honest `usage`) and the cost of the call at `price_model`'s
  prices (`labkit.costs.cost_per_query`; offline the tokens are the local model's, so the cost estimates the
  same traffic on that model).

The records are plain frozen dataclasses with boolean outcomes, so `labkit.stats` can put 95% intervals on
any rate and compare two strategies pair by pair (`paired`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from labkit import costs, sqlcheck
from labkit.data import SqlPair
from labkit.evaluate import Reply, percentile
from labkit.models import DEFAULT_MODEL
from labkit.nl2sql.output import extract_sql, format_problem

DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class SqlRecord:
    """One question's result (see the module docstring)."""

    id: str
    difficulty: str
    ordered: bool
    correct: bool
    format_ok: bool
    valid: bool
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float
    text: str                 # the model's raw reply
    sql: str                  # what was executed: extract_sql(text)
    message: str              # DuckDB's error, or the comparison's reason
    format_problem: str | None = None
    retrieval_ms: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def score(pair: SqlPair, reply: Reply, latency_ms: float, db_path: str | Path,
          price_model: str = DEFAULT_MODEL) -> SqlRecord:
    """Grade one reply to `pair` on the database at `db_path`."""
    sql = extract_sql(reply.text)
    verdict = sqlcheck.compare(pair.sql, sql, db_path, ordered=pair.ordered)
    problem = format_problem(reply.text)
    return SqlRecord(
        id=pair.id, difficulty=pair.difficulty, ordered=pair.ordered, correct=verdict.match,
        format_ok=problem is None, valid=verdict.error is None, latency_ms=latency_ms,
        input_tokens=reply.input_tokens, output_tokens=reply.output_tokens,
        cost_usd=costs.cost_per_query(price_model, reply.input_tokens, reply.output_tokens),
        text=reply.text, sql=sql, message=verdict.reason, format_problem=problem, retrieval_ms=reply.retrieval_ms)


@dataclass(frozen=True)
class SqlSummary:
    """Means over records. Rates are in [0, 1]; NaN when there are no records."""

    n: int
    execution_accuracy: float
    format_rate: float
    invalid_rate: float
    mean_latency_ms: float
    p50_latency_ms: float
    p95_latency_ms: float
    mean_input_tokens: float
    mean_output_tokens: float
    cost_per_query: float
    price_model: str

    @property
    def cost_per_million(self) -> float:
        """USD per million queries like these: the unit of the seed's cost table."""
        return self.cost_per_query * 1_000_000

    @property
    def seconds_per_question(self) -> float:
        return self.mean_latency_ms / 1000

    def as_dict(self) -> dict:
        return {**asdict(self), "cost_per_million": self.cost_per_million}


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else math.nan


def summarize(records: Sequence[SqlRecord], price_model: str = DEFAULT_MODEL) -> SqlSummary:
    """The summary of `records` (see SqlSummary)."""
    latencies = [r.latency_ms for r in records]
    return SqlSummary(
        n=len(records), execution_accuracy=_mean(r.correct for r in records),
        format_rate=_mean(r.format_ok for r in records), invalid_rate=_mean(not r.valid for r in records),
        mean_latency_ms=_mean(latencies), p50_latency_ms=percentile(latencies, 50),
        p95_latency_ms=percentile(latencies, 95), mean_input_tokens=_mean(r.input_tokens for r in records),
        mean_output_tokens=_mean(r.output_tokens for r in records),
        cost_per_query=_mean(r.cost_usd for r in records), price_model=price_model)


def by_difficulty(records: Sequence[SqlRecord], price_model: str = DEFAULT_MODEL) -> dict[str, SqlSummary]:
    """{difficulty: summary of its records}, easy / medium / hard first, only difficulties that occur."""
    found = [d for d in DIFFICULTIES if any(r.difficulty == d for r in records)]
    found += sorted({r.difficulty for r in records} - set(found))
    return {d: summarize([r for r in records if r.difficulty == d], price_model) for d in found}


def paired(a: Sequence[SqlRecord], b: Sequence[SqlRecord], field: str = "correct") -> list[tuple[str, object, object]]:
    """(id, a's value, b's value) of `field` for every question both runs answered, in a's order: the
    input of a paired comparison (same questions, two strategies)."""
    other = {r.id: r for r in b}
    missing = [r.id for r in a if r.id not in other]
    if missing or len(other) != len(a):
        raise ValueError(f"the runs did not answer the same questions (only in the first: {missing[:5]}, "
                         f"only in the second: {sorted(set(other) - {r.id for r in a})[:5]}); evaluate both "
                         "strategies on the same pairs")
    return [(r.id, getattr(r, field), getattr(other[r.id], field)) for r in a]
