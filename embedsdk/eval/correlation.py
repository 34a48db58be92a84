"""Pearson and Spearman correlation in numpy, so the similarity tasks need no scipy."""

from __future__ import annotations

import numpy as np

from embedsdk.errors import InvalidInputError

__all__ = ["pearson", "rank", "spearman"]


def rank(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (scipy's ``rankdata(method="average")``)."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    # Boundaries of runs of equal values; each run gets the mean of the positions it spans.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return ranks


def pearson(x: np.ndarray, y: np.ndarray, *, what: str = "scores") -> float:
    """Pearson correlation of ``x`` (the provider's similarities) and ``y`` (the gold ``what``).

    Raises:
        InvalidInputError: fewer than two values, or one side is constant (the correlation is undefined).
    """
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if len(a) < 2 or len(a) != len(b):
        raise InvalidInputError(f"a correlation needs at least two {what}, and as many on each side")
    a = a - a.mean()
    b = b - b.mean()
    if not (b * b).sum():
        raise InvalidInputError(f"the {what} are all equal, so no correlation is defined; give varied {what}")
    if not (a * a).sum():
        raise InvalidInputError(
            f"the provider's similarities are all equal (constant vectors?), so no correlation with the {what} "
            f"is defined"
        )
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def spearman(x: np.ndarray, y: np.ndarray, *, what: str = "scores") -> float:
    """Spearman rank correlation of ``x`` and ``y`` (Pearson of the average ranks)."""
    return pearson(rank(np.asarray(x)), rank(np.asarray(y)), what=what)
