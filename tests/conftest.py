"""Core tests: every test runs in a fresh runtime (built-ins only) with its own cache folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from embedsdk.testing import FakeEmbedder, fake_provider


@pytest.fixture(autouse=True)
def isolated(embedsdk_isolated: Path) -> Iterator[Path]:
    """Every core test gets `embedsdk.testing.fixtures.embedsdk_isolated`: no installed plugins, its own cache."""
    yield embedsdk_isolated


@pytest.fixture
def cache_dir(isolated: Path) -> Path:
    """The folder ``EMBEDSDK_CACHE_DIR`` points at for this test."""
    return isolated


@pytest.fixture
def fake() -> Iterator[FakeEmbedder]:
    """A `FakeEmbedder` registered as ``fake/test`` (16-d, normalized, 64 tokens per item)."""
    with fake_provider("fake/test") as instance:
        yield instance
