"""Batches on a provider's `batch_executor`: the same result as one at a time, nothing lost, nothing left running."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import ProviderError
from embedsdk.testing import FakeEmbedder

TEXTS = [f"text number {n} about {'cats' if n % 2 else 'dogs'}" for n in range(40)]


class Threaded(FakeEmbedder):
    """A fake that offers a pool of its own and notes which threads ran its batches; 'boom' batches fail."""

    def __init__(self, provider_id: str = "fake/threaded", workers: int = 3, **options):
        super().__init__(provider_id, **options)
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="fake-batch")
        self.asked: list[int] = []
        self.threads: set[str] = set()
        self.running = 0
        self.most_at_once = 0
        self._count = threading.Lock()

    def batch_executor(self, batches):
        self.asked.append(batches)
        return self.pool

    def embed_batch(self, items, role=None):
        with self._count:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.threads.add(threading.current_thread().name)
        try:
            time.sleep(0.02)  # long enough for batches to overlap
            if any("boom" in item for item in items):
                raise ProviderError("the model broke")
            return super().embed_batch(items, role)
        finally:
            with self._count:
                self.running -= 1


def test_batches_on_the_providers_threads_give_the_sequential_result_and_fill_the_cache():
    threaded = Threaded(max_items=4)
    reference = embedsdk.embed(TEXTS, provider=FakeEmbedder("fake/threaded", max_items=4), cache=False)
    seen: list[int] = []
    result = embedsdk.embed(TEXTS, provider=threaded, progress=lambda done, total: seen.append(done))
    np.testing.assert_array_equal(result.vectors, reference.vectors)
    assert threaded.asked == [10]
    assert threaded.threads and all(name.startswith("fake-batch") for name in threaded.threads)
    assert threaded.most_at_once > 1, "the batches must really overlap"
    assert seen == sorted(seen) and seen[-1] == len(TEXTS)
    again = embedsdk.embed(TEXTS, provider=threaded)
    assert again.stats.cache_hits == len(TEXTS)
    np.testing.assert_array_equal(again.vectors, reference.vectors)


def test_a_failed_batch_raises_after_the_running_ones_finish_and_starts_no_more():
    threaded = Threaded(max_items=1, workers=2)
    items = [*TEXTS[:3], "boom", *TEXTS[3:20]]
    with pytest.raises(ProviderError, match="the model broke"):
        embedsdk.embed(items, provider=threaded)
    calls = len(threaded.calls)
    assert threaded.running == 0, "no batch may still run when the error reaches the caller"
    time.sleep(0.2)
    assert len(threaded.calls) == calls, "nothing starts after the raise"
    assert calls < len(items) - 1, "batches not yet started are not sent"
    # What finished before the error is cached: nothing is lost.
    again = embedsdk.embed(TEXTS[:3], provider=threaded)
    assert again.stats.cache_hits == 3


def test_one_batch_or_no_executor_runs_on_the_calling_thread():
    threaded = Threaded(max_items=64)
    embedsdk.embed(TEXTS, provider=threaded, cache=False)
    assert threaded.asked == [] and threaded.threads == {threading.current_thread().name}

    class Declines(Threaded):
        def batch_executor(self, batches):
            self.asked.append(batches)
            return None

    declines = Declines(max_items=4)
    embedsdk.embed(TEXTS, provider=declines, cache=False)
    assert declines.asked == [10] and declines.threads == {threading.current_thread().name}
