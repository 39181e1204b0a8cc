"""Numbers about a fine-tuning set: tokens per example, their distribution, and what training costs.

Hosted fine-tuning is billed per training token: (tokens in the file, each example capped at the limit)
x epochs x price per million. A local LoRA run costs $0 in fees but takes minutes you can measure.
Training prices are data (`labkit/data/training_prices.csv`, dated, with sources), like `labkit.costs`.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from labkit.costs import UnknownModelPrice
from labkit.finetune.examples import Example, as_examples
from labkit.finetune.tokens import TokenCounter, get_counter
from labkit.finetune.validation import DEFAULT_MAX_TOKENS


def token_counts(examples: Iterable[Example | dict], counter: str | TokenCounter = "auto",
                 role: str | None = None) -> list[int]:
    """Tokens of each example (only the messages of `role` when given, e.g. role="assistant")."""
    counter = counter if isinstance(counter, TokenCounter) else get_counter(counter)
    return [counter([m for m in ex.messages if role is None or m.get("role") == role])
            for ex in as_examples(examples)]


@dataclass(frozen=True)
class TokenStats:
    """Summary of a list of token counts (the numbers OpenAI's data-preparation notebook prints)."""

    n: int
    total: int
    min: int
    max: int
    mean: float
    median: float
    p5: float
    p95: float


def describe(counts: list[int]) -> TokenStats:
    """min / max / mean / median / 5th and 95th percentile of `counts` (ValueError if empty)."""
    if not counts:
        raise ValueError("no token counts to describe: the example list is empty")
    q = statistics.quantiles(counts, n=20, method="inclusive") if len(counts) > 1 else [counts[0]] * 19
    return TokenStats(n=len(counts), total=sum(counts), min=min(counts), max=max(counts),
                      mean=statistics.fmean(counts), median=statistics.median(counts), p5=q[0], p95=q[-1])


def histogram(counts: list[int], bins: int = 10) -> tuple[list[float], list[int]]:
    """(bin edges, examples per bin) for plotting, e.g. `plt.stairs(n, edges)`; len(edges) == bins + 1."""
    import numpy as np

    n, edges = np.histogram(counts, bins=bins)
    return [float(e) for e in edges], [int(k) for k in n]


def billable_tokens(counts: list[int], max_tokens: int = DEFAULT_MAX_TOKENS) -> int:
    """Tokens a provider bills per epoch: each example counts up to the limit (the rest is truncated)."""
    return sum(min(n, max_tokens) for n in counts)


def openai_default_epochs(n_examples: int) -> int:
    """The epochs OpenAI picks when you do not set them, as estimated in its data-preparation notebook:
    3, raised for small sets (aiming at 100 example-passes, at most 25 epochs) and lowered for big ones
    (at most 25,000 example-passes, at least 1 epoch)."""
    if n_examples <= 0:
        raise ValueError("n_examples must be positive")
    if n_examples * 3 < 100:
        return min(25, 100 // n_examples)
    if n_examples * 3 > 25_000:
        return max(1, 25_000 // n_examples)
    return 3


@dataclass(frozen=True)
class TrainingPrice:
    model: str
    provider: str
    training_usd_per_mtok: float
    as_of: str
    source: str


@cache
def training_prices() -> dict[str, TrainingPrice]:
    """`labkit/data/training_prices.csv`: {model: TrainingPrice}."""
    text = resources.files("labkit.data").joinpath("training_prices.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["model"]: TrainingPrice(r["model"], r["provider"], float(r["training_usd_per_mtok"]),
                                      r["as_of"], r["source"]) for r in rows}


def training_price(model: str) -> TrainingPrice:
    """The training price row for `model` (UnknownModelPrice naming the table if there is none)."""
    table = training_prices()
    if model not in table:
        raise UnknownModelPrice(f"no training price for {model!r} in labkit/data/training_prices.csv; "
                                f"known: {', '.join(sorted(table))}")
    return table[model]


def estimate_training_cost(n_tokens: int, epochs: int, price_per_mtok: float) -> float:
    """USD to train on `n_tokens` (per epoch) for `epochs` epochs at `price_per_mtok` USD per 1M tokens."""
    if n_tokens < 0 or epochs < 0 or price_per_mtok < 0:
        raise ValueError("n_tokens, epochs and price_per_mtok must not be negative")
    return n_tokens * epochs * price_per_mtok / 1_000_000


@dataclass(frozen=True)
class LocalRun:
    """A measured local training run: no fee, but wall-clock time."""

    seconds: float
    tokens: int = 0     # tokens processed (all epochs), if known
    usd: float = 0.0    # no per-token fee on your own machine

    @property
    def minutes(self) -> float:
        return self.seconds / 60

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def timed_run(fn: Callable[..., Any], *args: Any, tokens: int = 0, **kwargs: Any) -> tuple[Any, LocalRun]:
    """Call `fn(*args, **kwargs)` (e.g. a LoRA training function) and measure it: (its result, LocalRun)."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, LocalRun(seconds=time.perf_counter() - started, tokens=tokens)


def estimate_local_minutes(n_tokens: int, epochs: int, tokens_per_second: float) -> float:
    """Minutes a local run will take, from the throughput of a short measured run (`LocalRun`)."""
    if tokens_per_second <= 0:
        raise ValueError("tokens_per_second must be positive: measure it with timed_run on a short run")
    return n_tokens * epochs / tokens_per_second / 60
