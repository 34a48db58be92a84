"""The plugin's hook: registers `QdrantIndex` under ``qdrant``."""

from __future__ import annotations

import embedsdk
from embedsdk import IndexRegistry
from embedsdk_qdrant.index import QdrantIndex

__all__ = ["register_indexes"]


@embedsdk.hookimpl
def register_indexes(register: IndexRegistry) -> None:
    """Register the Qdrant backend (qdrant-client is imported when one is first used)."""
    register(
        "qdrant", QdrantIndex, description="Qdrant: embedded (location=':memory:' or path=...) or a server (url=...)"
    )
