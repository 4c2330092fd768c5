"""Concentration of impressions (share generating 80%, Gini, Lorenz) on hand-computed cases."""

import itertools

import numpy as np
import pytest

from influence.transforms.impressions import LORENZ_POINTS, concentration


def test_one_user_holding_everything():
    figures = concentration(np.array([0, 0, 0, 100]))
    assert figures["impressions"] == 100
    assert figures["impressions_top_share_80"] == 0.25
    # sum |x_i - x_j| = 2 * 3 * 100 = 600; 2 n^2 mean = 2 * 16 * 25 = 800.
    assert figures["impressions_gini"] == pytest.approx(0.75)
    lorenz = figures["impressions_lorenz"]
    assert len(lorenz) == LORENZ_POINTS and lorenz[0] == 0 and lorenz[-1] == 1
    assert lorenz[75] == 0 and lorenz[87] == pytest.approx(0.48)  # halfway through the last user: 12/25 of it


def test_equal_users_have_no_concentration():
    figures = concentration(np.full(10, 7))
    assert figures["impressions_gini"] == pytest.approx(0.0, abs=1e-12)
    assert figures["impressions_top_share_80"] == 0.8
    assert figures["impressions_lorenz"] == pytest.approx(list(np.linspace(0, 1, LORENZ_POINTS)))


def test_gini_and_top_share_match_their_definitions_on_random_values():
    values = np.random.default_rng(3).pareto(1.5, 57).round(2) * 100
    figures = concentration(values)
    n, mean = len(values), values.mean()
    pairwise = sum(abs(a - b) for a, b in itertools.product(values, values))
    assert figures["impressions_gini"] == pytest.approx(pairwise / (2 * n * n * mean), rel=1e-12)
    ordered = np.sort(values)[::-1]
    smallest = next(k for k in range(1, n + 1) if ordered[:k].sum() >= 0.8 * values.sum())
    assert figures["impressions_top_share_80"] == smallest / n
    assert np.all(np.diff(figures["impressions_lorenz"]) >= 0)


def test_without_impressions_the_figures_are_null():
    assert concentration(np.zeros(5)) == {"impressions": 0, "impressions_top_share_80": None,
                                          "impressions_gini": None, "impressions_lorenz": []}
