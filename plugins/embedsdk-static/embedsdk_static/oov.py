"""The OOV strategies this plugin adds (``mean``, ``hash``, ``subword``, ``ignore``), registered through the hook.

The core registers ``error``, ``skip``, ``zero`` and ``unk``. A strategy is ``strategy(word, vectors) ->
vector | None``; None drops the word from pooling. ``vectors`` is a `WordVectors` here; third-party tables
work too when they offer the attribute a strategy reads (``mean_vector``, ``hash_vector``, ``subword_vector``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError

__all__ = ["STRATEGIES", "oov_hash", "oov_ignore", "oov_mean", "oov_subword"]


def _needs(vectors: Any, attribute: str, name: str) -> Any:
    found = getattr(vectors, attribute, None)
    if found is None:
        kind = type(vectors).__name__
        raise InvalidInputError(f"oov={name!r} needs a vector table with {attribute!r}; {kind} has none")
    return found


def oov_mean(word: str, vectors: Any) -> np.ndarray | None:
    """The mean of every vector in the table: a neutral point, the same for every unknown word."""
    return np.asarray(_needs(vectors, "mean_vector", "mean"), dtype=np.float32)


def oov_hash(word: str, vectors: Any) -> np.ndarray | None:
    """A pseudo-random vector seeded by the word: the same word always gets the same vector, in every process."""
    make = _needs(vectors, "hash_vector", "hash")
    return np.asarray(make(word), dtype=np.float32)


def oov_subword(word: str, vectors: Any) -> np.ndarray | None:
    """A vector from pieces of the word (fastText n-gram buckets; else known character n-grams); None if none."""
    make = _needs(vectors, "subword_vector", "subword")
    found = make(word)
    return None if found is None else np.asarray(found, dtype=np.float32)


def oov_ignore(word: str, vectors: Any) -> np.ndarray | None:
    """Drop the word from pooling (an all-OOV text then follows the provider's ``oov_fallback``)."""
    return None


STRATEGIES = {"hash": oov_hash, "ignore": oov_ignore, "mean": oov_mean, "subword": oov_subword}
