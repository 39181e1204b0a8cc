"""A small LoRA fine-tuning run on the CPU, and the before/after measurement of what it changed.

    from labkit import finetune as ft
    train, held_out = ft.default_split(120, 20)
    result = ft.train_lora(train, held_out, max_steps=40)     # 120 tickets: minutes on 2 cores
    after = ft.evaluate_format(ft.load_finetuned(result.adapter_dir), held_out)

LoRA (low-rank adaptation) freezes the base model and trains two small matrices per chosen layer. Here
they sit on every linear layer of SmolLM2-135M (attention q/k/v/o and the MLP), r=16: ~4.9M trainable
weights, 3.5% of the model. With a learning rate that is high for LoRA (2e-3, decaying linearly) that
is enough to learn the reply format in a few dozen steps; r=8 on q/v alone at 1e-3 barely moved the loss in
that budget and left the format as broken as before. The loss is computed on the assistant's reply only:
the system prompt and the ticket are masked (label -100), so the model learns to *write replies*, not to
predict tickets.

Run it from a terminal: `python -m labkit.finetune.train --full` (also `make finetune`) trains the default
adapter, prints the before/after table and records everything in `run.json` next to the adapter
(`load_run` reads it back); `--steps N --train N --eval N` make it shorter.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import resource
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from labkit.finetune.examples import Example, as_examples
from labkit.finetune.model import adapters_dir, base_model_dir, load_base, peft_quietly
from labkit.finetune.validate import REPLY_MAX_TOKENS, support_format

IGNORE = -100  # PyTorch's cross-entropy skips positions labelled -100: the masked prompt tokens
CITED = re.compile(r"Source: \[([\w.-]+)\]")
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
RUN_RECORD = "run.json"  # what `python -m labkit.finetune.train` writes next to the adapter
FULL_RUN = {"train": 120, "steps": 40, "eval": 20}  # `--full` / `make finetune`


@dataclass
class TrainResult:
    """What a training run produced and what it cost."""

    adapter_dir: Path
    losses: list[float]       # training loss (reply tokens only) of every step
    val_loss: float           # mean loss per reply token on the validation examples, after training
    wall_seconds: float
    cpu_seconds: float        # CPU time of this process during the run: unlike wall time, not inflated by
                              # other programs competing for the cores
    peak_rss_mb: float        # the process's peak resident memory (includes the model load)
    n_train: int
    base_model: str
    steps: int = 0
    trainable_params: int = 0
    total_params: int = 0
    settings: dict = field(default_factory=dict)  # the hyperparameters of the run

    def to_dict(self) -> dict:
        return {**asdict(self), "adapter_dir": str(self.adapter_dir)}


def encode(tokenizer, messages: list[dict], max_length: int) -> tuple[list[int], list[int]]:
    """(input ids, labels) of one chat example; labels are IGNORE everywhere except the last reply.

    The prompt is rendered exactly as at inference time (chat template + the assistant header), and the
    reply is followed by the end-of-turn token so that the model also learns when to stop.
    """
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    reply = messages[-1]["content"] + tokenizer.eos_token
    reply_ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + reply_ids)[:max_length]
    labels = ([IGNORE] * len(prompt_ids) + reply_ids)[:max_length]
    return ids, labels


def _batch(rows: list[tuple[list[int], list[int]]], pad_id: int):
    """Pad a list of (ids, labels) on the right into tensors (padding is masked out of the loss)."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.tensor([i + [pad_id] * (width - len(i)) for i, _ in rows])
    labels = torch.tensor([lab + [IGNORE] * (width - len(lab)) for _, lab in rows])
    mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in rows])
    return ids, labels, mask


def _reply_loss(model, rows, pad_id: int, batch_size: int) -> float:
    """Mean loss per reply token over `rows`, without training."""
    import torch

    total, tokens = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            ids, labels, mask = _batch(chunk, pad_id)
            n = int((labels[:, 1:] != IGNORE).sum())  # the model predicts token t+1 from tokens <= t
            total += float(model(input_ids=ids, attention_mask=mask, labels=labels).loss) * n
            tokens += n
    return total / max(tokens, 1)


def train_lora(train: Iterable[Example | dict], val: Iterable[Example | dict] = (), base: Path | None = None,
               out_dir: str | Path | None = None, r: int = 16, alpha: int = 32,
               target_modules: tuple[str, ...] = ALL_LINEAR, epochs: int = 1,
               max_steps: int | None = None, lr: float = 2e-3, batch_size: int = 4, max_length: int = 384,
               seed: int = 0, log_every: int = 0, final_lr: float = 0.1) -> TrainResult:
    """Train a LoRA adapter on chat examples; save it to `out_dir` (default `<cache>/adapters/support-lora`).

    base: the base model's GGUF file (default SmolLM2-135M-Instruct). epochs passes over `train`, cut
    short at `max_steps` optimizer steps of `batch_size` examples. A plain PyTorch loop: shuffle, forward,
    loss on the reply tokens, backward, AdamW step; the learning rate falls linearly from `lr` to
    `final_lr * lr` at the last step. `log_every` prints the loss every N steps. The support tickets are
    180-270 tokens long, so the default max_length=384 cuts nothing; lower it only for shorter runs.
    """
    import torch
    from peft import LoraConfig, get_peft_model

    started, cpu_started = time.perf_counter(), time.process_time()
    torch.manual_seed(seed)
    train, val = as_examples(train), as_examples(val)
    if not train:
        raise ValueError("train_lora needs at least one training example")
    model, tokenizer = load_base(base)
    with peft_quietly():
        model = get_peft_model(model, LoraConfig(r=r, lora_alpha=alpha, target_modules=list(target_modules),
                                                 lora_dropout=0.0, task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    pad = tokenizer.eos_token_id
    rows = [encode(tokenizer, ex.messages, max_length) for ex in train]
    for ex, (_, labels) in zip(train, rows, strict=True):
        if all(label == IGNORE for label in labels):
            raise ValueError(f"example from line {ex.line}: its prompt alone fills max_length={max_length} "
                             "tokens, so no reply token is left to learn from; raise max_length")
    val_rows = [encode(tokenizer, ex.messages, max_length) for ex in val]

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    order = random.Random(seed)
    steps_per_epoch = math.ceil(len(rows) / batch_size)
    n_steps = max_steps or epochs * steps_per_epoch  # max_steps wins (it may go past one epoch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1 - (1 - final_lr) * min(step / max(n_steps - 1, 1), 1))
    losses: list[float] = []
    model.train()
    while len(losses) < n_steps:  # one pass over the shuffled examples per epoch, until n_steps
        shuffled = order.sample(rows, len(rows))
        for start in range(0, len(shuffled), batch_size):
            ids, labels, mask = _batch(shuffled[start:start + batch_size], pad)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            if log_every and len(losses) % log_every == 0:
                print(f"step {len(losses):>4}/{n_steps}  loss {losses[-1]:.3f}", flush=True)
            if len(losses) >= n_steps:
                break
    model.eval()
    val_loss = _reply_loss(model, val_rows, pad, batch_size) if val_rows else float("nan")

    out = Path(out_dir) if out_dir else adapters_dir() / "support-lora"
    model.save_pretrained(out)  # only the adapter: a few MB, not the base model
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KB
    settings = {"r": r, "alpha": alpha, "target_modules": list(target_modules), "lr": lr,
                "final_lr": final_lr, "batch_size": batch_size, "max_length": max_length, "epochs": epochs,
                "seed": seed}
    return TrainResult(out, losses, val_loss, time.perf_counter() - started,
                       time.process_time() - cpu_started, peak, len(train),
                       base_model_dir(base).name, len(losses), trainable, total, settings)


# ------------------------------------------------------------------------------------ evaluation
@dataclass
class FormatResult:
    """One held-out ticket: the reply, whether it has the format, and which document it cites."""

    ticket: str
    reply: str
    format_problem: str | None   # None when the reply follows support_format
    gold_doc: str
    cited_doc: str | None
    output_tokens: int = 0


@dataclass
class FormatScore:
    """Format adherence and key-fact accuracy of one model on held-out tickets."""

    adherence: float            # share of replies that pass labkit.finetune.support_format
    key_fact_accuracy: float    # share of replies citing the same [doc-id] as the gold reply
    n: int
    per_example: list[FormatResult] = field(default_factory=list)
    seconds: float = 0.0


def cited_doc(reply: str) -> str | None:
    """The doc id of the first 'Source: [doc-id]' in a reply, wherever it is (None if there is none)."""
    found = CITED.search(reply)
    return found.group(1) if found else None


def evaluate_format(model_or_client, tickets: Iterable[Example | dict], model: str | None = None,
                    max_tokens: int = REPLY_MAX_TOKENS, system: str | None = None) -> FormatScore:
    """Ask each ticket (its own system prompt unless `system` is given) and score the replies.

    model_or_client: a FinetunedModel / LocalModel (anything with `.generate(system, turns, max_tokens)`),
    or an `anthropic.Anthropic` client, then `model` is the model id to call.
    Key-fact accuracy is a cheap, deterministic proxy: the reply cites the same knowledge-base document as
    the gold reply (the document that holds the facts needed). It does not read the steps themselves.
    """
    started = time.perf_counter()
    results = []
    for ex in as_examples(tickets):
        by_role = {m["role"]: m["content"] for m in ex.messages}
        prompt = system if system is not None else by_role.get("system")
        if hasattr(model_or_client, "generate"):
            g = model_or_client.generate(prompt, [("user", by_role["user"])], max_tokens)
            reply, used = g.text, g.output_tokens
        else:
            if model is None:
                raise ValueError("evaluate_format with a client needs model=, e.g. model='ft:...'")
            kwargs = {"system": prompt} if prompt else {}
            msg = model_or_client.messages.create(model=model, max_tokens=max_tokens, **kwargs,
                                                  messages=[{"role": "user", "content": by_role["user"]}])
            reply, used = msg.content[0].text if msg.content else "", msg.usage.output_tokens
        results.append(FormatResult(by_role["user"], reply, support_format(reply),
                                    cited_doc(by_role["assistant"]) or "", cited_doc(reply), used))
    n = len(results)
    return FormatScore(adherence=sum(r.format_problem is None for r in results) / max(n, 1),
                       key_fact_accuracy=sum(r.cited_doc == r.gold_doc for r in results) / max(n, 1),
                       n=n, per_example=results, seconds=time.perf_counter() - started)


def default_split(n_train: int = 120, n_eval: int = 20, seed: int = 0) -> tuple[list[Example], list[Example]]:
    """The course's split of the clean tickets: (first n_train training examples, first n_eval held out),
    using labkit.finetune.split (near-duplicates never straddle the two sides)."""
    from labkit.data import load_tickets
    from labkit.finetune.clean import split

    train, held_out = split(as_examples(load_tickets()), val_fraction=0.1, seed=seed)
    return train[:n_train], held_out[:n_eval]


def comparison_table(before: FormatScore, after: FormatScore) -> str:
    """A markdown table of the two scores."""
    rows = ["| model | format adherence | key-fact accuracy | n |", "|---|---:|---:|---:|"]
    for name, s in (("SmolLM2-135M (base)", before), ("SmolLM2-135M + LoRA", after)):
        rows.append(f"| {name} | {s.adherence:.0%} | {s.key_fact_accuracy:.0%} | {s.n} |")
    return "\n".join(rows)


def load_run(adapter_dir: str | Path | None = None) -> dict | None:
    """The record `python -m labkit.finetune.train` wrote next to an adapter (default: the course's
    default adapter folder), or None when there is none: settings, losses, wall/CPU time, peak memory,
    before/after scores with every reply."""
    path = Path(adapter_dir or adapters_dir() / "support-lora") / RUN_RECORD
    return json.loads(path.read_text()) if path.exists() else None


def main(argv: list[str] | None = None) -> dict:
    from labkit.finetune.model import FinetunedModel

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    full = "{train} tickets, {steps} steps, {eval} held out".format(**FULL_RUN)
    parser.add_argument("--full", action="store_true", help=f"the course's full run: {full}")
    parser.add_argument("--train", type=int, default=FULL_RUN["train"], help="training examples")
    parser.add_argument("--steps", type=int, default=FULL_RUN["steps"], help="optimizer steps (batch 4)")
    parser.add_argument("--eval", type=int, default=FULL_RUN["eval"], help="held-out tickets to score")
    parser.add_argument("--out", default=None, help="adapter folder (default <cache>/adapters/support-lora)")
    parser.add_argument("--record", default=None, help="also write the run record (JSON) to this file")
    parser.add_argument("--max-tokens", type=int, default=REPLY_MAX_TOKENS, help="reply length limit in the evaluation")
    args = parser.parse_args(argv)
    if args.full:
        args.train, args.steps, args.eval = FULL_RUN["train"], FULL_RUN["steps"], FULL_RUN["eval"]
    train, held_out = default_split(args.train, args.eval)
    limit = args.max_tokens
    result = train_lora(train, held_out, out_dir=args.out, max_steps=args.steps, log_every=5)
    print(f"trained {result.steps} steps on {result.n_train} examples in {result.wall_seconds:.0f} s "
          f"({result.cpu_seconds:.0f} s CPU), "
          f"peak memory {result.peak_rss_mb:,.0f} MB; "
          f"loss {result.losses[0]:.2f} -> {result.losses[-1]:.2f}, "
          f"validation loss {result.val_loss:.2f}; adapter in {result.adapter_dir}", flush=True)
    record = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "n_eval": len(held_out),
              "train": result.to_dict()}
    paths = [result.adapter_dir / RUN_RECORD] + ([Path(args.record)] if args.record else [])

    def save() -> None:  # after each stage: a long run interrupted later still leaves its figures
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, indent=1) + "\n")

    save()
    scores = {}
    for name, adapter in (("after", result.adapter_dir), ("before", None)):
        score = scores[name] = evaluate_format(FinetunedModel(adapter), held_out, max_tokens=limit)
        record[name] = asdict(score)
        save()
        print(f"{name}: {score.adherence:.0%} format adherence, {score.key_fact_accuracy:.0%} key-fact "
              f"accuracy on {score.n} held-out tickets ({score.seconds:.0f} s)", flush=True)
    print(comparison_table(scores["before"], scores["after"]))
    print("run record: " + ", ".join(map(str, paths)))
    return record


if __name__ == "__main__":
    main()
