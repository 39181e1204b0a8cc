"""Write the README's "What the recorded run found" block from the committed recorded run.

    .venv/bin/python tools/record_headlines.py                 # print the block
    .venv/bin/python tools/record_headlines.py --write README.md   # replace it between the markers

The README quotes the recorded run (`make record` -> bench/compare_all.json) with its intervals, but a
figure typed by hand drifts from the run it quotes. So the block between `<!-- record:start -->` and
`<!-- record:end -->` is generated here, `make record` rewrites it, and tests/test_house.py fails when the
README's block is not what this script makes from the committed record.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from labkit.commands.compare_report import split_table, splits_from_record
from labkit.stats import Estimate

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "bench" / "compare_all.json"
START, END = "<!-- record:start -->", "<!-- record:end -->"
COLUMNS = [("accuracy", "accuracy", "{:.2f}", 1), ("hallucination_rate", "hallucination", "{:.2f}", 1),
           ("format_ok", "its format", "{:.2f}", 1), ("p50_latency_ms", "p50 s", "{:.1f}", 1 / 1000),
           ("cost_per_million", "$ per 1M (Sonnet price)", "{:,.0f}", 1)]


def cell(estimate: dict, fmt: str, scale: float) -> str:
    """'0.35 [0.25, 0.47]': the value and its 95% interval, or n/a (labkit.stats.Estimate.format)."""
    return Estimate.from_dict(estimate).scaled(scale).format(fmt)


def block(record: dict) -> str:
    """The markdown between the markers (markers included)."""
    strategies = record["strategies"]
    answerable = sum(r["answerable"] for r in next(iter(strategies.values()))["records"])
    counts = ", ".join(f"{n} {v}" for v, n in record["verdict_counts"].items())
    which = {"all": "dev + test questions"}.get(record["split"], f"{record['split']} questions")
    lines = [START, "",
             f"`make record`: {len(record['questions'])} {which} ({answerable} answerable), "
             f"{len(strategies)} strategies, one base model, {record['wall_seconds'] / 60:.0f} min on the "
             "2-core machine. Each figure is the value and its 95% interval (bench/compare_all.md has every "
             "metric, the freshness test, setup, iteration, volume and cost scenarios).", "",
             "| strategy | " + " | ".join(label for _, label, _, _ in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for name, s in strategies.items():
        lines.append(f"| {name} | " + " | ".join(cell(s["metrics"][m], fmt, scale) for m, _, fmt, scale in COLUMNS)
                     + " |")
    if record.get("by_split"):
        lines += ["", "Each split alone (the lessons tune on dev; nobody tunes on test):", "",
                  split_table(splits_from_record(record["by_split"]))]
    lines += ["", f"The seed's {len(record['claims'])} tested claims: {counts}. {len(record['questions'])} "
              "questions separate large gaps only; where intervals overlap the verdict says inconclusive, and "
              "lesson 04 computes how many questions it would take.", "", END]
    return "\n".join(lines)


def replaced(text: str, new_block: str) -> str:
    """`text` with its block between the markers replaced; ValueError when the markers are missing."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {START} ... {END} block to replace")
    return text[:start] + new_block + text[end + len(END):]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record", type=Path, default=RECORD)
    parser.add_argument("--write", type=Path, metavar="README", help="replace the block in this file")
    args = parser.parse_args()
    try:
        new_block = block(json.loads(args.record.read_text()))
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        print(f"{args.record}: not a recorded run ({exc!r}); run `make record`", file=sys.stderr)
        return 1
    if not args.write:
        print(new_block)
        return 0
    try:
        args.write.write_text(replaced(args.write.read_text(), new_block))
    except ValueError as exc:
        print(f"{args.write}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote the recorded-run block of {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
