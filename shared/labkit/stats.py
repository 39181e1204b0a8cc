"""Error bars for evals: 95% intervals, clustered and paired comparisons, and how many questions you need.

    from labkit import stats
    stats.rate([True, False, True, True])             # Estimate(value=0.75, low=0.30, high=0.95, n=4, ...)
    stats.mean(costs, clusters=labels)                # clustered by gold source document
    stats.percentile(latencies, 95)                   # seeded bootstrap: the same interval every run

An eval's questions are a sample: ask 60 other questions and the accuracy moves. Every figure the course
prints therefore carries its 95% interval, following E. Miller, "Adding Error Bars to Evals: A Statistical
Approach to Language Model Evaluations" (2024, arXiv:2411.00640):
- a mean has a standard error (SE), and mean +- 1.96 SE is its 95% interval (the central limit theorem);
- questions written from the same document succeed or fail together, so they are not independent: the
  *clustered* SE adds their covariance within each cluster (here: questions sharing a gold source);
- two strategies on the same questions are compared question by question (a *paired* difference): the
  question-to-question variation they share cancels, so the interval is narrower than comparing two means;
- before running an eval, the same formulas say how many questions it takes to see a given difference.
Rates use the Wilson score interval (it stays inside [0, 1] and behaves at 0 of n); percentiles use a
seeded bootstrap (no formula needed, deterministic). This module is about one metric; `labkit.paired`
compares two strategies and sizes an eval. Lesson 04 and `labkit compare` use both; `labkit.intervals`
applies them to a whole eval run and `labkit.decision` turns intervals into verdicts.

Only the standard library and numpy: open it and read the formulas. Intervals use z = 1.96 (normal
approximation), which is optimistic with a handful of questions: read intervals from fewer than ~20 as rough.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from statistics import NormalDist

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)  # 1.95996...: a 95% two-sided interval is value +- Z95 standard errors
NAN = math.nan
Clusters = Sequence[str] | None    # one label per value (e.g. the question's gold source); None: independent
Values = Sequence[float] | np.ndarray   # per-question scores: a list, or the array a caller already made


@dataclass(frozen=True)
class Estimate:
    """A measured value with its 95% interval [low, high] from n observations; NaN bounds: cannot tell."""

    value: float
    low: float
    high: float
    n: int
    method: str

    def above(self, x: float) -> bool:
        """The whole interval lies above x (False when the interval is unknown)."""
        return self.low > x

    def below(self, x: float) -> bool:
        return self.high < x

    def scaled(self, factor: float) -> Estimate:
        """The same estimate in other units (e.g. $ per query -> $ per million queries)."""
        return replace(self, value=self.value * factor, low=self.low * factor, high=self.high * factor)

    def format(self, pattern: str = "{:.2f}") -> str:
        """'0.35 [0.24, 0.48]'; 'n/a' when nothing was measured."""
        if math.isnan(self.value):
            return "n/a"
        bounds = "?" if math.isnan(self.low) or math.isnan(self.high) else \
            f"{pattern.format(self.low)}, {pattern.format(self.high)}"
        return f"{pattern.format(self.value)} [{bounds}]"

    def as_dict(self) -> dict:
        """JSON-able: NaN (nothing to measure) becomes None."""
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in asdict(self).items()}

    @staticmethod
    def from_dict(row: dict) -> Estimate:
        """The inverse of as_dict, for estimates read back from a run record (None becomes NaN)."""
        value, low, high = (NAN if row[k] is None else float(row[k]) for k in ("value", "low", "high"))
        return Estimate(value, low, high, int(row["n"]), str(row["method"]))


def _array(values: Values) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _check_clusters(values: np.ndarray, clusters: Clusters) -> None:
    if clusters is not None and len(clusters) != len(values):
        raise ValueError(f"clusters has {len(clusters)} labels for {len(values)} values: give one label per value")


# ----------------------------------------------------------------------------------------------
# Standard errors: independent and clustered
# ----------------------------------------------------------------------------------------------
def standard_error(values: Values) -> float:
    """SE of the mean of independent values: sample SD / sqrt(n). NaN with fewer than 2 values."""
    x = _array(values)
    return float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else NAN


def clustered_se(values: Values, clusters: Sequence[str]) -> float:
    """Miller's clustered SE of the mean: within a cluster the deviations from the mean are summed before
    squaring, so correlated questions count together:  SE^2 = G/(G-1) * sum_c (sum_{i in c} (x_i - mean))^2 / n^2.
    G/(G-1) (G clusters) is the usual small-sample factor (statsmodels applies it too): with one question
    per cluster this is exactly `standard_error`. NaN with fewer than 2 clusters."""
    x = _array(values)
    _check_clusters(x, clusters)
    labels = np.asarray(clusters, dtype=object)
    groups = list(dict.fromkeys(labels))
    if len(groups) < 2:
        return NAN
    deviations = x - x.mean()
    sums = np.array([deviations[labels == g].sum() for g in groups])
    g = len(groups)
    return float(math.sqrt(g / (g - 1) * (sums ** 2).sum()) / len(x))


def design_effect(values: Values, clusters: Clusters) -> float:
    """(clustered SE / independent SE)^2, at least 1: how many times fewer independent questions the eval
    is worth. 1 when there are no clusters or nothing varies."""
    if clusters is None or len(values) < 2:
        return 1.0
    iid, clustered = standard_error(values), clustered_se(values, clusters)
    if not iid > 0 or math.isnan(clustered):
        return 1.0
    return max(1.0, (clustered / iid) ** 2)


def cluster_note(clusters: Clusters, deff: float | None = None) -> str:
    """', clustered (9 clusters, design effect 1.20)' for a method string; '' without clusters."""
    if clusters is None:
        return ""
    extra = f", design effect {deff:.2f}" if deff is not None else ""
    return f", clustered ({len(set(clusters))} clusters{extra})"


# ----------------------------------------------------------------------------------------------
# One metric: a rate, a mean, a percentile
# ----------------------------------------------------------------------------------------------
def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a rate successes/n (n may be fractional: an effective sample size)."""
    if n <= 0:
        return NAN, NAN
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def wilson_cc(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson interval with continuity correction (Newcombe 1998, method 4): close to the exact
    Clopper-Pearson interval for small n, still a formula. Its bounds solve |p - pi| - 1/(2n) = z*SE(pi)."""
    if n <= 0:
        return NAN, NAN
    p, zz = successes / n, z * z
    root_low = math.sqrt(max(0.0, zz - 2 - 1 / n + 4 * p * (n * (1 - p) + 1)))
    root_high = math.sqrt(max(0.0, zz + 2 - 1 / n + 4 * p * (n * (1 - p) - 1)))
    low = 0.0 if p <= 0 else (2 * n * p + zz - 1 - z * root_low) / (2 * (n + zz))
    high = 1.0 if p >= 1 else (2 * n * p + zz + 1 + z * root_high) / (2 * (n + zz))
    return float(max(0.0, low)), float(min(1.0, high))


def rate(values: Sequence[float], clusters: Clusters = None) -> Estimate:
    """The share of True values (bools or 0/1 scores) with its Wilson interval. With clusters, the interval is
    that of the effective sample size n / design effect (Korn & Graubard's way of clustering a score interval)."""
    x = _array(values)
    if len(x) == 0:
        return Estimate(NAN, NAN, NAN, 0, "wilson")
    _check_clusters(x, clusters)
    deff = design_effect(x, clusters)
    n_eff = len(x) / deff
    low, high = wilson(x.mean() * n_eff, n_eff)
    return Estimate(float(x.mean()), low, high, len(x), "wilson" + cluster_note(clusters, deff))


def mean(values: Sequence[float], clusters: Clusters = None, z: float = Z95) -> Estimate:
    """The mean +- z SE (clustered SE when clusters are given): Miller's interval for any per-question score."""
    x = _array(values)
    if len(x) == 0:
        return Estimate(NAN, NAN, NAN, 0, "mean")
    _check_clusters(x, clusters)
    se = standard_error(x) if clusters is None else clustered_se(x, clusters)
    m = float(x.mean())
    return Estimate(m, m - z * se, m + z * se, len(x), "mean +- 1.96 SE" + cluster_note(clusters))


def _resamples(n: int, clusters: Clusters, reps: int, seed: int) -> list[np.ndarray]:
    """`reps` bootstrap samples of indices 0..n-1: questions drawn with replacement, or whole clusters
    (so questions that belong together stay together). Seeded: the same samples every time."""
    rng = np.random.default_rng(seed)
    if clusters is None:
        return list(rng.integers(0, n, size=(reps, n)))
    labels = np.asarray(clusters, dtype=object)
    groups = [np.flatnonzero(labels == g) for g in dict.fromkeys(labels)]
    picks = rng.integers(0, len(groups), size=(reps, len(groups)))
    return [np.concatenate([groups[g] for g in row]) for row in picks]


def bootstrap_interval(n: int, stat_of: Callable[[np.ndarray], float], clusters: Clusters, reps: int,
                       seed: int) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of stat_of(indices) over `reps` resamples of 0..n-1 (percentile
    bootstrap); stat_of gets the resampled indices, so one resample can feed paired values (labkit.paired)."""
    draws = [stat_of(idx) for idx in _resamples(n, clusters, reps, seed)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def bootstrap(values: Sequence[float], stat: Callable[[np.ndarray], float], clusters: Clusters = None,
              reps: int = 2000, seed: int = 0, name: str = "statistic") -> Estimate:
    """stat(values) with a percentile-bootstrap 95% interval: recompute stat on `reps` resamples of the
    questions and take the 2.5th and 97.5th percentiles of the results."""
    x = _array(values)
    if len(x) == 0:
        return Estimate(NAN, NAN, NAN, 0, f"bootstrap {name}")
    _check_clusters(x, clusters)
    low, high = bootstrap_interval(len(x), lambda idx: stat(x[idx]), clusters, reps, seed)
    return Estimate(float(stat(x)), low, high, len(x),
                    f"bootstrap {name} ({reps} resamples, seed {seed}){cluster_note(clusters)}")


def percentile(values: Sequence[float], q: float, clusters: Clusters = None, reps: int = 2000,
               seed: int = 0) -> Estimate:
    """The q-th percentile (linear interpolation, as labkit.evaluate.percentile) with a bootstrap interval."""
    return bootstrap(values, lambda x: float(np.percentile(x, q)), clusters, reps, seed, name=f"p{q:g}")
