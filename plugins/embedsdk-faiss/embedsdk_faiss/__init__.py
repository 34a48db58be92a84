"""embedsdk index backends on faiss: ``faiss-flat``, ``faiss-ivf`` and ``faiss-hnsw``.

faiss itself is imported on first use, so registering the backends costs nothing.
"""

from __future__ import annotations

from embedsdk_faiss.indexes import FaissFlatIndex, FaissHNSWIndex, FaissIVFIndex

__all__ = ["FaissFlatIndex", "FaissHNSWIndex", "FaissIVFIndex"]
