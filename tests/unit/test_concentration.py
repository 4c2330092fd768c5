"""Summary figures on hand-computed cases: concentration of impressions (share generating
80%, Gini, Lorenz) and the rank correlation of the score with popularity."""

import itertools

import numpy as np
import pytest
from scipy.stats import spearmanr

from influence.transforms.impressions import LORENZ_POINTS, concentration
from influence.transforms.scores import spearman


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


def test_spearman_by_hand_with_ties_and_missing_values():
    # Ranks of x: 1, 2.5, 2.5, 4; of y: 1, 2, 3, 4 (the pair with no y is dropped).
    # Deviations from the mean rank 2.5: dx = -1.5, 0, 0, 1.5 and dy = -1.5, -0.5, 0.5, 1.5,
    # so sum dx*dy = 4.5, sum dx^2 = 4.5, sum dy^2 = 5.
    assert spearman([1, 2, 2, 5, 9], [10, 20, 30, 40, None]) == pytest.approx(4.5 / np.sqrt(4.5 * 5))
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_spearman_is_null_when_it_means_nothing():
    assert spearman([1, 2], [1, 2]) is None  # fewer than 3 pairs
    assert spearman([1, 2, 3, 4], [5, 5, 5, 5]) is None  # a constant side has no ranking


def test_spearman_matches_scipy_on_random_values():
    rng = np.random.default_rng(11)
    x, y = rng.integers(0, 20, 300), rng.integers(0, 20, 300) + rng.integers(0, 5, 300)
    assert spearman(x, y) == pytest.approx(spearmanr(x, y)[0], rel=1e-12)
