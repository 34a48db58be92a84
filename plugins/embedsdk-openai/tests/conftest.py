"""Every test: its own cache, no user settings, only this plugin loaded, and a loopback wire server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import embedsdk_openai.plugin
import pytest
from embedsdk_openai.tokenizer import TiktokenTokenizer

import embedsdk.testing
from embedsdk.testing.hosted import isolate_environment
from embedsdk.testing.wire import WireServer

SECRET = "sk-test-5f3c9a1e-never-shown"

ENVIRONMENT = (
    "EMBEDSDK_PROVIDER",
    "EMBEDSDK_MAX_RETRIES",
    "EMBEDSDK_OPENAI_RPM",
    "EMBEDSDK_OPENAI_TPM",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    isolate_environment(tmp_path, monkeypatch, ENVIRONMENT)
    with embedsdk.testing.isolated_plugins(embedsdk_openai.plugin):
        yield


def openai_tokens(text: str) -> int:
    """The server counts tokens as the service does: cl100k_base."""
    return TiktokenTokenizer().count([text])[0]


@pytest.fixture
def secret() -> str:
    """The API key the wire server accepts; tests check it never leaks."""
    return SECRET


@pytest.fixture
def server() -> Iterator[WireServer]:
    """A wire server counting tokens with cl100k_base, accepting only `SECRET`, recording what it embeds."""
    with WireServer(count_tokens=openai_tokens, api_keys=[SECRET], record_texts=True, slow_seconds=0.6) as running:
        yield running


@pytest.fixture
def env(server: WireServer, monkeypatch: pytest.MonkeyPatch) -> WireServer:
    """OPENAI_BASE_URL and OPENAI_API_KEY point at the wire server."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return server
