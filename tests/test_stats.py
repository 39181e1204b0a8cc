"""labkit.stats and labkit.paired against reference implementations: scipy and statsmodels (tests-only
dependencies)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint

from labkit import paired, stats

RNG = np.random.default_rng(7)
SCORES = RNG.normal(10, 3, size=40)
LABELS = [f"doc{i % 9}" for i in range(40)]


@pytest.mark.parametrize("k, n", [(0, 10), (1, 29), (15, 148), (81, 263), (20, 20), (3, 4), (21, 60)])
def test_wilson_matches_statsmodels(k, n):
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert stats.wilson(k, n) == pytest.approx((low, high), abs=1e-12)
    e = stats.rate([True] * k + [False] * (n - k))
    assert (e.value, e.low, e.high, e.n) == pytest.approx((k / n, low, high, n), abs=1e-12)


@pytest.mark.parametrize("k, n", [(1, 29), (15, 148), (3, 4), (7, 9), (0.5, 3.5)])
def test_wilson_cc_bounds_solve_the_corrected_score_equation(k, n):
    """|p - pi| - 1/(2n) = z sqrt(pi (1 - pi) / n): solved by scipy's root finder, compared with the formula."""
    p, z = k / n, stats.Z95
    low, high = stats.wilson_cc(k, n)
    lower_eq = lambda pi: (p - pi - 1 / (2 * n)) - z * math.sqrt(pi * (1 - pi) / n)  # noqa: E731
    upper_eq = lambda pi: (pi - p - 1 / (2 * n)) - z * math.sqrt(pi * (1 - pi) / n)  # noqa: E731
    assert low == pytest.approx(optimize.brentq(lower_eq, 1e-12, p - 1 / (2 * n)), abs=1e-9)
    assert high == pytest.approx(optimize.brentq(upper_eq, p + 1 / (2 * n), 1 - 1e-12), abs=1e-9)
    assert low < stats.wilson(k, n)[0] and high > stats.wilson(k, n)[1]  # wider than plain Wilson
    assert stats.wilson_cc(0, 10)[0] == 0.0 and stats.wilson_cc(10, 10)[1] == 1.0


def test_mean_and_standard_error_match_scipy():
    e = stats.mean(SCORES)
    sem = sps.sem(SCORES)
    assert stats.standard_error(SCORES) == pytest.approx(sem)
    assert (e.low, e.high) == pytest.approx((SCORES.mean() - 1.959964 * sem, SCORES.mean() + 1.959964 * sem))
    assert math.isnan(stats.standard_error([1.0])) and stats.mean([]).n == 0


def _statsmodels_cluster_se(values, labels) -> float:
    codes = np.unique(labels, return_inverse=True)[1]
    fit = sm.OLS(np.asarray(values, float), np.ones(len(values))).fit(cov_type="cluster", cov_kwds={"groups": codes})
    return float(fit.bse[0])


def test_clustered_se_matches_statsmodels():
    assert stats.clustered_se(SCORES, LABELS) == pytest.approx(_statsmodels_cluster_se(SCORES, LABELS), rel=1e-10)
    binary = (SCORES > 10).astype(float)
    assert stats.clustered_se(binary, LABELS) == pytest.approx(_statsmodels_cluster_se(binary, LABELS), rel=1e-10)
    # one question per cluster: the ordinary standard error
    assert stats.clustered_se(SCORES, [str(i) for i in range(40)]) == pytest.approx(sps.sem(SCORES))
    e = stats.mean(SCORES, LABELS)
    assert e.high - e.value == pytest.approx(stats.Z95 * _statsmodels_cluster_se(SCORES, LABELS))
    assert "clustered (9 clusters)" in e.method
    with pytest.raises(ValueError, match="one label per value"):
        stats.mean(SCORES, LABELS[:3])


def test_clusters_of_alike_questions_widen_a_rate():
    values = [True] * 12 + [False] * 12
    alike = [f"d{i // 4}" for i in range(24)]      # six documents, four questions each, all alike
    deff = stats.design_effect(np.array(values, float), alike)
    assert deff > 3
    plain, clustered = stats.rate(values), stats.rate(values, alike)
    assert clustered.value == plain.value and clustered.high - clustered.low > plain.high - plain.low
    assert (clustered.low, clustered.high) == pytest.approx(stats.wilson(12 / deff, 24 / deff))
    assert stats.design_effect(np.array(values, float), [str(i) for i in range(24)]) == pytest.approx(1.0)


def test_bootstrap_percentile_is_seeded_and_matches_scipy():
    p50 = stats.percentile(SCORES, 50, reps=10_000)
    assert p50 == stats.percentile(SCORES, 50, reps=10_000)  # the same seed: the same interval
    assert p50.value == pytest.approx(np.median(SCORES))
    ref = sps.bootstrap((SCORES,), np.median, n_resamples=10_000, method="percentile", rng=1).confidence_interval
    width = ref.high - ref.low
    assert p50.low == pytest.approx(ref.low, abs=0.1 * width) and p50.high == pytest.approx(ref.high, abs=0.1 * width)
    p95 = stats.percentile(SCORES, 95)
    assert p95.value == pytest.approx(np.percentile(SCORES, 95)) and p95.low <= p95.value <= p95.high
    assert stats.percentile(SCORES, 50, seed=1) != stats.percentile(SCORES, 50, seed=2)


def test_cluster_bootstrap_keeps_clusters_together():
    values = np.repeat(RNG.normal(0, 1, size=8), 5)    # eight documents, five identical questions each
    labels = [f"d{i // 5}" for i in range(40)]
    plain, clustered = stats.bootstrap(values, np.mean), stats.bootstrap(values, np.mean, labels)
    assert clustered.high - clustered.low > 1.8 * (plain.high - plain.low)


def test_paired_mean_diff_is_a_one_sample_interval_of_the_differences():
    a, b = SCORES, SCORES - 0.5 + RNG.normal(0, 0.5, size=40)
    e = paired.paired_mean_diff(a, b)
    d = a - b
    t = sps.ttest_rel(a, b)  # the same SE as scipy's paired t-test
    se = d.mean() / t.statistic
    assert e.value == pytest.approx(d.mean()) and e.high - e.value == pytest.approx(stats.Z95 * se)
    unpaired = stats.mean(a).high - stats.mean(a).low
    assert e.high - e.low < unpaired  # pairing cancels what the questions share
    with pytest.raises(ValueError, match="same questions"):
        paired.paired_mean_diff(a, b[:-1])


def test_paired_bootstrap_of_medians():
    a, b = SCORES, SCORES + 2 + RNG.normal(0, 0.3, size=40)
    e = paired.paired_bootstrap(a, b, np.median)
    assert e.value == pytest.approx(np.median(a) - np.median(b)) and e.high < 0
    assert e == paired.paired_bootstrap(a, b, np.median)


@pytest.mark.parametrize("b, c", [(0, 0), (3, 0), (5, 1), (6, 0), (10, 4), (12, 2), (2, 9), (30, 18)])
def test_mcnemar_exact_matches_statsmodels_and_scipy(b, c):
    p = paired.mcnemar_exact(b, c)
    assert p == pytest.approx(mcnemar([[7, b], [c, 11]], exact=True).pvalue, abs=1e-12)
    if b + c:
        assert p == pytest.approx(sps.binomtest(b, b + c, 0.5).pvalue, abs=1e-12)


@pytest.mark.parametrize("b, c", [(3, 0), (4, 0), (5, 0), (6, 0), (7, 1), (10, 4), (12, 4), (12, 2), (2, 12), (20, 5),
                                  (2, 9), (30, 18)])
def test_paired_rate_interval_excludes_0_exactly_when_mcnemar_rejects(b, c):
    """The interval and McNemar's continuity-corrected test (statsmodels) reach the same decision."""
    a = [True] * b + [False] * c + [True] * 6 + [False] * 5
    y = [False] * b + [True] * c + [True] * 6 + [False] * 5
    e = paired.paired_rate_diff(a, y)
    assert e.value == pytest.approx((b - c) / len(a)) and e.low <= e.value <= e.high
    rejects = mcnemar([[6, b], [c, 5]], exact=False, correction=True).pvalue < 0.05
    assert (e.low > 0 or e.high < 0) == rejects
    assert f"b={b}, c={c}" in e.method


def test_paired_rate_interval_without_any_disagreement():
    same = [True, False] * 10
    e = paired.paired_rate_diff(same, same)
    assert e.value == 0 and e.low < 0 < e.high and e.low == pytest.approx(-e.high)
    assert paired.paired_rate_diff([True] * 3, [False] * 3).high == 1.0  # never beyond a difference of 1


def _restricted_q(b: int, c: int, n: int, delta: float) -> float:
    """The most likely p(only the second right) = q when the difference is delta: scipy maximises the
    multinomial likelihood b log(q + delta) + c log(q) + (n - b - c) log(1 - 2q - delta)."""
    lo, hi = max(0.0, -delta) + 1e-12, (1 - delta) / 2 - 1e-12
    nll = lambda q: -(b * math.log(q + delta) + c * math.log(q) + (n - b - c) * math.log(1 - 2 * q - delta))  # noqa: E731
    return optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).x


@pytest.mark.parametrize("b, c, n", [(12, 2, 60), (5, 1, 30), (3, 9, 40), (44, 3, 120)])
def test_paired_rate_bounds_are_where_the_score_test_reaches_1_96(b, c, n):
    a = [True] * b + [False] * c + [True] * 4 + [False] * (n - b - c - 4)
    y = [False] * b + [True] * c + [True] * 4 + [False] * (n - b - c - 4)
    e = paired.paired_rate_diff(a, y)
    for delta, target in ((e.low, stats.Z95), (e.high, -stats.Z95)):
        q = _restricted_q(b, c, n, delta)
        gap = (b - c) / n - delta
        z = math.copysign(abs(gap) - 1 / n, gap) / math.sqrt((2 * q + delta - delta ** 2) / n)
        assert z == pytest.approx(target, abs=1e-4)


def test_paired_rate_interval_covers_the_true_difference():
    """400 simulated evals of 60 questions, true rates 0.55 and 0.40 with correlated answers: the 95%
    interval holds the true difference in about 95% of them (at least 93%: the continuity correction
    errs on the safe side)."""
    rng = np.random.default_rng(11)
    probs = [0.35, 0.20, 0.05, 0.40]          # both right, only a, only b, neither: difference 0.15
    hits = 0
    for _ in range(400):
        cells = rng.choice(4, size=60, p=probs)
        a, b = np.isin(cells, [0, 1]), np.isin(cells, [0, 2])
        e = paired.paired_rate_diff(a, b)
        hits += e.low <= 0.15 <= e.high
    assert 0.93 <= hits / 400 <= 0.995


def test_sample_size_matches_statsmodels_power():
    # unpaired, equal variances: statsmodels' two-sample z-test, n per strategy
    for delta, sd in [(0.1, 0.5), (0.05, 0.45), (200.0, 900.0)]:
        ref = NormalIndPower().solve_power(effect_size=delta / sd, alpha=0.05, power=0.8, ratio=1.0)
        assert paired.sample_size(delta, sd, sd, paired=False) == math.ceil(ref)
    # paired: a one-sample test of the differences, whose SD is omega
    sd_a, sd_b, rho, delta = 0.5, 0.48, 0.6, 0.05
    omega = math.sqrt(sd_a ** 2 + sd_b ** 2 - 2 * rho * sd_a * sd_b)
    ref = NormalIndPower().solve_power(effect_size=delta / omega, alpha=0.05, power=0.8, ratio=0)
    assert paired.sample_size(delta, sd_a, sd_b, rho) == math.ceil(ref)
    assert paired.sample_size(delta, sd_a, sd_b, rho) < paired.sample_size(delta, sd_a, sd_b, paired=False)
    with pytest.raises(ValueError, match="smallest difference"):
        paired.sample_size(0, 0.5, 0.5)


def test_questions_needed_from_observed_scores():
    a = (RNG.random(60) < 0.45).astype(float)
    b = np.where(RNG.random(60) < 0.8, a, 1 - a)   # mostly the same answers as a
    n = paired.questions_needed(a, b, delta=0.1)
    expected = paired.sample_size(0.1, a.std(ddof=1), b.std(ddof=1), np.corrcoef(a, b)[0, 1])
    assert n == expected
    with pytest.raises(ValueError, match="scored the same"):
        paired.questions_needed([1, 0, 1, 0], [0, 1, 0, 1])


def test_estimate_format_and_json():
    e = stats.Estimate(0.35, 0.24, 0.48, 60, "wilson")
    assert e.format() == "0.35 [0.24, 0.48]" and e.scaled(100).format("{:.0f}") == "35 [24, 48]"
    assert e.above(0.2) and not e.above(0.3) and e.below(0.5)
    empty = stats.rate([])
    assert empty.format() == "n/a" and empty.as_dict()["low"] is None and not empty.above(0) and not empty.below(0)
    assert stats.Estimate(1.0, math.nan, math.nan, 1, "mean").format() == "1.00 [?]"


def test_an_estimate_read_back_from_a_record_is_the_same_estimate():
    measured = stats.rate([1, 0, 1, 1])
    empty = stats.mean([])
    assert stats.Estimate.from_dict(measured.as_dict()) == measured
    back = stats.Estimate.from_dict(empty.as_dict())
    assert math.isnan(back.value) and back.format() == "n/a" and back.n == 0
