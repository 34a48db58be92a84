"""EmbedSDKEmbeddings against the real langchain-core: roles, the async path, and InMemoryVectorStore."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import embedsdk
from embedsdk.testing import FakeEmbedder, fake_provider

pytest.importorskip("langchain_core")

from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore

from embedsdk.integrations.langchain import EmbedSDKEmbeddings


@pytest.fixture
def fake() -> Iterator[FakeEmbedder]:
    with fake_provider("fake/test") as instance:
        yield instance


def test_is_a_langchain_embeddings_and_sets_roles(fake: FakeEmbedder) -> None:
    emb = EmbedSDKEmbeddings(provider="fake/test")
    assert isinstance(emb, Embeddings)
    docs = emb.embed_documents(["red apples", "green pears"])
    query = emb.embed_query("red apples")
    assert len(docs) == 2 and len(docs[0]) == 16 and isinstance(docs[0][0], float)
    assert fake.roles == ["document", "query"]
    expected = embedsdk.embed(["red apples"], provider="fake/test", role="query").vectors[0]
    np.testing.assert_allclose(query, expected, rtol=1e-6)
    assert emb.embed_documents([]) == []


async def test_async_methods_call_embedsdk_aembed(fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    real_aembed = embedsdk.aembed

    async def recording_aembed(items: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return await real_aembed(items, **kwargs)

    def no_sync_embed(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the async path must not call the sync embed")

    monkeypatch.setattr(embedsdk, "aembed", recording_aembed)
    monkeypatch.setattr(embedsdk, "embed", no_sync_embed)
    emb = EmbedSDKEmbeddings(provider="fake/test", dimensions=8)
    docs = await emb.aembed_documents(["a b", "c d"])
    query = await emb.aembed_query("a b")
    assert [c["role"] for c in calls] == ["document", "query"]
    assert len(docs) == 2 and len(query) == 8


def test_options_reach_embed_and_are_not_shown(fake: FakeEmbedder) -> None:
    emb = EmbedSDKEmbeddings(provider="fake/test", dimensions=4, secret_looking="sk-123")
    assert "sk-123" not in repr(emb)
    with pytest.raises(embedsdk.InvalidOptionError, match="role"):
        EmbedSDKEmbeddings(provider="fake/test", role="query")


def test_in_memory_vector_store_with_the_fake(fake: FakeEmbedder) -> None:
    store = InMemoryVectorStore(EmbedSDKEmbeddings(provider="fake/test"))
    store.add_texts(["red apples and cherries", "blue sky over the sea", "green pears"], ids=["a", "b", "c"])
    found = store.similarity_search("blue sea", k=1)
    assert found[0].page_content == "blue sky over the sea"


@pytest.mark.slow
def test_in_memory_vector_store_with_the_real_minilm() -> None:
    transformers_plugin = pytest.importorskip("embedsdk_transformers.plugin")

    from embedsdk.testing import registered_plugin

    with registered_plugin(transformers_plugin):
        store = InMemoryVectorStore(EmbedSDKEmbeddings(provider="minilm"))
        store.add_texts(["The cat sat on the mat", "Python is a programming language", "Stocks fell sharply today"])
        assert store.similarity_search("a kitten resting on a rug", k=1)[0].page_content == "The cat sat on the mat"
        assert store.similarity_search("writing code", k=1)[0].page_content == "Python is a programming language"
