"""Checks shared by the tasks that take texts and labels (classification, clustering)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from embedsdk.errors import InvalidInputError, MissingDependencyError

__all__ = ["check_labelled", "require_sklearn"]


def require_sklearn(task: str) -> Any:
    """Import scikit-learn for ``task``, or raise `MissingDependencyError` with the pip command."""
    try:
        import sklearn  # scikit-learn is heavy and optional: imported only when a task needs it
    except ImportError as exc:
        raise MissingDependencyError(
            f"the {task} task needs scikit-learn: pip install 'embedsdk[eval]' (or pip install scikit-learn)"
        ) from exc
    return sklearn


def check_labelled(texts: Sequence[Any], labels: Sequence[Hashable], task: str) -> Counter[Hashable]:
    """The count of each label, after checking that texts and labels line up and hold two classes or more.

    Raises:
        InvalidInputError: no texts, a different number of texts and labels, a missing label, or one class only.
    """
    if isinstance(texts, str) or isinstance(labels, str):
        raise InvalidInputError(f"{task}: texts and labels are lists, not one string")
    if not texts:
        raise InvalidInputError(f"{task}: no texts")
    if len(texts) != len(labels):
        raise InvalidInputError(
            f"{task}: {len(texts)} texts but {len(labels)} labels; give exactly one label per text"
        )
    missing = [i for i, label in enumerate(labels) if label is None or (isinstance(label, float) and label != label)]
    if missing:
        raise InvalidInputError(f"{task}: label {missing[0]} is missing ({len(missing)} in all); label every text")
    counts = Counter(labels)
    if len(counts) < 2:
        raise InvalidInputError(
            f"{task}: every text has the label {next(iter(counts))!r}; the task needs at least two classes"
        )
    return counts
