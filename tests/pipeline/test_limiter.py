"""The rate limiter: pacing, sharing, learning from headers, pausing on 429 (a fake clock, no sleeping)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from embedsdk.errors import ConfigurationError
from embedsdk.pipeline import limiter as limiter_module
from embedsdk.pipeline.limiter import LimiterRegistry, RateLimiter, endpoint_host, key_digest, limits_from_env


class Clock:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(limiter_module.time, "sleep", fake.sleep)

    async def asleep(seconds: float) -> None:
        fake.sleep(seconds)

    monkeypatch.setattr(limiter_module.asyncio, "sleep", asleep)
    return fake


def test_a_full_bucket_lets_a_minute_of_requests_through_then_paces(clock: Clock) -> None:
    limiter = RateLimiter(rpm=60, clock=clock)
    for _ in range(60):
        limiter.acquire(0)
    assert clock.slept == []
    limiter.acquire(0)
    limiter.acquire(0)
    assert clock.slept == pytest.approx([1.0, 1.0], abs=0.02)  # one request a second once the minute's burst is spent


def test_tokens_are_paced_at_the_tpm(clock: Clock) -> None:
    limiter = RateLimiter(tpm=6000, clock=clock)  # 100 tokens a second
    limiter.acquire(6000)
    limiter.acquire(500)
    assert clock.slept == pytest.approx([5.0], abs=0.02)
    limiter.acquire(100)
    assert clock.slept == pytest.approx([5.0, 1.0], abs=0.02)


def test_sustained_throughput_is_the_limit(clock: Clock) -> None:
    limiter = RateLimiter(rpm=600, tpm=200_000, clock=clock)
    start = clock.now
    sent = 0
    while clock.now - start < 600:  # ten simulated minutes of 5,000-token requests
        limiter.release(limiter.acquire(5000))
        sent += 5000
    minutes = (clock.now - start) / 60
    assert (sent - 200_000) / minutes == pytest.approx(200_000, rel=0.01)


def test_a_request_over_a_minutes_budget_waits_a_minute_not_forever(clock: Clock) -> None:
    limiter = RateLimiter(tpm=1000, clock=clock)
    limiter.acquire(1000)
    limiter.acquire(50_000)
    assert clock.slept == pytest.approx([60.0], abs=0.02)


def test_pause_holds_every_caller(clock: Clock) -> None:
    limiter = RateLimiter(clock=clock)
    limiter.pause(2.5)
    limiter.acquire(10)
    assert clock.slept == pytest.approx([2.5], abs=0.02)


def test_headers_set_unknown_limits_and_lower_the_level(clock: Clock) -> None:
    limiter = RateLimiter(clock=clock)
    assert limiter.rpm is None and limiter.tpm is None
    ticket = limiter.acquire(100)
    limiter.observe(
        {
            "X-RateLimit-Limit-Requests": "600",
            "x-ratelimit-limit-tokens": "6000",
            "x-ratelimit-remaining-requests": "599",
            "x-ratelimit-remaining-tokens": "100",  # another process spent the rest
        },
        ticket=ticket,
    )
    limiter.release(ticket)
    assert (limiter.rpm, limiter.tpm) == (600, 6000)
    limiter.acquire(600)  # 100 left, 100 a second: 5 s
    assert clock.slept == pytest.approx([5.0], abs=0.02)


def test_requests_reserved_later_are_taken_as_uncounted_by_the_service(clock: Clock) -> None:
    limiter = RateLimiter(tpm=6000, clock=clock)  # 100 tokens a second
    first = limiter.acquire(1000)
    second = limiter.acquire(1000)  # level 4000
    # The answer to the first: the service has 5000 left (it has not seen the second), so 4000 really.
    limiter.observe({"x-ratelimit-remaining-tokens": "5000"}, ticket=first)
    limiter.release(first)
    limiter.acquire(4000)
    assert clock.slept == []  # nothing lost to double counting: the level is 0
    # The answer to the second says 3000 left where 4000 were expected: someone else spent 1000. Less the
    # 4000 reserved since, the level is -1000, so 100 more tokens wait 11 s.
    limiter.observe({"x-ratelimit-remaining-tokens": "3000"}, ticket=second)
    limiter.release(second)
    limiter.acquire(100)
    assert clock.slept == pytest.approx([11.0], abs=0.02)


def test_unreadable_headers_are_ignored(clock: Clock) -> None:
    limiter = RateLimiter(tpm=6000, clock=clock)
    limiter.observe({"x-ratelimit-remaining-tokens": "lots", "x-ratelimit-limit-requests": ""})
    assert limiter.rpm is None and limiter.tpm == 6000


def test_async_callers_share_the_budget(clock: Clock) -> None:
    limiter = RateLimiter(rpm=60, clock=clock)

    async def many() -> None:
        await asyncio.gather(*(limiter.aacquire(0) for _ in range(63)))

    start = clock.now
    asyncio.run(many())
    assert clock.now - start == pytest.approx(3.0, abs=0.05)  # the three over the burst, one a second, in order


def test_threads_share_the_budget() -> None:
    limiter = RateLimiter(rpm=6000, clock=lambda: 0.0)  # a burst of 6,000; time stands still
    threads = [threading.Thread(target=lambda: [limiter.acquire(1) for _ in range(1000)]) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limiter.requests is not None and limiter.requests.level == 0  # no reservation lost to a race


def test_one_limiter_per_endpoint_and_key() -> None:
    registry = LimiterRegistry()
    first = registry.get("api.example.com", key_digest("k1"), rpm=100)
    assert registry.get("api.example.com", key_digest("k1")) is first
    assert registry.get("api.example.com", key_digest("k2")) is not first
    assert registry.get("other.example.com", key_digest("k1")) is not first
    assert registry.get("api.example.com", key_digest("k1"), rpm=50).rpm == 50  # the lower limit wins
    assert registry.get("api.example.com", key_digest("k1"), rpm=500).rpm == 50


def test_key_digest_never_holds_the_key() -> None:
    assert "secret" not in key_digest("secret") and len(key_digest("secret")) == 16
    assert key_digest("a") != key_digest("b")


def test_endpoint_host_drops_userinfo_path_and_default_ports() -> None:
    assert endpoint_host("https://user:pw@API.example.com/v1?x=1") == "api.example.com"
    assert endpoint_host("http://127.0.0.1:8080/v1") == "127.0.0.1:8080"
    assert endpoint_host("https://api.example.com:443/v1") == "api.example.com"
    assert endpoint_host("localhost:11434") == "localhost:11434"


def test_limits_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDSDK_ACME_RPM", "120")
    monkeypatch.delenv("EMBEDSDK_ACME_TPM", raising=False)
    assert limits_from_env("acme") == (120, None)
    monkeypatch.setenv("EMBEDSDK_ACME_TPM", "-3")
    with pytest.raises(ConfigurationError, match="EMBEDSDK_ACME_TPM='-3'"):
        limits_from_env("acme")
