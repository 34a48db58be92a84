"""The API key never reaches a repr, a log line, an error message, a space or the cache."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import embedsdk
from embedsdk.errors import ConfigurationError, EmbedSDKError
from embedsdk.testing.wire import WireServer

PROVIDER = "openai/text-embedding-3-small"


def test_not_in_reprs(secret: str) -> None:
    emb = embedsdk.embedder(PROVIDER, api_key=secret, base_url="http://127.0.0.1:9/v1")
    assert secret not in repr(emb)
    assert secret not in repr(emb.options) and secret not in str(emb.options)
    assert emb.options.api_key is not None and emb.options.api_key.get_secret_value() == secret


def test_not_in_spaces(env: WireServer, secret: str) -> None:
    result = embedsdk.embed(["a text"], provider=PROVIDER)
    assert secret not in result.space.model_dump_json()
    assert secret not in repr(result)


def test_not_in_the_cache(env: WireServer, secret: str, tmp_path: Path) -> None:
    embedsdk.embed(["one text", "two texts"], provider=PROVIDER, role="query")
    files = [path for path in (tmp_path / "cache").rglob("*") if path.is_file()]
    assert files
    for path in files:
        assert secret.encode() not in path.read_bytes(), path


def test_not_in_logs(env: WireServer, secret: str, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("", "openai", "httpx", "httpx2", "httpcore", "embedsdk"):
        caplog.set_level(logging.DEBUG, logger=name)
    env.inject("429", "500")
    embedsdk.embed(["logged text"], provider=PROVIDER)
    with pytest.raises(ConfigurationError):
        embedsdk.embed(["x"], provider=PROVIDER, api_key=secret + "-wrong")
    assert caplog.records  # the clients did log at debug level
    assert secret not in caplog.text


def test_not_in_error_messages(server: WireServer, secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDSDK_MAX_RETRIES", "1")
    wrong = secret + "-wrong"
    with pytest.raises(EmbedSDKError) as refused:
        embedsdk.embed(["x"], provider=PROVIDER, base_url=server.openai_url, api_key=wrong)
    with pytest.raises(EmbedSDKError) as unreachable:
        embedsdk.embed(["x"], provider=PROVIDER, base_url="http://127.0.0.1:9/v1", api_key=secret, timeout=0.2)
    for caught in (refused, unreachable):
        chain: BaseException | None = caught.value
        while chain is not None:
            assert secret not in str(chain) and secret not in repr(chain)
            chain = chain.__cause__ or chain.__context__
