"""`labkit sql ...`: the NL->SQL task (labkit.nl2sql) from a terminal or CI.

    labkit sql split                                   # sizes and strata of train / validation / test
    labkit sql retrieval                               # table recall of RAG's schema retrieval (validation)
    labkit sql schema --tables orders,users            # the schema text a prompt gets
    labkit sql train-file build/sql/train.jsonl        # the train split in the seed's chat JSONL
    labkit sql train-file build/sql/bad.jsonl --corrupt 0.2   # ... with 20% of the gold SQL corrupted
    labkit sql eval --strategy rag --k 3 --limit 10    # evaluate on validation, print the tables
    labkit sql eval --strategy fine-tuned --model ft:... --split test --json build/sql/ft-test.json

The test split is only evaluated with `--json` (a recorded run): settings are chosen on validation.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

KINDS = ("prompt-only", "rag", "fine-tuned", "hybrid")


def add_commands(sub: argparse._SubParsersAction) -> None:
    sql = sub.add_parser("sql", help="NL->SQL: split, schema, training file, evaluation (labkit.nl2sql)")
    sql_sub = sql.add_subparsers(dest="sql_command", required=True, metavar="SUBCOMMAND")

    p = sql_sub.add_parser("split", help="print the committed split's sizes and strata")
    p.add_argument("--write", action="store_true", help="regenerate labkit/data/sql/split.json from the pairs")
    p.set_defaults(func=run_split)

    p = sql_sub.add_parser("retrieval", help="table recall of RAG's schema retrieval on validation, k x n grid")
    p.set_defaults(func=run_retrieval)

    p = sql_sub.add_parser("schema", help="print the schema description read from the database")
    p.add_argument("--tables", help="comma-separated tables (default: all)")
    p.set_defaults(func=run_schema)

    p = sql_sub.add_parser("train-file", help="write a split as chat JSONL in the seed's format")
    p.add_argument("out", help="file to write")
    p.add_argument("--split", choices=("train", "validation"), default="train")
    p.add_argument("--limit", type=int, help="only the first N pairs of the split")
    p.add_argument("--corrupt", type=float, default=0.0, help="share of gold SQL to corrupt (0-1)")
    p.add_argument("--seed", type=int, default=0, help="which pairs and swaps are corrupted")
    p.set_defaults(func=run_train_file)

    p = sql_sub.add_parser("eval", help="evaluate one strategy on a split and print the tables")
    p.add_argument("--strategy", choices=KINDS, required=True)
    p.add_argument("--split", choices=("validation", "test"), default="validation")
    p.add_argument("--limit", type=int, help="only the first N pairs of the split")
    p.add_argument("--k", type=int, help="RAG: retrieved examples (default labkit.nl2sql.retrieve.K_EXAMPLES)")
    p.add_argument("--model", help="model id (required for fine-tuned and hybrid: the SQL adapter's id)")
    p.add_argument("--json", help="write the run (summary and every record) to this file")
    p.set_defaults(func=run_eval)


def run_split(args: argparse.Namespace) -> int:
    from labkit.nl2sql.split import SPLITS, load_split, make_split, write_split

    split = make_split() if args.write else load_split()
    if args.write:
        print(f"wrote {write_split(split)}")
    for name in SPLITS:
        pairs = split[name]
        difficulty = Counter(p.difficulty for p in pairs)
        tables = Counter(t for p in pairs for t in p.tables)
        levels = " ".join(f"{d}={difficulty[d]}" for d in ("easy", "medium", "hard"))
        per_table = " ".join(f"{t}={n}" for t, n in sorted(tables.items()))
        print(f"{name:<10} {len(pairs):>3} pairs | {levels} | {per_table} | ordered={sum(p.ordered for p in pairs)}")
    return 0


def run_retrieval(args: argparse.Namespace) -> int:
    from labkit.nl2sql.retrieve import Retriever, table_recall
    from labkit.nl2sql.schema import describe
    from labkit.nl2sql.split import load_split

    split = load_split()
    retriever = Retriever(split.train, describe())
    print("table recall on validation (share of questions with every gold table shown) / mean tables shown;")
    print("k = tables of the k most similar training pairs, n = tables added by description similarity")
    print("k \\ n  " + "  ".join(f"{n:>11}" for n in range(4)))
    for k in (0, 1, 3, 5):
        cells = [table_recall(retriever, split.validation, k, n) for n in range(4)]
        print(f"{k:>5}  " + "  ".join(f"{r:.2f} / {s:.1f}" for r, s in cells))
    return 0


def run_schema(args: argparse.Namespace) -> int:
    from labkit.nl2sql.schema import describe

    tables = [t.strip() for t in args.tables.split(",")] if args.tables else None
    try:
        print(describe().text(tables))
    except KeyError as exc:
        print(f"labkit sql schema: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0


def run_train_file(args: argparse.Namespace) -> int:
    from labkit.nl2sql.split import load_split
    from labkit.nl2sql.training import Corruption, corrupt, write_training_file

    pairs = load_split()[args.split][: args.limit]
    corruptions: list[Corruption] = []
    if args.corrupt:
        try:
            pairs, corruptions = corrupt(pairs, args.corrupt, seed=args.seed)
        except ValueError as exc:
            print(f"labkit sql train-file: {exc}", file=sys.stderr)
            return 2
    path = write_training_file(pairs, args.out)
    print(f"wrote {path}: {len(pairs)} examples from the {args.split} split, {len(corruptions)} corrupted")
    for c in corruptions:
        print(f"  line {c.line:>3} {c.id} {c.kind}: {c.corrupted}")
    return 0


def _strategy(args: argparse.Namespace):
    from labkit.nl2sql import strategies

    if args.strategy in ("fine-tuned", "hybrid") and not args.model:
        raise ValueError(f"--strategy {args.strategy} needs --model (the fine-tuned SQL model's id)")
    extra = {"model": args.model} if args.model else {}
    if args.strategy == "prompt-only":
        return strategies.PromptOnly(**extra)
    if args.strategy == "rag":
        return strategies.Rag(**extra, **({"k": args.k} if args.k is not None else {}))
    if args.strategy == "fine-tuned":
        return strategies.FineTuned(**extra)
    return strategies.Hybrid(**extra)


def run_eval(args: argparse.Namespace) -> int:
    from labkit.nl2sql.runner import difficulty_table, evaluate, markdown_table
    from labkit.nl2sql.split import load_split

    if args.split == "test" and not args.json:
        print("labkit sql eval: the test split is only evaluated as a recorded run: add --json FILE",
              file=sys.stderr)
        return 2
    try:
        strategy = _strategy(args)
    except ValueError as exc:
        print(f"labkit sql eval: {exc}", file=sys.stderr)
        return 2
    pairs = load_split()[args.split][: args.limit]
    run = evaluate(strategy, pairs, log=lambda line: print(line, file=sys.stderr))
    runs = {strategy.name: run}
    print(markdown_table(runs) + "\n\n" + difficulty_table(runs))
    if args.json:
        record = {"strategy": run.strategy, "kind": run.kind, "split": args.split, "n": len(pairs),
                  "wall_seconds": run.wall_seconds, "summary": run.summary.as_dict(),
                  "difficulty": {d: s.as_dict() for d, s in run.difficulty.items()},
                  "records": [r.as_dict() for r in run.records]}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=1, ensure_ascii=False)
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0
