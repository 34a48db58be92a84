"""Test scaffolding for hosted-API providers, next to `embedsdk.testing.wire`.

What the OpenAI and Cohere plugins' tests share, and any third-party hosted plugin can use.

- `isolate_environment`: a test's own cache directory, and the named environment variables unset.
- `corpus`: ``n`` distinct, deterministic texts.
- `embed_vectors`: one ``embed`` (or ``aembed``) call, checked to have no per-item errors, its vectors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import embedsdk

__all__ = ["corpus", "embed_vectors", "isolate_environment"]


def isolate_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: Iterable[str]) -> None:
    """Point ``EMBEDSDK_CACHE_DIR`` into ``tmp_path`` and unset every variable in ``names``."""
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    for name in names:
        monkeypatch.delenv(name, raising=False)


def corpus(n: int) -> list[str]:
    """``n`` distinct texts of about twenty tokens, the same on every run."""
    return [f"item {k}: the quick brown fox number {k % 97} jumps over {k % 13} lazy dogs" for k in range(n)]


def embed_vectors(texts: list[str], provider: str, *, asynchronous: bool, **options: Any) -> np.ndarray:
    """``embedsdk.embed`` (or ``aembed`` in a fresh event loop) of ``texts``; asserts no item failed."""
    if asynchronous:
        result = asyncio.run(embedsdk.aembed(texts, provider=provider, **options))
    else:
        result = embedsdk.embed(texts, provider=provider, **options)
    assert not result.errors
    return result.vectors
