"""The plugin's hook: registers the faiss backends under ``faiss-flat``, ``faiss-ivf`` and ``faiss-hnsw``."""

from __future__ import annotations

import embedsdk
from embedsdk import IndexRegistry
from embedsdk_faiss.indexes import FaissFlatIndex, FaissHNSWIndex, FaissIVFIndex

__all__ = ["register_indexes"]


@embedsdk.hookimpl
def register_indexes(register: IndexRegistry) -> None:
    """Register the three faiss backends (faiss is imported when one is first built)."""
    register("faiss-flat", FaissFlatIndex, description="faiss IndexFlatIP: exact inner-product search")
    register("faiss-ivf", FaissIVFIndex, description="faiss IndexIVFFlat: inverted lists, approximate (nlist, nprobe)")
    register("faiss-hnsw", FaissHNSWIndex, description="faiss IndexHNSWFlat: graph search, approximate (m, ef_search)")
