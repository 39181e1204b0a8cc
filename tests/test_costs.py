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


# ---------------------------------------------------------------------------------------------- prompt caching
@pytest.mark.parametrize("model", models.CLAUDE_MODELS)
def test_cache_prices_are_anthropics_multipliers_of_base_input(model):
    row = costs.price(model)
    assert row.cache_write_5m_usd_per_mtok == pytest.approx(1.25 * row.input_usd_per_mtok)
    assert row.cache_write_1h_usd_per_mtok == pytest.approx(2 * row.input_usd_per_mtok)
    assert row.cache_read_usd_per_mtok == pytest.approx(0.1 * row.input_usd_per_mtok)
    assert row.min_cacheable_tokens in (1024, 2048, 4096)
    assert row.cache_write_usd_per_mtok("1h") == row.cache_write_1h_usd_per_mtok
    with pytest.raises(ValueError, match="'5m' or '1h'"):
        row.cache_write_usd_per_mtok("1d")


def test_usage_semantics_input_tokens_exclude_cache_reads_and_writes():
    # sonnet: $3 in, $15 out, $3.75 5-minute write, $6 1-hour write, $0.30 read, per million tokens
    assert costs.cost_per_query("claude-sonnet-4-6", 20, 100, cache_read_input_tokens=4980) == \
        pytest.approx((20 * 3 + 100 * 15 + 4980 * 0.30) / 1e6)
    assert costs.cost_per_query("claude-sonnet-4-6", 20, 100, cache_creation_input_tokens=4980) == \
        pytest.approx((20 * 3 + 100 * 15 + 4980 * 3.75) / 1e6)
    assert costs.cost_per_query("claude-sonnet-4-6", 20, 100, cache_creation_input_tokens=4980, cache_ttl="1h") == \
        pytest.approx((20 * 3 + 100 * 15 + 4980 * 6) / 1e6)
    q = costs.price_query("claude-sonnet-4-6", 20, 100, cache_read_input_tokens=4980)
    assert q.uncached == pytest.approx(costs.cost_per_query("claude-sonnet-4-6", 5000, 100))
    assert q.saving == pytest.approx(1 - q.cached / q.uncached) and 0.8 < q.saving < 0.82
    assert costs.price_query("local", 10, 10).saving == 0.0


def test_the_issues_lesson_01_figures_with_cache_reads():
    """Lesson 01: "5,000-token prompt ... $16,500 per 1M" and "whole knowledge base ... $42,870"; with cache
    reads at 0.1x input they would be about $3,000 and $5,600 (issue 20)."""
    five_k = costs.TokenMeans("prompt-only", prefix_tokens=4980, other_input_tokens=20, output_tokens=100)
    off = costs.scenario_cost(five_k, "claude-sonnet-4-6", caching=False)
    on = costs.scenario_cost(five_k, "claude-sonnet-4-6", caching=True)
    assert off.usd_per_million == pytest.approx(16_500) and on.usd_per_million == pytest.approx(3_054)
    kb_tokens = (42_870 - 1_500) / 3  # the lesson's whole-knowledge-base figure, back to tokens
    kb = costs.TokenMeans("prompt-only", prefix_tokens=kb_tokens - 20, other_input_tokens=20, output_tokens=100)
    assert costs.scenario_cost(kb, "claude-sonnet-4-6", caching=False).usd_per_million == pytest.approx(42_870)
    assert 5_500 < costs.scenario_cost(kb, "claude-sonnet-4-6", caching=True).usd_per_million < 5_800
    written = costs.scenario_cost(five_k, "claude-sonnet-4-6", caching=True, write_share=1.0)
    assert written.usd_per_million == pytest.approx(20 * 3 + 100 * 15 + 4980 * 3.75)  # every query writes
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        costs.scenario_cost(five_k, "claude-sonnet-4-6", caching=True, write_share=2)


def test_a_prefix_below_the_models_minimum_is_not_cached():
    small = costs.TokenMeans("rag", prefix_tokens=2000, other_input_tokens=900, output_tokens=40)
    haiku = costs.scenario_cost(small, "claude-haiku-4-5", caching=True)        # minimum 4,096
    sonnet = costs.scenario_cost(small, "claude-sonnet-4-6", caching=True)      # minimum 1,024
    assert haiku.cached_tokens == 0 and "below" in haiku.note
    assert haiku.usd_per_million == costs.scenario_cost(small, "claude-haiku-4-5", caching=False).usd_per_million
    assert sonnet.cached_tokens == 2000 and sonnet.usd_per_million < 2900 * 3 + 40 * 15


def test_the_scenario_table_says_which_scenario_reproduces_each_seed_range():
    means = [costs.TokenMeans("prompt-only", 4980, 20, 60), costs.TokenMeans("rag", 300, 200, 40),
             costs.TokenMeans("fine-tuned", 150, 20, 120), costs.TokenMeans("hybrid", 300, 900, 120)]
    rows = costs.cost_scenarios(means)
    assert len(rows) == 4 * 3 * 2 and {r.model for r in rows} == set(models.CLAUDE_MODELS)
    by = {(r.strategy, r.model, r.caching): r for r in rows}
    haiku_cached = by[("prompt-only", "claude-haiku-4-5", True)]
    assert haiku_cached.usd_per_million == pytest.approx(4980 * 0.1 + 20 * 1 + 60 * 5)  # $818: outside $200-500
    assert by[("rag", "claude-haiku-4-5", False)].in_seed_range is True                  # 500 + 200 = $700
    assert by[("hybrid", "claude-haiku-4-5", False)].in_seed_range is None               # the seed prices no hybrid
    verdicts = costs.seed_range_verdicts(rows)
    assert set(verdicts) == {"prompt-only", "rag", "fine-tuned"}
    assert verdicts["rag"] == "seed $300-800: reproduced by claude-haiku-4-5 caching off ($700); " \
                              "claude-haiku-4-5 caching on ($700)"
    assert verdicts["prompt-only"].startswith("seed $200-500: no scenario reproduces it (closest: claude-haiku-4-5 "
                                              "caching on, $818)")
    table = costs.format_scenarios(rows)
    assert table.splitlines()[0].startswith("| strategy | model | caching | $ per 1M queries | seed's range |")
    assert "| rag | claude-haiku-4-5 | off | $700 | $300-800 | yes |" in table and "- rag: seed $300-800" in table


def test_token_means_from_a_summary():
    from types import SimpleNamespace

    summary = SimpleNamespace(mean_input_tokens=20.0, mean_output_tokens=50.0, mean_cache_read_tokens=4000.0,
                              mean_cache_creation_tokens=0.0)
    assert costs.TokenMeans.from_summary("prompt-only", summary) == costs.TokenMeans("prompt-only", 4000, 20, 50)
    plain = SimpleNamespace(mean_input_tokens=5000.0, mean_output_tokens=50.0)  # an engine without cache counts
    assert costs.TokenMeans.from_summary("prompt-only", plain, prefix_tokens=4900) == \
        costs.TokenMeans("prompt-only", 4900, 100, 50)


def test_a_malformed_price_table_names_file_line_and_field():
    header = ",".join(costs._COLUMNS)
    with pytest.raises(ValueError, match=r"prices.csv: line 1: missing column\(s\) min_cacheable_tokens"):
        costs.parse_prices(header.replace(",min_cacheable_tokens", "") + "\n")
    bad = header + "\nm,1,2,x,4,0.1,1024,2026-11-24,src\n"
    with pytest.raises(ValueError, match=r"prices.csv: line 2 \(m\): a price or min_cacheable_tokens is not a number"):
        costs.parse_prices(bad)
