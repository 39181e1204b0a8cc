"""`labkit compare`: run the strategies over an eval split and print the measured decision matrix, with the
seed article's claims beside the measured figures (agree/disagree computed) and the freshness test.

    labkit compare --split dev                                  # all four strategies, all dev questions
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

from labkit.decision import KINDS


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="measure prompt-only, RAG, fine-tuned and hybrid on an eval split, "
                                       "beside the seed article's claims")
    p.add_argument("--split", choices=("dev", "test"), default="dev", help="eval split (default: dev)")
    p.add_argument("--strategies", default=",".join(KINDS),
                   help=f"comma-separated, from {','.join(KINDS)} (default: all)")
    p.add_argument("--limit", type=int, default=None,
                   help="ask only N questions, spread over the categories (the local models are slow)")
    p.add_argument("--no-freshness", action="store_true", help="skip the knowledge-base update test")
    p.add_argument("--if-no-adapter", choices=("base", "train", "error"), default="base",
                   help="when module 3's adapter is missing: use the base SmolLM2 labelled 'not fine-tuned' "
                        "(default), train the default LoRA run first, or stop")
    p.add_argument("--price-model", default=None, help="price tokens as this model (default: the seed's)")
    p.add_argument("--judge", action="store_true",
                   help="also have Claude judge every answer for unsupported statements (needs ANTHROPIC_API_KEY; "
                        "reported beside the deterministic hallucination check)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--save-answers", metavar="PATH", default=None,
                   help="also write every answer (text, what the model was shown, tokens) as JSON lines to PATH, "
                        "to re-score later (bench/metric_fixes.py)")
    p.set_defaults(func=run_compare)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_compare(args: argparse.Namespace) -> int:
    from labkit import strategies as st
    from labkit.costs import UnknownModelPrice, price
    from labkit.data import load_eval
    from labkit.decision import Measured, verdicts
    from labkit.evaluate import COMPARE_COLUMNS, JUDGE_COLUMNS, comparison_rows, format_table
    from labkit.finetune import NoAdapter
    from labkit.judge import JudgeNeedsClaude, make_judge
    from labkit.llm import backend_name
    from labkit.models import DEFAULT_MODEL, is_claude_model

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
        strategies = st.build(kinds, if_missing=args.if_no_adapter)
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
    by_kind = {s.kind: runs[s.name].summary for s in strategies}
    claims = verdicts(Measured(by_kind, {s.kind: f for s, f in zip(strategies, fresh)}))
    wall = time.perf_counter() - started
    notes = [f"prices: {price_model} ${row.input_usd_per_mtok}/M input, ${row.output_usd_per_mtok}/M output, "
             f"as of {row.as_of}; tokens are the answering model's"]
    if judge:
        from labkit.models import FAST_MODEL

        notes.append(f"LLM judge: {FAST_MODEL} read every answer that did not refuse; its rate is an extra beside "
                     "the deterministic check, not used in the verdicts")
    offline = backend_name() == "local"
    for s in strategies:
        model = getattr(s, "model", "?")
        served = " (offline: answered by the local Qwen2.5-Coder-0.5B)" if offline and is_claude_model(model) else ""
        notes.append(f"{s.name} calls model {model}{served}")
    if args.json:
        print(json.dumps({
            "split": args.split, "questions": [i.id for i in items], "price_model": price_model,
            "strategies": {s.name: _no_nan({"kind": s.kind, **runs[s.name].summary.as_dict(),
                                            "cost_per_million": runs[s.name].summary.cost_per_million})
                           for s in strategies},
            "claims": claims,
            "freshness": [_no_nan({"strategy": f.strategy, "action": f.action, "n": f.n, "new_fact": f.new_fact,
                                   "old_fact": f.old_fact}) for f in fresh],
            "notes": notes, "wall_seconds": round(wall, 1)}, indent=2, default=float, allow_nan=False))
        return 0
    print(f"## Measured: {len(items)} {args.split} questions\n")
    columns = (*COMPARE_COLUMNS, *JUDGE_COLUMNS) if judge else COMPARE_COLUMNS
    print(format_table(comparison_rows(runs, label="strategy", columns=columns)))
    if fresh:
        print("\n## Freshness: the knowledge base updated (kb_updates/), freshness-sensitive questions asked again\n")
        print(format_table([{"strategy": f.strategy, "update": f.action, "questions": f.n,
                             "new fact": f"{f.new_fact:.0%}", "old fact": f"{f.old_fact:.0%}"} for f in fresh]))
    print("\n## The seed's claims beside the measurements\n")
    print(format_table([{k: r[k] for k in ("factor", "seed says", "test", "measured", "verdict")} for r in claims]))
    counts = {v: sum(r["verdict"] == v for r in claims) for v in ("agree", "disagree", "n/a")}
    print(f"\n{counts['agree']} agree, {counts['disagree']} disagree, {counts['n/a']} not measured")
    for note in notes:
        print(f"- {note}")
    print(f"\nwall time: {wall:.0f} s")
    return 0


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
