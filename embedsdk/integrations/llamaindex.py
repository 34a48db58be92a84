"""`EmbedSDKEmbedding`: any embedsdk provider as a LlamaIndex ``BaseEmbedding``.

    from llama_index.core import Document, Settings, VectorStoreIndex
    from embedsdk.integrations.llamaindex import EmbedSDKEmbedding

    Settings.embed_model = EmbedSDKEmbedding(provider="minilm")
    index = VectorStoreIndex.from_documents([Document(text="The cat sat on the mat")])
    index.as_retriever(similarity_top_k=1).retrieve("a feline")

Texts (nodes) are embedded with ``role="document"`` and queries with ``role="query"``, through embedsdk's
pipeline (cache, batching, retries). The async methods call `embedsdk.aembed`.
"""

from __future__ import annotations

from typing import Any

from pydantic import PrivateAttr

import embedsdk
from embedsdk.errors import MissingDependencyError

try:
    from llama_index.core.base.embeddings.base import BaseEmbedding
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError(
        "embedsdk.integrations.llamaindex needs LlamaIndex's core package: pip install llama-index-core"
    ) from exc

__all__ = ["EmbedSDKEmbedding"]


class EmbedSDKEmbedding(BaseEmbedding):
    """LlamaIndex ``BaseEmbedding`` backed by an embedsdk provider.

    Args:
        provider: A provider id or alias; None uses the default provider.
        embed_batch_size: How many texts LlamaIndex hands over per call (embedsdk plans its own batches).
        **options: Passed to every `embedsdk.embed` call (provider and call options).
    """

    _provider: str | None = PrivateAttr(default=None)
    _options: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, provider: str | None = None, embed_batch_size: int = 256, **options: Any) -> None:
        super().__init__(model_name=provider or "embedsdk-default", embed_batch_size=embed_batch_size)
        self._provider = provider
        self._options = options

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex records for this embedding class."""
        return "EmbedSDKEmbedding"

    def _embed(self, texts: list[str], role: str) -> list[list[float]]:
        if not texts:
            return []
        vectors: list[list[float]] = embedsdk.embed(
            texts, provider=self._provider, role=role, **self._options
        ).vectors.tolist()
        return vectors

    async def _aembed(self, texts: list[str], role: str) -> list[list[float]]:
        if not texts:
            return []
        result = await embedsdk.aembed(texts, provider=self._provider, role=role, **self._options)
        vectors: list[list[float]] = result.vectors.tolist()
        return vectors

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query], "query")[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return (await self._aembed([query], "query"))[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text], "document")[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return (await self._aembed([text], "document"))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts), "document")

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await self._aembed(list(texts), "document")
