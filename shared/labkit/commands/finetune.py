"""`labkit ft ...`: prepare fine-tuning data from a terminal or CI.

    labkit ft validate shared/labkit/data/tickets/tickets_raw.jsonl            # table + every problem
    labkit ft validate FILE --json --max-tokens 4096 --format none             # machine-readable
    labkit ft validate build/sql/train.jsonl --format sql                       # NL->SQL: bare SELECT replies
    labkit ft clean FILE --out build/ft --to openai                             # train.jsonl + val.jsonl

`validate` exits 0 when no line has an error (warnings allowed), 1 when some line has one, and 2 when
the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys

FORMATS = ("support", "sql", "none")
COUNTERS = ("auto", "local", "claude", "estimate")


def add_commands(sub: argparse._SubParsersAction) -> None:
    ft = sub.add_parser("ft", help="fine-tuning data: validate, clean and export chat JSONL files")
    ft_sub = ft.add_subparsers(dest="ft_command", required=True, metavar="SUBCOMMAND")

    p = ft_sub.add_parser("validate", help="report every problem of a chat JSONL file, with line numbers")
    _common(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--summary", action="store_true", help="only the table by kind, not every problem")
    p.set_defaults(func=run_validate)

    p = ft_sub.add_parser("clean", help="drop bad lines, dedupe, scrub PII, split, write train/val files")
    _common(p)
    p.add_argument("--out", required=True, help="folder for train.jsonl and val.jsonl")
    p.add_argument("--to", choices=("openai", "bedrock", "trl"), default="openai", help="output format")
    p.add_argument("--val-fraction", type=float, default=0.1, help="share of examples for validation")
    p.add_argument("--seed", type=int, default=0, help="random seed of the split")
    p.set_defaults(func=run_clean)


def _common(p: argparse.ArgumentParser) -> None:
    from labkit.finetune.validation import DEFAULT_MAX_TOKENS

    p.add_argument("file", help="a chat JSONL file ({'messages': [...]} per line)")
    p.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS,
                   help=f"per-example token limit (default: {DEFAULT_MAX_TOKENS:,})")
    p.add_argument("--format", choices=FORMATS, default="support",
                   help="reply format to check: the course's Diagnosis/Solution/Prevention/Source "
                        "(default), sql (one bare SELECT, labkit.nl2sql.output) or none")
    p.add_argument("--counter", choices=COUNTERS, default="auto",
                   help="token counter: auto = Claude when ANTHROPIC_API_KEY is set, else the local "
                        "tokenizer")


def _format(name: str):
    from labkit.finetune.reply_format import support_format
    from labkit.nl2sql.output import format_problem

    return {"support": support_format, "sql": format_problem}.get(name)


def run_validate(args: argparse.Namespace) -> int:
    from labkit.finetune import DatasetFileError, validate

    try:
        report = validate(args.file, max_tokens=args.max_tokens, format=_format(args.format),
                          counter=args.counter)
    except DatasetFileError as exc:
        print(f"labkit ft validate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(report)
        if report.problems and not args.summary:
            print("\n" + report.details())
    return 0 if report.ok else 1


def run_clean(args: argparse.Namespace) -> int:
    from pathlib import Path

    from labkit import finetune

    try:
        result = finetune.clean(args.file, format=_format(args.format), max_tokens=args.max_tokens,
                                counter=args.counter, val_fraction=args.val_fraction, seed=args.seed)
    except (finetune.DatasetFileError, ValueError) as exc:
        print(f"labkit ft clean: {exc}", file=sys.stderr)
        return 2
    export = {"openai": finetune.to_openai, "bedrock": finetune.to_bedrock, "trl": finetune.to_trl}[args.to]
    out = Path(args.out)
    train = finetune.write_jsonl(export(result.train), out / "train.jsonl")
    val = finetune.write_jsonl(export(result.val), out / "val.jsonl")
    print(result)
    print(f"\nwrote {train} ({len(result.train)} lines) and {val} ({len(result.val)} lines) "
          f"in {args.to} format")
    return 0

