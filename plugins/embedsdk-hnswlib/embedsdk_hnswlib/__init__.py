"""embedsdk index backend on hnswlib: ``hnsw``. hnswlib is imported on first use."""

from __future__ import annotations

from embedsdk_hnswlib.index import HNSWIndex, HNSWOptions

__all__ = ["HNSWIndex", "HNSWOptions"]
