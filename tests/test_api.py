"""The pipeline of one call: options, ordering, failures (bisection, retries), the async twin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import embedsdk
from embedsdk import runtime
from embedsdk.cache import EmbeddingCache
from embedsdk.errors import (
    EmbeddingFailedError,
    InvalidOptionError,
    ItemRejectedError,
    ProviderError,
    RateLimitedError,
    UnknownProviderError,
)
from embedsdk.pipeline import job
from embedsdk.testing import FakeEmbedder, fake_provider

ITEMS = ["red apple", "green pear", "yellow banana", "purple plum", "orange orange", "black cherry"]


def reference(items: Sequence[str], role: str | None = None, **options: Any) -> np.ndarray:
    """The fake's vectors straight from `embed_batch`: no pipeline, no cache."""
    return FakeEmbedder("fake/test", **options).embed_batch(list(items), role)


def flat(calls: list[list[Any]]) -> list[Any]:
    return [item for call in calls for item in call]


# -- the result -------------------------------------------------------------------------------------------


def test_embed_returns_vectors_of_the_provider_space_in_input_order(fake):
    result = embedsdk.embed(ITEMS, provider="fake/test")
    assert isinstance(result, embedsdk.Embeddings)
    assert result.shape == (len(ITEMS), 16)
    assert result.vectors.dtype == np.float32
    assert result.space.provider == "fake/test"
    assert result.space.normalized is True
    assert result.errors == []
    np.testing.assert_allclose(result.vectors, reference(ITEMS), atol=1e-6)


def test_one_string_is_one_item(fake):
    result = embedsdk.embed("red apple", provider="fake/test")
    assert result.shape == (1, 16)
    np.testing.assert_allclose(result[0], reference(["red apple"])[0], atol=1e-6)


def test_role_reaches_the_provider_and_the_space(fake):
    result = embedsdk.embed(ITEMS[:2], provider="fake/test", role="query")
    assert fake.roles == ["query"]
    assert result.space.role == "query"
    np.testing.assert_allclose(result.vectors, reference(ITEMS[:2], role="query"), atol=1e-6)


def test_default_provider_comes_from_the_environment(fake, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_PROVIDER", "fake/test")
    result = embedsdk.embed(["red apple"])
    assert result.space.provider == "fake/test"
    assert len(fake.calls) == 1


def test_an_alias_resolves_to_the_canonical_id():
    with fake_provider("fake/aliased", aliases=["fa"]) as fake:
        result = embedsdk.embed(["a b"], provider="fa")
    assert result.space.provider == "fake/aliased"
    assert len(fake.calls) == 1


def test_a_built_embedder_can_be_passed_as_provider():
    model = FakeEmbedder("fake/direct", dim=8)
    result = embedsdk.embed(ITEMS, provider=model)
    assert result.shape == (len(ITEMS), 8)
    assert flat(model.calls) == ITEMS
    assert model.embed(ITEMS).shape == (len(ITEMS), 8)  # BaseEmbedder.embed goes through the same pipeline
    assert len(model.calls) == 1  # and its cache


def test_batch_size_caps_each_request(fake):
    result = embedsdk.embed(ITEMS, provider="fake/test", batch_size=4)
    assert [len(call) for call in fake.calls] == [4, 2]
    assert result.stats.batches == 2
    np.testing.assert_allclose(result.vectors, reference(ITEMS), atol=1e-6)


def test_progress_callable_sees_every_batch(fake):
    seen: list[tuple[int, int]] = []
    embedsdk.embed(ITEMS, provider="fake/test", batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 6), (4, 6), (6, 6)]


def test_progress_bar_writes_to_stderr(fake, capsys):
    embedsdk.embed(ITEMS, provider="fake/test", progress=True)
    assert "6/6" in capsys.readouterr().err


def test_stats_count_the_work(fake):
    result = embedsdk.embed([*ITEMS, ITEMS[0]], provider="fake/test")
    stats = result.stats
    assert (stats.items, stats.unique, stats.cache_hits, stats.embedded, stats.batches) == (7, 6, 0, 6, 1)
    assert stats.tokens == sum(len(item.split()) for item in ITEMS)


# -- options ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("role", "passage"),
        ("on_long", "drop"),
        ("on_error", "ignore"),
        ("batch_size", 0),
        ("batch_size", "8"),
        ("dimensions", 0),
        ("dimensions", 17),
        ("dimensions", True),
        ("normalize", "yes"),
        ("progress", "loud"),
    ],
)
def test_a_bad_call_argument_is_an_invalid_option_error_naming_it(fake, argument, value):
    with pytest.raises(InvalidOptionError, match=argument) as caught:
        embedsdk.embed(["a"], provider="fake/test", **{argument: value})
    assert isinstance(caught.value, ValueError)
    assert fake.calls == []


def test_an_unknown_provider_option_is_named_with_the_valid_ones(fake):
    with pytest.raises(InvalidOptionError) as caught:
        embedsdk.embed(["a"], provider="fake/test", dimm=8)
    message = str(caught.value)
    assert "'dimm'" in message
    assert "fake/test" in message
    assert "dim" in message.split("takes:")[1]


def test_a_bad_provider_option_value_is_named(fake):
    with pytest.raises(InvalidOptionError, match="'dim'"):
        embedsdk.embed(["a"], provider="fake/test", dim=-1)


def test_an_unknown_provider_is_a_key_error_listing_close_matches(fake):
    with pytest.raises(UnknownProviderError) as caught:
        embedsdk.embed(["a"], provider="fake/tset")
    error = caught.value
    assert isinstance(error, KeyError)
    assert isinstance(error, embedsdk.EmbedSDKError)
    assert error.provider == "fake/tset"
    assert "fake/test" in error.suggestions
    assert "'fake/test'" in str(error)
    assert "embedsdk providers" in str(error)


def test_options_cannot_be_applied_to_a_built_embedder():
    with pytest.raises(InvalidOptionError, match="dim"):
        embedsdk.embed(["a"], provider=FakeEmbedder("fake/direct"), dim=4)


def test_a_provider_that_is_not_an_embedder_is_refused():
    with pytest.raises(InvalidOptionError, match="int"):
        embedsdk.embed(["a"], provider=42)


def test_embedder_is_built_once_per_provider_and_options(fake):
    assert embedsdk.embedder("fake/test") is fake
    small = embedsdk.embedder("fake/test", dim=4)
    assert small is not fake
    assert small is embedsdk.embedder("fake/test", dim=4)
    assert small.space.dim == 4
    runtime.current().forget_embedders()
    assert embedsdk.embedder("fake/test", dim=4) is not small


def test_embedder_translates_a_factory_type_error():
    class Plugin:
        @embedsdk.hookimpl
        def register_embedders(self, register):
            register("strict/model", lambda provider_id: FakeEmbedder(provider_id))

    from embedsdk.testing import registered_plugin

    with registered_plugin(Plugin()), pytest.raises(InvalidOptionError, match="strict/model"):
        embedsdk.embedder("strict/model", colour="red")


def test_providers_lists_registrations(fake):
    infos = {info.id: info for info in embedsdk.providers()}
    assert infos["fake/test"].plugin == "fake:fake/test"
    assert infos["fake/test"].dim == 16


def test_embed_words_needs_a_provider_that_embeds_words(fake):
    with pytest.raises(InvalidOptionError, match="words in context"):
        embedsdk.embed_words("the river bank", provider="fake/test")


# -- failures: bisection ----------------------------------------------------------------------------------


def test_a_rejected_item_is_bisected_out_and_fails_alone():
    items = ["a1", "a2", "a3", "bad one", "a5", "a6", "a7"]
    with fake_provider("fake/test", reject=["bad"]) as fake, pytest.raises(EmbeddingFailedError) as caught:
        embedsdk.embed(items, provider="fake/test")
    error = caught.value
    assert isinstance(error, ProviderError)
    result = error.result
    assert [e.index for e in error.errors] == [3]
    assert error.errors[0].kind is ItemRejectedError
    assert isinstance(error.errors[0].cause, ItemRejectedError)
    assert "item 3" in str(error)
    assert sorted(flat(fake.calls)) == sorted(items[:3] + items[4:])  # every good item, once
    assert np.isnan(result.vectors[3]).all()
    assert result.ok.tolist() == [True, True, True, False, True, True, True]
    good = [n for n in range(len(items)) if n != 3]
    np.testing.assert_allclose(result.vectors[good], reference([items[n] for n in good]), atol=1e-6)


def test_everything_embedded_before_a_failure_is_cached_so_a_rerun_resumes():
    items = ["a1", "bad one", "a3", "a4"]
    with fake_provider("fake/test", reject=["bad"]), pytest.raises(EmbeddingFailedError):
        embedsdk.embed(items, provider="fake/test")
    with fake_provider("fake/test") as fixed:
        result = embedsdk.embed(items, provider="fake/test")
    assert fixed.calls == [["bad one"]]
    assert result.stats.cache_hits == 3
    np.testing.assert_allclose(result.vectors, reference(items), atol=1e-6)


def test_rejected_duplicates_fail_at_every_index():
    with fake_provider("fake/test", reject=["bad"]), pytest.raises(EmbeddingFailedError) as caught:
        embedsdk.embed(["bad", "ok", "bad"], provider="fake/test")
    assert [e.index for e in caught.value.errors] == [0, 2]


def test_collect_returns_rejected_items_as_errors_instead_of_raising():
    with fake_provider("fake/test", reject=["bad"]) as fake:
        result = embedsdk.embed(["ok", "bad", "fine", "bad too"], provider="fake/test", on_error="collect")
    assert [e.index for e in result.errors] == [1, 3]
    assert np.isnan(result.vectors[[1, 3]]).all()
    assert np.isfinite(result.vectors[[0, 2]]).all()
    assert sorted(flat(fake.calls)) == ["fine", "ok"]


def test_a_rejected_chunk_fails_its_whole_item():
    long_bad = " ".join(["w"] * 100 + ["bad"] + ["v"] * 10)
    with fake_provider("fake/test", reject=["bad"]):
        result = embedsdk.embed(["ok", long_bad], provider="fake/test", on_long="chunk", on_error="collect")
    assert [e.index for e in result.errors] == [1]
    assert np.isnan(result.vectors[1]).all()
    assert np.isfinite(result.vectors[0]).all()


# -- failures: retries and translation --------------------------------------------------------------------


def test_a_rate_limited_request_is_retried():
    with fake_provider("fake/test", rate_limited=2) as fake:
        result = embedsdk.embed(ITEMS, provider="fake/test")
    assert len(fake.calls) == 1
    np.testing.assert_allclose(result.vectors, reference(ITEMS), atol=1e-6)


@pytest.mark.parametrize(("max_retries", "rate_limited", "succeeds"), [(0, 1, False), (2, 2, True), (2, 3, False)])
def test_retries_stop_at_the_configured_maximum(monkeypatch, max_retries, rate_limited, succeeds):
    monkeypatch.setenv("EMBEDSDK_MAX_RETRIES", str(max_retries))
    with fake_provider("fake/test", rate_limited=rate_limited) as fake:
        if succeeds:
            embedsdk.embed(["a"], provider="fake/test")
        else:
            with pytest.raises(RateLimitedError):
                embedsdk.embed(["a"], provider="fake/test")
    assert len(fake.calls) == int(succeeds)


class SlowDownOnce(FakeEmbedder):
    """Asks the caller to slow down once, saying (or not) how long to wait."""

    retry_after: float | None = 7.5

    def embed_batch(self, items, role=None):
        if not self.calls and not getattr(self, "asked", False):
            self.asked = True
            raise RateLimitedError("slow down", retry_after=self.retry_after)
        return super().embed_batch(items, role)


def test_retry_honours_retry_after(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(job.time, "sleep", waits.append)
    model = SlowDownOnce("fake/slow")
    embedsdk.embed(["a"], provider=model)
    assert waits == [7.5]
    assert len(model.calls) == 1


def test_retry_without_retry_after_backs_off(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(job.time, "sleep", waits.append)
    model = SlowDownOnce("fake/slow")
    model.retry_after = None
    embedsdk.embed(["a"], provider=model)
    assert len(waits) == 1
    assert 0 < waits[0] <= 60


class BreaksOnSecondBatch(FakeEmbedder):
    """Fails like a third-party client would on its second request."""

    def embed_batch(self, items, role=None):
        if self.calls:
            raise ConnectionError("connection reset by peer")
        return super().embed_batch(items, role)


def test_a_third_party_error_is_translated_chained_and_resumable():
    broken = BreaksOnSecondBatch("fake/test", max_items=2)
    with pytest.raises(ProviderError) as caught:
        embedsdk.embed(ITEMS, provider=broken)
    error = caught.value
    assert isinstance(error.__cause__, ConnectionError)
    assert "ConnectionError" in str(error)
    assert "resumes" in str(error)

    working = FakeEmbedder("fake/test", max_items=2)
    result = embedsdk.embed(ITEMS, provider=working)
    assert sorted(flat(working.calls)) == sorted(ITEMS[2:])
    np.testing.assert_allclose(result.vectors, reference(ITEMS), atol=1e-6)


class WrongShape(FakeEmbedder):
    def embed_batch(self, items, role=None):
        return super().embed_batch(items, role)[:, :3]


class NotFinite(FakeEmbedder):
    def embed_batch(self, items, role=None):
        vectors = super().embed_batch(items, role)
        vectors[0, 0] = np.nan
        return vectors


@pytest.mark.parametrize("model", [WrongShape("fake/wrong"), NotFinite("fake/nan")])
def test_a_provider_returning_bad_vectors_is_a_provider_error(model, cache_dir):
    with pytest.raises(ProviderError, match="expected"):
        embedsdk.embed(["a", "b"], provider=model)
    assert len(EmbeddingCache(cache_dir)) == 0


# -- async ------------------------------------------------------------------------------------------------


class AsyncFake(FakeEmbedder):
    """A fake that says its async path is truly asynchronous, so `aembed` sends batches concurrently."""

    supports_async = True


async def test_aembed_gives_the_same_as_embed(fake):
    asynchronous = await embedsdk.aembed(ITEMS, provider="fake/test", role="document")
    synchronous = embedsdk.embed(ITEMS, provider="fake/test", role="document", cache=False)
    np.testing.assert_allclose(asynchronous.vectors, synchronous.vectors, atol=1e-6)
    assert asynchronous.space == synchronous.space
    again = await embedsdk.aembed(ITEMS, provider="fake/test", role="document")
    assert len(fake.calls) == 2  # the async call, the uncached call, and nothing for the cached one
    np.testing.assert_array_equal(again.vectors, asynchronous.vectors)


async def test_aembed_sends_batches_concurrently_and_merges_in_input_order():
    model = AsyncFake("fake/async", max_items=2, padded=True)
    items = ["a", "b b b b", "c c", "d d d", "e", "f f f f f"]
    result = await model.aembed(items)
    assert len(model.calls) == 3
    np.testing.assert_allclose(result.vectors, reference(items), atol=1e-6)


async def test_aembed_bisects_rejected_items():
    model = AsyncFake("fake/async", reject=["bad"])
    result = await embedsdk.aembed(["ok", "bad", "fine", "good"], provider=model, on_error="collect")
    assert [e.index for e in result.errors] == [1]
    assert sorted(flat(model.calls)) == ["fine", "good", "ok"]
    with pytest.raises(EmbeddingFailedError):
        await embedsdk.aembed(["bad"], provider=model)


async def test_aembed_retries_rate_limits():
    model = AsyncFake("fake/async", rate_limited=2)
    result = await embedsdk.aembed(["a b"], provider=model)
    np.testing.assert_allclose(result.vectors, reference(["a b"]), atol=1e-6)
