"""`labkit compare --task sql`: the four NL->SQL strategies side by side, with 95% intervals, paired
comparisons and the seed's claims that apply. Used by the NL->SQL lesson section and `labkit compare`.

Every strategy runs on the same base model and engine with the same decoding (`labkit.nl2sql.DECODING`);
the fine-tuned and hybrid ones call the course's SQL adapter (`labkit.adapters.SQL`). Rates carry Wilson
intervals, latency and cost bootstrap intervals (`labkit.stats`); a claim comparing two strategies uses the
paired difference on the same questions (`labkit.paired`), and "quality matters more than quantity" reads
the recorded quality-vs-quantity experiment (`labkit.nl2sql.quality`, `make sql-quality`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from labkit.decision import AGREE, INCONCLUSIVE, NA, WORSE, Quantity, Verdict, difference_verdict
from labkit.paired import paired_rate_diff
from labkit.stats import Estimate, mean, percentile, rate

METRICS: tuple[tuple[str, str, Callable[[Any], float], str], ...] = (
    # (name, label, per-record value, format)
    ("execution_accuracy", "execution accuracy", lambda r: r.correct, "{:.2f}"),
    ("format_rate", "one bare SELECT (format)", lambda r: r.format_ok, "{:.2f}"),
    ("invalid_rate", "invalid SQL", lambda r: not r.valid, "{:.2f}"),
    ("p50_latency_ms", "p50 latency ms", lambda r: r.latency_ms, "{:,.0f}"),
    ("mean_input_tokens", "input tokens", lambda r: r.input_tokens, "{:,.0f}"),
    ("mean_output_tokens", "output tokens", lambda r: r.output_tokens, "{:,.0f}"),
    ("cost_per_query", "$ per query", lambda r: r.cost_usd, "{:.5f}"),
    ("cost_per_million", "$ per 1M queries", lambda r: r.cost_usd * 1e6, "{:,.0f}"),
)
RATES = {"execution_accuracy", "format_rate", "invalid_rate"}


def build(client: Any = None) -> list[Any]:
    """Prompt-only, RAG (k=3), fine-tuned and hybrid, sharing one retriever of the train split."""
    from labkit.adapters import SQL
    from labkit.nl2sql import FineTuned, Hybrid, PromptOnly, Rag, Retriever, describe, load_split
    from labkit.strategies import finetuned_model

    schema = describe()
    retriever = Retriever(load_split().train, schema)
    model, _ = finetuned_model(SQL)  # raises NoAdapter when the committed adapter file is missing
    return [PromptOnly(client, schema), Rag(retriever, client, k=3), FineTuned(model=model, client=client),
            Hybrid(model, retriever, client)]


def estimates(run: Any) -> dict[str, Estimate]:
    """Every metric of one SqlRun with its 95% interval."""
    out = {}
    for name, _, value, _ in METRICS:
        values = [float(value(r)) for r in run.records]
        if name in RATES:
            out[name] = rate([bool(v) for v in values])
        elif name == "p50_latency_ms":
            out[name] = percentile(values, 50)
        else:
            out[name] = mean(values)
    return out


def difference(a: Any, b: Any, value: Callable[[Any], float], rate_like: bool) -> Estimate:
    """a - b on the questions both runs answered (paired)."""
    from labkit.paired import paired_bootstrap

    ours, theirs = {r.id: r for r in a.records}, {r.id: r for r in b.records}
    ids = [i for i in ours if i in theirs]
    x, y = [value(ours[i]) for i in ids], [value(theirs[i]) for i in ids]
    if rate_like:
        return paired_rate_diff([bool(v) for v in x], [bool(v) for v in y])
    return paired_bootstrap(x, y, lambda d: float(d.mean()), name="mean difference")


def _pair(runs: Mapping[str, Any], a: str, b: str, metric: str, sign: str, higher_is_better: bool,
          pattern: str) -> tuple[str, tuple[Quantity, ...], str]:
    if a not in runs or b not in runs:
        return NA, (), f"needs {a} and {b}"
    name, label, value, _ = next(m for m in METRICS if m[0] == metric)
    e = difference(runs[a], runs[b], value, name in RATES)
    what = label if name in RATES else f"mean {label.removeprefix('p50 ')}"  # a mean of paired differences
    return difference_verdict(e, sign, higher_is_better), (Quantity(f"{a} - {b} {what}", e, pattern, f"{sign} 0"),), ""


def _quality(record: dict | None) -> tuple[str, tuple[Quantity, ...], str]:
    """Clean vs corrupted training sets of the same size, on the same validation questions."""
    if not record:
        return NA, (), "the quality-vs-quantity experiment is not recorded (make sql-quality)"
    by_name = {c["name"]: c for c in record["conditions"]}
    clean = next(c for c in record["conditions"] if not c["corrupt_share"] and c["n_train"] == max(
        x["n_train"] for x in record["conditions"]))
    dirty = next(c for c in record["conditions"] if c["corrupt_share"])
    small = min(record["conditions"], key=lambda c: c["n_train"])
    right = {c["name"]: [r["correct"] for r in c["records"]] for c in by_name.values()}
    qs = (Quantity(f"{clean['name']} - {dirty['name']} accuracy",
                   paired_rate_diff(right[clean["name"]], right[dirty["name"]]), "{:+.2f}", "> 0"),
          Quantity(f"{clean['name']} - {small['name']} accuracy",
                   paired_rate_diff(right[clean["name"]], right[small["name"]]), "{:+.2f}", "> 0"))
    found = [difference_verdict(q.estimate, ">", True) for q in qs]
    verdict = AGREE if found == [AGREE, AGREE] else WORSE if WORSE in found else INCONCLUSIVE
    return verdict, qs, f"recorded {record['when']} on {len(record['validation'])} validation questions"


def claims(runs: Mapping[str, Any], quality: dict | None = None) -> list[Verdict]:
    """The seed's claims that apply to NL->SQL, tested on these runs (keyed by strategy name)."""
    rows = [
        ("key takeaways", "Format", "Fine-tune when you need consistent style or format",
         "the fine-tuned model writes one bare SELECT more often than prompt-only",
         _pair(runs, "fine-tuned", "prompt-only", "format_rate", ">", True, "{:+.2f}")),
        ("decision matrix", "Per-Query Cost", "Fine-Tuning: Low (no retrieval step); RAG: Medium",
         "the fine-tuned model costs less per query than RAG",
         _pair(runs, "fine-tuned", "rag", "cost_per_query", "<", False, "{:+.5f}")),
        ("decision matrix", "Latency", "Fine-Tuning: Lowest",
         "the fine-tuned model answers faster than RAG (mean difference < 0)",
         _pair(runs, "fine-tuned", "rag", "p50_latency_ms", "<", False, "{:+,.0f}")),
        ("fine-tuning section", "Data", "quality matters more than quantity",
         "clean 119 pairs beat the same 119 with 30% corrupted, and beat 25 clean pairs",
         _quality(quality)),
    ]
    return [Verdict(where, factor, quote, test, *outcome) for where, factor, quote, test, outcome in rows]


def metrics_table(runs: Mapping[str, Any]) -> str:
    """One row per metric, one column per strategy: 'value [low, high]'."""
    from labkit.evaluate import format_table

    est = {name: estimates(run) for name, run in runs.items()}
    return format_table([{"metric": label, **{n: e[name].format(fmt) for n, e in est.items()}}
                         for name, label, _, fmt in METRICS])


def difficulty_rows(runs: Mapping[str, Any]) -> list[dict]:
    """Execution accuracy by difficulty, with intervals."""
    from labkit.nl2sql.metrics import DIFFICULTIES

    return [{"difficulty": d, **{n: rate([r.correct for r in run.records if r.difficulty == d]).format()
                                 for n, run in runs.items()}} for d in DIFFICULTIES]


def run_all(pairs: Sequence[Any], client: Any = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """{strategy name: SqlRun} over `pairs`."""
    from labkit.nl2sql import evaluate

    out = {}
    for strategy in build(client):
        out[strategy.name] = evaluate(strategy, pairs)
        if log:
            log(f"{strategy.name}: {len(pairs)} questions in {out[strategy.name].wall_seconds:.0f} s")
    return out
