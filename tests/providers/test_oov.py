"""The built-in out-of-vocabulary strategies."""

from __future__ import annotations

import types

import numpy as np
import pytest

from embedsdk.errors import InvalidInputError
from embedsdk.providers.oov import OOV_STRATEGIES, oov_error, oov_skip, oov_unk, oov_zero

TABLE = types.SimpleNamespace(dim=3, unk_vector=[0.5, 0.5, 0.5])


def test_the_builtin_strategies_are_named():
    assert OOV_STRATEGIES == {"error": oov_error, "skip": oov_skip, "unk": oov_unk, "zero": oov_zero}


def test_error_names_the_word_and_the_policies():
    with pytest.raises(InvalidInputError) as caught:
        oov_error("qwzx", TABLE)
    message = str(caught.value)
    assert "'qwzx'" in message
    for policy in ("skip", "zero", "unk"):
        assert policy in message


def test_skip_drops_the_word():
    assert oov_skip("qwzx", TABLE) is None


def test_zero_gives_a_zero_vector_of_the_table_dimension():
    vector = oov_zero("qwzx", TABLE)
    assert vector.dtype == np.float32
    np.testing.assert_array_equal(vector, np.zeros(3))


def test_unk_uses_the_unknown_word_vector_or_says_there_is_none():
    vector = oov_unk("qwzx", TABLE)
    assert vector.dtype == np.float32
    np.testing.assert_array_equal(vector, [0.5, 0.5, 0.5])
    with pytest.raises(InvalidInputError, match="no UNK row"):
        oov_unk("qwzx", types.SimpleNamespace(dim=3))
