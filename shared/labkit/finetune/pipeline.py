"""`clean(path)`: the whole data preparation in one call, with every input line accounted for.

    validate -> drop lines with errors (and off-format replies) -> dedupe -> scrub PII -> split

Nothing is silently lost: each input line ends up in `train`, in `val`, or in `dropped` with the step
and the reason, and `CleanResult.check_accounted()` proves it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labkit.finetune.cleaning import DedupeReport, PiiReport, dedupe, scrub_pii, split
from labkit.finetune.examples import Example, read_lines
from labkit.finetune.tokens import TokenCounter
from labkit.finetune.validation import DEFAULT_MAX_TOKENS, Report, validate


@dataclass(frozen=True)
class Dropped:
    line: int
    step: str     # "validate" | "dedupe"
    kind: str     # the problem kind, e.g. invalid_json, wrong_format, near_duplicate
    reason: str


@dataclass(frozen=True)
class Step:
    name: str
    n_in: int
    n_out: int
    note: str = ""


@dataclass
class CleanResult:
    """The cleaned train/validation examples, what was dropped and why, and the counts per step."""

    path: str
    n_lines: int
    train: list[Example]
    val: list[Example]
    dropped: list[Dropped]
    steps: list[Step]
    report: Report          # the validation report of the input file
    dedupe: DedupeReport
    pii: PiiReport

    def check_accounted(self) -> None:
        """Raise AssertionError unless every input line is in exactly one of train, val, dropped."""
        seen = Counter([ex.line for ex in self.train + self.val] + [d.line for d in self.dropped])
        missing = sorted(set(range(1, self.n_lines + 1)) - set(seen))
        twice = sorted(line for line, n in seen.items() if n > 1)
        assert not missing and not twice and len(seen) == self.n_lines, (
            f"lines not accounted for: {missing[:10]}; counted twice: {twice[:10]}")

    def __str__(self) -> str:
        rows = [(f"{Path(self.path).name}: {self.n_lines} lines -> {len(self.train)} train + {len(self.val)} "
                 f"validation, {len(self.dropped)} dropped"), "", f"{'step':<10} {'in':>5} {'out':>5}  note"]
        rows += [f"{s.name:<10} {s.n_in:>5} {s.n_out:>5}  {s.note}" for s in self.steps]
        return "\n".join(rows)


def clean(path: str | Path, *, format: Callable[[str], str | None] | None = None,
          max_tokens: int = DEFAULT_MAX_TOKENS, counter: str | TokenCounter = "auto",
          val_fraction: float = 0.1, seed: int = 0) -> CleanResult:
    """Validate, drop unusable lines, dedupe, scrub PII and split the file at `path`.

    Dropped at validation: every line with an error, blank lines, and (when `format` is given) lines
    whose reply is off-format. PII lines are kept with placeholders; duplicates keep their first copy.
    """
    report = validate(path, max_tokens=max_tokens, format=format, counter=counter)
    drop_kinds = {"blank_line", "wrong_format"}
    reasons: dict[int, tuple[str, str]] = {}
    for p in report.problems:  # the first error (or droppable warning) of a line is its reason
        if (p.severity == "error" or p.kind in drop_kinds) and p.line not in reasons:
            reasons[p.line] = (p.kind, p.message)
    dropped = [Dropped(line, "validate", kind, msg) for line, (kind, msg) in sorted(reasons.items())]

    examples = []
    for line, text in read_lines(path):
        if line not in reasons:
            assert text is not None  # validate reports a line that is not UTF-8 as an error (invalid_json)
            examples.append(Example(messages=json.loads(text)["messages"], line=line))
    kept, dedupe_report = dedupe(examples)
    dropped += [Dropped(d.line, "dedupe", "duplicate" if d.kind == "exact" else "near_duplicate", d.reason)
                for d in dedupe_report.dropped]
    scrubbed, pii_report = scrub_pii(kept)
    train, val = split(scrubbed, val_fraction=val_fraction, seed=seed)

    validate_drops = Counter(d.kind for d in dropped if d.step == "validate")
    by_kind = ", ".join(f"{k}: {n}" for k, n in sorted(validate_drops.items()))
    steps = [
        Step("read", report.n_lines, report.n_lines, f"token counter: {report.counter}"),
        Step("validate", report.n_lines, len(examples), f"dropped {by_kind or 'nothing'}"),
        Step("dedupe", len(examples), len(kept), f"dropped {dedupe_report.counts['exact']} exact, "
                                                  f"{dedupe_report.counts['near']} near-duplicates"),
        Step("scrub_pii", len(kept), len(scrubbed), str(pii_report)),
        Step("split", len(scrubbed), len(train) + len(val), f"{len(train)} train, {len(val)} validation "
                                                             f"(seed {seed}, near-duplicates grouped)"),
    ]
    result = CleanResult(str(path), report.n_lines, train, val, sorted(dropped, key=lambda d: d.line), steps,
                         report, dedupe_report, pii_report)
    result.check_accounted()
    return result
