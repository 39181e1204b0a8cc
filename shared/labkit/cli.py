"""`labkit ...`: the course's command line (what the notebooks do, from a terminal or CI).

Each feature module owns its subcommands: it has an `add_commands(subparsers)` function that adds them
and sets `func` on each parser; this file only collects them. A command's `func(args)` returns the
process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that contribute subcommands (imported lazily so `labkit --help` stays fast).
COMMAND_MODULES = [
    "labkit.commands.info",
    "labkit.commands.rag",
    "labkit.commands.finetune",
    "labkit.commands.grading",
    "labkit.commands.compare",
    "labkit.commands.serve",
    "labkit.commands.sql",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labkit", description="Strategy Lab: prompt engineering vs RAG vs "
                                     "fine-tuning, built and measured.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
