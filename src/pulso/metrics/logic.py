"""Pure statistics behind Pulso's KPIs: point estimates, intervals and two-group comparisons; the period presets."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from statistics import NormalDist
from typing import Any

from scipy import stats

NPS_Z_TEST = "two-sample z-test"
NEWCOMBE = "Newcombe hybrid score"
WELCH = "Welch t-test"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its confidence interval; all None when nothing was observed."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    confidence: float = 0.95


@dataclass(frozen=True, slots=True)
class Comparison:
    """Difference a minus b with its interval and test; None fields mean "not computable"."""

    difference: float | None
    low: float | None
    high: float | None
    statistic: float | None
    p_value: float | None
    df: float | None
    significant: bool
    method: str


def _check_confidence(confidence: float) -> None:
    """Raise ValueError unless 0 < confidence < 1."""
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _check_alpha(alpha: float) -> None:
    """Raise ValueError unless 0 < alpha < 1."""
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")


def _check_count(name: str, value: int) -> None:
    """Raise ValueError for a negative count."""
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def _check_variance(name: str, value: float) -> None:
    """Raise ValueError for a negative or non-finite variance."""
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


@lru_cache(maxsize=32)
def _z(confidence: float) -> float:
    """Two-sided standard normal critical value for the given confidence."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


_STANDARD_NORMAL = NormalDist()


def _two_sided_normal_p(statistic: float) -> float:
    # The standard library's normal CDF: exact to double precision and ~50x cheaper per call than
    # scipy's, which matters when a breakdown tests hundreds of groups.
    return 2.0 * _STANDARD_NORMAL.cdf(-abs(statistic))


def _clamp(x: float, lo: float, hi: float) -> float:
    """Limit x to [lo, hi]."""
    return min(max(x, lo), hi)


def _not_computable(method: str, difference: float | None = None) -> Comparison:
    """A comparison with no interval and no test."""
    return Comparison(
        difference=difference,
        low=None,
        high=None,
        statistic=None,
        p_value=None,
        df=None,
        significant=False,
        method=method,
    )


def _check_nps_counts(promoters: int, passives: int, detractors: int) -> None:
    """Raise ValueError if any NPS count is negative."""
    _check_count("promoters", promoters)
    _check_count("passives", passives)
    _check_count("detractors", detractors)


def nps_variance(p_promoters: float, p_detractors: float) -> float:
    """Per-respondent variance of NPS: p_pro + p_det - (p_pro - p_det)^2."""
    for name, p in (("p_promoters", p_promoters), ("p_detractors", p_detractors)):
        if not (0.0 <= p <= 1.0):
            raise ValueError(f"{name} must be in [0, 1], got {p!r}")
    if p_promoters + p_detractors > 1.0 + 1e-12:
        raise ValueError(f"p_promoters + p_detractors must be <= 1, got {p_promoters!r} + {p_detractors!r}")
    # A respondent scores +1, 0 or -1, so Var = E[X²] - E[X]² (Rocks 2016); the clamp absorbs
    # floating error when the score is degenerate (e.g. all promoters).
    return max(0.0, p_promoters + p_detractors - (p_promoters - p_detractors) ** 2)


def _nps_interval(pro: float, det: float, n: float, n_reported: int, confidence: float) -> Estimate:
    """Wald-type NPS interval from (possibly adjusted) promoter/detractor counts over n."""
    p_pro = pro / n
    p_det = det / n
    nps = p_pro - p_det
    half = _z(confidence) * math.sqrt(nps_variance(p_pro, p_det) / n)
    # NPS cannot leave [-1, 1]; the normal approximation can, near the bounds.
    return Estimate(
        value=nps,
        low=_clamp(nps - half, -1.0, 1.0),
        high=_clamp(nps + half, -1.0, 1.0),
        n=n_reported,
        confidence=confidence,
    )


def nps_wald(promoters: int, passives: int, detractors: int, confidence: float = 0.95) -> Estimate:
    """NPS with the plain Wald interval: NPS ± z * sqrt(Var / n)."""
    _check_nps_counts(promoters, passives, detractors)
    _check_confidence(confidence)
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, None, None, 0, confidence)
    return _nps_interval(float(promoters), float(detractors), float(n), n, confidence)


def nps_adjusted_wald(promoters: int, passives: int, detractors: int, confidence: float = 0.95) -> Estimate:
    """NPS with the adjusted-Wald interval; value is the adjusted NPS."""
    _check_nps_counts(promoters, passives, detractors)
    _check_confidence(confidence)
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, None, None, 0, confidence)
    # Adjusted Wald (Rocks 2016): add 3 to n and 3/4 to promoters and detractors, which keeps the
    # interval honest for small samples and scores near ±100.
    return _nps_interval(promoters + 0.75, detractors + 0.75, n + 3.0, n, confidence)


def nps_z_test(a: tuple[int, int, int], b: tuple[int, int, int], alpha: float = 0.05) -> Comparison:
    """Two-sample z-test of NPS a minus b; each tuple is (promoters, passives, detractors)."""
    _check_nps_counts(*a)
    _check_nps_counts(*b)
    _check_alpha(alpha)
    n_a = sum(a)
    n_b = sum(b)
    if n_a == 0 or n_b == 0:
        return _not_computable(NPS_Z_TEST)
    p_pro_a, p_det_a = a[0] / n_a, a[2] / n_a
    p_pro_b, p_det_b = b[0] / n_b, b[2] / n_b
    diff = (p_pro_a - p_det_a) - (p_pro_b - p_det_b)
    # Unpooled standard error from each sample's own proportions (Rocks 2016, two-sample test).
    se = math.sqrt(nps_variance(p_pro_a, p_det_a) / n_a + nps_variance(p_pro_b, p_det_b) / n_b)
    if se == 0.0:
        return _not_computable(NPS_Z_TEST, diff)
    z = diff / se
    p_value = _two_sided_normal_p(z)
    half = _z(1.0 - alpha) * se
    return Comparison(
        difference=diff,
        low=diff - half,
        high=diff + half,
        statistic=z,
        p_value=p_value,
        df=None,
        significant=p_value < alpha,
        method=NPS_Z_TEST,
    )


def _check_successes(successes: int, n: int) -> None:
    """Raise ValueError unless 0 <= successes <= n."""
    _check_count("successes", successes)
    _check_count("n", n)
    if successes > n:
        raise ValueError(f"successes ({successes}) must not exceed n ({n})")


def _wilson_limits(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score limits for successes/n (n > 0)."""
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    # At 0/n and n/n the exact limit is 0 or 1; clamping removes floating dust.
    return _clamp(centre - half, 0.0, p), _clamp(centre + half, p, 1.0)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Proportion with the Wilson score interval."""
    _check_successes(successes, n)
    _check_confidence(confidence)
    if n == 0:
        return Estimate(None, None, None, 0, confidence)
    # Wilson (1927) score interval, method 3 in Newcombe (1998a): good coverage and never outside
    # [0, 1], even at 0/n and n/n where the Wald interval collapses.
    low, high = _wilson_limits(successes, n, _z(confidence))
    return Estimate(successes / n, low, high, n, confidence)


def newcombe_difference(successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = 0.95) -> Comparison:
    """Difference of proportions a minus b with Newcombe's hybrid score CI and a pooled z-test."""
    _check_successes(successes_a, n_a)
    _check_successes(successes_b, n_b)
    _check_confidence(confidence)
    if n_a == 0 or n_b == 0:
        return _not_computable(NEWCOMBE)
    p_a = successes_a / n_a
    p_b = successes_b / n_b
    diff = p_a - p_b
    z_crit = _z(confidence)
    l_a, u_a = _wilson_limits(successes_a, n_a, z_crit)
    l_b, u_b = _wilson_limits(successes_b, n_b, z_crit)
    # Newcombe (1998b) method 10: square-and-add the distances from each estimate to its Wilson limits.
    low = diff - math.sqrt((p_a - l_a) ** 2 + (u_b - p_b) ** 2)
    high = diff + math.sqrt((u_a - p_a) ** 2 + (p_b - l_b) ** 2)
    # The CI decides significance; the pooled two-proportion z-test only supplies a p-value.
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
    statistic: float | None = None
    p_value: float | None = None
    if se > 0.0:
        statistic = diff / se
        p_value = _two_sided_normal_p(statistic)
    return Comparison(
        difference=diff,
        low=low,
        high=high,
        statistic=statistic,
        p_value=p_value,
        df=None,
        significant=low > 0.0 or high < 0.0,
        method=NEWCOMBE,
    )


def mean_from_sums(n: int, total: float, total_sq: float) -> tuple[float | None, float | None]:
    """Mean and sample variance (n - 1) from count, sum and sum of squares."""
    _check_count("n", n)
    if n == 0:
        return None, None
    mean = total / n
    if n < 2:
        return mean, None
    # The textbook one-pass formula is what SQL aggregates give us; cancellation can push a true
    # zero slightly negative, so clamp at 0.
    variance = (total_sq - total * total / n) / (n - 1)
    return mean, max(0.0, variance)


def t_interval(mean: float | None, variance: float | None, n: int, confidence: float = 0.95) -> Estimate:
    """Mean with the Student t interval: mean ± t(n-1) * sqrt(variance / n)."""
    _check_count("n", n)
    _check_confidence(confidence)
    if n == 0 or mean is None:
        return Estimate(None, None, None, n, confidence)
    if variance is None or n < 2:
        return Estimate(mean, None, None, n, confidence)
    _check_variance("variance", variance)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half, n, confidence)


def welch_test(
    mean_a: float,
    var_a: float,
    n_a: int,
    mean_b: float,
    var_b: float,
    n_b: int,
    alpha: float = 0.05,
) -> Comparison:
    """Welch t-test of mean a minus mean b, with Welch–Satterthwaite df and the CI of the difference."""
    _check_count("n_a", n_a)
    _check_count("n_b", n_b)
    _check_variance("var_a", var_a)
    _check_variance("var_b", var_b)
    _check_alpha(alpha)
    if n_a == 0 or n_b == 0:
        return _not_computable(WELCH)
    diff = mean_a - mean_b
    if n_a < 2 or n_b < 2:
        return _not_computable(WELCH, diff)
    se2_a = var_a / n_a
    se2_b = var_b / n_b
    se2 = se2_a + se2_b
    if se2 == 0.0:
        # Both groups constant: no sampling variability to test against.
        return _not_computable(WELCH, diff)
    se = math.sqrt(se2)
    # Welch (1947) / Satterthwaite (1946) approximate degrees of freedom.
    df = se2 * se2 / (se2_a * se2_a / (n_a - 1) + se2_b * se2_b / (n_b - 1))
    t = diff / se
    p_value = float(2.0 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
    return Comparison(
        difference=diff,
        low=diff - half,
        high=diff + half,
        statistic=t,
        p_value=p_value,
        df=df,
        significant=p_value < alpha,
        method=WELCH,
    )


def median_ci_ranks(n: int, confidence: float = 0.95) -> tuple[int, int]:
    """1-based ranks (j, k) of the order statistics bounding a distribution-free median CI."""
    if n < 1:
        raise ValueError(f"n must be >= 1 to rank a median interval, got {n!r}")
    _check_confidence(confidence)
    # The count of observations below the median is Binomial(n, 1/2) (Conover, "Practical
    # Nonparametric Statistics", 3rd ed. 1999, CI for a quantile); with its normal approximation the
    # ranks are n/2 ∓ z·√n/2, the upper one shifted by 1 and both rounded to the nearest integer
    # (Campbell & Gardner, in Altman et al., "Statistics with Confidence", 2nd ed. 2000), which
    # reproduces their table: n = 100 at 95% gives (40, 61).
    spread = _z(confidence) * math.sqrt(n) / 2.0
    j = math.floor(n / 2.0 - spread + 0.5)
    k = math.floor(1.0 + n / 2.0 + spread + 0.5)
    return max(1, min(j, n)), max(1, min(k, n))


POISSON_TEST = "Poisson rate test (E-test)"


def _chi2_ppf(p: float, df: int) -> float:
    """scipy.stats.chi2.ppf for 0 < p < 1 by its own formula, without the distribution object's checks."""
    from scipy import special

    return float(2 * special.gammaincinv(df / 2, p))


def poisson_interval(count: int, confidence: float = 0.95) -> Estimate:
    """A count with its exact (Garwood 1936) Poisson interval."""
    _check_count("count", count)
    _check_confidence(confidence)
    alpha = 1.0 - confidence
    # Garwood's chi-square form of the exact interval; the lower limit of a zero count is 0.
    low = 0.0 if count == 0 else _chi2_ppf(alpha / 2.0, 2 * count) / 2.0
    high = _chi2_ppf(1.0 - alpha / 2.0, 2 * count + 2) / 2.0
    return Estimate(float(count), low, high, count, confidence)


def e_test(k1: int, n1: float, k2: int, n2: float) -> tuple[float, float]:
    """The two-sided E-test of equal Poisson rates: scipy.stats.poisson_means_test's answer, in linear time.

    scipy sums P(x1)·P(x2) over a full grid of both counts' likely values (about 15·√k each), so its
    time and memory grow with k1·k2: seconds at a hundred thousand events, gigabytes at millions. With
    no hypothesised difference the pivot T(x1, x2) = (x1/n1 − x2/n2) / √(x1/n1² + x2/n2²) falls as x2
    grows (for every x1), so for each x1 the x2 with |T| ≥ |t| form two tails, x2 ≤ L and x2 ≥ U,
    at the roots of a quadratic; their masses are cumulative sums of the same Poisson terms over
    scipy's own summation bounds. The x2 within two of each root are tested one by one with scipy's
    arithmetic, so ties fall as they do there. The p-value agrees with scipy's to rounding
    (tests/metrics/test_e_test.py).
    """
    import numpy as np

    lam = (k1 + k2) / (n1 + n2)
    if lam <= 0:
        return 0.0, 1.0
    t_obs = float((k1 / n1 - k2 / n2) / np.sqrt(k1 / (n1**2) + k2 / (n2**2)))
    tau = abs(t_obs)
    mu1, mu2 = n1 * lam, n2 * lam
    x1_lb, x1_ub = _poisson_ppf(np.array([1e-10, 1 - 1e-16]), mu1)
    x2_lb, x2_ub = _poisson_ppf(np.array([1e-10, 1 - 1e-16]), mu2)
    x1 = np.arange(x1_lb, x1_ub + 1)
    prob_x1 = _poisson_pmf(x1, mu1)
    prob_x2 = _poisson_pmf(np.arange(x2_lb, x2_ub + 1), mu2)
    size = len(prob_x2)
    below = np.concatenate([[0.0], np.cumsum(prob_x2)])  # below[i]: mass of the first i terms
    above = np.concatenate([np.cumsum(prob_x2[::-1])[::-1], [0.0]])  # above[i]: mass from term i on
    # T ≥ τ ⇔ u ≤ u₋ and T ≤ −τ ⇔ u ≥ u₊ for u = x2/n2, the roots of u² − (2a + τ²/n2)·u + a² − τ²·a/n1.
    a = x1 / n1
    p = 2 * a + tau * tau / n2
    c = a * a - tau * tau * a / n1
    u_high = (p + np.sqrt(np.maximum(p * p - 4 * c, 0.0))) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        u_low = np.where(u_high > 0, c / u_high, 0.0)  # Vieta's form: no cancellation
    # Term indexes (x2 − x2_lb) about the last of the lower tail and the first of the upper one.
    last_low = np.floor(u_low * n2) - x2_lb
    first_high = np.ceil(u_high * n2) - x2_lb
    sure = below[np.clip(last_low - 2, 0, size).astype(np.int64)]
    sure += above[np.clip(first_high + 3, 0, size).astype(np.int64)]
    # The terms within two of either root, tested exactly, each once.
    offsets = np.arange(-2, 3)
    near_high = first_high[:, None] + offsets
    near = np.concatenate(
        [last_low[:, None] + offsets, np.where(near_high > last_low[:, None] + 2, near_high, -1)], axis=1
    )
    valid = (near >= 0) & (near < size)
    index = np.where(valid, near, 0).astype(np.int64)
    lmbd_x1 = x1[:, None] / n1
    lmbd_x2 = (index + x2_lb) / n2
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (lmbd_x1 - lmbd_x2 - 0) / np.sqrt(lmbd_x1 / n1 + lmbd_x2 / n2)
    close = np.where(valid & (np.abs(t) >= tau), prob_x2[index], 0.0).sum(axis=1)
    return t_obs, float(np.sum(prob_x1 * (sure + close)))


# scipy.stats.poisson's own formulas (its _pmf and _ppf), called without the per-call argument checks
# of the distribution object, which cost more than the test itself when a trend has hundreds of points.
def _poisson_pmf(k: Any, mu: float) -> Any:
    import numpy as np
    from scipy import special

    return np.exp(special.xlogy(k, mu) - special.gammaln(k + 1) - mu)


def _poisson_ppf(q: Any, mu: float) -> Any:
    import numpy as np
    from scipy import special

    vals = np.ceil(special.pdtrik(q, mu))
    vals1 = np.maximum(vals - 1, 0)
    return np.where(special.pdtr(vals1, mu) >= q, vals1, vals)


def poisson_rate_test(
    count_a: int, exposure_a: float, count_b: int, exposure_b: float, alpha: float = 0.05
) -> Comparison:
    """Rate a minus rate b (events per unit of exposure, e.g. per day), tested with the E-test."""
    _check_count("count_a", count_a)
    _check_count("count_b", count_b)
    _check_alpha(alpha)
    if exposure_a <= 0 or exposure_b <= 0:
        raise ValueError("exposures must be > 0")
    rate_a, rate_b = count_a / exposure_a, count_b / exposure_b
    diff = rate_a - rate_b
    if count_a + count_b == 0:
        return _not_computable(POISSON_TEST, diff)
    # Krishnamoorthy & Thomson (2004) E-test, more powerful than the conditional binomial test.
    statistic, p_value = e_test(count_a, exposure_a, count_b, exposure_b)
    se = math.sqrt(count_a / exposure_a**2 + count_b / exposure_b**2)
    half = _z(1.0 - alpha) * se
    return Comparison(
        difference=diff,
        low=diff - half,
        high=diff + half,
        statistic=statistic,
        p_value=p_value,
        df=None,
        significant=p_value < alpha,
        method=POISSON_TEST,
    )


MOOD = "Mood's median test"


def mood_median_test(above_a: int, n_a: int, above_b: int, n_b: int, alpha: float = 0.05) -> Comparison:
    """Do two samples share a median? Counts above the pooled median, in a 2x2 chi-square table.

    The caller computes the pooled median and the counts in SQL, so no value leaves the engine; this
    is scipy.stats.median_test with ties counted below (its default), Yates-corrected like it.
    """
    for name, value in (("above_a", above_a), ("n_a", n_a), ("above_b", above_b), ("n_b", n_b)):
        _check_count(name, value)
    _check_alpha(alpha)
    if above_a > n_a or above_b > n_b:
        raise ValueError("counts above the median cannot exceed the sample sizes")
    table = [[above_a, above_b], [n_a - above_a, n_b - above_b]]
    if n_a == 0 or n_b == 0 or above_a + above_b == 0 or above_a + above_b == n_a + n_b:
        return _not_computable(MOOD)
    statistic, p_value, _, _ = stats.chi2_contingency(table, correction=True)
    return Comparison(
        difference=None,
        low=None,
        high=None,
        statistic=float(statistic),
        p_value=float(p_value),
        df=1.0,
        significant=float(p_value) < alpha,
        method=MOOD,
    )


def preset_range(period: str, today: date) -> tuple[date, date]:
    """The days of a dashboard's period preset; every range ends today (the organisation's)."""
    if period == "7d":
        return today - timedelta(days=6), today
    if period == "30d":
        return today - timedelta(days=29), today
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if period == "12m":
        return today - timedelta(days=364), today
    if period == "90d":
        return today - timedelta(days=89), today
    raise ValueError(f"unknown period {period!r}")
