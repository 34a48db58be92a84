"""Retrieval: the index contract and registry, the exact index, and cutting text files into passages."""

from __future__ import annotations

from embedsdk.retrieval.exact import ExactIndex
from embedsdk.retrieval.protocols import Hit, Index
from embedsdk.retrieval.registry import DEFAULT_INDEX, create_index, index_backends

__all__ = ["DEFAULT_INDEX", "ExactIndex", "Hit", "Index", "create_index", "index_backends"]
