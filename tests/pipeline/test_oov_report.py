"""OOV reporting: providers with ``oov_report`` fill ``result.oov`` and the OOV counts of ``result.stats``."""

from __future__ import annotations

import numpy as np

import embedsdk
from embedsdk.testing import registered_plugin

VOCABULARY = {"the": 0, "cat": 1, "sat": 2}


class TinyWords(embedsdk.BaseEmbedder):
    """Three known words; unknown words are dropped from the mean and reported."""

    @property
    def space(self):
        return embedsdk.EmbeddingSpace(provider=self.provider_id, model="tiny-words", revision="1", dim=3)

    def embed_batch(self, items, role=None):
        rows = []
        for item in items:
            known = [VOCABULARY[w] for w in item.split() if w in VOCABULARY]
            rows.append(np.eye(3, dtype=np.float32)[known].mean(axis=0) if known else np.zeros(3, np.float32))
        return np.stack(rows)

    def oov_report(self, items):
        return [(len(item.split()), [w for w in item.split() if w not in VOCABULARY]) for item in items]


class TinyWordsPlugin:
    @embedsdk.hookimpl
    def register_embedders(self, register):
        register("tinywords/*", TinyWords)


def test_oov_words_are_reported_per_item_with_count_and_rate():
    with registered_plugin(TinyWordsPlugin()):
        result = embedsdk.embed(["the cat sat", "the dog barked", "a cat"], provider="tinywords/x")
    assert result.oov == [[], ["dog", "barked"], ["a"]]
    assert (result.stats.words, result.stats.oov_count) == (8, 3)
    assert result.stats.oov_rate == 3 / 8


def test_cache_hits_are_counted_too():
    with registered_plugin(TinyWordsPlugin()):
        embedsdk.embed(["the dog"], provider="tinywords/x")
        again = embedsdk.embed(["the dog"], provider="tinywords/x")
    assert again.stats.cache_hits == 1
    assert again.oov == [["dog"]] and again.stats.oov_rate == 0.5


def test_providers_without_a_report_leave_it_empty(fake):
    result = embedsdk.embed(["a b"], provider="fake/test")
    assert result.oov is None
    assert (result.stats.words, result.stats.oov_count, result.stats.oov_rate) == (0, 0, 0.0)
