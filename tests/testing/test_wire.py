"""The wire server speaks both formats, injects faults on command and enforces its per-minute limits."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import pytest

from embedsdk.testing.wire import FAULTS, TokenBucket, WireServer, approximate_tokens, wire_vector


@pytest.fixture
def server() -> WireServer:
    with WireServer(max_tokens_per_input=20, slow_seconds=0.3) as running:
        yield running


def openai(server: WireServer, **body: object) -> httpx.Response:
    return httpx.post(f"{server.openai_url}/embeddings", json=body, timeout=5)


def cohere(server: WireServer, **body: object) -> httpx.Response:
    return httpx.post(f"{server.url}/v2/embed", json=body, timeout=5)


def test_it_listens_on_loopback_only(server: WireServer) -> None:
    assert server.url.startswith("http://127.0.0.1:") and server.port > 0


def test_openai_format_with_base64_and_dimensions(server: WireServer) -> None:
    answer = openai(server, input=["a", "b"], model="text-embedding-3-large", encoding_format="base64", dimensions=8)
    assert answer.status_code == 200
    body = answer.json()
    assert body["object"] == "list" and body["model"] == "text-embedding-3-large"
    assert [row["index"] for row in body["data"]] == [0, 1] and body["data"][0]["object"] == "embedding"
    vector = np.frombuffer(base64.b64decode(body["data"][0]["embedding"]), dtype="<f4")
    full = wire_vector("a", 3072, model="text-embedding-3-large")
    np.testing.assert_allclose(vector, full[:8] / np.linalg.norm(full[:8]), atol=1e-6)
    assert body["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


def test_openai_refuses_dimensions_for_ada_and_long_or_poisoned_inputs(server: WireServer) -> None:
    ada = openai(server, input=["a"], model="text-embedding-ada-002", dimensions=8)
    assert ada.status_code == 400 and "dimensions" in ada.json()["error"]["message"]
    long = openai(server, input=["ok", "x" * 400], model="m")
    assert long.status_code == 400 and "input[1]" in long.json()["error"]["message"]
    poisoned = openai(server, input=["POISON here"], model="m")
    assert poisoned.status_code == 400 and poisoned.json()["error"]["type"] == "invalid_request_error"


def test_cohere_format_types_and_truncation(server: WireServer) -> None:
    answer = cohere(
        server,
        texts=["a", "b"],
        model="embed-english-v3.0",
        input_type="search_query",
        embedding_types=["float", "ubinary"],
    )
    body = answer.json()
    assert body["response_type"] == "embeddings_by_type" and body["texts"] == ["a", "b"]
    assert len(body["embeddings"]["float"][0]) == 1024 and len(body["embeddings"]["ubinary"][0]) == 128
    np.testing.assert_allclose(
        body["embeddings"]["float"][1],
        wire_vector("b", 1024, model="embed-english-v3.0", input_type="search_query"),
        atol=1e-6,
    )
    long = "y" * 400
    refused = cohere(server, texts=[long], model="m", input_type="search_query", truncate="NONE")
    assert refused.status_code == 400 and "message" in refused.json()
    cut = cohere(server, texts=[long], model="m", input_type="search_query", truncate="END")
    assert cut.status_code == 200
    assert cohere(server, texts=["a"], model="m", input_type="nonsense").status_code == 400


@pytest.mark.parametrize("kind", FAULTS)
def test_each_fault_on_command(server: WireServer, kind: str) -> None:
    server.inject(kind)
    if kind == "drop":
        with pytest.raises(httpx.RemoteProtocolError):
            openai(server, input=["a"], model="m")
    elif kind == "slow":
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{server.openai_url}/embeddings", json={"input": ["a"], "model": "m"}, timeout=0.1)
    else:
        answer = openai(server, input=["a"], model="m")
        assert answer.status_code == int(kind)
        if kind == "429":
            assert float(answer.headers["retry-after"]) == server.retry_after
    assert openai(server, input=["a"], model="m").status_code == 200  # one fault per injection
    assert server.stats.faults[kind] == 1


def test_random_faults_at_a_rate() -> None:
    with WireServer(fault_rate=0.5, fault_kinds=("500", "503"), seed=3) as server:
        codes = [openai(server, input=["a"], model="m").status_code for _ in range(60)]
    assert 15 < codes.count(200) < 45 and set(codes) == {200, 500, 503}


def test_rpm_and_tpm_are_enforced_with_retry_after() -> None:
    with WireServer(rpm=3, tpm=1000, count_tokens=lambda text: 100) as server:
        codes = [openai(server, input=["a"], model="m").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        answer = openai(server, input=["a"], model="m")
        assert answer.status_code == 429 and 0 < float(answer.headers["retry-after"]) <= 20
        assert answer.headers["x-ratelimit-limit-requests"] == "3"
    with WireServer(tpm=1000, count_tokens=lambda text: 100) as server:
        assert openai(server, input=["a"] * 10, model="m").status_code == 200
        refused = openai(server, input=["a"], model="m")
        assert refused.status_code == 429 and "tokens" in refused.json()["error"]["message"]
        assert int(refused.headers["x-ratelimit-remaining-tokens"]) < 50  # spent (a little has refilled since)


def test_keys_are_checked_when_given() -> None:
    with WireServer(api_keys=["good"]) as server:
        url = f"{server.openai_url}/embeddings"
        body = {"input": ["a"], "model": "m"}
        assert httpx.post(url, json=body, headers={"Authorization": "Bearer bad"}).status_code == 401
        assert httpx.post(url, json=body, headers={"Authorization": "Bearer good"}).status_code == 200


def test_token_bucket_and_approximation() -> None:
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])
    assert bucket.wait(60) == 0 and bucket.wait(61) == pytest.approx(1.0)
    bucket.take(60)
    now[0] = 2.0
    assert bucket.remaining() == 2
    assert approximate_tokens("abcd" * 10) == 10 and approximate_tokens("") == 1
