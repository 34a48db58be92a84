"""Faults of every kind are recovered: every item once, in order, identical to a run without faults."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import EmbeddingFailedError
from embedsdk.testing.hosted import corpus, embed_vectors
from embedsdk.testing.wire import FAULTS, WireServer

PROVIDER = "openai/text-embedding-3-small"


def clean_run(texts: list[str], server: WireServer, secret: str) -> np.ndarray:
    with WireServer(api_keys=[secret]) as clean:
        result = embedsdk.embed(texts, provider=PROVIDER, base_url=clean.openai_url, api_key=secret, cache=False)
        assert clean.stats.requests > 0
    return result.vectors


def faulty(secret: str) -> WireServer:
    # slow_seconds > timeout: a slow answer becomes a client timeout, retried like a 5xx.
    return WireServer(fault_rate=0.2, fault_kinds=FAULTS, slow_seconds=0.5, api_keys=[secret], seed=7)


def run(texts: list[str], server: WireServer, secret: str, *, asynchronous: bool, batch_size: int) -> np.ndarray:
    options = {"base_url": server.openai_url, "api_key": secret, "timeout": 0.25, "batch_size": batch_size}
    return embed_vectors(texts, PROVIDER, asynchronous=asynchronous, **options)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["embed", "aembed"])
def test_1000_texts_through_20_percent_faults(secret: str, asynchronous: bool) -> None:
    texts = corpus(1000)
    with faulty(secret) as server:
        vectors = run(texts, server, secret, asynchronous=asynchronous, batch_size=25)
        faults = sum(server.stats.faults.values())
        assert faults >= 5 and len(server.stats.faults) >= 3, server.stats.faults  # mixed kinds really happened
        # Every batch was answered: in time (200), or too late for a client that had given up (a slow fault).
        assert server.stats.by_status[200] + server.stats.faults["slow"] >= 40
    np.testing.assert_array_equal(vectors, clean_run(texts, server, secret))


@pytest.mark.slow
@pytest.mark.parametrize("asynchronous", [False, True], ids=["embed", "aembed"])
def test_10000_texts_through_20_percent_faults(secret: str, asynchronous: bool) -> None:
    texts = corpus(10_000)
    with faulty(secret) as server:
        vectors = run(texts, server, secret, asynchronous=asynchronous, batch_size=100)
        assert sum(server.stats.faults.values()) >= 10 and len(server.stats.faults) == len(FAULTS)
        assert server.stats.by_status[200] + server.stats.faults["slow"] >= 100  # every batch answered
        before = server.stats.requests
        again = embedsdk.embed(texts, provider=PROVIDER, base_url=server.openai_url, api_key=secret)
        assert server.stats.requests == before  # the second run makes no request
        np.testing.assert_array_equal(again.vectors, vectors)
    np.testing.assert_array_equal(vectors, clean_run(texts, server, secret))


def test_one_poisoned_text_fails_alone_under_collect(env: WireServer) -> None:
    texts = corpus(1000)
    texts[417] = "POISON " + texts[417]
    result = embedsdk.embed(texts, provider=PROVIDER, on_error="collect")
    assert [error.index for error in result.errors] == [417]
    assert "item 417" in result.errors[0].message and "refused" in result.errors[0].message
    assert np.isnan(result.vectors[417]).all()
    good = np.delete(result.vectors, 417, axis=0)
    assert good.shape == (999, 1536) and np.isfinite(good).all()


def test_under_raise_the_error_names_index_23_and_the_rest_is_cached(env: WireServer) -> None:
    texts = corpus(1000)
    texts[23] = "POISON " + texts[23]
    with pytest.raises(EmbeddingFailedError, match=r"item 23\b") as caught:
        embedsdk.embed(texts, provider=PROVIDER)
    assert [error.index for error in caught.value.errors] == [23]
    before = env.stats.requests
    others = texts[:23] + texts[24:]
    result = embedsdk.embed(others, provider=PROVIDER)
    assert env.stats.requests == before  # all 999 came from the cache
    np.testing.assert_array_equal(result.vectors, np.delete(caught.value.result.vectors, 23, axis=0))
