"""Each loss against values worked out by hand on tiny tensors."""

from __future__ import annotations

import math

import pytest
import torch

from embedsdk.train.losses import contrastive_loss, cosine_loss, distance, mnrl_loss, triplet_loss


def t(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def test_mnrl_is_cross_entropy_over_scaled_cosines() -> None:
    identity = t([[1, 0], [0, 1]])
    # Each anchor: cosine 1 with its positive, 0 with the other; -log(e^s / (e^s + 1)).
    assert float(mnrl_loss(identity, identity, scale=1.0)) == pytest.approx(math.log(1 + math.exp(-1)))
    assert float(mnrl_loss(identity, identity, scale=20.0)) == pytest.approx(math.log(1 + math.exp(-20)))
    swapped = t([[0, 2], [3, 0]])  # each anchor now matches the other's positive (lengths do not matter)
    assert float(mnrl_loss(identity, swapped, scale=1.0)) == pytest.approx(math.log(1 + math.exp(1)))


def test_contrastive_pulls_similar_and_pushes_dissimilar_within_the_margin() -> None:
    first = t([[1, 0], [1, 0], [1, 0]])
    second = t([[0, 1], [0, 1], [1, 0]])  # cosine distances 1, 1, 0
    labels = torch.tensor([1, 0, 0])
    # similar at d=1: 0.5 * 1; dissimilar at d=1 with margin 1.5: 0.5 * 0.5^2; dissimilar at d=0: 0.5 * 1.5^2
    expected = (0.5 + 0.125 + 1.125) / 3
    assert float(contrastive_loss(first, second, labels, margin=1.5)) == pytest.approx(expected)
    assert float(contrastive_loss(first[1:2], second[1:2], labels[1:2], margin=0.5)) == 0.0


def test_cosine_loss_is_mse_of_cosine_against_the_score() -> None:
    first = t([[1, 0], [1, 0]])
    second = t([[0, 1], [1, 1]])  # cosines 0 and 1/sqrt(2)
    scores = torch.tensor([0.5, 1.0])
    expected = ((0 - 0.5) ** 2 + (1 / math.sqrt(2) - 1) ** 2) / 2
    assert float(cosine_loss(first, second, scores)) == pytest.approx(expected)


def test_triplet_loss_with_both_distances() -> None:
    anchors = t([[0, 0], [0, 0]])
    near, far = t([[3, 4], [6, 8]]), t([[6, 8], [3, 4]])  # distances 5 and 10
    # Row 1 is satisfied (5 - 10 + 1 < 0); row 2 costs 10 - 5 + 1.
    assert float(triplet_loss(anchors, near, far, margin=1.0)) == pytest.approx(6 / 2)
    a, p, n = t([[1, 0]]), t([[0, 1]]), t([[1, 0]])  # cosine distances 1 and 0
    assert float(triplet_loss(a, p, n, margin=0.5, kind="cosine")) == pytest.approx(1.5)
    assert float(triplet_loss(a, n, p, margin=0.5, kind="cosine")) == 0.0


def test_distances_by_hand() -> None:
    assert distance(t([[0, 0]]), t([[3, 4]])).tolist() == [5.0]
    assert distance(t([[1, 0]]), t([[-2, 0]]), "cosine").tolist() == [2.0]
    with pytest.raises(ValueError, match="unknown distance 'manhattan'"):
        distance(t([[0, 0]]), t([[1, 1]]), "manhattan")


def test_losses_have_gradients() -> None:
    anchors = torch.randn(4, 8, requires_grad=True)
    mnrl_loss(anchors, torch.randn(4, 8)).backward()
    assert anchors.grad is not None and torch.isfinite(anchors.grad).all()
