"""The fp32 second convolution as Winograd minimal filtering equals the direct sum over the window."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from embedsdk_use.weights import ORDERS
from embedsdk_use.winograd import TILES, correlate, winograd_matrices, winograd_weights


def _direct(hidden: np.ndarray, weight: np.ndarray, order: int, left: int) -> np.ndarray:
    """``out[t] = Σ_o hidden[t - left + o] @ W[o]``, zero outside, in float64."""
    taps = weight.reshape(order, -1, weight.shape[1])
    padded = np.pad(hidden, ((left, order - 1 - left), (0, 0)))
    return sum(padded[o : o + len(hidden)] @ taps[o] for o in range(order))


@pytest.mark.parametrize(("order", "left"), ORDERS)
@pytest.mark.parametrize("positions", [1, 5, 12, 37])
def test_correlate_equals_the_direct_window_sum(order, left, positions):
    rng = np.random.default_rng(order * 100 + positions)
    hidden = np.maximum(rng.normal(size=(positions, 256)), 0) * 3
    weight = (rng.normal(size=(order * 256, 256)) * 0.05).astype(np.float32)
    mixed, output_mix, input_mix = winograd_weights(weight, order)
    ours = correlate(
        torch.from_numpy(hidden.astype(np.float32)),
        torch.from_numpy(mixed),
        torch.from_numpy(output_mix),
        torch.from_numpy(input_mix),
        left,
    ).numpy()
    expected = _direct(hidden, weight.astype(np.float64), order, left)
    assert ours.shape == expected.shape
    # float32 rounding, a few times over: the mixes add and scale by small powers of two.
    assert np.linalg.norm(ours - expected) / np.linalg.norm(expected) < 3e-6


@pytest.mark.parametrize("order", sorted(TILES))
def test_the_transforms_satisfy_the_winograd_identity(order):
    m, points = TILES[order]
    at, g, bt = winograd_matrices(m, order, points)
    n = m + order - 1
    assert at.shape == (m, n) and g.shape == (n, order) and bt.shape == (n, n)
    products = np.einsum("ji,io,ik->jok", at, g, bt)
    expected = np.zeros_like(products)
    for j in range(m):
        for o in range(order):
            expected[j, o, j + o] = 1.0
    np.testing.assert_allclose(products, expected, atol=1e-9)


def test_points_must_be_distinct_and_enough():
    with pytest.raises(ValueError, match="distinct points"):
        winograd_matrices(4, 3, (0.0, 1.0, 1.0, 2.0, -2.0))
    with pytest.raises(ValueError, match="distinct points"):
        winograd_matrices(4, 3, (0.0, 1.0))
