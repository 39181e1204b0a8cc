"""`labkit compare`: run the strategies over an eval split and print the measured decision matrix with 95%
intervals, the seed article's claims beside them (agree / disagree (better or worse than claimed) /
inconclusive / n/a, computed from the intervals by labkit.decision) and the freshness test.

    labkit compare --split dev                                  # all four strategies, all dev questions
    labkit compare --split all --json                           # dev + test: 141 questions
    labkit compare --split dev --strategies rag,prompt-only --limit 8 --json

Offline every answer comes from the local models (labkit.llm), so latencies are this machine's and token
counts are the local tokenizers'; costs price those tokens with the dated table (labkit.costs).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from labkit.strategies import ROLES

if TYPE_CHECKING:
    from labkit.decision import Verdict
    from labkit.stats import Estimate


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="measure prompt-only, RAG, fine-tuned and hybrid on an eval split, "
                                       "beside the seed article's claims")
    p.add_argument("--split", choices=("dev", "test", "all"), default="dev",
                   help="eval split; all: dev + test (default: dev)")
    p.add_argument("--strategies", default=",".join(ROLES),
                   help=f"comma-separated, from {','.join(ROLES)} (default: all)")
    p.add_argument("--limit", type=int, default=None,
                   help="ask only N questions, spread over the categories (the local models are slow)")
    p.add_argument("--no-freshness", action="store_true", help="skip the knowledge-base update test")
    p.add_argument("--if-no-adapter", choices=("base", "error"), default="error",
                   help="when a committed adapter file is missing: stop (default), or answer with the base model "
                        "labelled 'not fine-tuned' (its claims are then n/a)")
    p.add_argument("--price-model", default=None, help="price tokens as this model (default: the seed's)")
    p.add_argument("--judge", action="store_true",
                   help="also have Claude judge every answer for unsupported statements (needs ANTHROPIC_API_KEY; "
                        "reported beside the deterministic hallucination check)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=run_compare)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_compare(args: argparse.Namespace) -> int:
    from labkit import strategies as st
    from labkit.adapters import NoAdapter
    from labkit.costs import UnknownModelPrice, price
    from labkit.data import load_eval
    from labkit.decision import from_strategies, role_of, verdicts
    from labkit.intervals import freshness_estimates, run_estimates
    from labkit.judge import JudgeNeedsClaude, make_judge
    from labkit.models import DEFAULT_MODEL

    started = time.perf_counter()
    kinds = [k.strip() for k in args.strategies.split(",") if k.strip()]
    price_model = args.price_model or DEFAULT_MODEL
    try:
        row = price(price_model)
        items = load_eval(args.split)
        if args.limit is not None:
            if args.limit < 1:
                raise ValueError(f"--limit must be at least 1, got {args.limit}")
            items = st.spread(items, args.limit)
        judge = make_judge() if args.judge else None
        by_role = st.build(kinds, if_missing=args.if_no_adapter)
        strategies = list(by_role.values())
    except (ValueError, UnknownModelPrice, NoAdapter, JudgeNeedsClaude) as exc:
        print(f"labkit compare: {exc}", file=sys.stderr)
        return 2
    _log(f"labkit compare: {len(strategies)} strategies x {len(items)} {args.split} questions")
    runs = st.compare(strategies, items, price_model, log=_log, judge=judge)
    fresh = []
    if not args.no_freshness and any(i.updated_key_facts for i in items):
        fresh = st.measure_freshness(strategies, items)
        _log("freshness: " + "; ".join(f"{f.strategy}: {f.action}" for f in fresh))
    measured = from_strategies(strategies, runs, items, fresh)
    claims = verdicts(measured)
    estimates = {s.name: run_estimates(runs[s.name], items) for s in strategies}
    fresh_estimates = {f.strategy: freshness_estimates(f, measured.clusters) for f in fresh}
    wall = time.perf_counter() - started
    notes = [f"prices: {price_model} ${row.input_usd_per_mtok}/M input, ${row.output_usd_per_mtok}/M output, "
             f"as of {row.as_of}; tokens are the answering model's",
             "intervals: 95%; questions sharing a gold source document are one cluster (labkit.intervals); "
             "claims comparing two strategies use paired differences on the same questions"]
    if judge:
        from labkit.models import FAST_MODEL

        notes.append(f"LLM judge: {FAST_MODEL} read every answer that did not refuse; its rate is an extra beside "
                     "the deterministic check, not used in the verdicts")
    for s in strategies:
        answered = runs[s.name].extra.get("answered_by", "?")
        why = measured.not_real.get(role_of(s))
        notes.append(f"{s.name} calls model {getattr(s, 'model', '?')}, answered by {answered}; role {role_of(s)}"
                     + (f" (not real: {why}; its claims are n/a)" if why else ""))
    if args.json:
        print(json.dumps(to_json(args.split, items, price_model, strategies, runs, estimates, claims, fresh,
                                 fresh_estimates, notes, wall), indent=2, default=float, allow_nan=False))
        return 0
    print(f"## Measured: {len(items)} {args.split} questions, 95% intervals\n")
    print(metrics_table(estimates))
    if judge:
        print("\nLLM judge (no intervals): " + "; ".join(
            f"{name}: hallucination {runs[name].summary.judge_hallucination_rate:.2f}, agrees with the check "
            f"{runs[name].summary.judge_agreement:.2f}" for name in runs))
    if fresh:
        print("\n## Freshness: the knowledge base updated (kb_updates/), freshness-sensitive questions asked again\n")
        print(freshness_table(fresh, fresh_estimates))
    print("\n## The seed's claims beside the measurements\n")
    print(verdicts_table(claims))
    print(f"\n{counts_line(claims)}")
    for note in notes:
        print(f"- {note}")
    print(f"\nwall time: {wall:.0f} s")
    return 0


# ----------------------------------------------------------------------------------------------
# Rendering: functions of the runs, estimates and verdicts (no orchestration)
# ----------------------------------------------------------------------------------------------
def metrics_table(estimates: Mapping[str, Mapping[str, Estimate]]) -> str:
    """One row per metric, one column per strategy: 'value [low, high]' (labkit.intervals.METRICS)."""
    from labkit.evaluate import format_table
    from labkit.intervals import METRICS

    rows = [{"metric": m.label, **{name: est[m.name].format(m.fmt) for name, est in estimates.items()}}
            for m in METRICS]
    return format_table(rows)


def freshness_table(fresh: Sequence[Any], estimates: Mapping[str, Mapping[str, Estimate]]) -> str:
    """One row per labkit.strategies.Freshness, with the intervals of its new-fact and old-fact shares."""
    from labkit.evaluate import format_table

    return format_table([{"strategy": f.strategy, "update": f.action, "questions": f.n,
                          "new fact": estimates[f.strategy]["new_fact"].format("{:.0%}"),
                          "old fact": estimates[f.strategy]["old_fact"].format("{:.0%}")} for f in fresh])


def verdicts_table(claims: Sequence[Verdict]) -> str:
    """The claims table: factor, the seed's words, the test, every interval measured, the verdict."""
    from labkit.evaluate import format_table

    return format_table([c.row() for c in claims])


def counts_line(claims: Sequence[Verdict]) -> str:
    """'3 agree, 1 disagree (better than claimed), ..., 2 n/a'."""
    from labkit.decision import counts

    return ", ".join(f"{n} {verdict}" for verdict, n in counts(claims).items())


def to_json(split: str, items: Sequence[Any], price_model: str, strategies: Sequence[Any],
            runs: Mapping[str, Any], estimates: Mapping[str, Mapping[str, Estimate]], claims: Sequence[Verdict],
            fresh: Sequence[Any], fresh_estimates: Mapping[str, Mapping[str, Estimate]], notes: Sequence[str],
            wall: float) -> dict:
    """The JSON form of a comparison: every metric and every verdict with value, low and high."""
    from labkit.decision import counts, not_real, role_of

    return {
        "split": split, "questions": [i.id for i in items], "price_model": price_model,
        "strategies": {s.name: {"kind": s.kind, "role": role_of(s), "real": not_real(s) is None,
                                "n": runs[s.name].summary.n,
                                "metrics": {k: e.as_dict() for k, e in estimates[s.name].items()},
                                "summary": _no_nan(runs[s.name].summary.as_dict())}
                       for s in strategies},
        "claims": [c.as_dict() for c in claims], "verdict_counts": counts(claims),
        "freshness": [{"strategy": f.strategy, "action": f.action, "n": f.n,
                       **{k: e.as_dict() for k, e in fresh_estimates[f.strategy].items()}} for f in fresh],
        "notes": list(notes), "wall_seconds": round(wall, 1)}


def _no_nan(row: dict) -> dict:
    """NaN (a rate with no question to count) as JSON null: NaN is not valid JSON."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
