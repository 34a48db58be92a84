"""The plugin's hook: registers `HNSWIndex` under ``hnsw``."""

from __future__ import annotations

import embedsdk
from embedsdk import IndexRegistry
from embedsdk_hnswlib.index import HNSWIndex

__all__ = ["register_indexes"]


@embedsdk.hookimpl
def register_indexes(register: IndexRegistry) -> None:
    """Register the hnswlib backend (hnswlib is imported when one is first built)."""
    register("hnsw", HNSWIndex, description="hnswlib graph search, approximate (m, ef_construction, ef_search)")
