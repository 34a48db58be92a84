"""Shared fixtures: every test gets its own cache folder and a plugin manager without installed plugins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embedsdk.testing import FakeEmbedder, fake_provider, isolated_plugins

ENVIRONMENT = (
    "EMBEDSDK_CACHE",
    "EMBEDSDK_DISABLE_PLUGINS",
    "EMBEDSDK_MAX_RETRIES",
    "EMBEDSDK_PROVIDER",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the cache at a fresh folder, clear embedsdk settings, and run with built-in plugins only."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(cache_dir))
    with isolated_plugins():
        yield cache_dir


@pytest.fixture
def cache_dir(isolated: Path) -> Path:
    """The folder ``EMBEDSDK_CACHE_DIR`` points at for this test."""
    return isolated


@pytest.fixture
def fake() -> Iterator[FakeEmbedder]:
    """A `FakeEmbedder` registered as ``fake/test`` (16-d, normalized, 64 tokens per item)."""
    with fake_provider("fake/test") as instance:
        yield instance
