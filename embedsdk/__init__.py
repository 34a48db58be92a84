"""embedsdk: anything to embedding vectors in one call, and the tools to put them to work.

    >>> import embedsdk
    >>> vecs = embedsdk.embed(["The cat sat on the mat", "A feline rested on the rug"])
    >>> vecs.shape
    (2, 384)

``import embedsdk`` stays light (no torch): providers load their libraries and weights on first use.
"""

from __future__ import annotations

from embedsdk.api import aembed, embed, embed_words, embedder, providers
from embedsdk.base import BaseEmbedder
from embedsdk.cache import EmbeddingCache
from embedsdk.errors import (
    ConfigurationError,
    EmbeddingFailedError,
    EmbedSDKError,
    EmbedsdkError,
    EmptyItemError,
    InputTooLongError,
    InvalidInputError,
    InvalidItemTypeError,
    InvalidOptionError,
    ItemError,
    ItemFailure,
    ItemRejectedError,
    MissingDependencyError,
    ModelNotFoundError,
    PluginError,
    ProviderError,
    RateLimitedError,
    SpaceMismatchError,
    UnknownProviderError,
)
from embedsdk.hookspecs import hookimpl
from embedsdk.index import ExactIndex
from embedsdk.protocols import Embedder, Hit, Index, ProviderLimits, Tokenizer
from embedsdk.registry import EmbedderRegistry, IndexRegistry, OOVStrategyRegistry
from embedsdk.space import Embeddings, EmbeddingSpace, EmbedStats, cosine_similarity

__version__ = "0.1.0"

__all__ = [
    "BaseEmbedder",
    "ConfigurationError",
    "EmbedSDKError",
    "EmbedStats",
    "Embedder",
    "EmbedderRegistry",
    "EmbeddingCache",
    "EmbeddingFailedError",
    "EmbeddingSpace",
    "Embeddings",
    "EmbedsdkError",
    "EmptyItemError",
    "ExactIndex",
    "Hit",
    "Index",
    "IndexRegistry",
    "InputTooLongError",
    "InvalidInputError",
    "InvalidItemTypeError",
    "InvalidOptionError",
    "ItemError",
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
    "UnknownProviderError",
    "__version__",
    "aembed",
    "cosine_similarity",
    "embed",
    "embed_words",
    "embedder",
    "hookimpl",
    "providers",
]
