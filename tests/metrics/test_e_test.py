"""The linear-time E-test gives scipy.stats.poisson_means_test's answer (which is quadratic in the counts)."""

from __future__ import annotations

import itertools

import pytest
from scipy import stats

from pulso.metrics.logic import e_test, poisson_rate_test

COUNTS_A = (0, 1, 2, 3, 7, 19, 60, 333)
COUNTS_B = (0, 1, 4, 30, 101, 250)
EXPOSURES = (0.5, 1.0, 7.0, 31.0, 90.0)


@pytest.mark.parametrize(("k1", "k2"), list(itertools.product(COUNTS_A, COUNTS_B)))
def test_same_p_value_and_statistic_as_scipy(k1: int, k2: int) -> None:
    for n1, n2 in itertools.product(EXPOSURES, EXPOSURES):
        expected = stats.poisson_means_test(k1, n1, k2, n2)
        statistic, p_value = e_test(k1, n1, k2, n2)
        assert p_value == pytest.approx(float(expected.pvalue), rel=1e-9, abs=1e-13), (k1, n1, k2, n2)
        assert statistic == pytest.approx(float(expected.statistic), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(5000, 30.0, 5230, 30.0), (12000, 90.0, 900, 7.0)])
def test_same_answer_on_larger_counts(k1: int, n1: float, k2: int, n2: float) -> None:
    expected = float(stats.poisson_means_test(k1, n1, k2, n2).pvalue)
    assert e_test(k1, n1, k2, n2)[1] == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_equal_rates_give_p_one_and_ties_count() -> None:
    # t = 0: every pair but (0, 0) has |T| >= 0, so the p-value is the whole mass bar that pair.
    statistic, p_value = e_test(10, 5.0, 10, 5.0)
    assert statistic == 0.0
    assert p_value == pytest.approx(float(stats.poisson_means_test(10, 5.0, 10, 5.0).pvalue), abs=1e-13)
    assert p_value == pytest.approx(1.0, abs=1e-6)


def test_millions_of_events_are_answered() -> None:
    # scipy would need a grid of about 23,000 x 23,000 terms here; the E-test is then the z-test.
    _, p_value = e_test(2_500_000, 90.0, 2_490_000, 90.0)
    z = (2_500_000 - 2_490_000) / 90 / ((2_500_000 + 2_490_000) / 90**2) ** 0.5
    assert p_value == pytest.approx(2 * stats.norm.sf(z), rel=1e-2)
    assert poisson_rate_test(2_500_000, 90.0, 2_490_000, 90.0).significant
