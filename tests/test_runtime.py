"""The runtime: the one owner of process state (plugin manager, registries, embedders, caches, memos)."""

from __future__ import annotations

import threading

import pytest
from pydantic import SecretStr

import embedsdk
from embedsdk import runtime
from embedsdk.testing import FakeEmbedder, FakeOptions, isolated_runtime


class Closing(FakeEmbedder):
    """A fake that records being closed."""

    closed = 0

    def close(self) -> None:
        type(self).closed += 1


class ClosingPlugin:
    @embedsdk.hookimpl
    def register_embedders(self, register):
        register("closing/*", Closing)


def test_the_embedder_lru_closes_what_it_evicts():
    Closing.closed = 0
    with isolated_runtime(ClosingPlugin()) as fresh:
        small = runtime.Runtime(fresh.plugin_manager_factory, max_embedders=2)
        with runtime.using(small):
            first = embedsdk.embedder("closing/a")
            embedsdk.embedder("closing/b")
            assert embedsdk.embedder("closing/a") is first  # used again: now the most recent
            embedsdk.embedder("closing/c")  # evicts b, the least recently used
            assert Closing.closed == 1
            assert embedsdk.embedder("closing/a") is first
        assert Closing.closed == 3  # closing the runtime closes the two it still held


def test_one_cache_per_folder_opened_lazily(tmp_path):
    current = runtime.current()
    one = current.cache(tmp_path / "c")
    assert current.cache(tmp_path / "c") is one
    assert current.cache(str(tmp_path / "c")) is one
    assert current.cache(tmp_path / "d") is not one
    assert not (tmp_path / "c").exists()  # nothing touched until it is used


def test_memos_belong_to_the_runtime():
    with isolated_runtime() as first:
        first.memo("plugin.facts")["k"] = 1
        assert runtime.current().memo("plugin.facts") == {"k": 1}
    with isolated_runtime():
        assert runtime.current().memo("plugin.facts") == {}


class SecretOptions(FakeOptions):
    api_key: SecretStr


class KeyedFake(FakeEmbedder):
    Options = SecretOptions


class KeyedPlugin:
    @embedsdk.hookimpl
    def register_embedders(self, register):
        register("keyed/*", KeyedFake)


def test_two_secret_keys_never_share_an_embedder():
    with isolated_runtime(KeyedPlugin()):
        one = embedsdk.embedder("keyed/m", api_key=SecretStr("sk-one"))
        two = embedsdk.embedder("keyed/m", api_key=SecretStr("sk-two"))
        assert one is not two
        assert embedsdk.embedder("keyed/m", api_key=SecretStr("sk-one")) is one
        assert "sk-one" not in repr(runtime.current())


def test_concurrent_first_use_builds_one_embedder():
    built = []

    class Slow(FakeEmbedder):
        def __init__(self, provider_id: str, **options):
            built.append(provider_id)
            super().__init__(provider_id, **options)

    class Plugin:
        @embedsdk.hookimpl
        def register_embedders(self, register):
            register("slow/*", Slow)

    with isolated_runtime(Plugin()):
        results = []
        threads = [threading.Thread(target=lambda: results.append(embedsdk.embedder("slow/m"))) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(built) == 1
        assert all(result is results[0] for result in results)


def test_using_restores_the_previous_runtime_even_after_an_error():
    before = runtime.current()
    with pytest.raises(RuntimeError), runtime.using(runtime.Runtime()):
        raise RuntimeError("boom")
    assert runtime.current() is before


def test_a_thread_pool_starts_every_thread_and_runs_its_initializer_before_any_task(monkeypatch):
    started: list[str] = []
    ready: list[int] = []

    def set_up() -> None:
        started.append(threading.current_thread().name)

    def all_up() -> None:
        ready.append(len(started))

    pool = runtime.current().thread_pool("test-pool", 3, set_up, started=all_up)
    assert len(started) == 3, "all threads are up (and set up) when thread_pool returns"
    assert ready == [3], "started runs once, after every initializer"
    assert runtime.current().thread_pool("test-pool", 3, set_up, started=all_up) is pool, "one pool per name"
    assert ready == [3], "an existing pool does not run started again"
    names = set(pool.map(lambda _: threading.current_thread().name, range(12)))
    assert names <= set(started)
    # A forked child has no threads: it gets a pool of its own.
    monkeypatch.setattr(runtime.os, "getpid", lambda: -1)
    forked = runtime.current().thread_pool("test-pool", 3)
    assert forked is not pool
    runtime.current().close()
    with pytest.raises(RuntimeError):  # closing the runtime stops its pools
        forked.submit(print)
