"""What the core registers through its own hooks, exactly as a plugin would.

The exact index and the built-in OOV strategies. Embedding models live in plugins (the default model in
embedsdk-transformers).
"""

from __future__ import annotations

from embedsdk.hookspecs import hookimpl
from embedsdk.index import ExactIndex
from embedsdk.oov import OOV_STRATEGIES
from embedsdk.registry import IndexRegistry, OOVStrategyRegistry

__all__ = ["register_indexes", "register_oov_strategies"]


@hookimpl
def register_indexes(register: IndexRegistry) -> None:
    """Register the exact in-memory index under ``exact`` (and ``numpy``)."""
    register("exact", ExactIndex, description="exact cosine search in memory (numpy)")
    register("numpy", ExactIndex, description="alias of 'exact'")


@hookimpl
def register_oov_strategies(register: OOVStrategyRegistry) -> None:
    """Register ``error``, ``skip``, ``unk`` and ``zero``."""
    for name, strategy in OOV_STRATEGIES.items():
        register(name, strategy)
