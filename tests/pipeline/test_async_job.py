"""The async send loop: a failure stops the other batches, cache writes stay off the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

import embedsdk
from embedsdk.errors import ProviderError
from embedsdk.testing import FakeEmbedder


class AsyncFake(FakeEmbedder):
    """A fake with a real coroutine per batch; batches holding 'boom' fail after a short wait."""

    supports_async = True

    def __init__(self, provider_id: str = "fake/async", **options):
        super().__init__(provider_id, **options)
        self.started = 0
        self.finished = 0

    async def aembed_batch(self, items, role=None, **extra):
        self.started += 1
        await asyncio.sleep(0.02 if any("boom" in item for item in items) else 0.2)
        if any("boom" in item for item in items):
            raise ProviderError("the service broke")
        self.finished += 1
        return self.embed_batch(items, role)


async def test_one_failed_batch_stops_the_others_before_the_error_reaches_the_caller():
    fake = AsyncFake(max_items=1)
    items = ["boom"] + [f"text {n}" for n in range(12)]
    with pytest.raises(ProviderError, match="the service broke"):
        await embedsdk.aembed(items, provider=fake, cache=False)
    started, finished = fake.started, fake.finished
    await asyncio.sleep(0.5)
    assert (fake.started, fake.finished) == (started, finished)  # nothing kept running after the raise
    assert started < len(items)


async def test_async_cache_writes_run_off_the_event_loop(monkeypatch):
    fake = AsyncFake(max_items=2)
    cache = embedsdk.runtime.current().cache()
    loop_thread = threading.current_thread()
    writers = []
    original = cache.set_many

    def recording(vectors):
        writers.append(threading.current_thread())
        original(vectors)

    monkeypatch.setattr(cache, "set_many", recording)
    result = await embedsdk.aembed([f"text {n}" for n in range(6)], provider=fake)
    assert result.ok.all()
    assert writers and all(thread is not loop_thread for thread in writers)
    again = await embedsdk.aembed([f"text {n}" for n in range(6)], provider=fake)
    assert again.stats.cache_hits == 6


class LongAware(FakeEmbedder):
    """A provider that applies on_long itself (as a hosted API truncating server-side does)."""

    handles_long_inputs = True

    def __init__(self, provider_id: str = "fake/long", **options):
        super().__init__(provider_id, **options)
        self.policies = []

    def embed_batch(self, items, role=None, on_long=None):
        self.policies.append(on_long)
        return super().embed_batch(items, role)


async def test_the_default_async_twin_hands_on_long_to_embed_batch():
    fake = LongAware()
    await embedsdk.aembed(["a b"], provider=fake, on_long="truncate", cache=False)
    assert fake.policies == ["truncate"]


def test_a_provider_applying_on_long_itself_keys_every_vector_by_the_policy():
    fake = LongAware()
    embedsdk.embed(["a b"], provider=fake, on_long="truncate")
    # Under "error" the item must not be served the vector a truncating call stored.
    assert embedsdk.embed(["a b"], provider=fake, on_long="error").stats.cache_hits == 0
    assert embedsdk.embed(["a b"], provider=fake, on_long="truncate").stats.cache_hits == 1
