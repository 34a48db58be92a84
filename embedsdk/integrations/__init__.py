"""Adapters that let other frameworks use embedsdk as their embedding model.

- `embedsdk.integrations.langchain.EmbedSDKEmbeddings`: LangChain's ``Embeddings`` (needs ``langchain-core``).
- `embedsdk.integrations.llamaindex.EmbedSDKEmbedding`: LlamaIndex's ``BaseEmbedding`` (needs
  ``llama-index-core``).

Each module imports its framework when it is imported, and says what to ``pip install`` when it is absent;
this package itself imports neither.
"""

from __future__ import annotations

__all__: list[str] = []
