"""`EmbedSDKEmbeddings`: any embedsdk provider as a LangChain ``Embeddings``.

    from embedsdk.integrations.langchain import EmbedSDKEmbeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    store = InMemoryVectorStore(EmbedSDKEmbeddings(provider="minilm"))
    store.add_texts(["The cat sat on the mat", "Python is a language"])
    store.similarity_search("a feline", k=1)

Documents are embedded with ``role="document"`` and queries with ``role="query"``, so providers with
asymmetric models (instruction prefixes, Cohere's ``input_type``) get it right. Everything goes through
embedsdk's pipeline: the cache, token-aware batching, retries. The async methods call `embedsdk.aembed`,
which is truly asynchronous for providers that are (HTTP APIs), instead of running the sync call in a thread.
"""

from __future__ import annotations

from typing import Any

import embedsdk
from embedsdk.errors import MissingDependencyError

try:
    from langchain_core.embeddings import Embeddings
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError(
        "embedsdk.integrations.langchain needs LangChain's core package: pip install langchain-core"
    ) from exc

__all__ = ["EmbedSDKEmbeddings"]


class EmbedSDKEmbeddings(Embeddings):
    """LangChain ``Embeddings`` backed by an embedsdk provider.

    Args:
        provider: A provider id or alias (``"minilm"``, ``"hf/<model>"``, ``"openai/..."``); None uses the
            default provider.
        **options: Passed to every `embedsdk.embed` call: provider options (``device="cpu"``) and call
            options (``dimensions=256``, ``on_long="chunk"``, ``cache=False``...).
    """

    def __init__(self, provider: str | None = None, **options: Any) -> None:
        for reserved in ("role", "items"):
            if reserved in options:
                raise embedsdk.InvalidOptionError(
                    f"EmbedSDKEmbeddings sets {reserved!r} itself (documents: 'document', queries: 'query')"
                )
        self.provider = provider
        self.options = options

    def __repr__(self) -> str:
        # Option names only: values may be API keys.
        return f"EmbedSDKEmbeddings(provider={self.provider!r}, options={sorted(self.options)})"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (``role="document"``) in one pipeline call."""
        if not texts:
            return []
        result = embedsdk.embed(list(texts), provider=self.provider, role="document", **self.options)
        vectors: list[list[float]] = result.vectors.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (``role="query"``)."""
        result = embedsdk.embed([text], provider=self.provider, role="query", **self.options)
        vector: list[float] = result.vectors[0].tolist()
        return vector

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents asynchronously through `embedsdk.aembed`."""
        if not texts:
            return []
        result = await embedsdk.aembed(list(texts), provider=self.provider, role="document", **self.options)
        vectors: list[list[float]] = result.vectors.tolist()
        return vectors

    async def aembed_query(self, text: str) -> list[float]:
        """Embed one query asynchronously through `embedsdk.aembed`."""
        result = await embedsdk.aembed([text], provider=self.provider, role="query", **self.options)
        vector: list[float] = result.vectors[0].tolist()
        return vector
