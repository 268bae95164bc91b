"""Tests for the pure KPI statistics, checked against published worked examples."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from pulso.metrics.logic import (
    Comparison,
    Estimate,
    mean_from_sums,
    median_ci_ranks,
    newcombe_difference,
    nps_adjusted_wald,
    nps_variance,
    nps_wald,
    nps_z_test,
    t_interval,
    welch_test,
    wilson_interval,
)

# R's datasets::sleep, column `extra` by group (Student 1908); t.test(extra ~ group, sleep) gives
# t = -1.8608, df = 17.776, p-value = 0.07939, 95% CI -3.3654832 .. 0.2054832.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def _sums(xs: list[float]) -> tuple[int, float, float]:
    """Count, sum and sum of squares, as a SQL engine aggregates them."""
    return len(xs), sum(xs), sum(x * x for x in xs)


def test_nps_wald_published_example() -> None:
    # Published worked example (adjusted Wald per Rocks 2016): 90 promoters, 60 passives, 50 detractors.
    est = nps_wald(90, 60, 50)
    assert est.value == pytest.approx(0.2, abs=1e-12)
    assert est.low == pytest.approx(0.08741, abs=1e-5)
    assert est.high == pytest.approx(0.31259, abs=1e-5)
    assert est.n == 200
    assert est.confidence == 0.95


def test_nps_adjusted_wald_published_example() -> None:
    est = nps_adjusted_wald(90, 60, 50)
    assert est.value == pytest.approx(0.19704, abs=1e-5)
    assert est.low == pytest.approx(0.08544, abs=1e-5)
    assert est.high == pytest.approx(0.30865, abs=1e-5)
    assert est.n == 200


def test_nps_variance_known_value() -> None:
    assert nps_variance(1 / 2, 1 / 6) == pytest.approx(5 / 9, abs=1e-12)


def test_nps_variance_degenerate_is_zero() -> None:
    assert nps_variance(1.0, 0.0) == 0.0
    assert nps_variance(0.0, 1.0) == 0.0
    assert nps_variance(0.0, 0.0) == 0.0


@pytest.mark.parametrize(("p_pro", "p_det"), [(-0.1, 0.2), (0.5, 1.2), (0.7, 0.4)])
def test_nps_variance_rejects_bad_proportions(p_pro: float, p_det: float) -> None:
    with pytest.raises(ValueError, match="p_"):
        nps_variance(p_pro, p_det)


def test_nps_empty_sample() -> None:
    for fn in (nps_wald, nps_adjusted_wald):
        est = fn(0, 0, 0)
        assert est == Estimate(None, None, None, 0, 0.95)


def test_nps_all_promoters() -> None:
    wald = nps_wald(10, 0, 0)
    assert (wald.value, wald.low, wald.high) == (1.0, 1.0, 1.0)
    adjusted = nps_adjusted_wald(10, 0, 0)
    assert adjusted.low is not None
    assert adjusted.high is not None
    assert adjusted.high - adjusted.low > 0
    assert -1.0 <= adjusted.low < adjusted.high <= 1.0


def test_nps_interval_stays_in_bounds() -> None:
    est = nps_wald(9, 1, 0)
    assert est.high == 1.0
    est = nps_wald(0, 1, 9)
    assert est.low == -1.0


def test_nps_confidence_widens_interval() -> None:
    narrow = nps_wald(90, 60, 50, confidence=0.80)
    wide = nps_wald(90, 60, 50, confidence=0.99)
    assert narrow.low is not None
    assert narrow.high is not None
    assert wide.low is not None
    assert wide.high is not None
    assert wide.high - wide.low > narrow.high - narrow.low
    assert wide.confidence == 0.99


@pytest.mark.parametrize("fn", [nps_wald, nps_adjusted_wald])
def test_nps_rejects_negative_counts(fn: Callable[[int, int, int], Estimate]) -> None:
    with pytest.raises(ValueError, match="promoters"):
        fn(-1, 0, 0)
    with pytest.raises(ValueError, match="passives"):
        fn(1, -1, 0)
    with pytest.raises(ValueError, match="detractors"):
        fn(1, 0, -1)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_nps_rejects_bad_confidence(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        nps_wald(1, 1, 1, confidence=confidence)


def test_nps_z_test_matches_formula() -> None:
    a, b = (90, 60, 50), (70, 60, 70)
    res = nps_z_test(a, b)
    var_a = 0.45 + 0.25 - 0.2**2
    var_b = 0.35 + 0.35 - 0.0**2
    se = math.sqrt(var_a / 200 + var_b / 200)
    z = 0.2 / se
    assert res.method == "two-sample z-test"
    assert res.difference == pytest.approx(0.2, abs=1e-12)
    assert res.statistic == pytest.approx(z, abs=1e-10)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(z), abs=1e-10)
    assert res.low == pytest.approx(0.2 - 1.959964 * se, abs=1e-5)
    assert res.high == pytest.approx(0.2 + 1.959964 * se, abs=1e-5)
    assert res.df is None
    assert res.significant


def test_nps_z_test_is_antisymmetric() -> None:
    ab = nps_z_test((90, 60, 50), (70, 60, 70))
    ba = nps_z_test((70, 60, 70), (90, 60, 50))
    assert ab.difference == pytest.approx(-(ba.difference or 0.0))
    assert ab.statistic == pytest.approx(-(ba.statistic or 0.0))
    assert ab.p_value == pytest.approx(ba.p_value)


def test_nps_z_test_not_significant_for_equal_groups() -> None:
    res = nps_z_test((30, 40, 30), (30, 40, 30))
    assert res.difference == pytest.approx(0.0)
    assert res.p_value == pytest.approx(1.0)
    assert not res.significant


def test_nps_z_test_edges() -> None:
    empty = nps_z_test((0, 0, 0), (5, 5, 5))
    assert empty == Comparison(None, None, None, None, None, None, False, "two-sample z-test")
    both_constant = nps_z_test((10, 0, 0), (0, 0, 7))
    assert both_constant.difference == pytest.approx(2.0)
    assert both_constant.statistic is None
    assert both_constant.p_value is None
    assert not both_constant.significant
    with pytest.raises(ValueError, match="detractors"):
        nps_z_test((1, 1, -1), (1, 1, 1))
    with pytest.raises(ValueError, match="alpha"):
        nps_z_test((1, 1, 1), (1, 1, 1), alpha=1.0)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998a), Table I, method 3 (Wilson score without continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
    ],
)
def test_wilson_published(successes: int, n: int, low: float, high: float) -> None:
    est = wilson_interval(successes, n)
    assert est.value == pytest.approx(successes / n)
    assert est.low == pytest.approx(low, abs=5e-5)
    assert est.high == pytest.approx(high, abs=5e-5)
    assert est.n == n


def test_wilson_edges() -> None:
    assert wilson_interval(0, 0) == Estimate(None, None, None, 0, 0.95)
    zero = wilson_interval(0, 10)
    assert zero.value == 0.0
    assert zero.low == 0.0
    assert zero.high is not None
    assert 0.0 < zero.high < 1.0
    # At 0/n the Wilson upper limit reduces to z² / (n + z²).
    z2 = stats.norm.ppf(0.975) ** 2
    assert zero.high == pytest.approx(z2 / (10 + z2), abs=1e-12)
    full = wilson_interval(10, 10)
    assert full.value == 1.0
    assert full.high == 1.0
    assert full.low == pytest.approx(10 / (10 + z2), abs=1e-12)


def test_wilson_errors() -> None:
    with pytest.raises(ValueError, match="exceed"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(-1, 10)
    with pytest.raises(ValueError, match="n must"):
        wilson_interval(0, -1)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 10, confidence=1.0)


def test_wilson_property_contains_estimate_and_stays_in_unit_interval() -> None:
    rng = np.random.default_rng(20240607)
    for _ in range(2000):
        n = int(rng.integers(1, 500))
        successes = int(rng.integers(0, n + 1))
        confidence = float(rng.uniform(0.5, 0.999))
        est = wilson_interval(successes, n, confidence)
        assert est.value is not None
        assert est.low is not None
        assert est.high is not None
        assert 0.0 <= est.low <= est.value <= est.high <= 1.0


def test_newcombe_published_example() -> None:
    # Newcombe (1998b) worked example 56/70 − 48/80, method 10 → 0.0524 to 0.3339.
    res = newcombe_difference(56, 70, 48, 80)
    assert res.method == "Newcombe hybrid score"
    assert res.difference == pytest.approx(0.2, abs=1e-12)
    assert res.low == pytest.approx(0.0524, abs=5e-5)
    assert res.high == pytest.approx(0.3339, abs=5e-5)
    assert res.significant
    assert res.df is None


def test_newcombe_pooled_z_p_value() -> None:
    res = newcombe_difference(56, 70, 48, 80)
    pooled = 104 / 150
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert res.statistic == pytest.approx(z, abs=1e-10)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(z), abs=1e-10)
    # Cross-check against the chi-square test without continuity correction (z² = X²).
    chi2, p, _, _ = stats.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert res.statistic is not None
    assert res.statistic**2 == pytest.approx(chi2)
    assert res.p_value == pytest.approx(p)


def test_newcombe_edges() -> None:
    empty = newcombe_difference(0, 0, 3, 10)
    assert empty == Comparison(None, None, None, None, None, None, False, "Newcombe hybrid score")
    # Both 100 %: the CI is still defined (and contains 0); the pooled z-test is not.
    same = newcombe_difference(10, 10, 20, 20)
    assert same.difference == 0.0
    assert same.low is not None
    assert same.high is not None
    assert same.low < 0.0 < same.high
    assert same.statistic is None
    assert same.p_value is None
    assert not same.significant
    extreme = newcombe_difference(10, 10, 0, 10)
    assert extreme.difference == 1.0
    assert extreme.low is not None
    assert extreme.high == pytest.approx(1.0)
    assert extreme.low > 0.0
    assert extreme.significant
    with pytest.raises(ValueError, match="exceed"):
        newcombe_difference(5, 4, 1, 2)
    with pytest.raises(ValueError, match="confidence"):
        newcombe_difference(1, 2, 1, 2, confidence=0.0)


def test_mean_from_sums_matches_numpy() -> None:
    mean, var = mean_from_sums(*_sums(SLEEP_1))
    assert mean == pytest.approx(np.mean(SLEEP_1))
    assert var == pytest.approx(np.var(SLEEP_1, ddof=1))


def test_mean_from_sums_edges() -> None:
    assert mean_from_sums(0, 0.0, 0.0) == (None, None)
    assert mean_from_sums(1, 4.0, 16.0) == (4.0, None)
    # Constant values whose sums lose precision: the variance must not come out negative.
    xs = [0.1] * 7
    mean, var = mean_from_sums(*_sums(xs))
    assert mean == pytest.approx(0.1)
    assert var is not None
    assert var >= 0.0
    assert var == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="n must"):
        mean_from_sums(-1, 0.0, 0.0)


def test_t_interval_matches_scipy() -> None:
    xs = [3.1, 4.7, 2.2, 5.9, 4.4, 3.8]
    mean, var = mean_from_sums(*_sums(xs))
    est = t_interval(mean, var, len(xs), confidence=0.90)
    low, high = stats.t.interval(0.90, len(xs) - 1, loc=np.mean(xs), scale=stats.sem(xs))
    assert est.value == pytest.approx(np.mean(xs))
    assert est.low == pytest.approx(low, abs=1e-10)
    assert est.high == pytest.approx(high, abs=1e-10)
    assert est.n == 6
    assert est.confidence == 0.90


def test_t_interval_edges() -> None:
    assert t_interval(None, None, 0) == Estimate(None, None, None, 0, 0.95)
    assert t_interval(4.0, None, 1) == Estimate(4.0, None, None, 1, 0.95)
    assert t_interval(2.5, 0.0, 5) == Estimate(2.5, 2.5, 2.5, 5, 0.95)
    with pytest.raises(ValueError, match="variance"):
        t_interval(1.0, -1.0, 5)
    with pytest.raises(ValueError, match="confidence"):
        t_interval(1.0, 1.0, 5, confidence=2.0)


def test_welch_on_r_sleep_data() -> None:
    n_a, mean_a, var_a = _mean_var(SLEEP_1)
    n_b, mean_b, var_b = _mean_var(SLEEP_2)
    res = welch_test(mean_a, var_a, n_a, mean_b, var_b, n_b)
    assert res.method == "Welch t-test"
    assert res.difference == pytest.approx(-1.58, abs=1e-10)
    assert res.statistic == pytest.approx(-1.8608, abs=1e-4)
    assert res.df == pytest.approx(17.776, abs=1e-3)
    assert res.p_value == pytest.approx(0.07939, abs=1e-5)
    assert res.low == pytest.approx(-3.3654832, abs=1e-6)
    assert res.high == pytest.approx(0.2054832, abs=1e-6)
    assert not res.significant
    scipy_res = stats.ttest_ind(SLEEP_1, SLEEP_2, equal_var=False)
    assert res.p_value == pytest.approx(scipy_res.pvalue, abs=1e-10)


def _mean_var(xs: list[float]) -> tuple[int, float, float]:
    """Count, mean and variance through mean_from_sums, as the SQL path computes them."""
    n, total, total_sq = _sums(xs)
    mean, var = mean_from_sums(n, total, total_sq)
    assert mean is not None
    assert var is not None
    return n, mean, var


def test_welch_edges() -> None:
    empty = welch_test(0.0, 0.0, 0, 1.0, 1.0, 5)
    assert empty == Comparison(None, None, None, None, None, None, False, "Welch t-test")
    single = welch_test(3.0, 0.0, 1, 1.0, 1.0, 5)
    assert single.difference == 2.0
    assert single.p_value is None
    assert not single.significant
    constant = welch_test(3.0, 0.0, 10, 1.0, 0.0, 10)
    assert constant.difference == 2.0
    assert constant.statistic is None
    assert constant.p_value is None
    assert constant.df is None
    assert not constant.significant
    # One constant group: df falls back to the other group's n - 1.
    one_constant = welch_test(3.0, 0.0, 10, 1.0, 4.0, 8)
    assert one_constant.df == pytest.approx(7.0)
    assert one_constant.statistic == pytest.approx(2.0 / math.sqrt(4.0 / 8))
    with pytest.raises(ValueError, match="var_a"):
        welch_test(0.0, -1.0, 5, 0.0, 1.0, 5)
    with pytest.raises(ValueError, match="n_b"):
        welch_test(0.0, 1.0, 5, 0.0, 1.0, -5)
    with pytest.raises(ValueError, match="alpha"):
        welch_test(0.0, 1.0, 5, 0.0, 1.0, 5, alpha=0.0)


def _exact_coverage(n: int, j: int, k: int) -> float:
    """P(X(j) <= median <= X(k)) = P(j <= Binomial(n, 1/2) <= k - 1)."""
    return float(stats.binom.cdf(k - 1, n, 0.5) - stats.binom.cdf(j - 1, n, 0.5))


def test_median_ci_ranks_n100() -> None:
    # Campbell & Gardner, in Altman et al., "Statistics with Confidence" (2nd ed., 2000): n = 100 at 95 %
    # → ranks 40 and 61, whose exact binomial coverage is 96.5 %.
    j, k = median_ci_ranks(100)
    assert (j, k) == (40, 61)
    assert _exact_coverage(100, j, k) == pytest.approx(0.9648, abs=1e-4)


def test_median_ci_ranks_are_symmetric_and_cover() -> None:
    for n in range(30, 400, 7):
        j, k = median_ci_ranks(n)
        assert 1 <= j < k <= n
        assert j + k == n + 1
        assert _exact_coverage(n, j, k) >= 0.94


def test_median_ci_ranks_edges() -> None:
    assert median_ci_ranks(1) == (1, 1)
    assert median_ci_ranks(2) == (1, 2)
    wider = median_ci_ranks(100, confidence=0.99)
    assert wider[0] < 40
    assert wider[1] > 61
    with pytest.raises(ValueError, match="n must"):
        median_ci_ranks(0)
    with pytest.raises(ValueError, match="confidence"):
        median_ci_ranks(10, confidence=1.0)


def test_mood_median_test_matches_scipy_on_raw_samples() -> None:
    from pulso.metrics.logic import mood_median_test

    rng = np.random.default_rng(3)
    a, b = rng.exponential(10, 80), rng.exponential(14, 95)
    _, p_expected, pooled, table = stats.median_test(a, b)
    result = mood_median_test(int((a > pooled).sum()), len(a), int((b > pooled).sum()), len(b))
    assert result.p_value == pytest.approx(p_expected)
    assert table[0].tolist() == [int((a > pooled).sum()), int((b > pooled).sum())]
    assert mood_median_test(0, 0, 3, 5).significant is False
    with pytest.raises(ValueError, match="exceed"):
        mood_median_test(6, 5, 1, 5)
