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
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from labkit.strategies import ROLES

if TYPE_CHECKING:
    from labkit.decision import Verdict
    from labkit.stats import Estimate


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
    out["effort"] = {what: {r: e.as_dict() for r, e in times.items()} for what, times in effort.items()}
    out["volume"] = [volume_row(p, as_json=True) for p in volume]
    costs_ = cost_rows(strategies, runs)
    from labkit.calibration import calibration_report, format_report

    calibration = format_report(calibration_report(judge))
    out["calibration"] = calibration
    out["cost_scenarios"] = [_no_nan(asdict(r)) for r in costs_]
    text = report(args.split, items, runs, estimates, fresh, fresh_estimates, effort, volume, claims, notes, wall,
                  judged=bool(judge), costs=costs_, calibration=calibration)
    _write_record(args.record, out, text)
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
                              "summary": _no_nan(r.summary.as_dict())} for n, r in runs.items()},
           "difficulty": compare.difficulty_rows(runs), "claims": [c.as_dict() for c in rows],
           "verdict_counts": counts(rows),
           "wall_seconds": round(wall, 1)}
    text = "\n".join([f"## NL->SQL: {len(pairs)} {split} questions, 95% intervals\n", compare.metrics_table(runs),
                      "\n## Execution accuracy by difficulty\n", format_table(compare.difficulty_rows(runs)),
                      "\n## The seed's claims that apply\n", verdicts_table(rows), f"\n{counts_line(rows)}",
                      "- same base model, engine and decoding for all four; fine-tuned and hybrid call the SQL adapter",
                      f"\nwall time: {wall:.0f} s"])
    _write_record(args.record, out, text)
    print(json.dumps(out, indent=2, default=float, allow_nan=False) if args.json else text)
    return 0


def _write_record(record: str | None, out: dict, text: str) -> None:
    """--record PATH.json: the JSON there and the tables next to it as PATH.md."""
    if not record:
        return
    from pathlib import Path

    path = Path(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=float, allow_nan=False) + "\n")
    command = " ".join(["labkit compare", *sys.argv[2:]]) if sys.argv[1:2] == ["compare"] else "labkit compare"
    path.with_suffix(".md").write_text(f"# Recorded run: `{command}`\n\nGenerated; do not edit by hand.\n\n{text}\n")


def report(split: str, items: Sequence[Any], runs: Mapping[str, Any], estimates: Mapping[str, Mapping[str, Estimate]],
           fresh: Sequence[Any], fresh_estimates: Mapping[str, Mapping[str, Estimate]],
           effort: Mapping[str, Mapping[str, Estimate]], volume: Sequence[Any], claims: Sequence[Verdict],
           notes: Sequence[str], wall: float, judged: bool = False, costs: Sequence[Any] = (),
           calibration: str = "") -> str:
    """The whole comparison as markdown: metrics, freshness, effort, volume, the claims, notes."""
    from labkit.evaluate import format_table

    parts = [f"## Measured: {len(items)} {split} questions, 95% intervals\n", metrics_table(estimates)]
    if calibration:
        parts += ["\nHow far the checks agree with hand labels (eval/hallucination_labels.jsonl, 80 answers):\n",
                  calibration]
    if judged:
        parts.append("\nLLM judge (no intervals): " + "; ".join(
            f"{name}: hallucination {runs[name].summary.judge_hallucination_rate:.2f}, agrees with the check "
            f"{runs[name].summary.judge_agreement:.2f}" for name in runs))
    if fresh:
        parts += ["\n## Freshness: the knowledge base updated (kb_updates/), freshness-sensitive questions asked "
                  "again\n", freshness_table(fresh, fresh_estimates)]
    if effort:
        parts += ["\n## Setup and iteration: machine seconds (median of 3, range)\n", effort_table(effort)]
    if volume:
        parts += ["\n## Knowledge volume: accuracy as the knowledge base grows past the prompt budget\n",
                  format_table([volume_row(p) for p in volume])]
    if costs:
        from labkit.costs import format_scenarios

        parts += ["\n## Costs as a user would pay them: measured tokens x dated prices, caching off and on\n",
                  format_scenarios(costs)]
    parts += ["\n## The seed's claims beside the measurements\n", verdicts_table(claims), f"\n{counts_line(claims)}"]
    parts += [f"- {note}" for note in notes] + [f"\nwall time: {wall:.0f} s"]
    return "\n".join(parts)


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


PRICED = {"prompt-only": "prompt-only", "prompt-whole-kb": "prompt-only", "rag": "rag", "fine-tuned": "fine-tuned"}


def cost_rows(strategies: Sequence[Any], runs: Mapping[str, Any]) -> list:
    """labkit.costs' scenario rows (model tier x caching) for the strategies the seed prices, from the
    measured tokens (the cacheable prefix: what the engine read from its cache)."""
    from dataclasses import replace

    from labkit.costs import TokenMeans, cost_scenarios
    from labkit.decision import role_of

    rows = []
    for s in strategies:
        kind = PRICED.get(role_of(s))
        if kind is None:
            continue
        means = TokenMeans.from_summary(kind, runs[s.name].summary, getattr(s, "prompt_tokens", None) or None)
        rows += [replace(r, strategy=s.name) for r in cost_scenarios([means])]
    return rows


def effort_table(effort: Mapping[str, Mapping[str, Estimate]]) -> str:
    """One row per strategy: setup and iteration seconds with their ranges (labkit.effort)."""
    from labkit.evaluate import format_table

    roles = list(next(iter(effort.values())))
    return format_table([{"strategy": r, **{what: times[r].format("{:,.1f}") for what, times in effort.items()}}
                         for r in roles])


def volume_row(point: Any, as_json: bool = False) -> dict:
    """One knowledge-base size of labkit.effort.volume_curve: its size, and both accuracies with intervals."""
    from labkit.intervals import estimate

    po, rag = estimate(point.prompt_only, "accuracy"), estimate(point.rag, "accuracy")
    row = {"size": f"{point.fraction:.0%} of the budget", "tokens": point.kb_tokens, "documents": point.n_docs,
           "in the prompt": point.prompt_docs, "questions": point.rag.summary.n}
    if as_json:
        return {**row, "prompt_only_accuracy": po.as_dict(), "rag_accuracy": rag.as_dict()}
    return {**row, "prompt-only accuracy": po.format(), "rag accuracy": rag.format()}


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
                                "summary": _no_nan(runs[s.name].summary.as_dict()),
                                "answered_by": runs[s.name].extra.get("answered_by", ""),
                                "records": [record_row(r) for r in runs[s.name].records]}
                       for s in strategies},
        "claims": [c.as_dict() for c in claims], "verdict_counts": counts(claims),
        "freshness": [{"strategy": f.strategy, "action": f.action, "n": f.n,
                       **{k: e.as_dict() for k, e in fresh_estimates[f.strategy].items()}} for f in fresh],
        "notes": list(notes), "wall_seconds": round(wall, 1)}


RECORD_FIELDS = ("id", "category", "answerable", "correct", "refused", "format_ok", "hallucinated", "citation_ok",
                 "latency_ms", "retrieval_ms", "input_tokens", "output_tokens", "cost_usd", "answer")


def record_row(record: Any) -> dict:
    """One answer of a run, as JSON: what a lesson needs to recompute any interval or paired difference."""
    return _no_nan({f: getattr(record, f) for f in RECORD_FIELDS})


def _no_nan(row: dict) -> dict:
    """NaN (a rate with no question to count) as JSON null: NaN is not valid JSON."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def save_answers(path: str, split: str, strategies: list, runs: dict, fresh: list) -> None:
    """One JSON line per answer of the comparison and of the freshness re-run: what re-scoring needs. What a
    model was shown is often the same long prompt for every question, so each distinct text is written once
    as {"evidence": key, "text": ...} and answers name it by "evidence_key"."""
    fields = ("id", "answer", "input_tokens", "output_tokens", "cache_read_input_tokens",
              "cache_creation_input_tokens", "latency_ms", "retrieval_ms")
    kinds = {s.name: s.kind for s in strategies}
    keys: dict[str, str] = {}
    with open(path, "w", encoding="utf-8") as out:
        for facts, named in (("current", runs), ("updated", {f.strategy: f.run for f in fresh})):
            for name, run in named.items():
                for record in run.records:
                    shown = record.evidence_shown
                    if shown is not None and shown not in keys:
                        keys[shown] = f"e{len(keys) + 1}"
                        out.write(json.dumps({"evidence": keys[shown], "text": shown}, ensure_ascii=False) + "\n")
                    row = {"split": split, "facts": facts, "strategy": name, "kind": kinds[name],
                           **{f: getattr(record, f) for f in fields},
                           "evidence_key": None if shown is None else keys[shown]}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
