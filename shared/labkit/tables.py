"""Side-by-side tables of evaluation runs: one row per run, the columns a lesson needs, markdown out.

    from labkit.tables import COMPARE_COLUMNS, comparison_rows, format_table   # also importable from labkit.evaluate
    print(format_table(comparison_rows({"v1": run1, "v2": run2})))

Lesson 01 compares prompt versions with TABLE_COLUMNS; lesson 04 and `labkit compare` compare the strategies
with COMPARE_COLUMNS (plus JUDGE_COLUMNS when Claude judged). Rows take `labkit.evaluate.EvalRun`s or their
summaries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

# (column header, EvalSummary attribute, scale, format) of a comparison table.
TABLE_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("accuracy", "accuracy", 1, "{:.2f}"),
    ("refusal", "refusal_correct", 1, "{:.2f}"),
    ("false refusal", "false_refusal", 1, "{:.2f}"),
    ("format", "format_ok", 1, "{:.2f}"),
    ("in tokens", "mean_input_tokens", 1, "{:,.0f}"),
    ("out tokens", "mean_output_tokens", 1, "{:,.0f}"),
    ("$/query", "cost_per_query", 1, "{:.5f}"),
    ("$/1M queries", "cost_per_query", 1_000_000, "{:,.0f}"),
    ("p50 ms", "p50_latency_ms", 1, "{:,.0f}"),
)


# Module 4's table: every metric of the strategy comparison (`labkit compare`). "hallucination" is judged
# against the knowledge base for every strategy; "halluc. vs shown" against what each model was shown.
COMPARE_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("accuracy", "accuracy", 1, "{:.2f}"),
    ("hallucination", "hallucination_rate", 1, "{:.2f}"),
    ("halluc. vs shown", "hallucination_rate_shown", 1, "{:.2f}"),
    ("contradicted", "contradiction_rate", 1, "{:.2f}"),
    ("citation", "citation_accuracy", 1, "{:.2f}"),
    ("refusal", "refusal_correct", 1, "{:.2f}"),
    ("format", "format_ok", 1, "{:.2f}"),
    ("p50 ms", "p50_latency_ms", 1, "{:,.0f}"),
    ("p95 ms", "p95_latency_ms", 1, "{:,.0f}"),
    ("retrieval ms", "p50_retrieval_ms", 1, "{:,.0f}"),
    ("in tokens", "mean_input_tokens", 1, "{:,.0f}"),
    ("out tokens", "mean_output_tokens", 1, "{:,.0f}"),
    ("$/query", "cost_per_query", 1, "{:.5f}"),
    ("$/1M queries", "cost_per_query", 1_000_000, "{:,.0f}"),
)

# Added to COMPARE_COLUMNS when an LLM judge was used (labkit compare --judge).
JUDGE_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("judge hallucination", "judge_hallucination_rate", 1, "{:.2f}"),
    ("judge agrees", "judge_agreement", 1, "{:.2f}"),
)


def comparison_rows(runs: Mapping[str, Any], label: str = "version",
                    columns: Sequence[tuple[str, str, float, str]] = TABLE_COLUMNS) -> list[dict]:
    """One row per run: {label: name, column: value, ...} with `columns` (default TABLE_COLUMNS;
    COMPARE_COLUMNS for module 4's full comparison)."""
    rows = []
    for name, run in runs.items():
        summary = getattr(run, "summary", run)  # an EvalRun or an EvalSummary
        values = {h: getattr(summary, attr) * scale for h, attr, scale, _ in columns}
        rows.append({label: name, **values})
    return rows


def format_table(rows: Sequence[Mapping[str, Any]], formats: Mapping[str, str] | None = None) -> str:
    """Rows of dicts as a markdown table; numbers use `formats` (default: the TABLE_COLUMNS formats)."""
    if not rows:
        return "(no rows)"
    fmt = {h: f for h, _, _, f in (*TABLE_COLUMNS, *COMPARE_COLUMNS, *JUDGE_COLUMNS)} | dict(formats or {})
    headers = list(rows[0])

    def cell(h: str, v: Any) -> str:
        if isinstance(v, float) and math.isnan(v):
            return "n/a"
        return fmt[h].format(v) if h in fmt and isinstance(v, int | float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(h, r[h]) for h in headers) + " |" for r in rows]
    return "\n".join(lines)
