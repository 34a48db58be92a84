"""embedsdk index backend on Qdrant: ``qdrant``. qdrant-client is imported on first use."""

from __future__ import annotations

from embedsdk_qdrant.index import QdrantIndex, QdrantOptions, to_qdrant_filter

__all__ = ["QdrantIndex", "QdrantOptions", "to_qdrant_filter"]
