"""cohere/<model> through the public API and the official v2 client, against the loopback wire server."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import ConfigurationError, InvalidOptionError
from embedsdk.testing.wire import WireServer, wire_vector

PROVIDER = "cohere/embed-english-v3.0"


def expected(texts: list[str], input_type: str, model: str = "embed-english-v3.0", dim: int = 1024) -> np.ndarray:
    return np.stack([wire_vector(text, dim, model=model, input_type=input_type) for text in texts])


def test_role_becomes_input_type(env: WireServer) -> None:
    texts = ["how do cats sleep?", "cats sleep a lot"]
    query = embedsdk.embed(texts, provider=PROVIDER, role="query")
    document = embedsdk.embed(texts, provider=PROVIDER, role="document")
    np.testing.assert_allclose(query.vectors, expected(texts, "search_query"), atol=1e-6)
    np.testing.assert_allclose(document.vectors, expected(texts, "search_document"), atol=1e-6)
    assert query.space.role == "query" and query.space.extra["endpoint"] == f"127.0.0.1:{env.port}"


def test_options_and_variables_both_work(server: WireServer, secret: str) -> None:
    result = embedsdk.embed(["x y"], provider=PROVIDER, role="query", base_url=server.url, api_key=secret)
    np.testing.assert_allclose(result.vectors, expected(["x y"], "search_query"), atol=1e-6)


async def test_aembed_uses_the_async_client(env: WireServer) -> None:
    texts = [f"document {n}" for n in range(200)]
    result = await embedsdk.aembed(texts, provider=PROVIDER, role="document", max_concurrency=2)
    np.testing.assert_allclose(result.vectors, expected(texts, "search_document"), atol=1e-6)
    assert env.stats.requests == 3  # at most 96 texts a call: 96 + 96 + 8
    assert sorted(env.stats.texts) == sorted(texts)


def test_no_role_says_to_pass_role(env: WireServer) -> None:
    with pytest.raises(InvalidOptionError, match=r"pass role='query'"):
        embedsdk.embed(["x"], provider=PROVIDER)
    assert env.stats.requests == 0


@pytest.mark.parametrize("input_type", ["classification", "clustering"])
def test_input_type_option(env: WireServer, input_type: str) -> None:
    result = embedsdk.embed(["a", "b"], provider=PROVIDER, input_type=input_type)
    np.testing.assert_allclose(result.vectors, expected(["a", "b"], input_type), atol=1e-6)
    assert result.space.extra["input_type"] == input_type


@pytest.mark.parametrize(
    ("kind", "dtype", "dim"),
    [
        ("float", "float32", 1024),
        ("int8", "int8", 1024),
        ("uint8", "uint8", 1024),
        ("binary", "int8", 128),
        ("ubinary", "uint8", 128),
    ],
)
def test_embedding_types_keep_their_values_and_dtype(env: WireServer, kind: str, dtype: str, dim: int) -> None:
    texts = ["first text", "second text"]
    result = embedsdk.embed(texts, provider=PROVIDER, role="document", embedding_types=kind)
    assert result.space.dtype == dtype and result.space.extra["embedding_type"] == kind
    assert result.shape == (2, dim)
    floats = expected(texts, "search_document")
    if kind == "float":
        np.testing.assert_allclose(result.vectors, floats, atol=1e-6)
    elif kind in ("binary", "ubinary"):
        packed = np.packbits(floats > 0, axis=1).astype(np.int64)
        np.testing.assert_array_equal(result.vectors, packed - 128 if kind == "binary" else packed)
    else:
        assert np.array_equal(result.vectors, np.round(result.vectors))
        low, high = (-128, 127) if kind == "int8" else (0, 255)
        assert result.vectors.min() >= low and result.vectors.max() <= high
        signs = np.sign(result.vectors - (0 if kind == "int8" else 128))
        assert (signs == np.sign(np.round(floats * 127 / np.abs(floats).max(axis=1, keepdims=True)))).all()


def test_embed_v4_takes_dimensions_and_v3_refuses_them(env: WireServer) -> None:
    result = embedsdk.embed(["x"], provider="cohere/embed-v4.0", role="query", dimensions=256)
    assert result.shape == (1, 256)
    with pytest.raises(InvalidOptionError, match=r"only works with embed-v4\.0"):
        embedsdk.embedder(PROVIDER, dimensions=256)


def test_on_long_drives_cohere_truncate(env: WireServer) -> None:
    long_text = "word " * 100  # 500 bytes: ~125 tokens to the server, over its 50
    texts = ["short", long_text]
    refused = embedsdk.embed(texts, provider=PROVIDER, role="document", on_error="collect")
    assert [error.index for error in refused.errors] == [1]
    assert "item 1" in refused.errors[0].message
    truncated = embedsdk.embed(texts, provider=PROVIDER, role="document", on_long="truncate")
    np.testing.assert_allclose(truncated.vectors[1], expected([long_text[:50]], "search_document")[0], atol=1e-6)


def test_a_missing_key_names_the_variable(server: WireServer) -> None:
    with pytest.raises(ConfigurationError, match="CO_API_KEY"):
        embedsdk.embed(["x"], provider=PROVIDER, role="query", base_url=server.url)


def test_a_refused_key_names_the_variable(server: WireServer) -> None:
    with pytest.raises(ConfigurationError, match=r"refused the API key \(HTTP 401.*set CO_API_KEY"):
        embedsdk.embed(["x"], provider=PROVIDER, role="query", base_url=server.url, api_key="wrong")
    assert server.stats.requests == 1


def test_unknown_model_learns_its_dimension(env: WireServer) -> None:
    result = embedsdk.embed(["x"], provider="cohere/embed-custom", role="query")
    assert result.shape == (1, env.default_dim)


def test_providers_lists_the_family() -> None:
    ids = {info.id for info in embedsdk.providers()}
    assert {"cohere/*", PROVIDER, "cohere/embed-multilingual-v3.0", "cohere/embed-v4.0"} <= ids
    assert {"cohere/embed-english-light-v3.0", "cohere/embed-multilingual-light-v3.0"} <= ids


def test_the_limiter_keeps_under_the_servers_rpm(secret: str) -> None:
    with WireServer(rpm=120, api_keys=[secret]) as limited:
        emb = embedsdk.embedder(PROVIDER, base_url=limited.url, api_key=secret)
        asyncio.run(emb.aembed([f"t{n}" for n in range(125)], role="query", batch_size=1))
        assert limited.stats.by_status[429] == 0 and limited.stats.requests == 125
        assert emb.limiter().rpm == 120  # learnt from the x-ratelimit-limit-requests header


def test_the_entry_point_registers_the_family(capsys: pytest.CaptureFixture[str]) -> None:
    from embedsdk.cli.main import main
    from embedsdk.testing import isolated_plugins

    with isolated_plugins(load_entrypoints=True):
        plugins = {info.id: info.plugin for info in embedsdk.providers()}
        assert plugins["cohere/*"] == "cohere" and plugins[PROVIDER] == "cohere"
        assert main(["providers"]) == 0
    listed = capsys.readouterr().out
    assert "cohere/embed-english-v3.0" in listed and "cohere/*" in listed
