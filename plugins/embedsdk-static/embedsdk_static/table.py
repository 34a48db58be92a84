"""`WordVectors`: one loaded vector table (words, a float32 matrix, optional counts and subword model).

The matrix is usually a read-only memory map (an ``.npy`` file in the conversion cache, or the bundled GloVe),
so several processes share the pages and loading costs little more than reading the vocabulary.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["UNK_TOKENS", "WordVectors", "char_ngrams"]

UNK_TOKENS = ("<unk>", "<UNK>", "UNK", "[UNK]", "<oov>", "<OOV>")
"""Rows that tables use for unknown words, looked for in this order.

Lower-case ``unk`` is not one of them: in GloVe 6B it is an ordinary corpus word, not a trained UNK row.
"""

_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def char_ngrams(word: str, min_n: int = 3, max_n: int = 6) -> list[str]:
    """fastText-style character n-grams of ``<word>`` (with boundary markers), shortest first."""
    marked = f"<{word}>"
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        grams.extend(marked[i : i + n] for i in range(len(marked) - n + 1))
    return grams


@dataclass
class WordVectors:
    """A vocabulary and its vectors.

    Attributes:
        words: The vocabulary, row order of `vectors` (most frequent first for GloVe and word2vec files).
        vectors: float32 ``(len(words), dim)``; often a read-only memory map.
        source: The file or folder it was read from.
        format: ``word2vec``, ``word2vec-binary``, ``glove``, ``fasttext``, ``fasttext-bin``, ``gensim``...
        revision: A content hash of the source, part of every space built on it.
        counts: Word counts when the source has them (gensim models); used by SIF weighting.
        subword: ``subword(word) -> vector | None`` for models with n-gram buckets (fastText ``.bin``).
    """

    words: Sequence[str]
    vectors: np.ndarray
    source: str
    format: str
    revision: str
    counts: np.ndarray | None = None
    subword: Callable[[str], np.ndarray | None] | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _cached: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self._index:
            # setdefault keeps the first (most frequent) row of a word listed twice, as gensim does.
            index: dict[str, int] = {}
            for row, word in enumerate(self.words):
                index.setdefault(word, row)
            self._index = index

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    @property
    def dim(self) -> int:
        """Number of dimensions."""
        return int(self.vectors.shape[1])

    def row(self, word: str) -> int | None:
        """The row of ``word`` exactly as written, or None."""
        return self._index.get(word)

    def lookup(self, word: str, *, lowercase: bool = True, strip_punctuation: bool = True) -> int | None:
        """The row of ``word``: exact, then lower-cased, then stripped of edge punctuation (each can be off)."""
        found = self._index.get(word)
        if found is not None:
            return found
        if lowercase:
            found = self._index.get(word.lower())
            if found is not None:
                return found
        if strip_punctuation:
            stripped = _PUNCT_EDGES.sub("", unicodedata.normalize("NFC", word))
            if stripped and stripped != word:
                found = self._index.get(stripped)
                if found is None and lowercase:
                    found = self._index.get(stripped.lower())
        return found

    @property
    def unk_vector(self) -> np.ndarray | None:
        """The table's own unknown-word row (``<unk>``, ``UNK``, ...), or None when it has none."""
        for token in UNK_TOKENS:
            row = self._index.get(token)
            if row is not None:
                return np.asarray(self.vectors[row], dtype=np.float32)
        return None

    @property
    def unk_token(self) -> str | None:
        """Which unknown-word token the table has, if any."""
        return next((token for token in UNK_TOKENS if token in self._index), None)

    @property
    def mean_vector(self) -> np.ndarray:
        """The mean of all rows (computed once, in blocks so a memory map is not copied whole)."""
        if "mean" not in self._cached:
            total = np.zeros(self.dim, dtype=np.float64)
            for start in range(0, len(self), 65536):
                total += np.asarray(self.vectors[start : start + 65536], dtype=np.float64).sum(axis=0)
            self._cached["mean"] = (total / max(len(self), 1)).astype(np.float32)
        result: np.ndarray = self._cached["mean"]
        return result

    @property
    def mean_norm(self) -> float:
        """The mean L2 norm of the rows (the scale given to hashed vectors)."""
        if "mean_norm" not in self._cached:
            norms = np.linalg.norm(np.asarray(self.vectors[:65536], dtype=np.float32), axis=1)
            self._cached["mean_norm"] = float(norms.mean()) if norms.size else 1.0
        value: float = self._cached["mean_norm"]
        return value

    @property
    def unit(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), float32, computed once: for the word tools."""
        if "unit" not in self._cached:
            matrix = np.asarray(self.vectors, dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            self._cached["unit"] = matrix / np.where(norms == 0, 1, norms)
        result: np.ndarray = self._cached["unit"]
        return result

    def probabilities(self) -> np.ndarray:
        """p(w) per row, for SIF: from counts when known, else a Zipf law on the frequency rank.

        GloVe and word2vec files list words by falling frequency but carry no counts; Zipf's law
        (p proportional to 1/rank) is the standard stand-in.
        """
        if "p" not in self._cached:
            if self.counts is not None and float(np.sum(self.counts)) > 0:
                counts = np.asarray(self.counts, dtype=np.float64)
            else:
                counts = 1.0 / np.arange(1, len(self) + 1, dtype=np.float64)
            self._cached["p"] = (counts / counts.sum()).astype(np.float64)
        result: np.ndarray = self._cached["p"]
        return result

    def subword_vector(self, word: str) -> np.ndarray | None:
        """A vector built from pieces of ``word``, or None when no piece is known.

        fastText ``.bin`` models use their own hashed n-gram buckets (exactly what fastText computes). For
        plain tables, the character n-grams (3 to 6, with ``<`` ``>`` boundaries) that are vocabulary
        entries are averaged, longest n-grams first: a fallback that helps with inflections and typos.
        """
        if self.subword is not None:
            found = self.subword(word)
            return None if found is None else np.asarray(found, dtype=np.float32)
        for n in range(6, 2, -1):
            rows = [r for g in char_ngrams(word, n, n) if (r := self._index.get(g.strip("<>"))) is not None]
            rows = [r for r in rows if len(self.words[r]) >= 3]
            if rows:
                pooled: np.ndarray = np.asarray(self.vectors[rows], dtype=np.float32).mean(axis=0)
                return pooled
        return None

    def hash_vector(self, word: str) -> np.ndarray:
        """A deterministic pseudo-random vector seeded by the word's UTF-8 bytes, at the table's mean norm."""
        seed = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).standard_normal(self.dim)
        scaled: np.ndarray = (vector / np.linalg.norm(vector) * self.mean_norm).astype(np.float32)
        return scaled
