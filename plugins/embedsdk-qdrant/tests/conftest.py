from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import embedsdk_qdrant.plugin
import pytest

import embedsdk.testing


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EMBEDSDK_PROVIDER", raising=False)
    with embedsdk.testing.isolated_plugins(embedsdk_qdrant.plugin):
        yield
