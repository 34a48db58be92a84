from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from embedsdk.errors import InvalidInputError
from embedsdk.eval.correlation import pearson, rank, spearman


def test_rank_averages_ties_like_scipy() -> None:
    values = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0])
    assert rank(values).tolist() == [5.0, 1.5, 5.0, 3.0, 5.0, 1.5]
    np.testing.assert_allclose(rank(values), stats.rankdata(values))


def test_correlations_match_scipy_on_data_with_ties() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, size=200).astype(float)
    y = x + rng.normal(0, 2, size=200)
    assert spearman(y, x) == pytest.approx(stats.spearmanr(y, x).statistic, abs=1e-12)
    assert pearson(y, x) == pytest.approx(stats.pearsonr(y, x).statistic, abs=1e-12)


def test_constant_scores_have_no_correlation() -> None:
    with pytest.raises(InvalidInputError, match="gold scores are all equal"):
        spearman(np.array([0.1, 0.2, 0.3]), np.array([2.0, 2.0, 2.0]), what="gold scores")
    with pytest.raises(InvalidInputError, match="constant vectors"):
        pearson(np.array([0.5, 0.5, 0.5]), np.array([1.0, 2.0, 3.0]))
