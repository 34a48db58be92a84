"""Tokenizing texts into words, and SIF (smooth inverse frequency) pooling.

SIF (Arora, Liang and Ma, 2017, "A simple but tough-to-beat baseline for sentence embeddings"): a text's
vector is the average of its word vectors weighted by ``a / (a + p(w))``, then the projection on the first
principal component of such averages over a corpus is removed. The component is fitted once per corpus
(`fit_component`) and stored as an ``.npy`` file keyed by the table, the corpus and the settings, so every
later process reuses it instead of refitting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_PATTERN", "fit_component", "make_tokenizer", "remove_component"]

DEFAULT_PATTERN = r"\w+(?:[-'\u2019.]\w+)*"
"""Words, keeping inner hyphens, apostrophes and dots (``state-of-the-art``, ``don't``, ``u.s``)."""


def make_tokenizer(kind: str, lowercase: bool, pattern: str | None = None) -> Callable[[str], list[str]]:
    """A function from a text to its words: ``regex`` (``pattern`` or `DEFAULT_PATTERN`) or ``whitespace``."""
    if kind == "whitespace":

        def split(text: str) -> list[str]:
            return (text.lower() if lowercase else text).split()

        return split
    compiled = re.compile(pattern or DEFAULT_PATTERN)

    def find(text: str) -> list[str]:
        return compiled.findall(text.lower() if lowercase else text)

    return find


def remove_component(matrix: np.ndarray, component: np.ndarray | None) -> np.ndarray:
    """Rows minus their projection on the unit vector ``component`` (unchanged when None)."""
    if component is None:
        return matrix
    result: np.ndarray = (matrix - np.outer(matrix @ component, component)).astype(np.float32)
    return result


def fit_component(weighted_means: np.ndarray) -> np.ndarray:
    """The first right singular vector of the weighted averages (no centering, as in Arora et al.'s code)."""
    finite = weighted_means[np.isfinite(weighted_means).all(axis=1) & (np.abs(weighted_means).sum(axis=1) > 0)]
    if finite.shape[0] < 2:
        raise ValueError("SIF needs at least two corpus texts with known words to fit its component")
    _, _, vt = np.linalg.svd(finite.astype(np.float64), full_matrices=False)
    component: np.ndarray = vt[0].astype(np.float32)
    return component


def read_corpus(path: str | Path) -> Iterable[str]:
    """The non-blank lines of a UTF-8 text file, one text per line."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line.rstrip("\n")
