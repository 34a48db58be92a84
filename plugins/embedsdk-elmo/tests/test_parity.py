"""Parity: our torch port against the reference (elmoformanylangs) on the same files, and both loaders."""

from __future__ import annotations

import numpy as np
import pytest
from embedsdk_elmo.tokenizer import tokenize

import embedsdk

elmoformanylangs = pytest.importorskip("elmoformanylangs", reason="the reference is a test dependency")


@pytest.fixture(scope="module")
def words(sentences) -> list[list[str]]:
    return [[w for w, _, _ in tokenize(s)] for s in sentences]


def reference_layers(folder, batch: list[list[str]]) -> list[np.ndarray]:
    """The reference's three layers per sentence, the whole batch in one padded forward pass."""
    reference = elmoformanylangs.Embedder(str(folder), batch_size=len(batch))
    # The reference's BiLSTM is stateful (it carries states across calls, a training habit); ours starts
    # every sentence from zeros, so compare from a fresh state.
    reference.model.encoder.reset_states()
    return reference.sents2elmo(batch, output_layer=-2)


def mixed_batches(words: list[list[str]], size: int) -> list[list[list[str]]]:
    """Batches that mix short and long sentences (every other one from each end of the length order)."""
    by_length = sorted(words, key=len)
    mixed = [s for pair in zip(by_length, reversed(by_length)) for s in pair][: len(by_length)]
    return [mixed[n : n + size] for n in range(0, len(mixed), size)]


@pytest.mark.parametrize("model", ["tiny_manylangs", "tiny_chars"])
def test_three_layers_match_the_reference_per_token(model, request, words, cosines):
    folder = request.getfixturevalue(model)
    ours_embedder = embedsdk.embedder(f"elmo/{folder}", precision="fp32")
    assert min(len(s) for s in words) == 1 and max(len(s) for s in words) == 60
    worst = 1.0
    for batch in mixed_batches(words, 16):
        assert len({len(s) for s in batch}) > 1
        theirs = reference_layers(folder, batch)
        ours = ours_embedder.embed_layers(batch)
        for sentence, mine, ref in zip(batch, ours, theirs):
            assert mine.shape == ref.shape == (3, len(sentence), 32)
            worst = min(worst, float(cosines(mine, ref).min()))
    assert worst >= 0.9999


def test_long_words_are_cut_like_the_reference(tiny_manylangs, cosines):
    # max_characters_per_token 16: both keep the first 14 characters of a word.
    batch = [["internationalization", "is", "long"], ["internationalizations", "is", "long"]]
    ours = embedsdk.embedder(f"elmo/{tiny_manylangs}", precision="fp32").embed_layers(batch)
    theirs = reference_layers(tiny_manylangs, batch)
    np.testing.assert_allclose(ours[0], ours[1], atol=1e-5)
    assert cosines(ours[0], theirs[0]).min() >= 0.9999


def test_allennlp_hdf5_and_manylangs_folder_give_identical_outputs(tiny_chars, tiny_hdf5, words, sentences):
    from_folder = embedsdk.embedder(f"elmo/{tiny_chars}", precision="fp32")
    from_hdf5 = embedsdk.embedder(f"elmo/{tiny_hdf5}", precision="fp32")
    assert from_hdf5.files.kind == "allennlp" and from_folder.files.kind == "manylangs"
    for batch in mixed_batches(words, 20):
        for a, b in zip(from_folder.embed_layers(batch), from_hdf5.embed_layers(batch)):
            np.testing.assert_allclose(a, b, atol=2e-5, rtol=1e-4)
    # Through the public API, by folder and by weights file.
    by_folder = embedsdk.embed(sentences[:8], provider=f"elmo/{tiny_chars}", precision="fp32", cache=False)
    by_file = embedsdk.embed(
        sentences[:8], provider=f"elmo/{tiny_hdf5 / 'weights.hdf5'}", precision="fp32", cache=False
    )
    np.testing.assert_allclose(by_folder.vectors, by_file.vectors, atol=2e-5, rtol=1e-4)
    assert by_file.space.extra["format"] == "allennlp"
