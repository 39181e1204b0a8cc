"""labkit.costs and labkit.models: prices as dated data, one table."""

from __future__ import annotations

import pytest

from labkit import costs, models


def test_every_course_model_has_a_dated_price():
    for model in models.CLAUDE_MODELS:
        row = costs.price(model)
        assert row.input_usd_per_mtok > 0 and row.output_usd_per_mtok > row.input_usd_per_mtok
        assert len(row.as_of) == 10 and row.as_of[4] == "-"


def test_cost_arithmetic():
    # claude-sonnet-4-6: $3 in, $15 out per million tokens
    assert costs.cost_per_query("claude-sonnet-4-6", 1000, 200) == pytest.approx(0.003 + 0.003)
    assert costs.cost_per_million_queries("claude-sonnet-4-6", 1000, 200) == pytest.approx(6000)
    assert costs.cost_per_query("claude-haiku-4-5-20251001", 1_000_000, 0) == pytest.approx(1.0)
    assert costs.cost_per_query("local", 5000, 500) == 0


def test_unknown_model_names_the_table():
    with pytest.raises(costs.UnknownModelPrice, match="prices.csv"):
        costs.price("gpt-imaginary")


def test_deprecated_sonnet_4_5_is_not_a_course_model():
    assert "claude-sonnet-4-5" not in models.CLAUDE_MODELS
    assert models.is_claude_model("claude-sonnet-4-6") and not models.is_claude_model("gpt-4o")
