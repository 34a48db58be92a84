"""Every test: its own cache, no user settings, only this plugin loaded, and a loopback wire server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import embedsdk_cohere.plugin
import pytest

import embedsdk.testing
from embedsdk.testing.hosted import isolate_environment
from embedsdk.testing.wire import WireServer

SECRET = "co-test-8d2e7b40-never-shown"

ENVIRONMENT = (
    "EMBEDSDK_PROVIDER",
    "EMBEDSDK_MAX_RETRIES",
    "EMBEDSDK_COHERE_RPM",
    "EMBEDSDK_COHERE_TPM",
    "CO_API_KEY",
    "CO_API_URL",
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    isolate_environment(tmp_path, monkeypatch, ENVIRONMENT)
    with embedsdk.testing.isolated_plugins(embedsdk_cohere.plugin):
        yield


@pytest.fixture
def secret() -> str:
    """The API key the wire server accepts; tests check it never leaks."""
    return SECRET


@pytest.fixture
def server() -> Iterator[WireServer]:
    """A wire server accepting only `SECRET`, refusing inputs over 50 tokens unless truncating."""
    with WireServer(api_keys=[SECRET], record_texts=True, max_tokens_per_input=50, slow_seconds=0.5) as running:
        yield running


@pytest.fixture
def env(server: WireServer, monkeypatch: pytest.MonkeyPatch) -> WireServer:
    """CO_API_URL and CO_API_KEY point at the wire server."""
    monkeypatch.setenv("CO_API_URL", server.url)
    monkeypatch.setenv("CO_API_KEY", SECRET)
    return server
