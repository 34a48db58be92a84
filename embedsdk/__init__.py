"""embedsdk: anything to embedding vectors in one call, and the tools to put them to work.

    >>> import embedsdk
    >>> vecs = embedsdk.embed(["The cat sat on the mat", "A feline rested on the rug"])
    >>> vecs.shape
    (2, 384)

``import embedsdk`` stays light (no torch): providers load their libraries and weights on first use.
"""

from __future__ import annotations

import sys
import types
import typing

from embedsdk.errors import (
    ConfigurationError,
    CorruptFileError,
    EmbeddingFailedError,
    EmbedSDKError,
    EmptyItemError,
    InputTooLongError,
    InvalidInputError,
    InvalidItemTypeError,
    InvalidOptionError,
    ItemFailure,
    ItemRejectedError,
    MissingDependencyError,
    ModelNotFoundError,
    PluginError,
    ProviderError,
    RateLimitedError,
    SpaceMismatchError,
    TransientError,
    UnknownIdError,
    UnknownIndexError,
    UnknownOOVStrategyError,
    UnknownProviderError,
)

if typing.TYPE_CHECKING:
    from embedsdk.api import aembed, embed, embed_words, embedder, providers, zero_shot
    from embedsdk.cache import EmbeddingCache
    from embedsdk.eval.words import analogy, most_similar
    from embedsdk.plugins.hookspecs import hookimpl
    from embedsdk.plugins.registries import IndexRegistry, OOVStrategyRegistry
    from embedsdk.providers.base import BaseEmbedder
    from embedsdk.providers.protocols import Embedder, ProviderLimits, Tokenizer
    from embedsdk.providers.registry import EmbedderRegistry
    from embedsdk.result import Embeddings, EmbedStats, ZeroShotResult
    from embedsdk.retrieval.collection import Collection
    from embedsdk.retrieval.exact import ExactIndex
    from embedsdk.retrieval.protocols import Hit, Index
    from embedsdk.space import EmbeddingSpace, cosine_similarity

__version__ = "0.1.0"

# Every public name but the errors is loaded on first use (PEP 562), so ``import embedsdk`` costs little and a
# command that never embeds never loads the pipeline. The word tools live in embedsdk.eval (a layer above the
# api): the layers that import ``embedsdk`` must not depend on it.
_LAZY = {
    "BaseEmbedder": "embedsdk.providers.base",
    "Collection": "embedsdk.retrieval.collection",
    "EmbedStats": "embedsdk.result",
    "Embedder": "embedsdk.providers.protocols",
    "EmbedderRegistry": "embedsdk.providers.registry",
    "EmbeddingCache": "embedsdk.cache",
    "EmbeddingSpace": "embedsdk.space",
    "Embeddings": "embedsdk.result",
    "ExactIndex": "embedsdk.retrieval.exact",
    "Hit": "embedsdk.retrieval.protocols",
    "Index": "embedsdk.retrieval.protocols",
    "IndexRegistry": "embedsdk.plugins.registries",
    "OOVStrategyRegistry": "embedsdk.plugins.registries",
    "ProviderLimits": "embedsdk.providers.protocols",
    "Tokenizer": "embedsdk.providers.protocols",
    "ZeroShotResult": "embedsdk.result",
    "aembed": "embedsdk.api",
    "cosine_similarity": "embedsdk.space",
    "embed": "embedsdk.api",
    "embed_words": "embedsdk.api",
    "embedder": "embedsdk.api",
    "hookimpl": "embedsdk.plugins.hookspecs",
    "providers": "embedsdk.api",
    "zero_shot": "embedsdk.api",
    "analogy": "embedsdk.eval.words",
    "most_similar": "embedsdk.eval.words",
}
# Subpackages with heavy optional dependencies, reachable as ``embedsdk.eval`` after a bare ``import embedsdk``.
_SUBPACKAGES = ("eval", "plot", "train")
# Modules an eager ``import embedsdk`` used to load as a side effect, still reachable as attributes.
_SUBMODULES = ("api", "cache", "pipeline", "plugins", "providers", "result", "retrieval", "runtime", "space")


def __getattr__(name: str) -> object:
    if name in _SUBPACKAGES or name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'embedsdk' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``embedsdk.providers`` is the public function, as when it was imported eagerly.

    Importing the ``embedsdk.providers`` subpackage sets the package attribute of that name to the
    subpackage; this keeps the function there (the subpackage stays importable by its dotted name).
    """

    @property
    def providers(self) -> object:
        value = self.__dict__.get("_providers")
        if value is None:
            from embedsdk.api import providers

            value = providers
        return value

    @providers.setter
    def providers(self, value: object) -> None:
        if not (isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.providers"):
            self.__dict__["_providers"] = value

    @providers.deleter
    def providers(self) -> None:
        self.__dict__.pop("_providers", None)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "BaseEmbedder",
    "Collection",
    "ConfigurationError",
    "CorruptFileError",
    "EmbedSDKError",
    "EmbedStats",
    "Embedder",
    "EmbedderRegistry",
    "EmbeddingCache",
    "EmbeddingFailedError",
    "EmbeddingSpace",
    "Embeddings",
    "EmptyItemError",
    "ExactIndex",
    "Hit",
    "Index",
    "IndexRegistry",
    "InputTooLongError",
    "InvalidInputError",
    "InvalidItemTypeError",
    "InvalidOptionError",
    "ItemFailure",
    "ItemRejectedError",
    "MissingDependencyError",
    "ModelNotFoundError",
    "OOVStrategyRegistry",
    "PluginError",
    "ProviderError",
    "ProviderLimits",
    "RateLimitedError",
    "SpaceMismatchError",
    "Tokenizer",
    "TransientError",
    "UnknownIdError",
    "UnknownIndexError",
    "UnknownOOVStrategyError",
    "UnknownProviderError",
    "ZeroShotResult",
    "__version__",
    "aembed",
    "analogy",
    "cosine_similarity",
    "embed",
    "embed_words",
    "embedder",
    "hookimpl",
    "most_similar",
    "providers",
    "zero_shot",
]
