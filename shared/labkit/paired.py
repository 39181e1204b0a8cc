"""Two strategies on the same questions: paired differences, McNemar's test, and how many questions it takes.

    from labkit import paired
    paired.paired_rate_diff(rag_correct, prompt_correct)       # rate(a) - rate(b), e.g. +0.11 [-0.05, +0.27]
    paired.paired_mean_diff(rag_cost, prompt_cost, clusters)   # mean(a - b), Miller's paired interval
    paired.paired_bootstrap(rag_ms, prompt_ms, np.median)      # difference of the medians, paired resamples
    paired.mcnemar_exact(b=9, c=3)                              # p-value: 0.146
    paired.sample_size(delta=0.05, sd_a=0.5, sd_b=0.5, rho=0.6)    # 628 questions to see a 5-point gap

When two strategies answer the same questions, compare them question by question (E. Miller, "Adding
Error Bars to Evals", 2024): a question that is hard for one is usually hard for the other, and that
shared part cancels in the per-question difference, so the interval of a paired difference is narrower
than the two separate intervals suggest. For two rates only the questions where the strategies disagree
carry information (McNemar's test). Power analysis runs the same formulas backwards: how many questions
an eval needs before a difference of a given size shows. The intervals are `labkit.stats.Estimate`s;
`labkit.intervals.paired` applies this module to two eval runs, lesson 04 and its lab use it directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from statistics import NormalDist

import numpy as np

from labkit.stats import NAN, Z95, Clusters, Estimate, bootstrap_interval, cluster_note, design_effect, mean


def _pair(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"a paired comparison needs the same questions: got {len(x)} and {len(y)} values")
    return x, y


def paired_mean_diff(a: Sequence[float], b: Sequence[float], clusters: Clusters = None) -> Estimate:
    """mean(a - b) over the same questions, +- 1.96 SE of the per-question differences (Miller's paired
    test). Subtracting first removes what the questions share (a hard question is slow for both)."""
    x, y = _pair(a, b)
    result = mean(x - y, clusters)
    return replace(result, method="paired " + result.method)


def paired_bootstrap(a: Sequence[float], b: Sequence[float], stat: Callable[[np.ndarray], float],
                     clusters: Clusters = None, reps: int = 2000, seed: int = 0, name: str = "difference") -> Estimate:
    """stat(a) - stat(b) with a paired bootstrap interval: each resample draws the same questions for both
    (e.g. stat=np.median: the difference of the two median latencies)."""
    x, y = _pair(a, b)
    if len(x) == 0:
        return Estimate(NAN, NAN, NAN, 0, f"paired bootstrap {name}")
    if clusters is not None and len(clusters) != len(x):
        raise ValueError(f"clusters has {len(clusters)} labels for {len(x)} values: give one label per value")
    low, high = bootstrap_interval(len(x), lambda idx: stat(x[idx]) - stat(y[idx]), clusters, reps, seed)
    return Estimate(float(stat(x) - stat(y)), low, high, len(x),
                    f"paired bootstrap {name} ({reps} resamples, seed {seed}){cluster_note(clusters)}")


def mcnemar_exact(b: int, c: int) -> float:
    """McNemar's exact test (two-sided p-value) for two rates on the same questions. b: questions only the
    first got right, c: only the second. Under 'no difference' each disagreement is a fair coin flip."""
    m = b + c
    if m == 0:
        return 1.0
    tail = sum(math.comb(m, i) for i in range(min(b, c) + 1)) / 2 ** m
    return min(1.0, 2 * tail)


def _score_z(b: float, c: float, n: float, delta: float) -> float:
    """Tango's score statistic for 'the difference of the two rates is delta', continuity-corrected.
    The four outcomes of a question have probabilities p(a only) = q + delta, p(b only) = q, p(both) and
    p(neither); q is estimated under the hypothesis (maximum likelihood: the root of 2n q^2 - w q -
    c delta (1 - delta) = 0). At delta = 0 this is McNemar's statistic (|b - c| - 1) / sqrt(b + c)."""
    w = b + c - delta * (2 * n - b + c)
    q = (w + math.sqrt(max(0.0, w * w + 8 * n * c * delta * (1 - delta)))) / (4 * n)
    variance = max(2 * q + delta - delta * delta, 0.0) / n
    gap = (b - c) / n - delta
    gap = math.copysign(max(0.0, abs(gap) - 1 / n), gap)
    return gap / math.sqrt(variance) if variance > 0 else (0.0 if gap == 0 else math.copysign(math.inf, gap))


def _bound(b: float, c: float, n: float, start: float, end: float, target: float) -> float:
    """The delta between start and end where _score_z crosses target (bisection); +-1 when it never does."""
    if abs(_score_z(b, c, n, end)) < abs(target) or _score_z(b, c, n, end) * target < 0:
        return math.copysign(1.0, end)
    for _ in range(60):
        middle = (start + end) / 2
        if (_score_z(b, c, n, middle) - target) * (_score_z(b, c, n, start) - target) > 0:
            start = middle
        else:
            end = middle
    return (start + end) / 2


def paired_rate_diff(a: Sequence[float], b: Sequence[float], clusters: Clusters = None) -> Estimate:
    """rate(a) - rate(b) on the same questions (bools or 0/1 scores), with the interval of McNemar's test.

    Only the questions where the two disagree say which is better (b: only `a` right, c: only `b` right):
    the difference is (b - c) / n. The interval holds every difference that Tango's score test (with
    continuity correction) does not reject at 5%; at 0 that test is McNemar's, so the interval excludes 0
    exactly when McNemar's test finds a difference. With clusters, the counts are divided by the design
    effect of the per-question differences. The method string carries b, c and the exact p-value."""
    x, y = _pair(a, b)
    n = len(x)
    if n == 0:
        return Estimate(NAN, NAN, NAN, 0, "paired rate difference")
    x, y = x.astype(bool), y.astype(bool)
    wins, losses = int((x & ~y).sum()), int((~x & y).sum())
    deff = design_effect(x.astype(float) - y.astype(float), clusters)
    bw, cw, nw = wins / deff, losses / deff, n / deff
    diff = (wins - losses) / n
    edge = 1 - 1e-9
    low, high = _bound(bw, cw, nw, diff, -edge, Z95), _bound(bw, cw, nw, diff, edge, -Z95)
    method = (f"paired rates, score interval (McNemar; b={wins}, c={losses}, exact p="
              f"{mcnemar_exact(wins, losses):.3g})" + cluster_note(clusters, deff))
    return Estimate(diff, low, high, n, method)


# ----------------------------------------------------------------------------------------------
# Power: how many questions it takes
# ----------------------------------------------------------------------------------------------
def sample_size(delta: float, sd_a: float, sd_b: float, rho: float = 0.0, paired: bool = True,
                alpha: float = 0.05, power: float = 0.8) -> int:
    """Questions needed to detect a true difference `delta` between two strategies (Miller's formula):

        n = (z_{1-alpha/2} + z_{power})^2 * omega^2 / delta^2

    omega^2 is the variance of one question's difference: sd_a^2 + sd_b^2 - 2 rho sd_a sd_b when both
    answer the same questions (paired; rho = the correlation of their per-question scores), sd_a^2 + sd_b^2
    when each answers its own n questions (unpaired). For a rate p, sd = sqrt(p (1 - p))."""
    if delta == 0:
        raise ValueError("delta is 0: give the smallest difference you want to be able to see")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must lie in (0, 1), got alpha={alpha}, power={power}")
    omega2 = sd_a ** 2 + sd_b ** 2 - (2 * rho * sd_a * sd_b if paired else 0.0)
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return max(1, math.ceil(z * z * max(omega2, 0.0) / delta ** 2))


def questions_needed(a: Sequence[float], b: Sequence[float], delta: float | None = None, paired: bool = True,
                     alpha: float = 0.05, power: float = 0.8) -> int:
    """`sample_size` from two strategies' per-question scores on the same questions (their variances and
    correlation), for `delta` (default: the difference they showed, mean(a) - mean(b))."""
    x, y = _pair(a, b)
    if len(x) < 2:
        raise ValueError("questions_needed needs at least 2 paired scores to estimate their variances")
    sd_a, sd_b = float(x.std(ddof=1)), float(y.std(ddof=1))
    rho = float(np.corrcoef(x, y)[0, 1]) if sd_a > 0 and sd_b > 0 else 0.0
    if delta is None:
        delta = float(x.mean() - y.mean())
        if delta == 0:
            raise ValueError("the two strategies scored the same on average: pass the smallest difference you "
                             "care about as delta")
    return sample_size(delta, sd_a, sd_b, rho, paired, alpha, power)
