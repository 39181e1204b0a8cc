"""A small LoRA fine-tuning run on the CPU, on the course model, exported for the course engine.

    from labkit import finetune as ft
    train, held_out = ft.default_split(120, 20)              # tickets, split by scenario
    result = ft.train_lora(train, held_out, max_steps=40)    # minutes on 2 cores
    labkit.adapters.register("ft:my-run", result.gguf)       # now answered by the same llama.cpp engine

LoRA (low-rank adaptation) freezes the base model and trains two small matrices per chosen layer. Here
they sit on every linear layer of Qwen2.5-Coder-0.5B-Instruct (attention q/k/v/o and the MLP), r=16:
~8.8M trainable weights, 1.8% of the model. The loss is computed on the assistant's reply only: the
system prompt and the user turn are masked (label -100), so the model learns to *write replies*, not to
predict questions. Activations are recomputed in the backward pass (gradient checkpointing), which keeps a
batch of 4 tickets near 6 GB of memory. The adapter is saved by peft and exported as a GGUF LoRA, the form
llama.cpp applies to the quantized model it serves (`labkit.finetune.gguf_lora`, `labkit.engine`).
Used by lesson 03; the course's adapters are trained by `make finetune` (`labkit.finetune.runs`).
"""

from __future__ import annotations

import math
import random
import resource
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit.finetune.examples import Example, as_examples
from labkit.finetune.gguf_lora import export_gguf
from labkit.finetune.model import adapters_dir, base_model_dir, load_base, peft_quietly

IGNORE = -100  # PyTorch's cross-entropy skips positions labelled -100: the masked prompt tokens
ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class TrainResult:
    """What a training run produced and what it cost."""

    adapter_dir: Path         # peft's files
    gguf: Path                # the same adapter for llama.cpp: <out_dir>/<out_dir name>.gguf
    losses: list[float]       # training loss (reply tokens only) of every step
    val_loss: float           # mean loss per reply token on the validation examples, after training
    wall_seconds: float
    cpu_seconds: float        # CPU time of this process: unlike wall time, not inflated by other programs
    peak_rss_mb: float        # the process's peak resident memory (includes the model load)
    n_train: int
    base_model: str
    steps: int = 0
    trainable_params: int = 0
    total_params: int = 0
    settings: dict = field(default_factory=dict)  # the hyperparameters of the run

    def to_dict(self) -> dict:
        return {**asdict(self), "adapter_dir": str(self.adapter_dir), "gguf": str(self.gguf)}


def encode(tokenizer, messages: list[dict], max_length: int) -> tuple[list[int], list[int]]:
    """(input ids, labels) of one chat example; labels are IGNORE everywhere except the last reply.

    The prompt is rendered exactly as at inference time (chat template + the assistant header), and the
    reply is followed by the end-of-turn token so that the model also learns when to stop.
    """
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    end = tokenizer.convert_tokens_to_ids("<|im_end|>") if "<|im_end|>" in tokenizer.get_vocab() else None
    reply_ids = tokenizer(messages[-1]["content"], add_special_tokens=False)["input_ids"]
    reply_ids += [end if end is not None else tokenizer.eos_token_id]
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


def _reply_tokens(labels) -> int:
    return int((labels[:, 1:] != IGNORE).sum())  # the model predicts token t+1 from tokens <= t


def _accumulate(model, rows: list[tuple[list[int], list[int]]], pad_id: int, micro_batch: int) -> float:
    """Backward pass of one step's batch in slices of `micro_batch` rows; returns the batch's loss (the mean
    over all its reply tokens, as one forward pass of the whole batch would give)."""
    slices = [_batch(rows[i:i + micro_batch], pad_id) for i in range(0, len(rows), micro_batch)]
    total = max(sum(_reply_tokens(labels) for _, labels, _ in slices), 1)
    loss_sum = 0.0
    for ids, labels, mask in slices:
        share = _reply_tokens(labels) / total
        if share == 0:
            continue
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss * share
        loss.backward()
        loss_sum += loss.item()
    return loss_sum


def _reply_loss(model, rows, pad_id: int, batch_size: int) -> float:
    """Mean loss per reply token over `rows`, without training."""
    import torch

    total, tokens = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(rows), batch_size):
            ids, labels, mask = _batch(rows[start:start + batch_size], pad_id)
            n = _reply_tokens(labels)
            total += float(model(input_ids=ids, attention_mask=mask, labels=labels).loss) * n
            tokens += n
    return total / max(tokens, 1)


def train_lora(train: Iterable[Example | dict], val: Iterable[Example | dict] = (), base: Path | None = None,
               out_dir: str | Path | None = None, r: int = 16, alpha: int = 32,
               target_modules: tuple[str, ...] = ALL_LINEAR, epochs: int = 1,
               max_steps: int | None = None, lr: float = 1e-3, batch_size: int = 4, max_length: int = 384,
               seed: int = 0, log_every: int = 0, final_lr: float = 0.1,
               micro_batch: int | None = None) -> TrainResult:
    """Train a LoRA adapter on chat examples; save it to `out_dir` (peft's files and <name of out_dir>.gguf).

    base: the base model's GGUF file (default: the course model). epochs passes over `train`, cut short
    at `max_steps` optimizer steps of `batch_size` examples. A plain PyTorch loop: shuffle, forward, loss
    on the reply tokens, backward, AdamW step; the learning rate falls linearly from `lr` to
    `final_lr * lr` at the last step. `log_every` prints the loss every N steps. Support tickets are
    about 200 tokens long (at most ~240), so max_length=384 cuts nothing. `micro_batch` (default: the whole
    batch) runs each step's batch in slices of that many examples and adds up their gradients, weighted by
    reply tokens: the same step as one batch, in less memory (the logits of 8 SQL pairs alone take ~1 GB).
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
    model.enable_input_require_grads()  # gradient checkpointing needs a gradient at the input
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows = [encode(tokenizer, ex.messages, max_length) for ex in train]
    for ex, (_, labels) in zip(train, rows, strict=True):
        if all(label == IGNORE for label in labels):
            raise ValueError(f"example from line {ex.line}: its prompt alone fills max_length={max_length} "
                             "tokens, so no reply token is left to learn from; raise max_length")
    val_rows = [encode(tokenizer, ex.messages, max_length) for ex in val]

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    order = random.Random(seed)
    n_steps = max_steps or epochs * math.ceil(len(rows) / batch_size)  # max_steps wins (may pass one epoch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1 - (1 - final_lr) * min(step / max(n_steps - 1, 1), 1))
    losses: list[float] = []
    model.train()
    while len(losses) < n_steps:  # one pass over the shuffled examples per epoch, until n_steps
        shuffled = order.sample(rows, len(rows))
        for start in range(0, len(shuffled), batch_size):
            losses.append(_accumulate(model, shuffled[start:start + batch_size], pad, micro_batch or batch_size))
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            if log_every and len(losses) % log_every == 0:
                print(f"step {len(losses):>4}/{n_steps}  loss {losses[-1]:.3f}", flush=True)
            if len(losses) >= n_steps:
                break
    model.eval()
    val_loss = _reply_loss(model, val_rows, pad, batch_size) if val_rows else float("nan")

    out = Path(out_dir) if out_dir else adapters_dir() / "lora"
    model.save_pretrained(str(out))  # only the adapter: a few MB, not the base model
    gguf = export_gguf(out, out / f"{out.name}.gguf", n_layers=model.config.num_hidden_layers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KB
    settings = {"r": r, "alpha": alpha, "target_modules": list(target_modules), "lr": lr,
                "final_lr": final_lr, "batch_size": batch_size, "max_length": max_length, "epochs": epochs,
                "seed": seed, "gradient_checkpointing": True, "micro_batch": micro_batch or batch_size}
    return TrainResult(out, gguf, losses, val_loss, time.perf_counter() - started,
                       time.process_time() - cpu_started, peak, len(train),
                       base_model_dir(base).name, len(losses), trainable, total, settings)
