"""WEAT, the Word Embedding Association Test (Caliskan, Bryson & Narayanan, 2017).

For a word w, ``s(w, A, B) = mean cos(w, a) - mean cos(w, b)``. The effect size is
``(mean_{x in X} s(x) - mean_{y in Y} s(y)) / std_{w in X u Y} s(w)`` (sample standard deviation), and
the one-sided p-value is the share of equal-size re-partitions of ``X u Y`` whose statistic
``sum_X s - sum_Y s`` exceeds the observed one: every partition when there are at most ``permutations`` of
them, else ``permutations`` random ones.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.eval.result import CostMeter, TaskResult
from embedsdk.eval.wordsets import WEAT_TESTS, WORD_SETS

__all__ = ["WEATResult", "weat", "weat_statistics"]


@dataclass
class WEATResult(TaskResult):
    """Effect size and p-value of one WEAT test.

    Attributes:
        effect_size: Cohen's d-like effect size, about -2 to 2; positive means X goes with A and Y with B.
        p_value: One-sided permutation p-value of the association.
        coverage: Set name -> (words the provider embedded, words in the set).
        missing: Words the provider could not embed (out of vocabulary), left out of the test.
        test: The built-in test's name, when one was used.
    """

    effect_size: float = 0.0
    p_value: float = 1.0
    coverage: dict[str, tuple[int, int]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    test: str | None = None

    @property
    def metrics(self) -> dict[str, float]:
        """``effect_size`` and ``p_value``."""
        return {"effect_size": self.effect_size, "p_value": self.p_value}


def weat_statistics(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, *, permutations: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Effect size and one-sided permutation p-value from unit-length word vectors of the four sets."""
    targets = np.vstack([x, y])
    association = (targets @ a.T).mean(axis=1) - (targets @ b.T).mean(axis=1)
    n_x = len(x)
    spread = association.std(ddof=1)
    if not spread > 0:
        raise InvalidInputError("WEAT: every target word has the same association (constant vectors?)")
    effect = (association[:n_x].mean() - association[n_x:].mean()) / spread
    total = association.sum()
    observed = 2 * association[:n_x].sum() - total  # sum_X s - sum_Y s
    n = len(association)
    if math.comb(n, n_x) <= permutations:
        sums = np.array([association[list(c)].sum() for c in itertools.combinations(range(n), n_x)])
    else:
        rng = np.random.default_rng(seed)
        chosen = rng.random((permutations, n)).argsort(axis=1)[:, :n_x]
        sums = association[chosen].sum(axis=1)
    # Compare with a little slack, so a partition equal to the observed one is not "greater" by rounding.
    p_value = float(np.mean(2 * sums - total > observed + 1e-9))
    return float(effect), p_value


def _resolve(x: Any, y: Any, a: Any, b: Any) -> tuple[str | None, dict[str, list[str]]]:
    if isinstance(x, str) and y is None and a is None and b is None:
        if x not in WEAT_TESTS:
            raise InvalidOptionError(f"unknown WEAT test {x!r}; built-in tests: {', '.join(sorted(WEAT_TESTS))}")
        names = WEAT_TESTS[x]
        return x, {key: list(WORD_SETS[name]) for key, name in zip("XYAB", names, strict=True)}
    sets = {}
    for key, words in zip("XYAB", (x, y, a, b), strict=True):
        if isinstance(words, str) or not isinstance(words, Sequence):
            raise InvalidInputError(
                f"WEAT set {key} must be a list of words (or pass a built-in test name alone: "
                f"{', '.join(sorted(WEAT_TESTS))})"
            )
        if not words:
            raise InvalidInputError(f"WEAT set {key} is empty; every set needs words")
        bad = [w for w in words if not isinstance(w, str) or not w.strip()]
        if bad:
            raise InvalidInputError(f"WEAT set {key} holds {bad[0]!r}; sets hold non-empty words")
        sets[key] = list(words)
    return None, sets


def weat(
    provider: Any,
    X: Sequence[str] | str,
    Y: Sequence[str] | None = None,
    A: Sequence[str] | None = None,
    B: Sequence[str] | None = None,
    *,
    permutations: int = 10_000,
    seed: int = 0,
    cache: Any = True,
    progress: Any = None,
    **options: Any,
) -> WEATResult:
    """Run a WEAT test: do targets X associate with attributes A, and Y with B, more than the reverse?

    Args:
        provider: An id, an alias or an Embedder (word vectors or a sentence model fed single words).
        X: The first target words; or, alone, a built-in test name (``career-family``, ``math-arts``,
            ``science-arts``, ``flowers-insects``; see `embedsdk.eval.wordsets`).
        Y: The second target words.
        A: The first attribute words.
        B: The second attribute words.
        permutations: Partitions sampled for the p-value when there are more than this many.
        seed: Seeds the sampled partitions.
        cache: Passed to `embedsdk.embed`.
        progress: Passed to `embedsdk.embed`.
        **options: Provider options.

    Raises:
        InvalidInputError: an empty set, a non-word item, or a set the provider could not embed any word of
            (the coverage of every set is in the message); a test with fewer than 3 target words left.
        InvalidOptionError: an unknown built-in test name (the message lists the built-in ones).
    """
    test, sets = _resolve(X, Y, A, B)
    meter = CostMeter(provider, cache=cache, progress=progress, options=options)
    words = list(dict.fromkeys(w for key in "XYAB" for w in sets[key]))
    vectors = meter.embed_collect(words)
    found = {w: vectors[i] for i, w in enumerate(words) if np.isfinite(vectors[i]).all()}
    coverage = {key: (sum(w in found for w in sets[key]), len(sets[key])) for key in "XYAB"}
    missing = [w for w in words if w not in found]
    empty = [key for key, (hit, _) in coverage.items() if hit == 0]
    if empty:
        detail = ", ".join(f"{key} {hit}/{total}" for key, (hit, total) in coverage.items())
        raise InvalidInputError(
            f"WEAT: the provider embedded no word of set(s) {', '.join(empty)} (coverage: {detail}); "
            f"use words in its vocabulary"
        )
    if coverage["X"][0] + coverage["Y"][0] < 3:
        raise InvalidInputError("WEAT: fewer than 3 target words were embedded; the effect size needs more")
    stacked = {key: np.vstack([found[w] for w in sets[key] if w in found]) for key in "XYAB"}
    effect, p_value = weat_statistics(
        stacked["X"], stacked["Y"], stacked["A"], stacked["B"], permutations=permutations, seed=seed
    )
    return WEATResult(
        task="weat",
        provider=meter.provider_id,
        examples=sum(hit for hit, _ in coverage.values()),
        cost=meter.cost,
        effect_size=effect,
        p_value=p_value,
        coverage=coverage,
        missing=missing,
        test=test,
    )
