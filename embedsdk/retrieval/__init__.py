"""Retrieval: the index contract and registry, the flat and exact indexes, collections, and passages."""

from __future__ import annotations

from embedsdk.retrieval.exact import ExactIndex
from embedsdk.retrieval.flat import FlatIndex
from embedsdk.retrieval.protocols import Hit, Index
from embedsdk.retrieval.registry import DEFAULT_INDEX, create_index, index_backends

__all__ = ["DEFAULT_INDEX", "ExactIndex", "FlatIndex", "Hit", "Index", "create_index", "index_backends"]
