"""`make finetune`: train the course's adapters, measure each before/after, and record everything.

    python -m labkit.finetune.runs --adapter support-format      # or support-knowledge, sql; --all
    python -m labkit.finetune.runs --adapter support-format --steps 4 --train 16 --eval 3 --out /tmp/x

Each run trains a LoRA on the course model (`labkit.finetune.train_lora`), writes the GGUF adapter and a
run record (`labkit/data/adapters/<name>.gguf` and `.json`, see `labkit.adapters`), then asks held-out
items of the base model and of the adapter through the same engine and records both:
- support-format: tickets of scenarios the training tickets do not cover; format adherence and whether
  the reply cites the gold document (`labkit.finetune.heldout`), beside the prompting baselines (the base
  model with 1, 2 or 4 training tickets as examples: is training needed for the format at all?);
- support-knowledge: the knowledge base's facts asked in other words than in training; key-fact recall
  (`labkit.finetune.knowledge`);
- sql: the NL->SQL validation split, with the seed's system prompt and no schema; execution accuracy, the
  one-SELECT format, invalid SQL (`labkit.nl2sql`).
The record holds the data's SHA-256, the settings, every loss, wall and CPU time, peak memory, the
adapter's SHA-256 and every held-out reply; a test checks the committed adapters against it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit import adapters
from labkit.finetune.reply_format import REPLY_MAX_TOKENS
from labkit.finetune.train import TrainResult, train_lora
from labkit.models import DEFAULT_MODEL


@dataclass(frozen=True)
class Recipe:
    """How one course adapter is trained and measured."""

    adapter: adapters.Adapter
    n_train: int
    steps: int
    n_eval: int
    data: Callable[[int, int], tuple[list, list]]                       # (n_train, n_eval) -> (train, held out)
    measure: Callable[[object, str, list], dict]                        # (client, model id, held out) -> scores
    batch_size: int = 4
    lr: float = 1e-3
    max_length: int = 384
    micro_batch: int | None = None    # slices of a step's batch (same step, less memory; see train_lora)
    baselines: Callable[[object, list], dict] | None = None            # (client, held out) -> {name: scores}


def _support_data(n_train: int, n_eval: int) -> tuple[list, list]:
    from labkit.finetune.heldout import default_split

    return default_split(n_train, n_eval)


def _support_measure(client, model: str, held_out: list) -> dict:
    from labkit.finetune.heldout import evaluate_format

    return asdict(evaluate_format(client, held_out, model=model, max_tokens=REPLY_MAX_TOKENS))


FEW_SHOT = (1, 2, 4)  # the prompting baselines of the format adapter: k training tickets as examples


def _support_baselines(client, held_out: list) -> dict:
    """Prompting for the format instead of training it: the base model with k training tickets as examples."""
    from labkit.finetune.heldout import default_split, evaluate_format

    return {f"{k}-shot": asdict(evaluate_format(client, held_out, model=DEFAULT_MODEL, max_tokens=REPLY_MAX_TOKENS,
                                                examples=default_split(k, 0)[0])) for k in FEW_SHOT}


def _knowledge_data(n_train: int, n_eval: int) -> tuple[list, list]:
    from labkit.finetune.knowledge import load_heldout, load_train

    scored = [item for item in load_heldout() if item["key_facts"]]
    step = max(1, len(scored) // max(n_eval, 1))
    return load_train()[:n_train], scored[::step][:n_eval]   # spread over all documents


def _knowledge_measure(client, model: str, held_out: list) -> dict:
    from labkit.finetune.knowledge import evaluate_recall

    return asdict(evaluate_recall(client, model, held_out))


def _sql_data(n_train: int, n_eval: int) -> tuple[list, list]:
    from labkit.nl2sql import load_split, training_rows

    split = load_split()
    return training_rows(split.train[:n_train]), split.validation[:n_eval]


def _sql_measure(client, model: str, held_out: list) -> dict:
    from labkit.nl2sql import FineTuned, evaluate

    run = evaluate(FineTuned(model=model, client=client), held_out)
    return {**run.summary.as_dict(), "records": [asdict(r) for r in run.records]}


RECIPES = {
    "support-format": Recipe(adapters.FORMAT, n_train=160, steps=40, n_eval=20, data=_support_data,
                             measure=_support_measure, baselines=_support_baselines),
    "support-knowledge": Recipe(adapters.KNOWLEDGE, n_train=335, steps=63, n_eval=40, batch_size=8,
                                max_length=256, data=_knowledge_data, measure=_knowledge_measure),
    # batches of 8 in slices of 4: in one piece, 8 SQL pairs peaked at 8.8 GB, over the 8 GB laptop limit
    "sql": Recipe(adapters.SQL, n_train=119, steps=45, n_eval=40, batch_size=8, max_length=256, micro_batch=4,
                  data=_sql_data, measure=_sql_measure),
}


def data_sha256(examples: list) -> str:
    """SHA-256 of the training examples as JSON lines, in order: what exactly the adapter was trained on."""
    lines = [json.dumps(ex.to_dict() if hasattr(ex, "to_dict") else ex, sort_keys=True) for ex in examples]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def run(name: str, steps: int | None = None, n_train: int | None = None, n_eval: int | None = None,
        out: Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Train adapter `name`, measure it before/after, write `<out>/<name>.gguf` and `<name>.json`
    (default out: labkit/data/adapters, the committed course adapters). Returns the record."""
    from labkit.engine import model_name, model_path
    from labkit.llm import get_client

    recipe = RECIPES[name]
    steps, n_train, n_eval = steps or recipe.steps, n_train or recipe.n_train, n_eval or recipe.n_eval
    train, held_out = recipe.data(n_train, n_eval)
    out = Path(out) if out else adapters.ADAPTER_DIR
    work = out / name
    log(f"training {name}: {len(train)} examples, {steps} steps of {recipe.batch_size}")
    result: TrainResult = train_lora(train, held_out if name == "support-format" else (), out_dir=work,
                                     max_steps=steps, batch_size=recipe.batch_size, lr=recipe.lr,
                                     max_length=recipe.max_length, log_every=5, micro_batch=recipe.micro_batch)
    gguf = out / f"{name}.gguf"
    shutil.copyfile(result.gguf, gguf)   # out/<name>/<name>.gguf -> out/<name>.gguf
    base = model_path()
    record: dict[str, Any] = {"adapter": name, "model_id": recipe.adapter.model_id,
              "when": datetime.now(UTC).isoformat(timespec="seconds"),
              "base_model": model_name(base), "base_model_bytes": base.stat().st_size,
              "data": {"n_train": len(train), "sha256": data_sha256(train), "n_held_out": len(held_out)},
              "train": {k: v for k, v in result.to_dict().items() if k not in ("adapter_dir", "gguf")},
              "adapter_sha256": adapters.sha256(gguf), "adapter_bytes": gguf.stat().st_size}
    log(f"trained in {result.wall_seconds:.0f} s ({result.cpu_seconds:.0f} s CPU), peak {result.peak_rss_mb:,.0f} MB; "
        f"loss {result.losses[0]:.2f} -> {result.losses[-1]:.2f}")
    client = get_client("local")
    model_id = f"ft:measure-{name}"
    adapters.register(model_id, gguf)
    for when, model in (("before", DEFAULT_MODEL), ("after", model_id)):
        record[when] = recipe.measure(client, model, held_out)
        log(f"{when}: " + ", ".join(f"{k} {v:.2f}" for k, v in record[when].items() if isinstance(v, float)))
    if recipe.baselines:
        record["baselines"] = recipe.baselines(client, held_out)
        log("baselines: " + ", ".join(f"{k} {v['adherence']:.2f}" for k, v in record["baselines"].items()))
    (out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adapter", choices=sorted(RECIPES), action="append", help="which adapter (repeatable)")
    parser.add_argument("--all", action="store_true", help="every course adapter")
    parser.add_argument("--steps", type=int, help="optimizer steps (default: the recipe's)")
    parser.add_argument("--train", type=int, help="training examples (default: the recipe's)")
    parser.add_argument("--eval", type=int, help="held-out items (default: the recipe's)")
    parser.add_argument("--out", type=Path, help="folder for <name>.gguf and <name>.json (default: the course's)")
    args = parser.parse_args(argv)
    names = sorted(RECIPES) if args.all else (args.adapter or [])
    if not names:
        parser.error("say which adapter: --adapter NAME or --all")
    for name in names:
        run(name, args.steps, args.train, args.eval, args.out)


if __name__ == "__main__":
    main()
