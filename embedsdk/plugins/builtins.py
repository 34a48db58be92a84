"""What the core's lower layers register through their own hooks, exactly as a plugin would: the OOV strategies.

The exact index is registered by `embedsdk.retrieval.builtins` (it lives in the retrieval layer). Embedding
models live in plugins (the default model in embedsdk-transformers).
"""

from __future__ import annotations

from embedsdk.plugins.hookspecs import hookimpl
from embedsdk.plugins.registries import OOVStrategyRegistry
from embedsdk.providers.oov import OOV_STRATEGIES

__all__ = ["register_oov_strategies"]


@hookimpl
def register_oov_strategies(register: OOVStrategyRegistry) -> None:
    """Register ``error``, ``skip``, ``unk`` and ``zero``."""
    for name, strategy in OOV_STRATEGIES.items():
        register(name, strategy)
