"""openai/<model> through the public API and the official client, against the loopback wire server."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import ConfigurationError, InvalidOptionError
from embedsdk.testing.wire import WireServer, wire_vector


def expected(texts: list[str], model: str, dim: int, dimensions: int | None = None) -> np.ndarray:
    rows = np.stack([wire_vector(text, dim, model=model) for text in texts])
    if dimensions is not None:
        rows = rows[:, :dimensions]
        rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32)


def test_embed_sends_batches_and_decodes_base64(env: WireServer) -> None:
    texts = [f"sentence number {n} about cats" for n in range(40)]
    result = embedsdk.embed(texts, provider="openai/text-embedding-3-small", batch_size=16)
    assert result.shape == (40, 1536)
    np.testing.assert_allclose(result.vectors, expected(texts, "text-embedding-3-small", 1536), atol=1e-6)
    assert env.stats.requests == 3  # 16 + 16 + 8
    assert env.stats.texts == texts  # each text sent once, in order
    assert result.space.extra["endpoint"] == f"127.0.0.1:{env.port}"


async def test_aembed_uses_the_async_client(env: WireServer) -> None:
    texts = [f"async sentence {n}" for n in range(50)]
    result = await embedsdk.aembed(texts, provider="openai/text-embedding-3-small", batch_size=10, max_concurrency=3)
    np.testing.assert_allclose(result.vectors, expected(texts, "text-embedding-3-small", 1536), atol=1e-6)
    assert env.stats.requests == 5
    assert sorted(env.stats.texts) == sorted(texts)


def test_dimensions_are_sent_for_v3_models(env: WireServer) -> None:
    texts = ["a short text", "another one"]
    emb = embedsdk.embedder("openai/text-embedding-3-large", dimensions=256)
    result = emb.embed(texts)
    assert result.shape == (2, 256) and result.space.dim == 256
    np.testing.assert_allclose(result.vectors, expected(texts, "text-embedding-3-large", 3072, 256), atol=1e-6)
    # The call's own dimensions= gives the same vectors (the service shortens by truncating and normalizing).
    shortened = embedsdk.embed(texts, provider="openai/text-embedding-3-large", dimensions=256)
    np.testing.assert_allclose(shortened.vectors, result.vectors, atol=1e-6)


def test_dimensions_are_refused_for_ada_002(env: WireServer) -> None:
    with pytest.raises(InvalidOptionError, match="text-embedding-ada-002 has a fixed 1536 dimensions"):
        embedsdk.embed(["x"], provider="openai/text-embedding-ada-002", dimensions=256)
    assert env.stats.requests == 0


def test_unknown_model_learns_its_dimension_from_one_request(env: WireServer) -> None:
    result = embedsdk.embed(["alpha", "beta"], provider="openai/my-served-model")
    assert result.shape == (2, env.default_dim)
    assert env.stats.requests == 2  # the probe, then the batch
    given = embedsdk.embed(["gamma"], provider="openai/other-model", dim=env.default_dim)
    assert given.shape == (1, env.default_dim) and env.stats.requests == 3


def test_wrong_dim_for_an_unknown_model_says_what_the_server_gives(env: WireServer) -> None:
    with pytest.raises(embedsdk.errors.ProviderError, match=f"answered {env.default_dim}-d vectors, expected 10"):
        embedsdk.embed(["alpha"], provider="openai/my-served-model", dim=10)


def test_second_run_makes_no_request(env: WireServer) -> None:
    texts = [f"cached text {n}" for n in range(100)]
    first = embedsdk.embed(texts, provider="openai/text-embedding-3-small")
    before = env.stats.requests
    second = embedsdk.embed(texts, provider="openai/text-embedding-3-small")
    assert env.stats.requests == before
    np.testing.assert_array_equal(first.vectors, second.vectors)


def test_another_endpoint_never_shares_cache_entries(env: WireServer, secret: str) -> None:
    texts = ["same model, same text"]
    embedsdk.embed(texts, provider="openai/text-embedding-3-small")
    with WireServer(api_keys=[secret]) as other:
        embedsdk.embed(texts, provider="openai/text-embedding-3-small", base_url=other.openai_url)
        assert other.stats.requests == 1


def test_the_space_records_the_host_never_userinfo(secret: str) -> None:
    emb = embedsdk.embedder(
        "openai/text-embedding-3-small", base_url="https://user:hunter2@llm.example.com:8443/v1", api_key=secret
    )
    assert emb.space.extra["endpoint"] == "llm.example.com:8443"
    assert "hunter2" not in emb.space.model_dump_json() and "user" not in emb.space.extra["endpoint"]


def test_options_are_checked() -> None:
    with pytest.raises(InvalidOptionError, match="unknown option 'dimension'"):
        embedsdk.embedder("openai/text-embedding-3-small", dimension=3)
    with pytest.raises(InvalidOptionError, match="over the model's 1536"):
        embedsdk.embedder("openai/text-embedding-3-small", dimensions=4096)


def test_a_missing_key_names_the_variable(server: WireServer) -> None:
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        embedsdk.embed(["x"], provider="openai/text-embedding-3-small", base_url=server.openai_url)


def test_a_refused_key_names_the_variable(server: WireServer) -> None:
    with pytest.raises(ConfigurationError, match=r"refused the API key \(HTTP 401.*set OPENAI_API_KEY"):
        embedsdk.embed(["x"], provider="openai/text-embedding-3-small", base_url=server.openai_url, api_key="sk-bad")
    assert server.stats.requests == 1  # not retried


def test_providers_lists_the_family() -> None:
    ids = {info.id for info in embedsdk.providers()}
    assert {"openai/*", "openai/text-embedding-3-small", "openai/text-embedding-3-large"} <= ids
    assert "openai/text-embedding-ada-002" in ids


def test_one_limiter_per_endpoint_and_key(env: WireServer, secret: str) -> None:
    small = embedsdk.embedder("openai/text-embedding-3-small")
    large = embedsdk.embedder("openai/text-embedding-3-large", dimensions=64)
    other_key = embedsdk.embedder("openai/text-embedding-3-small", api_key=secret + "-other")
    assert small.limiter() is large.limiter()
    assert small.limiter() is not other_key.limiter()


def test_the_limiter_keeps_under_the_servers_tpm(secret: str) -> None:
    # 21,000 tokens against 20,000 a minute: the limiter learns the limit from the first answer's headers and
    # holds the last requests back (about 3 s) instead of letting the service answer 429.
    text = "word " * 499  # 500 tokens with cl100k_base (499 words + nothing)
    with WireServer(tpm=20_000, count_tokens=lambda t: 500) as limited:
        texts = [f"{n} " + text for n in range(42)]
        result = embedsdk.embed(
            texts, provider="openai/text-embedding-3-small", base_url=limited.openai_url, api_key=secret, batch_size=1
        )
        assert result.shape == (42, 1536)
        assert limited.stats.by_status[429] == 0
        assert limited.stats.requests == 42


def test_the_limiter_follows_the_rpm_option(secret: str) -> None:
    # 125 requests against 120 a minute: the last five wait about half a second each.
    with WireServer(rpm=120) as limited:
        emb = embedsdk.embedder("openai/text-embedding-3-small", base_url=limited.openai_url, api_key=secret, rpm=120)
        asyncio.run(emb.aembed([f"t{n}" for n in range(125)], batch_size=1))
        assert limited.stats.by_status[429] == 0
        assert limited.stats.requests == 125
        assert emb.limiter().rpm == 120


def test_the_entry_point_registers_the_family(capsys: pytest.CaptureFixture[str]) -> None:
    from embedsdk.cli.main import main
    from embedsdk.testing import isolated_plugins

    with isolated_plugins(load_entrypoints=True):
        plugins = {info.id: info.plugin for info in embedsdk.providers()}
        assert plugins["openai/*"] == "openai" and plugins["openai/text-embedding-3-large"] == "openai"
        assert main(["providers"]) == 0
    listed = capsys.readouterr().out
    assert "openai/text-embedding-3-small" in listed and "openai/*" in listed
