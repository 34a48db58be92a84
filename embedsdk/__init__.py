"""embedsdk: anything to embedding vectors in one call, and the tools to put them to work.

    >>> import embedsdk
    >>> vecs = embedsdk.embed(["The cat sat on the mat", "A feline rested on the rug"])
    >>> vecs.shape
    (2, 384)

``import embedsdk`` stays light (no torch): providers load their libraries and weights on first use.
"""

from __future__ import annotations

import typing

from embedsdk.api import aembed, embed, embed_words, embedder, providers, zero_shot
from embedsdk.cache import EmbeddingCache
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

if typing.TYPE_CHECKING:
    from embedsdk.eval.words import analogy, most_similar

__version__ = "0.1.0"

# The word tools live in embedsdk.eval (a layer above the api), loaded on first use: ``import embedsdk``
# must not pull the evaluation package in, and the layers that import ``embedsdk`` must not depend on it.
_LAZY = {"analogy": "embedsdk.eval.words", "most_similar": "embedsdk.eval.words"}
# Subpackages with heavy optional dependencies, reachable as ``embedsdk.eval`` after a bare ``import embedsdk``.
_SUBPACKAGES = ("eval", "plot", "train")


def __getattr__(name: str) -> object:
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'embedsdk' has no attribute {name!r}")

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
