"""The training objectives, as plain functions of embedding tensors (torch is imported by the caller).

- `mnrl_loss`: multiple negatives ranking (in-batch negatives): each anchor must pick its own positive among
  every positive of the batch; cross-entropy over scaled cosine similarities.
- `contrastive_loss`: the margin loss on labelled pairs (Hadsell, Chopra & LeCun 2006): similar pairs are
  pulled together, dissimilar ones pushed at least ``margin`` apart, in cosine distance.
- `cosine_loss`: regression of the cosine of each pair on its gold score (mean squared error).
- `triplet_loss`: the anchor must be closer to its positive than to its negative by ``margin``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["DISTANCES", "LOSSES", "contrastive_loss", "cosine_loss", "distance", "mnrl_loss", "triplet_loss"]

LOSSES = ("mnrl", "contrastive", "cosine")
DISTANCES = ("euclidean", "cosine")


def _cosine_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    import torch

    return torch.nn.functional.normalize(a, dim=-1) @ torch.nn.functional.normalize(b, dim=-1).T


def distance(a: torch.Tensor, b: torch.Tensor, kind: str = "euclidean") -> torch.Tensor:
    """Row-wise distance between ``a`` and ``b``: ``euclidean`` (L2) or ``cosine`` (1 - cosine similarity)."""
    import torch

    if kind == "euclidean":
        norms: torch.Tensor = torch.linalg.vector_norm(a - b, dim=-1)
        return norms
    if kind == "cosine":
        return 1 - torch.nn.functional.cosine_similarity(a, b, dim=-1)
    raise ValueError(f"unknown distance {kind!r}; choose one of {', '.join(DISTANCES)}")


def mnrl_loss(anchors: torch.Tensor, positives: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    """Multiple negatives ranking loss: mean over anchors of ``-log softmax(scale * cos(a_i, p_j))_ii``."""
    import torch

    scores = _cosine_matrix(anchors, positives) * scale
    target = torch.arange(len(anchors), device=anchors.device)
    return torch.nn.functional.cross_entropy(scores, target)


def contrastive_loss(
    first: torch.Tensor, second: torch.Tensor, labels: torch.Tensor, margin: float = 0.5
) -> torch.Tensor:
    """Margin contrastive loss: ``mean(0.5 * (y * d^2 + (1 - y) * max(0, margin - d)^2))``.

    ``d`` is the cosine distance and ``y`` is 1 for similar pairs, 0 for dissimilar ones.
    """
    d = distance(first, second, "cosine")
    labels = labels.to(d.dtype)
    return (0.5 * (labels * d.pow(2) + (1 - labels) * (margin - d).clamp(min=0).pow(2))).mean()


def cosine_loss(first: torch.Tensor, second: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the cosine of each pair and its gold score (in -1..1)."""
    import torch

    cosines = torch.nn.functional.cosine_similarity(first, second, dim=-1)
    return torch.nn.functional.mse_loss(cosines, scores.to(cosines.dtype))


def triplet_loss(
    anchors: torch.Tensor,
    positives: torch.Tensor,
    negatives: torch.Tensor,
    margin: float = 1.0,
    kind: str = "euclidean",
) -> torch.Tensor:
    """Triplet loss: ``mean(max(0, d(a, p) - d(a, n) + margin))`` with ``kind`` distance."""
    return (distance(anchors, positives, kind) - distance(anchors, negatives, kind) + margin).clamp(min=0).mean()
