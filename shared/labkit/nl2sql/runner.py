"""Run NL->SQL strategies on a split, measure RAG's k on validation, and print the results as markdown.

Used by the NL->SQL lesson and lab (issue 18) and meant for `labkit compare --task sql`:

    from labkit.nl2sql import evaluate, load_split, markdown_table, PromptOnly, Rag
    split = load_split()
    runs = {s.name: evaluate(s, split.validation) for s in (PromptOnly(), Rag())}
    print(markdown_table(runs)); print(difficulty_table(runs))

`evaluate` times each `strategy.answer(pair)` call (retrieval included) and grades it with
`labkit.nl2sql.metrics.score` on the AcmeCorp database built today (`labkit.data.sql_db_path()`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from labkit.data import SqlPair
from labkit.evaluate import as_reply, format_table
from labkit.models import DEFAULT_MODEL
from labkit.nl2sql.metrics import SqlRecord, SqlSummary, by_difficulty, score, summarize
from labkit.nl2sql.strategies import SqlStrategy


@dataclass
class SqlRun:
    """One strategy on one list of pairs: per-question records, their summary, and per difficulty."""

    strategy: str
    kind: str
    records: list[SqlRecord]
    summary: SqlSummary
    difficulty: dict[str, SqlSummary] = field(default_factory=dict)
    wall_seconds: float = math.nan


def evaluate(strategy: SqlStrategy, pairs: Iterable[SqlPair], db_path: str | Path | None = None,
             price_model: str = DEFAULT_MODEL, log: Callable[[str], None] | None = None) -> SqlRun:
    """Answer every pair with `strategy` and grade it (see the module docstring). `log(line)` hears of
    each question as it is graded."""
    if db_path is None:
        from labkit.data import sql_db_path

        db_path = sql_db_path()
    pairs = list(pairs)
    records = []
    started = time.perf_counter()
    for n, pair in enumerate(pairs, start=1):
        t0 = time.perf_counter()
        reply = as_reply(strategy.answer(pair))
        latency_ms = (time.perf_counter() - t0) * 1000
        record = score(pair, reply, latency_ms, db_path, price_model)
        records.append(record)
        if log:
            log(f"{strategy.name} {n}/{len(pairs)} {pair.id}: {'correct' if record.correct else 'wrong'}, "
                f"format {'ok' if record.format_ok else 'failed'}, {latency_ms / 1000:.1f} s")
    return SqlRun(strategy.name, strategy.kind, records, summarize(records, price_model),
                  by_difficulty(records, price_model), time.perf_counter() - started)


def check_not_test(pairs: Sequence[SqlPair]) -> None:
    """Raise ValueError if any of `pairs` is in the test split: choices are made on validation only."""
    from labkit.nl2sql.split import load_split

    test_ids = {p.id for p in load_split().test}
    leaked = [p.id for p in pairs if p.id in test_ids]
    if leaked:
        raise ValueError(f"{len(leaked)} of these pairs are in the test split ({', '.join(leaked[:5])}...): "
                         "choose settings on load_split().validation; test is only for the recorded run")


def measure_k(make: Callable[[int], SqlStrategy], ks: Sequence[int], pairs: Sequence[SqlPair],
              db_path: str | Path | None = None, log: Callable[[str], None] | None = None) -> dict[int, SqlRun]:
    """{k: run of `make(k)` on `pairs`}: e.g. `measure_k(lambda k: Rag(retriever, client, k=k), [1, 3, 5],
    split.validation)`. Refuses test pairs (`check_not_test`)."""
    check_not_test(pairs)
    return {k: evaluate(make(k), pairs, db_path, log=log) for k in ks}


def best_k(runs: Mapping[int, SqlRun]) -> int:
    """The k with the highest execution accuracy; ties go to the smaller k (a shorter, cheaper prompt)."""
    return min(runs, key=lambda k: (-runs[k].summary.execution_accuracy, k))


# (header, SqlSummary attribute, scale, format) of the comparison table.
COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("n", "n", 1, "{:d}"),
    ("execution accuracy", "execution_accuracy", 1, "{:.2f}"),
    ("format", "format_rate", 1, "{:.2f}"),
    ("invalid SQL", "invalid_rate", 1, "{:.2f}"),
    ("s/question", "mean_latency_ms", 1 / 1000, "{:.1f}"),
    ("p95 s", "p95_latency_ms", 1 / 1000, "{:.1f}"),
    ("in tokens", "mean_input_tokens", 1, "{:,.0f}"),
    ("out tokens", "mean_output_tokens", 1, "{:,.0f}"),
    ("$/query", "cost_per_query", 1, "{:.5f}"),
    ("$/1M queries", "cost_per_query", 1_000_000, "{:,.0f}"),
)


def _runs_rows(runs: Mapping[str, SqlRun | SqlSummary], label: str) -> list[dict]:
    rows = []
    for name, run in runs.items():
        summary = run.summary if isinstance(run, SqlRun) else run
        rows.append({label: name, **{h: getattr(summary, a) * s if s != 1 else getattr(summary, a)
                                     for h, a, s, _ in COLUMNS}})
    return rows


def markdown_table(runs: Mapping[str, SqlRun | SqlSummary], label: str = "strategy") -> str:
    """One row per run with every metric of `COLUMNS`, as a markdown table."""
    return format_table(_runs_rows(runs, label), {h: f for h, _, _, f in COLUMNS})


def difficulty_table(runs: Mapping[str, SqlRun], label: str = "strategy") -> str:
    """Execution accuracy (and n) per difficulty, one row per run, as a markdown table."""
    levels = list(dict.fromkeys(d for run in runs.values() for d in run.difficulty))
    rows = []
    for name, run in runs.items():
        row: dict = {label: name}
        for d in levels:
            s = run.difficulty.get(d)
            row[d] = "n/a" if s is None else f"{s.execution_accuracy:.2f} (n={s.n})"
        rows.append(row)
    return format_table(rows)
