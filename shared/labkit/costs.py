"""Prices per model as data, and the cost arithmetic the course uses, with prompt caching as a user pays it.

    from labkit import costs
    costs.cost_per_query("claude-sonnet-4-6", 5000, 100)                     # no caching: $0.0165
    costs.price_query("claude-sonnet-4-6", 20, 100, cache_read_input_tokens=4980)   # QueryCost(cached, uncached)
    rows = costs.cost_scenarios([costs.TokenMeans("prompt-only", prefix_tokens=4980, other_input_tokens=20,
                                                  output_tokens=100)])
    print(costs.format_scenarios(rows))                                      # tier x caching, beside the seed

One dated table (`labkit/data/prices.csv`, USD per million tokens, see its card `data/cards/prices.md`) is the
only place prices live: base input and output, 5-minute and 1-hour cache writes, cache reads, and each
model's minimum cacheable prefix. Lesson 01 (what a long prompt costs, cached and not), lesson 04 and
`labkit compare` (the seed's cost table) use it.

Token counts follow Anthropic's `usage`: `input_tokens` are the prompt tokens billed at the base input price;
`cache_read_input_tokens` (read from the cache) and `cache_creation_input_tokens` (written to it) are counted
apart, not inside `input_tokens`. So

    cost = input x input price + cache reads x read price + cache writes x write price + output x output price

and the same query without caching bills all three prompt counts at the input price.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, Protocol

CacheTTL = Literal["5m", "1h"]

# The seed article's cost table, "Monthly (1M queries)" in USD, quoted; fine-tuning adds "+ hosting".
SEED_COST_RANGES: dict[str, tuple[float, float]] = {
    "prompt-only": (200, 500),
    "rag": (300, 800),
    "fine-tuned": (150, 400),
}


class UnknownModelPrice(KeyError):
    """Raised when a model has no row in the price table."""


@dataclass(frozen=True)
class Price:
    """One row of prices.csv: USD per million tokens, and the smallest prefix the model caches."""

    model: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    as_of: str
    source: str
    cache_write_5m_usd_per_mtok: float = 0.0
    cache_write_1h_usd_per_mtok: float = 0.0
    cache_read_usd_per_mtok: float = 0.0
    min_cacheable_tokens: int = 0   # a shorter cached prefix is silently not cached (billed as input)

    def cache_write_usd_per_mtok(self, ttl: CacheTTL = "5m") -> float:
        if ttl not in ("5m", "1h"):
            raise ValueError(f"cache ttl must be '5m' or '1h', not {ttl!r}")
        return self.cache_write_5m_usd_per_mtok if ttl == "5m" else self.cache_write_1h_usd_per_mtok


_COLUMNS = ("model", "input_usd_per_mtok", "output_usd_per_mtok", "cache_write_5m_usd_per_mtok",
            "cache_write_1h_usd_per_mtok", "cache_read_usd_per_mtok", "min_cacheable_tokens", "as_of", "source")


def parse_prices(text: str, name: str = "labkit/data/prices.csv") -> dict[str, Price]:
    """Rows of a prices CSV (columns `_COLUMNS`): {model id: Price}. A missing column or a value that is not a
    number raises ValueError naming the file, line and field."""
    rows = csv.DictReader(text.splitlines())
    missing = [c for c in _COLUMNS if c not in (rows.fieldnames or [])]
    if missing:
        raise ValueError(f"{name}: line 1: missing column(s) {', '.join(missing)}; expected {','.join(_COLUMNS)}")
    table = {}
    for line, r in enumerate(rows, start=2):
        try:
            numbers = {c: float(r[c]) for c in _COLUMNS[1:6]}
            minimum = int(r["min_cacheable_tokens"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: line {line} ({r.get('model')}): a price or min_cacheable_tokens is not a "
                             f"number ({exc})") from None
        table[r["model"]] = Price(r["model"], numbers["input_usd_per_mtok"], numbers["output_usd_per_mtok"],
                                  r["as_of"], r["source"], numbers["cache_write_5m_usd_per_mtok"],
                                  numbers["cache_write_1h_usd_per_mtok"], numbers["cache_read_usd_per_mtok"],
                                  minimum)
    return table


@cache
def price_table() -> dict[str, Price]:
    """Read `labkit/data/prices.csv` once: {model id: Price}."""
    return parse_prices(resources.files("labkit.data").joinpath("prices.csv").read_text(encoding="utf-8"))


def price(model: str) -> Price:
    """The price row for `model`; dated snapshots (`claude-haiku-4-5-20251001`) use their family's row."""
    table = price_table()
    if model in table:
        return table[model]
    for name, row in table.items():
        if model.startswith(name + "-"):
            return row
    raise UnknownModelPrice(
        f"no price for model {model!r} in labkit/data/prices.csv; known: {', '.join(sorted(table))}"
    )


def cost_per_query(model: str, input_tokens: float, output_tokens: float, cache_read_input_tokens: float = 0,
                   cache_creation_input_tokens: float = 0, cache_ttl: CacheTTL = "5m") -> float:
    """USD for one call with the given token counts (Anthropic's usage semantics, see the module docstring)."""
    p = price(model)
    return (input_tokens * p.input_usd_per_mtok + output_tokens * p.output_usd_per_mtok
            + cache_read_input_tokens * p.cache_read_usd_per_mtok
            + cache_creation_input_tokens * p.cache_write_usd_per_mtok(cache_ttl)) / 1_000_000


def cost_per_million_queries(model: str, input_tokens: float, output_tokens: float, *,
                             cache_read_input_tokens: float = 0, cache_creation_input_tokens: float = 0,
                             cache_ttl: CacheTTL = "5m") -> float:
    """USD for one million calls of this size: the unit of the seed article's cost table (cache counts as in
    `cost_per_query`)."""
    return cost_per_query(model, input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens,
                          cache_ttl) * 1_000_000


@dataclass(frozen=True)
class QueryCost:
    """One query priced as billed (with its cache reads and writes) and as it would be without caching."""

    model: str
    cached: float     # USD
    uncached: float   # USD: every prompt token at the base input price

    @property
    def saving(self) -> float:
        """The share of the uncached price that caching saves (negative when a write costs more)."""
        return 1 - self.cached / self.uncached if self.uncached else 0.0


def price_query(model: str, input_tokens: float, output_tokens: float, cache_read_input_tokens: float = 0,
                cache_creation_input_tokens: float = 0, cache_ttl: CacheTTL = "5m") -> QueryCost:
    """A measured query (its usage's four token counts) priced with and without caching."""
    prompt = input_tokens + cache_read_input_tokens + cache_creation_input_tokens
    return QueryCost(model, cost_per_query(model, input_tokens, output_tokens, cache_read_input_tokens,
                                           cache_creation_input_tokens, cache_ttl),
                     cost_per_query(model, prompt, output_tokens))


# ----------------------------------------------------------------------------------------------
# The cost-scenario table: model tier x caching, beside the seed's ranges
# ----------------------------------------------------------------------------------------------
class TokenSummary(Protocol):
    """What `TokenMeans.from_summary` reads from a summary (a `labkit.evaluate.EvalSummary` has it)."""

    @property
    def mean_input_tokens(self) -> float: ...

    @property
    def mean_output_tokens(self) -> float: ...


@dataclass(frozen=True)
class TokenMeans:
    """A strategy's measured mean tokens per query, split into the part every query shares (the cacheable
    prefix: a system prompt with its documents) and the part that changes (question, retrieved context)."""

    strategy: str              # a kind of labkit.decision.KINDS ("prompt-only", "rag", ...) or any label
    prefix_tokens: float
    other_input_tokens: float
    output_tokens: float

    @staticmethod
    def from_summary(strategy: str, summary: TokenSummary, prefix_tokens: float | None = None) -> TokenMeans:
        """From a `labkit.evaluate.EvalSummary`. The prefix is `prefix_tokens` when given (e.g. PromptOnly's
        `prompt_tokens`), else what the engine read from and wrote to its cache (mean cache tokens)."""
        read = getattr(summary, "mean_cache_read_tokens", 0.0) + getattr(summary, "mean_cache_creation_tokens", 0.0)
        total = summary.mean_input_tokens + read
        prefix = read if prefix_tokens is None else min(prefix_tokens, total)
        return TokenMeans(strategy, prefix, total - prefix, summary.mean_output_tokens)


@dataclass(frozen=True)
class CostScenario:
    """One row of the scenario table: a strategy's cost per 1M queries on one model, caching off or on."""

    strategy: str
    model: str
    caching: bool
    usd_per_million: float
    cached_tokens: float          # prefix tokens read from the cache per query (0: not cached)
    note: str
    seed_range: tuple[float, float] | None

    @property
    def in_seed_range(self) -> bool | None:
        """True when the seed's range for this strategy holds this scenario's cost; None: the seed gives none."""
        if self.seed_range is None:
            return None
        return self.seed_range[0] <= self.usd_per_million <= self.seed_range[1]


def scenario_cost(means: TokenMeans, model: str, caching: bool, cache_ttl: CacheTTL = "5m",
                  write_share: float = 0.0) -> CostScenario:
    """USD per 1M queries of `means` on `model`. Caching on: the prefix is written once per `write_share` of
    queries (0: a warm cache; 1M queries a month is one every 2.6 s, which keeps a 5-minute cache warm) and read
    by the others; a prefix shorter than the model's minimum is not cached at all, as the API does."""
    if not 0 <= write_share <= 1:
        raise ValueError(f"write_share is a share of queries, in [0, 1], not {write_share}")
    p = price(model)
    uncached = cost_per_query(model, means.prefix_tokens + means.other_input_tokens, means.output_tokens)
    if not caching:
        return CostScenario(means.strategy, model, False, uncached * 1e6, 0.0, "no caching",
                            SEED_COST_RANGES.get(means.strategy))
    if means.prefix_tokens < max(p.min_cacheable_tokens, 1):
        note = (f"prefix of {means.prefix_tokens:,.0f} tokens is below {model}'s {p.min_cacheable_tokens:,}-token "
                "minimum: not cached")
        return CostScenario(means.strategy, model, True, uncached * 1e6, 0.0, note,
                            SEED_COST_RANGES.get(means.strategy))
    read, write = means.prefix_tokens * (1 - write_share), means.prefix_tokens * write_share
    usd = cost_per_query(model, means.other_input_tokens, means.output_tokens, read, write, cache_ttl)
    writes = "a warm cache: every query reads it" if write_share == 0 else f"{write_share:.1%} of queries write it"
    note = f"{means.prefix_tokens:,.0f}-token prefix cached ({cache_ttl}; {writes})"
    return CostScenario(means.strategy, model, True, usd * 1e6, read, note, SEED_COST_RANGES.get(means.strategy))


def cost_scenarios(means: Iterable[TokenMeans], models: Sequence[str] | None = None, cache_ttl: CacheTTL = "5m",
                   write_share: float = 0.0) -> list[CostScenario]:
    """Every strategy x model tier x caching off/on (models: the course's Claude models, strongest first)."""
    from labkit.models import CLAUDE_MODELS

    return [scenario_cost(m, model, caching, cache_ttl, write_share)
            for m in means for model in (models or CLAUDE_MODELS) for caching in (False, True)]


def seed_range_verdicts(rows: Sequence[CostScenario]) -> dict[str, str]:
    """{strategy: which scenarios reproduce the seed's range}, for the strategies the seed prices."""
    verdicts = {}
    for strategy in dict.fromkeys(r.strategy for r in rows):
        mine = [r for r in rows if r.strategy == strategy and r.seed_range is not None]
        if not mine:
            continue
        seed = mine[0].seed_range
        assert seed is not None  # mine keeps only the rows with a seed range
        lo, hi = seed
        inside = [f"{r.model} caching {'on' if r.caching else 'off'} (${r.usd_per_million:,.0f})"
                  for r in mine if r.in_seed_range]
        if inside:
            verdicts[strategy] = f"seed ${lo:,.0f}-{hi:,.0f}: reproduced by " + "; ".join(inside)
        else:
            closest = min(mine, key=lambda r: min(abs(r.usd_per_million - lo), abs(r.usd_per_million - hi)))
            verdicts[strategy] = (f"seed ${lo:,.0f}-{hi:,.0f}: no scenario reproduces it (closest: {closest.model} "
                                  f"caching {'on' if closest.caching else 'off'}, ${closest.usd_per_million:,.0f})")
    return verdicts


def format_scenarios(rows: Sequence[CostScenario]) -> str:
    """The scenario rows as a markdown table, then one line per seed range saying which scenario reproduces it."""
    lines = ["| strategy | model | caching | $ per 1M queries | seed's range | in range | note |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        seed = "n/a" if r.seed_range is None else f"${r.seed_range[0]:,.0f}-{r.seed_range[1]:,.0f}"
        inside = {True: "yes", False: "no", None: "n/a"}[r.in_seed_range]
        usd = "n/a" if math.isnan(r.usd_per_million) else f"${r.usd_per_million:,.0f}"
        lines.append(f"| {r.strategy} | {r.model} | {'on' if r.caching else 'off'} | {usd} | {seed} | {inside} "
                     f"| {r.note} |")
    lines += [""] + [f"- {s}: {v}" for s, v in seed_range_verdicts(rows).items()]
    return "\n".join(lines)
