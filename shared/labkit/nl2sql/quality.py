"""Quality vs quantity, measured: the seed says "You need 100-1000+ high-quality examples; quality matters
more than quantity". The SQL adapter is trained on 25, 50 and all 119 training pairs (3 epochs each), and on
all 119 with 30% of the gold queries deliberately corrupted (a wrong join or a wrong column that still runs,
`labkit.nl2sql.corrupt`); each adapter answers the 40 validation questions, scored by running the SQL.

    python -m labkit.nl2sql.quality          # `make sql-quality`; writes labkit/data/records/sql_quality.json (~40 min)

Validation, not test: the curve is for choosing a data budget (lab exercise), and choices are made on
validation. The adapters of this experiment are not kept (the course's SQL adapter is `make finetune`'s).
"119 clean" is exactly the course adapter's recipe (same pairs, steps, batch, length and seed), so when its
committed record matches (`course_run`) its training and validation scores are reused, not trained again.
Used by the NL->SQL lesson section and lab.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from labkit.paths import SHIPPED_RECORDS

RECORD = SHIPPED_RECORDS / "sql_quality.json"  # in the package: lab 3b reads it in the grading sandbox
SQL_RECORD = "shared/labkit/data/adapters/sql.json"
SIZES = (25, 50, 119)
CORRUPT_SHARE = 0.3
EPOCHS = 3
BATCH = 8
MICRO_BATCH = 4  # the course SQL adapter's slices (labkit.finetune.runs): the same memory
LR = 1e-3
MAX_LENGTH = 256  # tokens per example, as in the course SQL recipe (labkit.finetune.runs)


@dataclass(frozen=True)
class Condition:
    """One training set of the experiment."""

    name: str
    n_train: int
    corrupt_share: float = 0.0

    @property
    def steps(self) -> int:
        return math.ceil(EPOCHS * self.n_train / BATCH)


CONDITIONS = tuple(Condition(f"{n} clean", n) for n in SIZES) + (
    Condition(f"{SIZES[-1]}, {CORRUPT_SHARE:.0%} corrupted", SIZES[-1], CORRUPT_SHARE),)


def training_pairs(condition: Condition) -> tuple[list, list]:
    """(training pairs, the corruptions applied) of a condition: the first n of the train split."""
    from labkit.nl2sql import corrupt, load_split

    pairs = load_split().train[: condition.n_train]
    if condition.corrupt_share:
        return corrupt(pairs, condition.corrupt_share)
    return list(pairs), []


def course_run(condition: Condition, pairs: list, n_eval: int) -> dict | None:
    """The course SQL adapter's record if it was trained exactly as `condition` on `pairs` and scored on the
    same `n_eval` validation questions (then training again would repeat it), else None."""
    from labkit.adapters import SQL
    from labkit.finetune.runs import RECIPES, data_sha256
    from labkit.nl2sql import training_rows

    record, recipe = SQL.record(), RECIPES["sql"]
    if (record is None or condition.corrupt_share or recipe.steps != condition.steps
            or recipe.batch_size != BATCH or recipe.micro_batch != MICRO_BATCH or recipe.lr != LR
            or recipe.max_length != MAX_LENGTH
            or record["data"]["sha256"] != data_sha256(training_rows(pairs))
            or record["after"]["n"] != n_eval):
        return None
    return record


def run(conditions=CONDITIONS, n_eval: int = 40, log=print) -> dict:
    """Train and evaluate every condition; returns the record (also what `main` writes)."""
    from labkit import adapters
    from labkit.finetune import train_lora
    from labkit.llm import get_client
    from labkit.nl2sql import FineTuned, evaluate, load_split, training_rows

    client = get_client("local")
    validation = load_split().validation[:n_eval]
    record: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "epochs": EPOCHS, "batch_size": BATCH,
                    "validation": [p.id for p in validation], "conditions": []}
    with tempfile.TemporaryDirectory(prefix="sql-quality-") as tmp:
        for i, condition in enumerate(conditions):
            pairs, corruptions = training_pairs(condition)
            course = course_run(condition, pairs, len(validation))
            if course is not None:
                log(f"{condition.name}: the course SQL adapter's committed run ({SQL_RECORD})")
                after = course["after"]
                record["conditions"].append({
                    **asdict(condition), "steps": condition.steps, "corrupted": [], "from": SQL_RECORD,
                    "train": course["train"], "summary": {k: v for k, v in after.items() if k != "records"},
                    "records": after["records"]})
                continue
            log(f"{condition.name}: {len(pairs)} pairs, {condition.steps} steps")
            result = train_lora(training_rows(pairs), out_dir=Path(tmp) / f"c{i}", max_steps=condition.steps,
                                batch_size=BATCH, micro_batch=MICRO_BATCH, lr=LR,
                                max_length=MAX_LENGTH)
            model_id = f"ft:sql-quality:{i}"
            adapters.register(model_id, result.gguf)
            sql_run = evaluate(FineTuned(model=model_id, client=client), validation)
            log(f"  execution accuracy {sql_run.summary.execution_accuracy:.2f}, "
                f"trained in {result.wall_seconds:.0f} s")
            record["conditions"].append({
                **asdict(condition), "steps": condition.steps, "corrupted": [asdict(c) for c in corruptions],
                "train": {k: v for k, v in result.to_dict().items() if k not in ("adapter_dir", "gguf")},
                "summary": sql_run.summary.as_dict(), "records": [asdict(r) for r in sql_run.records]})
    return record


def load() -> dict | None:
    """The committed record of `make sql-quality` (labkit/data/records/sql_quality.json), or None."""
    return json.loads(RECORD.read_text()) if RECORD.exists() else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RECORD)
    parser.add_argument("--eval", type=int, default=40, help="validation questions")
    args = parser.parse_args(argv)
    record = run(n_eval=args.eval)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
