from __future__ import annotations

import itertools

import numpy as np
import pytest

from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.eval import weat
from embedsdk.eval.bias import weat_statistics
from embedsdk.eval.wordsets import PAPER_EFFECT_SIZES, WEAT_TESTS, WORD_SETS
from embedsdk.testing import FakeEmbedder, fake_provider


def unit(*angles: float) -> np.ndarray:
    return np.array([[np.cos(a), np.sin(a)] for a in angles])


def test_effect_size_and_exact_p_value_by_hand() -> None:
    a, b = unit(0.0), unit(np.pi / 2)
    x, y = unit(0.0, np.pi / 6), unit(np.pi / 3, np.pi / 2)
    # s(w) = cos(w, a) - cos(w, b) = cos(t) - sin(t)
    s = np.array([np.cos(t) - np.sin(t) for t in (0.0, np.pi / 6, np.pi / 3, np.pi / 2)])
    expected_effect = (s[:2].mean() - s[2:].mean()) / s.std(ddof=1)
    observed = s[:2].sum() - s[2:].sum()
    partitions = [s[list(c)].sum() - (s.sum() - s[list(c)].sum()) for c in itertools.combinations(range(4), 2)]
    expected_p = np.mean([p > observed + 1e-9 for p in partitions])
    effect, p_value = weat_statistics(x, y, a, b)
    assert effect == pytest.approx(expected_effect)
    assert p_value == pytest.approx(expected_p) and p_value == 0.0  # the observed split is the most extreme
    reverse_effect, reverse_p = weat_statistics(y, x, a, b)
    assert reverse_effect == pytest.approx(-expected_effect) and reverse_p == pytest.approx(5 / 6)


def test_sampled_p_value_is_seeded() -> None:
    rng = np.random.default_rng(0)
    x, y, a, b = (rng.standard_normal((12, 8)) for _ in range(4))
    first = weat_statistics(x, y, a, b, permutations=500, seed=3)
    assert first == weat_statistics(x, y, a, b, permutations=500, seed=3)
    assert 0.0 <= first[1] <= 1.0


def test_builtin_tests_from_the_paper() -> None:
    assert set(WEAT_TESTS) == set(PAPER_EFFECT_SIZES)
    for sets in WEAT_TESTS.values():
        sizes = {len(WORD_SETS[name]) for name in sets}
        assert sizes in ({8}, {25})
    assert WORD_SETS["male_names"][:3] == ("John", "Paul", "Mike")


def test_builtin_test_by_name(fake: FakeEmbedder) -> None:
    result = weat("fake/test", "career-family")
    assert result.test == "career-family"
    assert result.coverage == {"X": (8, 8), "Y": (8, 8), "A": (8, 8), "B": (8, 8)}
    assert result.examples == 32 and result.cost.items == 32
    assert -2.0 <= result.effect_size <= 2.0


def test_associated_words_give_a_large_effect(fake: FakeEmbedder) -> None:
    # The fake sums word vectors: "sun x" is close to "sun bright", and "rain y" to "rain dark".
    x = [f"sun {w}" for w in "abcdef"]
    y = [f"rain {w}" for w in "ghijkl"]
    a = [f"sun {w}" for w in ("bright", "warm", "day")]
    b = [f"rain {w}" for w in ("dark", "wet", "night")]
    result = weat("fake/test", x, y, a, b)
    assert result.effect_size > 1.5 and result.p_value < 0.01, result


def test_out_of_vocabulary_words_are_left_out_and_reported() -> None:
    with fake_provider("fake/vocab", reject=["zz"]):
        result = weat("fake/vocab", ["sun a", "sun b", "zzz"], ["rain c", "rain d"], ["sun"], ["rain"])
        assert result.coverage["X"] == (2, 3) and result.missing == ["zzz"]
        with pytest.raises(InvalidInputError, match=r"no word of set\(s\) A \(coverage: X 2/2, Y 2/2, A 0/2, B 1/1\)"):
            weat("fake/vocab", ["sun a", "sun b"], ["rain c", "rain d"], ["zza", "zzb"], ["rain"])


def test_bad_weat_input(fake: FakeEmbedder) -> None:
    with pytest.raises(InvalidInputError, match="WEAT set B is empty"):
        weat("fake/test", ["a"], ["b"], ["c"], [])
    with pytest.raises(InvalidInputError, match="set Y must be a list of words"):
        weat("fake/test", ["a"], "b", ["c"], ["d"])
    with pytest.raises(InvalidOptionError, match="unknown WEAT test 'gender'; built-in tests: career-family"):
        weat("fake/test", "gender")
