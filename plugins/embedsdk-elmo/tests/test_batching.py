"""Batching never changes a vector: padding does not leak into the LSTM state, in either direction.

Tolerances are 1e-4: a batch and a single sentence run matrix products of other shapes, so float32 sums
are taken in another order and the recurrence carries that noise along 60 steps; a padding leak would
change vectors by whole units.
"""

from __future__ import annotations

import numpy as np
from embedsdk_elmo.tokenizer import tokenize

import embedsdk


def _extremes(sentences: list[str], n: int) -> list[str]:
    """The ``n`` shortest and ``n`` longest sentences (1 word to 60), interleaved."""
    by_length = sorted(sentences, key=lambda s: len(tokenize(s)))
    return [s for pair in zip(by_length[:n], reversed(by_length[-n:])) for s in pair]


def test_a_batch_of_mixed_lengths_equals_one_sentence_at_a_time(tiny_manylangs, sentences):
    elmo = embedsdk.embedder(f"elmo/{tiny_manylangs}")
    batch = _extremes(sentences, 5)  # 1 to 60 words in one padded batch
    assert len(tokenize(batch[0])) == 1 and len(tokenize(batch[1])) == 60
    together = elmo.embed_layers(batch)
    for sentence, layers in zip(batch, together):
        alone = elmo.embed_layers([sentence])[0]
        np.testing.assert_allclose(layers, alone, atol=1e-4, rtol=1e-4)


def test_the_planner_batches_give_the_vectors_of_single_calls(tiny_manylangs, sentences):
    provider = f"elmo/{tiny_manylangs}"
    texts = _extremes(sentences, 4) + sentences[10:14]
    batched = embedsdk.embed(texts, provider=provider, cache=False)
    assert batched.stats.batches < len(texts)
    single = np.stack([embedsdk.embed([t], provider=provider, cache=False).vectors[0] for t in texts])
    np.testing.assert_allclose(batched.vectors, single, atol=1e-4, rtol=1e-4)
    # Small word budgets make many small batches: the same vectors again.
    small = embedsdk.embed(texts, provider=provider, cache=False, max_batch_words=64, max_batch_items=3)
    np.testing.assert_allclose(small.vectors, single, atol=1e-4, rtol=1e-4)


def test_sentence_vector_is_the_mean_of_its_word_vectors(tiny_manylangs):
    provider = f"elmo/{tiny_manylangs}"
    text = "The parser reads the command line, and returns the arguments."
    for layer in ("average", 0, 2):
        sentence = embedsdk.embed([text], provider=provider, layer=layer, cache=False).vectors[0]
        words = embedsdk.embed_words(text, provider=provider, layer=layer)
        assert len(words.labels) == 12
        np.testing.assert_allclose(sentence, words.vectors.mean(0), atol=1e-5)


def test_layers_option_picks_and_averages(tiny_manylangs):
    elmo = embedsdk.embedder(f"elmo/{tiny_manylangs}")
    text = "Return a copy of the string."
    layers = elmo.embed_layers([text])[0]
    for layer, expected in (("average", layers.mean(0)), (0, layers[0]), (1, layers[1]), (2, layers[2])):
        got = embedsdk.embed_words(text, provider=f"elmo/{tiny_manylangs}", layer=layer).vectors
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # The token layer is the character CNN's projection, doubled to the BiLSTM's width.
    np.testing.assert_allclose(layers[0][:, :16], layers[0][:, 16:])


def test_the_word_tables_grow_and_start_over_without_changing_a_vector(tiny_manylangs, sentences):
    # Token vectors and first-layer input projections are kept per distinct word across batches.
    from embedsdk_elmo.engine import ElmoEngine
    from embedsdk_elmo.locate import locate_elmo

    files = locate_elmo(tiny_manylangs)
    small = ElmoEngine(files)
    small.table_limit = 150  # it grows (64, 128 rows...) and starts over several times
    batches = [[tokenize_words(s) for s in sentences[n : n + 3]] for n in range(0, 30, 3)]
    for batch in batches:
        kept = small.layers_numpy(batch)
        fresh = ElmoEngine(files).layers_numpy(batch)
        for a, b in zip(kept, fresh):
            np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


def tokenize_words(text: str) -> list[str]:
    return [word for word, _, _ in tokenize(text)]
