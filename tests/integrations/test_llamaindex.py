"""EmbedSDKEmbedding against the real llama-index-core: roles, async, and a VectorStoreIndex retriever."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import embedsdk
from embedsdk.testing import FakeEmbedder, fake_provider

pytest.importorskip("llama_index.core")

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding

from embedsdk.integrations.llamaindex import EmbedSDKEmbedding


@pytest.fixture
def fake() -> Iterator[FakeEmbedder]:
    with fake_provider("fake/test") as instance:
        yield instance


def test_is_a_llamaindex_embedding_and_sets_roles(fake: FakeEmbedder) -> None:
    emb = EmbedSDKEmbedding(provider="fake/test")
    assert isinstance(emb, BaseEmbedding)
    texts = emb.get_text_embedding_batch(["red apples", "green pears"])
    query = emb.get_query_embedding("red apples")
    assert len(texts) == 2 and len(query) == 16
    assert fake.roles == ["document", "query"]
    expected = embedsdk.embed(["red apples"], provider="fake/test", role="query").vectors[0]
    assert query == pytest.approx(expected.tolist())


async def test_async_calls_embed_documents_and_queries(fake: FakeEmbedder) -> None:
    emb = EmbedSDKEmbedding(provider="fake/test")
    texts = await emb.aget_text_embedding_batch(["a b", "c d"])
    query = await emb.aget_query_embedding("a b")
    assert len(texts) == 2 and len(query) == 16
    assert fake.roles == ["document", "query"]


def test_vector_store_index_retrieves_with_the_fake(fake: FakeEmbedder) -> None:
    docs = [Document(text=t) for t in ("red apples and cherries", "blue sky over the sea", "green pears")]
    index = VectorStoreIndex.from_documents(docs, embed_model=EmbedSDKEmbedding(provider="fake/test"))
    nodes = index.as_retriever(similarity_top_k=1).retrieve("blue sea")
    assert nodes[0].node.get_content() == "blue sky over the sea"


@pytest.mark.slow
def test_vector_store_index_with_the_real_minilm() -> None:
    transformers_plugin = pytest.importorskip("embedsdk_transformers.plugin")

    from embedsdk.testing import registered_plugin

    with registered_plugin(transformers_plugin):
        docs = [Document(text=t) for t in ("The cat sat on the mat", "Python is a programming language")]
        index = VectorStoreIndex.from_documents(docs, embed_model=EmbedSDKEmbedding(provider="minilm"))
        nodes = index.as_retriever(similarity_top_k=1).retrieve("a kitten resting on a rug")
        assert nodes[0].node.get_content() == "The cat sat on the mat"
