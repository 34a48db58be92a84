"""Providers: the contracts an embedder fulfils, the base class plugin authors extend, the provider registry."""

from __future__ import annotations

from embedsdk.providers.base import BaseEmbedder, NoOptions, parse_options
from embedsdk.providers.protocols import Embedder, ProviderLimits, Tokenizer
from embedsdk.providers.registry import EmbedderRegistry, ProviderInfo, Resolution

__all__ = [
    "BaseEmbedder",
    "Embedder",
    "EmbedderRegistry",
    "NoOptions",
    "ProviderInfo",
    "ProviderLimits",
    "Resolution",
    "Tokenizer",
    "parse_options",
]
