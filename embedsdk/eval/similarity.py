"""Semantic textual similarity: how well the cosine of two sentences' vectors ranks like human scores."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.eval.correlation import pearson, spearman
from embedsdk.eval.datasets import read_pairs
from embedsdk.eval.result import CostMeter, TaskResult

__all__ = ["STSResult", "sts"]


@dataclass
class STSResult(TaskResult):
    """Spearman and Pearson correlation of cosine similarity with gold scores.

    Attributes:
        spearman: Spearman rank correlation (the usual STS figure), -1 to 1.
        pearson: Pearson correlation, -1 to 1.
    """

    spearman: float = 0.0
    pearson: float = 0.0

    @property
    def metrics(self) -> dict[str, float]:
        """``spearman`` and ``pearson``."""
        return {"spearman": self.spearman, "pearson": self.pearson}


def sts(
    provider: Any,
    pairs_or_path: str | Path | Iterable[Any],
    *,
    split: str | None = None,
    cache: Any = True,
    progress: Any = None,
    **options: Any,
) -> STSResult:
    """Score a provider on sentence pairs with gold similarity scores (STS Benchmark and the like).

    Each distinct sentence is embedded once (no role: the task is symmetric); the score is the cosine.

    Args:
        provider: An id, an alias or an Embedder.
        pairs_or_path: ``(sentence1, sentence2, score)`` triples, dicts with those keys, or a file
            (see `embedsdk.eval.datasets.read_pairs`).
        split: Keep only rows of this split (``dev``, ``train``...) when the data has a ``split`` column.
        cache: Passed to `embedsdk.embed`.
        progress: Passed to `embedsdk.embed` (True: a progress bar).
        **options: Provider options.

    Raises:
        InvalidInputError: no pairs, a malformed row, an empty text, a NaN score, or all scores equal.
    """
    pairs = read_pairs(pairs_or_path, split=split)
    meter = CostMeter(provider, cache=cache, progress=progress, options=options)
    sentences = list(dict.fromkeys([p.sentence1 for p in pairs] + [p.sentence2 for p in pairs]))
    where = {text: row for row, text in enumerate(sentences)}
    vectors = meter.embed(sentences, what="sentences")
    left = vectors[[where[p.sentence1] for p in pairs]]
    right = vectors[[where[p.sentence2] for p in pairs]]
    cosines = np.einsum("ij,ij->i", left, right)
    gold = np.array([p.score for p in pairs], dtype=np.float64)
    return STSResult(
        task="sts",
        provider=meter.provider_id,
        examples=len(pairs),
        cost=meter.cost,
        spearman=spearman(cosines, gold, what="gold scores"),
        pearson=pearson(cosines, gold, what="gold scores"),
    )
