"""Built-in out-of-vocabulary strategies for static word vectors: what to do with a word the vocabulary lacks.

A strategy is ``strategy(word, vectors) -> vector | None``: a vector to use, or None to drop the word (the
provider reports how many words it dropped). ``vectors`` is the provider's word-vector table; strategies
that need more (subwords, an UNK row) use what it offers and fail clearly when it offers nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError, ItemFailure

__all__ = ["OOV_STRATEGIES", "oov_error", "oov_skip", "oov_unk", "oov_zero"]


def oov_error(word: str, vectors: Any) -> np.ndarray | None:
    """Refuse the word: the caller learns exactly which word is missing."""
    raise InvalidInputError(
        f"{word!r} is not in the vocabulary; choose an OOV policy: oov='skip' drops it, 'zero' gives a zero "
        f"vector, 'unk' uses the unknown-word vector",
        [ItemFailure(-1, f"out of vocabulary: {word!r}")],
    )


def oov_skip(word: str, vectors: Any) -> np.ndarray | None:
    """Drop the word."""
    return None


def oov_zero(word: str, vectors: Any) -> np.ndarray | None:
    """A zero vector of the table's dimension."""
    return np.zeros(int(vectors.dim), dtype=np.float32)


def oov_unk(word: str, vectors: Any) -> np.ndarray | None:
    """The table's unknown-word vector (``vectors.unk_vector``)."""
    unk = getattr(vectors, "unk_vector", None)
    if unk is None:
        raise InvalidInputError(
            f"{word!r} is not in the vocabulary and these vectors have no UNK row; use oov='skip' or 'zero'"
        )
    return np.asarray(unk, dtype=np.float32)


OOV_STRATEGIES = {"error": oov_error, "skip": oov_skip, "unk": oov_unk, "zero": oov_zero}
