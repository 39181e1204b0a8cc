"""Prices per model as data, and the cost arithmetic the course uses.

One dated table (`labkit/data/prices.csv`, USD per million tokens) is the only place prices live.
Cost per query = input_tokens x input price + output_tokens x output price.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


class UnknownModelPrice(KeyError):
    """Raised when a model has no row in the price table."""


@dataclass(frozen=True)
class Price:
    model: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    as_of: str
    source: str


@cache
def price_table() -> dict[str, Price]:
    """Read `labkit/data/prices.csv` once: {model id: Price}."""
    text = resources.files("labkit.data").joinpath("prices.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        r["model"]: Price(r["model"], float(r["input_usd_per_mtok"]), float(r["output_usd_per_mtok"]),
                          r["as_of"], r["source"])
        for r in rows
    }


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


def cost_per_query(model: str, input_tokens: float, output_tokens: float) -> float:
    """USD for one call with the given token counts."""
    p = price(model)
    return (input_tokens * p.input_usd_per_mtok + output_tokens * p.output_usd_per_mtok) / 1_000_000


def cost_per_million_queries(model: str, input_tokens: float, output_tokens: float) -> float:
    """USD for one million calls of this size: the unit of the seed article's cost table."""
    return cost_per_query(model, input_tokens, output_tokens) * 1_000_000
