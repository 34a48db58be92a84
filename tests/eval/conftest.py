"""Providers for the harness's tests.

- ``random_provider``: ``random/test``, a deliberately broken provider (a random vector per text, seeded by
  the text), for the honesty checks: the harness must score it near chance.
- ``fake``: the core's bag-of-words fake (texts sharing words are close), a provider with real signal.
- ``minilm``: the bundled all-MiniLM-L6-v2 through the transformers plugin, for end-to-end checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import embedsdk
from embedsdk.testing import isolated_runtime, registered_plugin

DATA = Path(__file__).parent / "data"
STSB_SAMPLE = DATA / "stsb-sample.tsv"


class RandomEmbedder(embedsdk.BaseEmbedder):
    """A random unit vector per text: no meaning at all."""

    @property
    def space(self) -> embedsdk.EmbeddingSpace:
        return embedsdk.EmbeddingSpace(provider=self.provider_id, model="random", revision="1", dim=32, normalized=True)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        rows = []
        for item in items:
            seed = int.from_bytes(hashlib.sha256(str(item).encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).standard_normal(32))
        out = np.array(rows)
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


class _RandomPlugin:
    @embedsdk.hookimpl
    def register_embedders(self, register: embedsdk.EmbedderRegistry) -> None:
        register("random/test", RandomEmbedder, dim=32, description="random vectors")


@pytest.fixture
def random_provider() -> Iterator[str]:
    """The id of the random-vector provider, registered for the test."""
    with registered_plugin(_RandomPlugin(), name="random-test"):
        yield "random/test"


@pytest.fixture
def minilm() -> Iterator[str]:
    """``minilm``, the bundled default model, with the transformers plugin registered."""
    import embedsdk_transformers.plugin

    with isolated_runtime(named={"transformers": embedsdk_transformers.plugin}):
        yield "minilm"
