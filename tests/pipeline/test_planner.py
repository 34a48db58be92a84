"""The planner: batches within item and token limits, long-input policies, chunk pooling."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import InputTooLongError, InvalidOptionError
from embedsdk.pipeline.long_inputs import (
    ApproximateTokenizer,
    Piece,
    expand_long_items,
    pool_chunks,
    too_long_message,
)
from embedsdk.pipeline.planner import plan_batches
from embedsdk.providers.protocols import ProviderLimits
from embedsdk.testing import FakeEmbedder, WhitespaceTokenizer, fake_provider

# A 1 MB text of 1,000 words of about 1,000 characters: 1,000 whitespace tokens, far over the fake's 64.
MEGABYTE_TEXT = " ".join(f"{n:04d}" + "a" * 995 for n in range(1000))


def reference(items: list[str], role: str | None = None, **options: Any) -> np.ndarray:
    """The fake's vectors straight from `embed_batch`: no pipeline, no cache."""
    return FakeEmbedder("fake/test", **options).embed_batch(items, role)


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def words(n: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def batch_cost(batch: list[int], counts: list[int], padded: bool) -> int:
    return len(batch) * max(counts[n] for n in batch) if padded else sum(counts[n] for n in batch)


# -- plan_batches -----------------------------------------------------------------------------------------


def test_batches_respect_max_items():
    batches = plan_batches([1] * 10, ProviderLimits(max_items_per_request=4))
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_batch_size_lowers_but_never_raises_the_provider_limit():
    assert [len(b) for b in plan_batches([1] * 10, ProviderLimits(max_items_per_request=4), batch_size=3)] == [
        3,
        3,
        3,
        1,
    ]
    assert [len(b) for b in plan_batches([1] * 10, ProviderLimits(max_items_per_request=4), batch_size=50)] == [
        4,
        4,
        2,
    ]


def test_unpadded_batches_sum_tokens_and_keep_input_order():
    counts = [5, 3, 4, 6, 1, 2]
    batches = plan_batches(counts, ProviderLimits(max_tokens_per_request=10))
    assert [n for batch in batches for n in batch] == list(range(len(counts)))
    assert all(batch_cost(b, counts, padded=False) <= 10 for b in batches)
    assert batches == [[0, 1], [2, 3], [4, 5]]


def test_padded_batches_sort_by_length_and_count_padding():
    counts = [2, 9, 3, 8, 1, 7]
    batches = plan_batches(counts, ProviderLimits(max_tokens_per_request=18, padded=True))
    assert [n for batch in batches for n in batch] == [1, 3, 5, 2, 0, 4]  # longest first
    assert all(batch_cost(b, counts, padded=True) <= 18 for b in batches)
    # 7 + 3 + 2 tokens sum to 12, but padded to the longest they cost 3 * 7 = 21, over the budget.
    assert batches == [[1, 3], [5, 2], [0, 4]]


def test_a_piece_over_the_token_budget_goes_alone():
    assert plan_batches([3, 50, 3], ProviderLimits(max_tokens_per_request=10)) == [[0], [1], [2]]
    assert plan_batches([3, 50, 3], ProviderLimits(max_tokens_per_request=10, padded=True)) == [[1], [0, 2]]


def test_no_pieces_no_batches():
    assert plan_batches([], ProviderLimits()) == []


@pytest.mark.parametrize("padded", [False, True])
def test_every_position_is_planned_once_within_limits(padded):
    rng = random.Random(7)
    for _ in range(200):
        counts = [rng.randint(1, 40) for _ in range(rng.randint(0, 60))]
        limits = ProviderLimits(
            max_items_per_request=rng.randint(1, 10), max_tokens_per_request=rng.randint(40, 200), padded=padded
        )
        batches = plan_batches(counts, limits)
        assert sorted(n for batch in batches for n in batch) == list(range(len(counts)))
        for batch in batches:
            assert len(batch) <= limits.max_items_per_request
            assert len(batch) == 1 or batch_cost(batch, counts, padded) <= limits.max_tokens_per_request


# -- batching through embed -------------------------------------------------------------------------------


def test_embed_batches_within_the_provider_token_budget():
    items = [words(n, prefix=f"i{n}_") for n in (5, 12, 3, 9, 1, 14, 7)]
    with fake_provider("fake/test", max_batch_tokens=20) as fake:
        result = embedsdk.embed(items, provider="fake/test")
    assert len(fake.calls) > 1
    assert all(sum(len(item.split()) for item in call) <= 20 for call in fake.calls)
    assert [item for call in fake.calls for item in call] == items  # hosted-style: input order
    np.testing.assert_allclose(result.vectors, reference(items), atol=1e-6)


def test_padded_provider_gets_sorted_batches_and_results_come_back_in_input_order():
    items = [words(n, prefix=f"i{n}_") for n in (5, 12, 3, 9, 1, 14, 7, 2)]
    with fake_provider("fake/test", padded=True, max_batch_tokens=30, max_items=3) as fake:
        result = embedsdk.embed(items, provider="fake/test")
    sent = [item for call in fake.calls for item in call]
    lengths = [len(item.split()) for item in sent]
    assert lengths == sorted(lengths, reverse=True)
    for call in fake.calls:
        assert len(call) <= 3
        assert len(call) == 1 or len(call) * max(len(item.split()) for item in call) <= 30
    np.testing.assert_allclose(result.vectors, reference(items), atol=1e-6)


# -- long inputs ------------------------------------------------------------------------------------------


def test_a_megabyte_string_with_on_long_error_names_its_index(fake):
    with pytest.raises(InputTooLongError) as caught:
        embedsdk.embed(["short", MEGABYTE_TEXT], provider="fake/test")
    error = caught.value
    assert error.index == 1
    message = str(error)
    assert "item 1" in message
    assert "1000 tokens" in message
    assert "64" in message
    assert "on_long='truncate'" in message and "on_long='chunk'" in message
    assert fake.calls == []


def test_a_megabyte_string_is_truncated_to_the_limit(fake):
    result = embedsdk.embed(["short", MEGABYTE_TEXT], provider="fake/test", on_long="truncate")
    assert result.stats.truncated == 1
    assert result.stats.chunked == 0
    assert max(len(item.split()) for call in fake.calls for item in call) == 64
    first_64_words = " ".join(MEGABYTE_TEXT.split()[:64])
    np.testing.assert_allclose(result.vectors, reference(["short", first_64_words]), atol=1e-6)


def test_a_megabyte_string_is_chunked_and_pooled(fake):
    result = embedsdk.embed(["short", MEGABYTE_TEXT], provider="fake/test", on_long="chunk")
    assert result.stats.chunked == 1
    assert result.stats.truncated == 0
    assert np.isfinite(result.vectors).all()
    chunks = WhitespaceTokenizer().split(MEGABYTE_TEXT, 64, 16)  # default overlap: min(32, 64 // 4)
    assert len(chunks) > 1
    assert all(len(chunk.split()) <= 64 for chunk in chunks)
    sent = [item for call in fake.calls for item in call]
    assert sorted(sent) == sorted(["short", *chunks])
    np.testing.assert_allclose(result[1], unit(reference(chunks).mean(axis=0)), atol=1e-6)


def test_collect_reports_an_over_long_item_and_embeds_the_others(fake):
    result = embedsdk.embed(["short", MEGABYTE_TEXT, "also short"], provider="fake/test", on_error="collect")
    assert [(e.index, e.kind) for e in result.errors] == [(1, InputTooLongError)]
    assert np.isnan(result[1]).all()
    np.testing.assert_allclose(result.vectors[[0, 2]], reference(["short", "also short"]), atol=1e-6)


class NoTokenizerFake(FakeEmbedder):
    """A provider without a tokenizer of its own: the planner estimates lengths."""

    @property
    def tokenizer(self) -> None:
        return None


@pytest.mark.parametrize("text", ["a" * 1_000_000, MEGABYTE_TEXT], ids=["no-spaces", "words"])
def test_a_megabyte_string_is_cut_to_the_limit_by_the_estimating_tokenizer(text):
    model = NoTokenizerFake("fake/estimated", max_tokens=512)
    with pytest.raises(InputTooLongError, match="item 0"):
        embedsdk.embed([text], provider=model, cache=False)

    truncated = embedsdk.embed([text], provider=model, on_long="truncate", cache=False)
    assert truncated.stats.truncated == 1
    assert [len(item.encode()) <= 512 * 4 for call in model.calls for item in call] == [True]

    model.calls.clear()
    chunked = embedsdk.embed([text], provider=model, on_long="chunk", cache=False)
    assert chunked.stats.chunked == 1
    sent = [item for call in model.calls for item in call]
    assert len(sent) > 1
    assert all(len(item.encode()) <= 512 * 4 for item in sent)
    assert np.isfinite(chunked.vectors).all()


# -- chunk pooling ----------------------------------------------------------------------------------------


def test_chunk_pooling_is_the_mean_of_chunk_vectors_renormalized(fake):
    text = words(100)
    result = embedsdk.embed([text], provider="fake/test", on_long="chunk", chunk_overlap=8)
    chunks = WhitespaceTokenizer().split(text, 64, 8)
    assert chunks == [" ".join(text.split()[:64]), " ".join(text.split()[56:])]
    mean = reference(chunks).mean(axis=0)
    np.testing.assert_allclose(result[0], unit(mean), atol=1e-6)
    assert np.linalg.norm(result[0]) == pytest.approx(1.0, abs=1e-6)


def test_chunk_pooling_is_the_plain_mean_when_the_space_is_not_normalized():
    text = words(100)
    with fake_provider("fake/raw", normalized=False):
        result = embedsdk.embed([text], provider="fake/raw", on_long="chunk", chunk_overlap=8)
    chunks = WhitespaceTokenizer().split(text, 64, 8)
    np.testing.assert_allclose(result[0], reference(chunks, normalized=False).mean(axis=0), atol=1e-5)


def test_chunk_pooling_renormalizes_when_normalize_is_asked():
    text = words(100)
    with fake_provider("fake/raw", normalized=False):
        result = embedsdk.embed([text], provider="fake/raw", on_long="chunk", chunk_overlap=8, normalize=True)
    chunks = WhitespaceTokenizer().split(text, 64, 8)
    np.testing.assert_allclose(result[0], unit(reference(chunks, normalized=False).mean(axis=0)), atol=1e-6)


def test_pool_chunks_means_each_owner():
    vectors = np.array([[1, 0], [3, 2], [5, 5], [0, 4]], dtype=np.float32)
    pooled = pool_chunks(vectors, [0, 0, 1, 2], 3)
    np.testing.assert_allclose(pooled, [[2, 1], [5, 5], [0, 4]])
    assert pooled.dtype == np.float32


# -- chunk overlap ----------------------------------------------------------------------------------------


def test_a_negative_chunk_overlap_is_refused(fake):
    with pytest.raises(InvalidOptionError, match="chunk_overlap=-1 must be at least 0"):
        embedsdk.embed(["a b"], provider="fake/test", on_long="chunk", chunk_overlap=-1)


@pytest.mark.parametrize("overlap", [32, 40, 64])
def test_chunk_overlap_must_be_under_half_the_limit(fake, overlap):
    with pytest.raises(InvalidOptionError, match=f"chunk_overlap={overlap}") as caught:
        embedsdk.embed(["a b"], provider="fake/test", on_long="chunk", chunk_overlap=overlap)
    assert "64" in str(caught.value)


@pytest.mark.parametrize("overlap", [0, 1, 31])
def test_chunk_overlap_under_half_the_limit_is_accepted(fake, overlap):
    assert embedsdk.embed([words(100)], provider="fake/test", on_long="chunk", chunk_overlap=overlap).shape == (1, 16)


def test_chunk_overlap_is_shared_by_consecutive_chunks(fake):
    embedsdk.embed([words(100)], provider="fake/test", on_long="chunk", chunk_overlap=10)
    first, second = (item.split() for item in fake.calls[0])
    assert first[-10:] == second[:10]


def test_a_one_token_limit_works_with_the_default_overlap():
    with fake_provider("fake/tiny", max_tokens=1) as fake:
        result = embedsdk.embed(["a", "b c"], provider="fake/tiny", on_long="chunk")
    assert result.shape == (2, 16)
    assert sorted(item for call in fake.calls for item in call) == ["a", "b", "c"]


# -- expand_long_items and the estimating tokenizer -------------------------------------------------------


def test_expand_long_items_applies_each_policy():
    tokenizer = WhitespaceTokenizer()
    items: list[Any] = ["a b", "a b c d e f", b"raw bytes are never cut"]
    counts = [2, 6, 99]
    pieces, refused, stats = expand_long_items(
        items, counts, tokenizer=tokenizer, max_tokens=4, on_long="error", overlap=1
    )
    assert refused == [1]
    assert pieces == [Piece(0, "a b", 2), Piece(2, items[2], 99)]

    pieces, refused, stats = expand_long_items(
        items, counts, tokenizer=tokenizer, max_tokens=4, on_long="truncate", overlap=1
    )
    assert refused == []
    assert Piece(1, "a b c d", 4) in pieces
    assert stats == {"truncated": 1, "chunked": 0}

    pieces, refused, stats = expand_long_items(
        items, counts, tokenizer=tokenizer, max_tokens=4, on_long="chunk", overlap=1
    )
    assert [p.content for p in pieces if p.owner == 1] == ["a b c d", "d e f"]
    assert stats == {"truncated": 0, "chunked": 1}


def test_expand_long_items_without_a_limit_sends_everything():
    pieces, refused, _ = expand_long_items(
        ["x " * 1000], [1000], tokenizer=WhitespaceTokenizer(), max_tokens=None, on_long="error", overlap=0
    )
    assert refused == []
    assert len(pieces) == 1


def test_too_long_message_names_index_size_limit_and_fix():
    message = too_long_message(7, 900, "fake/test", 512)
    for part in ("item 7", "900 tokens", "fake/test", "512", "on_long='truncate'", "on_long='chunk'"):
        assert part in message


def test_approximate_tokenizer_counts_about_four_bytes_a_token():
    tokenizer = ApproximateTokenizer()
    assert tokenizer.count(["", "abcd", "abcde", "é" * 4]) == [1, 1, 2, 2]


def test_approximate_tokenizer_splits_between_words_within_budget_with_overlap():
    tokenizer = ApproximateTokenizer()
    text = " ".join(f"w{n:03d}" for n in range(200))  # 5 bytes a word with its space
    pieces = tokenizer.split(text, max_tokens=20, overlap=5)
    assert all(count <= 20 for count in tokenizer.count(pieces))
    assert pieces[0].split()[0] == "w000"
    assert pieces[-1].split()[-1] == "w199"
    covered = [word for piece in pieces for word in piece.split()]
    assert set(covered) == set(text.split())
    assert pieces[0].split()[-4:] == pieces[1].split()[:4]  # 4 words of 5 bytes fit 5 tokens of overlap
    assert tokenizer.truncate(text, 20) == pieces[0]


def test_approximate_tokenizer_cuts_a_word_longer_than_the_limit():
    tokenizer = ApproximateTokenizer()
    text = "é" * 5000  # 10,000 bytes, no space, two bytes a character
    pieces = tokenizer.split(text, max_tokens=100)
    assert all(len(piece.encode()) <= 400 for piece in pieces)
    assert "".join(pieces) == text
    assert tokenizer.count([tokenizer.truncate(text, 100)]) == [100]
