"""Classification: how well a linear model separates the classes in the embedding space.

Logistic regression, scored on out-of-fold predictions of a stratified k-fold split, so every text is
predicted once by a model that did not see it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError
from embedsdk.eval.datasets import read_labelled
from embedsdk.eval.labels import check_labelled, require_sklearn
from embedsdk.eval.result import CostMeter, TaskResult

__all__ = ["ClassificationResult", "classification"]


@dataclass
class ClassificationResult(TaskResult):
    """Accuracy and macro-F1 of logistic regression on the vectors, out of fold.

    Attributes:
        accuracy: Share of texts whose class was predicted right.
        macro_f1: F1 averaged over classes, each class counting the same.
        chance: The accuracy of always answering the most frequent class, for comparison.
        folds: The number of folds used.
    """

    accuracy: float = 0.0
    macro_f1: float = 0.0
    chance: float = 0.0
    folds: int = 0

    @property
    def metrics(self) -> dict[str, float]:
        """``accuracy``, ``macro_f1`` and ``chance``."""
        return {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "chance": self.chance}


def classification(
    provider: Any,
    texts: Sequence[str] | str | Path,
    labels: Sequence[Hashable] | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    cache: Any = True,
    progress: Any = None,
    **options: Any,
) -> ClassificationResult:
    """Score a provider on labelled texts with logistic regression and stratified k-fold.

    Args:
        provider: An id, an alias or an Embedder.
        texts: The texts; or a fastText-style file (``__label__<name> text`` a line, such as gensim's
            ``pang_lee_polarity.cor``) when ``labels`` is None.
        labels: One label per text.
        folds: Folds of the split (fewer when the smallest class has fewer texts).
        seed: Seeds the split and the model.
        cache: Passed to `embedsdk.embed`.
        progress: Passed to `embedsdk.embed`.
        **options: Provider options.

    Raises:
        InvalidInputError: no texts, texts and labels of different lengths, one class only, a class with a
            single text, fewer than 2 folds.
        MissingDependencyError: scikit-learn is not installed.
    """
    if labels is None:
        if not isinstance(texts, str | Path):
            raise InvalidInputError("classification needs labels: one per text")
        texts, labels = read_labelled(texts)
    elif isinstance(texts, Path):
        raise InvalidInputError("give either a labelled file, or texts and labels")
    counts = check_labelled(texts, labels, "classification")
    smallest_label, smallest = min(counts.items(), key=lambda item: item[1])
    if smallest < 2:
        raise InvalidInputError(
            f"classification: class {smallest_label!r} has a single text; k-fold needs at least 2 per class"
        )
    if folds < 2:
        raise InvalidInputError(f"classification: folds must be at least 2, not {folds}")
    require_sklearn("classification")
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    meter = CostMeter(provider, cache=cache, progress=progress, options=options)
    vectors = meter.embed(list(texts), what="texts")
    target = np.array([str(label) for label in labels])
    used_folds = min(folds, smallest)
    splitter = StratifiedKFold(n_splits=used_folds, shuffle=True, random_state=seed)
    model = LogisticRegression(max_iter=1000, random_state=seed)
    predicted = cross_val_predict(model, vectors, target, cv=splitter)
    return ClassificationResult(
        task="classification",
        provider=meter.provider_id,
        examples=len(target),
        cost=meter.cost,
        accuracy=float(accuracy_score(target, predicted)),
        macro_f1=float(f1_score(target, predicted, average="macro")),
        chance=max(counts.values()) / len(target),
        folds=used_folds,
    )
