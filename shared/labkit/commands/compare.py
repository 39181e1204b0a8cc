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
import sys
import time
from dataclasses import asdict

from labkit.commands.compare_report import (
    by_split,
    cost_rows,
    counts_line,
    no_nan,
    report,
    save_answers,
    splits_as_record,
    to_json,
    verdicts_table,
    volume_row,
    write_record,
)
from labkit.strategies import ROLES


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="measure prompt-only, RAG, fine-tuned and hybrid on an eval split, "
                                       "beside the seed article's claims")
    p.add_argument("--task", choices=("support", "sql"), default="support",
                   help="support: questions over the knowledge base (default); sql: the seed's NL->SQL example")
    p.add_argument("--split", choices=("dev", "test", "all", "validation"), default=None,
                   help="support: dev (default), test or all (dev + test); sql: test (default) or validation")
    p.add_argument("--strategies", default=",".join(ROLES),
                   help=f"comma-separated, from {','.join(ROLES)} (default: all)")
    p.add_argument("--limit", type=int, default=None,
                   help="ask only N questions, spread over the categories (the local models are slow)")
    p.add_argument("--no-freshness", action="store_true", help="skip the knowledge-base update test")
    p.add_argument("--no-effort", action="store_true", help="skip timing setup and iteration (labkit.effort)")
    p.add_argument("--volume-questions", type=int, default=8,
                   help="dev questions per knowledge-base size for the knowledge-volume curve (0: skip)")
    p.add_argument("--if-no-adapter", choices=("base", "error"), default="error",
                   help="when a committed adapter file is missing: stop (default), or answer with the base model "
                        "labelled 'not fine-tuned' (its claims are then n/a)")
    p.add_argument("--price-model", default=None, help="price tokens as this model (default: the seed's)")
    p.add_argument("--judge", action="store_true",
                   help="also have Claude judge every answer for unsupported statements (needs ANTHROPIC_API_KEY; "
                        "reported beside the deterministic hallucination check)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--record", default=None, metavar="PATH.json",
                   help="also write the JSON to PATH.json and the tables to PATH.md (the recorded run)")
    p.add_argument("--save-answers", metavar="PATH", default=None,
                   help="also write every answer (text, what the model was shown, tokens) as JSON lines to PATH, "
                        "to re-score later (bench/metric_fixes.py)")
    p.set_defaults(func=run_compare)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_compare(args: argparse.Namespace) -> int:
    if args.task == "sql":
        return run_compare_sql(args)
    args.split = args.split or "dev"
    if args.split == "validation":
        print("labkit compare: --split validation is for --task sql; the support task has dev, test and all",
              file=sys.stderr)
        return 2
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
    if args.save_answers:
        save_answers(args.save_answers, args.split, strategies, runs, fresh)
        _log(f"answers written to {args.save_answers}")
    effort, volume = {}, []
    if not args.no_effort:
        from labkit.effort import iteration_times, setup_times

        effort = {"setup": setup_times(), "iteration": iteration_times()}
        _log("effort: " + "; ".join(f"{what} {role} {e.value:.1f} s" for what, times in effort.items()
                                    for role, e in times.items()))
    if args.volume_questions > 0:
        from labkit.effort import volume_curve

        volume = volume_curve(questions=args.volume_questions)
        _log("knowledge volume: " + "; ".join(f"{p.fraction:.0%}: prompt-only {p.prompt_only.summary.accuracy:.2f}, "
                                              f"rag {p.rag.summary.accuracy:.2f}" for p in volume))
    measured = from_strategies(strategies, runs, items, fresh, effort, volume)
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
    out = to_json(args.split, items, price_model, strategies, runs, estimates, claims, fresh, fresh_estimates,
                  notes, wall)
    splits = by_split(items, runs)
    out["by_split"] = splits_as_record(splits)
    out["effort"] = {what: {r: e.as_dict() for r, e in times.items()} for what, times in effort.items()}
    out["volume"] = [volume_row(p, as_json=True) for p in volume]
    costs_ = cost_rows(strategies, runs)
    from labkit.calibration import calibration_report, format_report

    calibration = format_report(calibration_report(judge))
    out["calibration"] = calibration
    out["cost_scenarios"] = [no_nan(asdict(r)) for r in costs_]
    text = report(args.split, items, runs, estimates, fresh, fresh_estimates, effort, volume, claims, notes, wall,
                  judged=bool(judge), costs=costs_, calibration=calibration, splits=splits)
    write_record(args.record, out, text)
    print(json.dumps(out, indent=2, default=float, allow_nan=False) if args.json else text)
    return 0


def run_compare_sql(args: argparse.Namespace) -> int:
    """`--task sql`: the four NL->SQL strategies on the test split (or validation), scored by running the SQL."""
    from labkit.adapters import NoAdapter
    from labkit.decision import counts
    from labkit.evaluate import format_table
    from labkit.nl2sql import compare, load_split, quality

    split = args.split or "test"
    if split not in ("test", "validation"):
        print(f"labkit compare: --task sql has the splits test and validation, not {split}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    pairs = list(load_split()[split])
    if args.limit is not None:
        pairs = pairs[: max(args.limit, 1)]
    try:
        runs = compare.run_all(pairs, log=_log)
    except NoAdapter as exc:
        print(f"labkit compare: {exc}", file=sys.stderr)
        return 2
    rows = compare.claims(runs, quality.load())
    wall = time.perf_counter() - started
    out = {"task": "sql", "split": split, "questions": [p.id for p in pairs],
           "strategies": {n: {"metrics": {k: e.as_dict() for k, e in compare.estimates(r).items()},
                              "summary": no_nan(r.summary.as_dict()),
                              "records": [no_nan(x.as_dict()) for x in r.records]} for n, r in runs.items()},
           "difficulty": compare.difficulty_rows(runs), "claims": [c.as_dict() for c in rows],
           "verdict_counts": counts(rows),
           "wall_seconds": round(wall, 1)}
    text = "\n".join([f"## NL->SQL: {len(pairs)} {split} questions, 95% intervals\n", compare.metrics_table(runs),
                      "\n## Execution accuracy by difficulty\n", format_table(compare.difficulty_rows(runs)),
                      "\n## The seed's claims that apply\n", verdicts_table(rows), f"\n{counts_line(rows)}",
                      "- same base model, engine and decoding for all four; fine-tuned and hybrid call the SQL adapter",
                      f"\nwall time: {wall:.0f} s"])
    write_record(args.record, out, text)
    print(json.dumps(out, indent=2, default=float, allow_nan=False) if args.json else text)
    return 0
