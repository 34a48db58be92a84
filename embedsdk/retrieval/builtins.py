"""The retrieval layer's registrations, through its own hook as a plugin would make them: flat and exact."""

from __future__ import annotations

from embedsdk.plugins.hookspecs import hookimpl
from embedsdk.plugins.registries import IndexRegistry
from embedsdk.retrieval.exact import ExactIndex
from embedsdk.retrieval.flat import FlatIndex

__all__ = ["register_indexes"]


@hookimpl
def register_indexes(register: IndexRegistry) -> None:
    """Register the default ``flat`` index, and the exact in-memory index under ``exact`` (and ``numpy``)."""
    register(
        "flat", FlatIndex, description="exact search in blocks over memory-mapped segments; quantize='int8'|'binary'"
    )
    register("exact", ExactIndex, description="exact cosine search in memory (numpy)")
    register("numpy", ExactIndex, description="alias of 'exact'")
