"""The retrieval layer's registrations, through its own hook as a plugin would make them: the exact index."""

from __future__ import annotations

from embedsdk.plugins.hookspecs import hookimpl
from embedsdk.plugins.registries import IndexRegistry
from embedsdk.retrieval.exact import ExactIndex

__all__ = ["register_indexes"]


@hookimpl
def register_indexes(register: IndexRegistry) -> None:
    """Register the exact in-memory index under ``exact`` (and ``numpy``)."""
    register("exact", ExactIndex, description="exact cosine search in memory (numpy)")
    register("numpy", ExactIndex, description="alias of 'exact'")
