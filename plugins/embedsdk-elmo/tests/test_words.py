"""Words in context: the mechanics of ELMo's contextual vectors (random weights carry no meaning)."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk


def _bank(provider: str, sentence: str, layer: object) -> np.ndarray:
    result = embedsdk.embed_words(sentence, ["bank"], provider=provider, layer=layer)
    assert result.labels == ["bank"]
    return result.vectors[0]


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_the_same_word_gets_different_vectors_in_different_contexts(tiny_manylangs):
    provider = f"elmo/{tiny_manylangs}"
    river = "We sat on the grassy bank of the river and watched the water."
    river_again = "We sat on the green bank of the river and watched the boats."
    money = "She paid the cheque into her bank account on Monday morning."
    for layer in (1, 2, "average"):
        across = _cos(_bank(provider, river, layer), _bank(provider, money, layer))
        paraphrase = _cos(_bank(provider, river, layer), _bank(provider, river_again, layer))
        # Clearly apart: the distance across senses is several times the distance between paraphrases.
        assert across < paraphrase - 0.02 and 1 - across > 4 * (1 - paraphrase), (layer, across, paraphrase)
    # The token layer has no context: "bank" is the same vector everywhere.
    np.testing.assert_allclose(_bank(provider, river, 0), _bank(provider, money, 0), atol=1e-5)


def test_words_by_string_span_and_default(tiny_manylangs):
    provider = f"elmo/{tiny_manylangs}"
    sentence = "I don't think the bank's rates are well-known."
    everything = embedsdk.embed_words(sentence, provider=provider)
    assert everything.labels == ["I", "do", "n't", "think", "the", "bank", "'s", "rates", "are", "well-known", "."]
    assert everything.shape == (11, 32) and everything.space.pooling == "word"
    by_span = embedsdk.embed_words(sentence, [(2, 7)], provider=provider)  # "don't": two words, averaged
    assert by_span.labels == ["don't"]
    np.testing.assert_allclose(by_span.vectors[0], everything.vectors[1:3].mean(0), atol=1e-5)
    by_word = embedsdk.embed_words(sentence, ["RATES", "well-known"], provider=provider)
    assert by_word.labels == ["rates", "well-known"]
    np.testing.assert_allclose(by_word.vectors, everything.vectors[[7, 9]], atol=1e-5)


def test_a_missing_word_is_named(tiny_manylangs):
    with pytest.raises(embedsdk.errors.InvalidInputError, match=r"word 1 \('bank'\) is not in the sentence"):
        embedsdk.embed_words("The river is wide.", ["river", "bank"], provider=f"elmo/{tiny_manylangs}")
    with pytest.raises(embedsdk.errors.InvalidInputError, match="outside the sentence"):
        embedsdk.embed_words("The river is wide.", [(3, 99)], provider=f"elmo/{tiny_manylangs}")


def test_a_sentence_over_max_words_is_refused_with_the_fix(tiny_manylangs):
    with pytest.raises(embedsdk.errors.InvalidInputError, match=r"over .* max_words=5; shorten"):
        embedsdk.embed_words("one two three four five six", ["six"], provider=f"elmo/{tiny_manylangs}", max_words=5)
