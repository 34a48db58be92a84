"""A provider plugin written inline: a `BaseEmbedder` subclass registered with a hookimpl.

The provider hashes character n-grams into a fixed number of buckets: no model, no download, but enough
to show the whole contract. ``ngram/<n>`` is a family (``ngram/3`` = character trigrams), with the alias
``trigrams``. Once registered it goes through the same pipeline as every provider: option checking,
validation, cache, token-aware batches, long-input policies.

Installed as a real plugin, the same module would be named in its distribution's pyproject.toml:

    [project.entry-points.embedsdk]
    ngram = "embedsdk_ngram"          # the module holding the @embedsdk.hookimpl functions

Here `embedsdk.testing.registered_plugin` registers it for the length of a ``with`` block instead.

    HF_HUB_OFFLINE=1 python examples/custom_plugin.py
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

import embedsdk
from embedsdk.providers.registry import EmbedderRegistry
from embedsdk.testing import registered_plugin


class NgramOptions(BaseModel):
    """Options of ``ngram/<n>``; ``extra="forbid"`` makes a misspelled option an error naming it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dim: int = Field(default=256, gt=0)
    lowercase: bool = True


class NgramEmbedder(embedsdk.BaseEmbedder):
    """Character n-gram counts hashed into ``dim`` buckets, L2-normalized."""

    Options = NgramOptions
    options: NgramOptions

    def __init__(self, provider_id: str, **options: Any) -> None:
        # BaseEmbedder validates the options into self.options; construction stays cheap (no weights).
        super().__init__(provider_id, **options)
        model = provider_id.split("/", 1)[1]
        if not model.isdigit() or int(model) < 1:
            raise embedsdk.InvalidOptionError(f"{provider_id}: the model is the n-gram size, e.g. 'ngram/3'")
        self.n = int(model)

    @property
    def space(self) -> embedsdk.EmbeddingSpace:
        # Everything that changes a vector belongs here: it is part of every cache key.
        return embedsdk.EmbeddingSpace(
            provider=self.provider_id,
            model=f"char-{self.n}-grams",
            revision="1",
            dim=self.options.dim,
            normalized=True,
            pooling="sum",
            extra={"lowercase": str(self.options.lowercase)},
        )

    @property
    def limits(self) -> embedsdk.ProviderLimits:
        # No tokenizer is exposed, so the planner estimates about four UTF-8 bytes a token.
        return embedsdk.ProviderLimits(max_items_per_request=100, max_tokens_per_item=200)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        out = np.zeros((len(items), self.options.dim), dtype=np.float32)
        for row, text in enumerate(items):
            text = f" {text.lower() if self.options.lowercase else text} "
            for start in range(max(1, len(text) - self.n + 1)):
                gram = text[start : start + self.n].encode("utf-8")
                bucket = int.from_bytes(hashlib.sha256(gram).digest()[:4], "little") % self.options.dim
                out[row, bucket] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class NgramPlugin:
    """The plugin: one hook implementation. A module with a top-level function works the same way."""

    @embedsdk.hookimpl
    def register_embedders(self, register: EmbedderRegistry) -> None:
        # A family: its factory receives the full id the user typed ("ngram/3", "ngram/5"...).
        register("ngram/*", NgramEmbedder, description="character n-grams hashed into buckets: ngram/<n>")
        # One model of the family, with an alias; no factory needed, the family's builds it.
        register("ngram/3", aliases=["trigrams"], dim=256, description="character trigrams")


texts = ["colour of the sea", "color of the sea", "an unrelated sentence about taxes"]

# registered_plugin validates the plugin as installing it would: a misspelled hook raises PluginError here.
with registered_plugin(NgramPlugin(), name="ngram-example"):
    print([(info.id, info.aliases, info.plugin) for info in embedsdk.providers() if info.plugin == "ngram-example"])

    trigrams = embedsdk.embed(texts, provider="trigrams")
    print(trigrams, trigrams.space.model)
    print(np.round(trigrams.similarity(), 3))  # the two spellings are close, taxes are far

    # Options reach the provider's pydantic model; a wrong one is an error naming it.
    small = embedsdk.embed(texts, provider="ngram/4", dim=64)
    print("ngram/4 with dim=64:", small.shape)
    try:
        embedsdk.embed(texts, provider="ngram/4", dims=64)
    except embedsdk.InvalidOptionError as exc:
        print("refused:", exc)

    # The core's long-input policy applies to this provider too (limit: 200 estimated tokens).
    long_text = "waves " * 300
    try:
        embedsdk.embed([long_text], provider="trigrams")
    except embedsdk.InputTooLongError as exc:
        print("refused:", str(exc)[:80], "...")
    chunked = embedsdk.embed([long_text], provider="trigrams", on_long="chunk")
    print("chunked:", chunked.stats.chunked, "item,", chunked.stats.batches, "batch")

# Outside the block the plugin is gone again.
try:
    embedsdk.embed(texts, provider="trigrams")
except embedsdk.UnknownProviderError as exc:
    print("after the block:", exc)
