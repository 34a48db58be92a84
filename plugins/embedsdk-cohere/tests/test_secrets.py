"""The API key never reaches a repr, a log line, an error message, a space or the cache."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import embedsdk
from embedsdk.errors import EmbedSDKError
from embedsdk.testing.wire import WireServer

PROVIDER = "cohere/embed-english-v3.0"


def test_not_in_reprs_spaces_or_the_cache(env: WireServer, secret: str, tmp_path: Path) -> None:
    emb = embedsdk.embedder(PROVIDER, api_key=secret)
    assert secret not in repr(emb) and secret not in repr(emb.options) and secret not in str(emb.options)
    result = emb.embed(["one text", "two texts"], role="query")
    assert secret not in result.space.model_dump_json() and secret not in repr(result)
    files = [path for path in (tmp_path / "cache").rglob("*") if path.is_file()]
    assert files and all(secret.encode() not in path.read_bytes() for path in files)


def test_not_in_logs(env: WireServer, secret: str, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("", "cohere", "httpx", "httpcore", "embedsdk"):
        caplog.set_level(logging.DEBUG, logger=name)
    env.inject("429", "503")
    embedsdk.embed(["logged text"], provider=PROVIDER, role="query")
    assert caplog.records
    assert secret not in caplog.text


def test_not_in_error_messages(server: WireServer, secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDSDK_MAX_RETRIES", "1")
    with pytest.raises(EmbedSDKError) as refused:
        embedsdk.embed(["x"], provider=PROVIDER, role="query", base_url=server.url, api_key=secret + "-wrong")
    with pytest.raises(EmbedSDKError) as unreachable:
        embedsdk.embed(
            ["x"], provider=PROVIDER, role="query", base_url="http://127.0.0.1:9", api_key=secret, timeout=0.2
        )
    for caught in (refused, unreachable):
        chain: BaseException | None = caught.value
        while chain is not None:
            assert secret not in str(chain) and secret not in repr(chain)
            chain = chain.__cause__ or chain.__context__
