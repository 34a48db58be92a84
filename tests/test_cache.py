"""The vector cache: hits make no provider calls, misses merge back in input order, keys change with the space."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import embedsdk
from embedsdk import runtime
from embedsdk.cache import EmbeddingCache, cache_key
from embedsdk.errors import InvalidItemTypeError
from embedsdk.pipeline import job
from embedsdk.pipeline.items import item_digest
from embedsdk.space import EmbeddingSpace
from embedsdk.testing import FakeEmbedder, FakeOptions, fake_provider

LONG_TEXT = " ".join(f"w{n}" for n in range(200))  # 200 tokens, over the fake's 64


def reference(items: list[str], role: str | None = None, **options: Any) -> np.ndarray:
    """The fake's vectors straight from `embed_batch`: no pipeline, no cache."""
    return FakeEmbedder("fake/test", **options).embed_batch(items, role)


def flat(calls: list[list[Any]]) -> list[Any]:
    return [item for call in calls for item in call]


# -- hits and misses --------------------------------------------------------------------------------------


def test_second_identical_call_makes_no_provider_calls(fake):
    first = embedsdk.embed(["a b", "c d", "e f"], provider="fake/test")
    assert len(fake.calls) == 1
    second = embedsdk.embed(["a b", "c d", "e f"], provider="fake/test")
    assert len(fake.calls) == 1
    assert np.array_equal(first.vectors, second.vectors)
    assert second.stats.cache_hits == 3
    assert second.stats.embedded == 0
    assert second.stats.batches == 0


def test_mixed_hits_and_misses_equal_an_uncached_call_in_input_order(fake):
    items = ["alpha one", "beta two", "gamma three", "delta four", "epsilon five"]
    embedsdk.embed([items[3], items[1]], provider="fake/test")
    fake.calls.clear()

    mixed = embedsdk.embed(items, provider="fake/test")
    sent = flat(fake.calls)
    uncached = embedsdk.embed(items, provider="fake/test", cache=False)

    assert sorted(sent) == sorted([items[0], items[2], items[4]])  # only the new ones
    assert mixed.stats.cache_hits == 2
    assert mixed.stats.embedded == 3
    np.testing.assert_allclose(mixed.vectors, uncached.vectors, atol=1e-6)
    np.testing.assert_allclose(mixed.vectors, reference(items), atol=1e-6)


def test_duplicates_in_one_call_are_embedded_once(fake):
    items = ["x y", "z", "x y", "x y", "z"]
    result = embedsdk.embed(items, provider="fake/test")
    assert flat(fake.calls) == ["x y", "z"]
    assert result.stats.unique == 2
    assert np.array_equal(result[0], result[2])
    assert np.array_equal(result[0], result[3])
    assert np.array_equal(result[1], result[4])
    np.testing.assert_allclose(result.vectors, reference(items), atol=1e-6)


def test_duplicates_are_embedded_once_without_a_cache(fake):
    embedsdk.embed(["x y", "x y"], provider="fake/test", cache=False)
    assert flat(fake.calls) == ["x y"]


def test_cache_false_bypasses_reading_and_writing(fake, cache_dir):
    embedsdk.embed(["a b"], provider="fake/test", cache=False)
    embedsdk.embed(["a b"], provider="fake/test", cache=False)
    assert len(fake.calls) == 2
    assert len(EmbeddingCache(cache_dir)) == 0

    embedsdk.embed(["a b"], provider="fake/test")
    assert len(fake.calls) == 3  # nothing was stored by the uncached calls
    embedsdk.embed(["a b"], provider="fake/test", cache=False)
    assert len(fake.calls) == 4  # and a stored vector is not read either


def test_environment_can_turn_the_cache_off(fake, monkeypatch, cache_dir):
    monkeypatch.setenv("EMBEDSDK_CACHE", "off")
    embedsdk.embed(["a b"], provider="fake/test")
    embedsdk.embed(["a b"], provider="fake/test")
    assert len(fake.calls) == 2
    assert len(EmbeddingCache(cache_dir)) == 0


def test_cache_dir_environment_variable_is_honoured(fake, monkeypatch, tmp_path):
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(first_dir))
    embedsdk.embed(["a b", "c d"], provider="fake/test")
    assert len(EmbeddingCache(first_dir)) == 2

    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(second_dir))
    embedsdk.embed(["a b", "c d"], provider="fake/test")
    assert len(fake.calls) == 2  # a new folder is an empty cache
    assert len(EmbeddingCache(second_dir)) == 2

    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(first_dir))
    embedsdk.embed(["a b", "c d"], provider="fake/test")
    assert len(fake.calls) == 2


def test_cache_argument_accepts_a_folder_or_a_cache(fake, tmp_path, cache_dir):
    folder = tmp_path / "mine"
    embedsdk.embed(["a b"], provider="fake/test", cache=folder)
    assert len(EmbeddingCache(folder)) == 1
    assert len(EmbeddingCache(cache_dir)) == 0

    store = EmbeddingCache(folder)
    embedsdk.embed(["a b"], provider="fake/test", cache=store)
    assert len(fake.calls) == 1
    embedsdk.embed(["a b"], provider="fake/test", cache=str(folder))
    assert len(fake.calls) == 1


def test_cache_argument_of_another_type_is_refused(fake):
    with pytest.raises(embedsdk.InvalidOptionError, match="cache must be"):
        embedsdk.embed(["a b"], provider="fake/test", cache=3)


# -- what the key covers ----------------------------------------------------------------------------------


def test_role_is_part_of_the_key(fake):
    query = embedsdk.embed(["the cat"], provider="fake/test", role="query")
    document = embedsdk.embed(["the cat"], provider="fake/test", role="document")
    plain = embedsdk.embed(["the cat"], provider="fake/test")
    assert len(fake.calls) == 3
    assert fake.roles == ["query", "document", None]
    assert not np.allclose(query.vectors, document.vectors)
    assert not np.allclose(query.vectors, plain.vectors)
    np.testing.assert_allclose(query.vectors, reference(["the cat"], role="query"), atol=1e-6)
    np.testing.assert_allclose(document.vectors, reference(["the cat"], role="document"), atol=1e-6)

    again = embedsdk.embed(["the cat"], provider="fake/test", role="document")
    assert len(fake.calls) == 3
    np.testing.assert_array_equal(again.vectors, document.vectors)
    assert again.space.role == "document"


def test_a_provider_option_that_changes_the_space_never_returns_a_stale_vector(fake):
    full = embedsdk.embed(["a b c"], provider="fake/test")
    small = embedsdk.embed(["a b c"], provider="fake/test", dim=8)
    assert small.shape == (1, 8)
    np.testing.assert_allclose(small.vectors, reference(["a b c"], dim=8), atol=1e-6)
    assert not np.allclose(small.vectors, full.vectors[:, :8])
    again = embedsdk.embed(["a b c"], provider="fake/test")
    np.testing.assert_array_equal(again.vectors, full.vectors)


def test_dimensions_never_returns_a_stale_vector(fake):
    full = embedsdk.embed(["a b c"], provider="fake/test")
    cut = embedsdk.embed(["a b c"], provider="fake/test", dimensions=4)
    expected = full.vectors[:, :4] / np.linalg.norm(full.vectors[:, :4], axis=1, keepdims=True)
    assert cut.shape == (1, 4)
    np.testing.assert_allclose(cut.vectors, expected, atol=1e-6)
    assert cut.space.dim == 4
    assert embedsdk.embed(["a b c"], provider="fake/test").shape == (1, 16)
    cut_again = embedsdk.embed(["a b c"], provider="fake/test", dimensions=4)
    np.testing.assert_array_equal(cut_again.vectors, cut.vectors)


def test_normalize_never_returns_a_stale_vector():
    with fake_provider("fake/raw", normalized=False) as raw:
        plain = embedsdk.embed(["a b c"], provider="fake/raw")
        unit = embedsdk.embed(["a b c"], provider="fake/raw", normalize=True)
        plain_again = embedsdk.embed(["a b c"], provider="fake/raw")
        assert len(raw.calls) == 2
    assert np.linalg.norm(plain.vectors[0]) > 1.5  # three summed random words
    assert np.linalg.norm(unit.vectors[0]) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(unit.vectors[0], plain.vectors[0] / np.linalg.norm(plain.vectors[0]), atol=1e-6)
    np.testing.assert_array_equal(plain_again.vectors, plain.vectors)


class RevisedFake(FakeEmbedder):
    """A fake whose weights can be "updated": the revision changes the space and the vectors."""

    revision = "1"

    @property
    def space(self) -> EmbeddingSpace:
        return super().space.model_copy(update={"revision": self.revision})

    def embed_batch(self, items, role=None):
        return super().embed_batch([f"{item} rev{self.revision}" for item in items], role)


def test_a_new_model_revision_never_returns_a_stale_vector():
    model = RevisedFake("fake/revised")
    before = embedsdk.embed(["a b"], provider=model)
    model.revision = "2"
    after = embedsdk.embed(["a b"], provider=model)
    assert len(model.calls) == 2
    assert not np.allclose(before.vectors, after.vectors)
    np.testing.assert_allclose(after.vectors, FakeEmbedder("x/y").embed_batch(["a b rev2"]), atol=1e-6)


def test_long_item_policies_have_their_own_keys(fake):
    truncated = embedsdk.embed([LONG_TEXT], provider="fake/test", on_long="truncate")
    chunked = embedsdk.embed([LONG_TEXT], provider="fake/test", on_long="chunk")
    assert not np.allclose(truncated.vectors, chunked.vectors)
    calls = len(fake.calls)
    assert np.array_equal(
        embedsdk.embed([LONG_TEXT], provider="fake/test", on_long="truncate").vectors, truncated.vectors
    )
    assert np.array_equal(embedsdk.embed([LONG_TEXT], provider="fake/test", on_long="chunk").vectors, chunked.vectors)
    assert len(fake.calls) == calls
    other_overlap = embedsdk.embed([LONG_TEXT], provider="fake/test", on_long="chunk", chunk_overlap=0)
    assert len(fake.calls) > calls
    assert not np.allclose(other_overlap.vectors, chunked.vectors)


# -- secrets ----------------------------------------------------------------------------------------------


class SecretOptions(FakeOptions):
    """The fake's options plus an API key, the way a hosted provider declares one."""

    api_key: str


class SecretFake(FakeEmbedder):
    """A fake that needs an API key, which must never reach the cache."""

    Options = SecretOptions


def test_the_key_function_takes_only_a_space_a_digest_and_a_long_input_policy():
    assert list(inspect.signature(cache_key).parameters) == ["space_fingerprint", "digest", "long_policy"]
    assert cache_key("ns", b"d") == cache_key("ns", b"d")
    assert cache_key("ns", b"d") != cache_key("other", b"d")
    assert cache_key("ns", b"d") != cache_key("ns", b"e")
    assert cache_key("ns", b"d") != cache_key("ns", b"d", long_policy="truncate")
    assert cache_key("ns", b"d", long_policy="chunk/8") != cache_key("ns", b"d", long_policy="chunk/16")


def test_an_option_value_never_enters_a_key_or_the_store(monkeypatch, cache_dir):
    namespaces: list[str] = []

    def recording_key(namespace: str, digest: bytes, long_policy: str | None = None) -> str:
        namespaces.append(f"{namespace}|{long_policy}")
        return cache_key(namespace, digest, long_policy=long_policy)

    monkeypatch.setattr(job, "cache_key", recording_key)
    secret = "sk-SECRET-0123456789"
    first = SecretFake("fake/secret", api_key=secret)
    embedsdk.embed(["a b", LONG_TEXT], provider=first, on_long="truncate")
    assert namespaces
    assert not any(secret in namespace for namespace in namespaces)
    assert secret not in repr(first)
    stored = b"".join(path.read_bytes() for path in Path(cache_dir).rglob("*") if path.is_file())
    assert secret.encode() not in stored

    # The key does not depend on the secret: another key for the same model hits the cache.
    second = SecretFake("fake/secret", api_key="sk-ANOTHER-KEY")
    embedsdk.embed(["a b", LONG_TEXT], provider=second, on_long="truncate")
    assert second.calls == []


# -- EmbeddingCache and digests ---------------------------------------------------------------------------


def test_embedding_cache_round_trip(tmp_path):
    store = EmbeddingCache(tmp_path / "c")
    vectors = {"k1": np.arange(4, dtype=np.float32), "k2": np.ones(4, dtype=np.float64)}
    store.set_many(vectors)
    assert len(store) == 2
    found = store.get_many(["k1", "k2", "k3"], dim=4)
    assert set(found) == {"k1", "k2"}
    assert found["k1"].dtype == np.float32
    np.testing.assert_array_equal(found["k1"], vectors["k1"])
    np.testing.assert_array_equal(found["k2"], np.ones(4, dtype=np.float32))
    assert "c" in repr(store)


def test_a_stored_vector_of_another_size_is_a_miss(tmp_path):
    store = EmbeddingCache(tmp_path / "c")
    store.set_many({"k": np.zeros(8, dtype=np.float32)})
    assert store.get_many(["k"], dim=4) == {}
    assert set(store.get_many(["k"], dim=8)) == {"k"}


def test_embedding_cache_clear_and_reopen(tmp_path):
    store = EmbeddingCache(tmp_path / "c")
    store.set_many({"a": np.zeros(2), "b": np.ones(2)})
    store.close()
    assert len(EmbeddingCache(tmp_path / "c")) == 2  # on disk, not in memory
    assert store.clear() == 2
    assert len(store) == 0


def test_default_cache_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "a"))
    first = runtime.current().cache()
    assert runtime.current().cache() is first
    assert first.directory == tmp_path / "a"
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "b"))
    assert runtime.current().cache().directory == tmp_path / "b"


def test_item_digest_depends_on_content_and_kind(tmp_path):
    assert item_digest("x") == item_digest("x")
    assert item_digest("x") != item_digest("y")
    assert item_digest("x") != item_digest(b"x")
    assert item_digest(b"x") == item_digest(bytearray(b"x")) == item_digest(memoryview(b"x"))
    a = np.zeros((2, 2), dtype=np.uint8)
    # Raw content (pixels=False, what finds repeats within a call): dtype and shape count.
    assert item_digest(a, pixels=False) != item_digest(a.astype(np.float32), pixels=False)
    assert item_digest(a, pixels=False) != item_digest(a.reshape(4), pixels=False)
    # As a cache key an array is an image: two arrays that decode to the same pixels share the key.
    assert item_digest(a) == item_digest(a.astype(np.float32))
    assert item_digest(a) != item_digest(np.full((2, 2), 255, dtype=np.uint8))
    first, second = tmp_path / "one.bin", tmp_path / "two.bin"
    first.write_bytes(b"same")
    second.write_bytes(b"same")
    assert item_digest(first) == item_digest(second)  # a file's content, not its name
    second.write_bytes(b"changed")
    assert item_digest(first) != item_digest(second)


def test_item_digest_hashes_image_like_objects_by_pixels():
    class Image:
        def __init__(self, pixels: bytes, mode: str = "RGB") -> None:
            self.mode, self.size, self._pixels = mode, (1, 1), pixels

        def tobytes(self) -> bytes:
            return self._pixels

    assert item_digest(Image(b"abc")) == item_digest(Image(b"abc"))
    assert item_digest(Image(b"abc")) != item_digest(Image(b"abd"))
    assert item_digest(Image(b"abc")) != item_digest(Image(b"abc", mode="BGR"))


def test_item_digest_refuses_what_it_cannot_hash():
    with pytest.raises(InvalidItemTypeError, match="dict"):
        item_digest({"a": 1})


# -- nothing read back is trusted ------------------------------------------------------------------------------


def stored_records(cache: EmbeddingCache) -> list[str]:
    """The keys in the cache's database (through diskcache's own iteration, as a user could)."""
    import diskcache

    with diskcache.Cache(str(cache.directory)) as raw:
        return list(raw.iterkeys())


def overwrite(cache: EmbeddingCache, key: str, value: object) -> None:
    import diskcache

    with diskcache.Cache(str(cache.directory)) as raw:
        raw.set(key, value)


@pytest.mark.parametrize(
    "damage",
    [
        b"\x00" * 64,  # random bytes of the right size for 16 float32 minus the header
        "not bytes at all",  # a pickled str where a record should be
        None,  # replaced below by a record of NaN
        b"",  # truncated record
    ],
)
def test_a_damaged_record_is_a_miss_and_is_replaced(fake, caplog, damage):
    embedsdk.embed(["a b"], provider="fake/test")
    cache = runtime.current().cache()
    [key] = stored_records(cache)
    if damage is None:
        from embedsdk.cache import pack_vector

        damage = pack_vector(np.full(16, np.nan, dtype=np.float32))  # a valid checksum over NaN values
    overwrite(cache, key, damage)
    with caplog.at_level("WARNING", logger="embedsdk.cache"):
        result = embedsdk.embed(["a b"], provider="fake/test")
    assert result.stats.cache_hits == 0 and len(fake.calls) == 2
    assert np.isfinite(result.vectors).all()
    assert "damaged" in caplog.text
    assert embedsdk.embed(["a b"], provider="fake/test").stats.cache_hits == 1  # the record was rewritten


def test_flipped_bits_in_a_stored_vector_fail_the_checksum(fake):
    from embedsdk.cache import pack_vector, unpack_vector

    record = bytearray(pack_vector(np.arange(16, dtype=np.float32)))
    assert unpack_vector(bytes(record), 16) is not None
    record[-1] ^= 0x01
    assert unpack_vector(bytes(record), 16) is None
    assert unpack_vector(bytes(record[:-4]), 16) is None


def test_an_unpicklable_value_is_a_miss(fake, caplog):
    embedsdk.embed(["a b"], provider="fake/test")
    cache = runtime.current().cache()
    [key] = stored_records(cache)
    import sqlite3

    connection = sqlite3.connect(cache.directory / "cache.db")
    # mode 4 is diskcache's pickle mode: the value is read with pickle.load, which fails on these bytes.
    connection.execute("UPDATE Cache SET value = ?, mode = 4 WHERE key = ?", (b"\x80\x04garbage", key))
    connection.commit()
    connection.close()
    with caplog.at_level("WARNING", logger="embedsdk.cache"):
        assert embedsdk.embed(["a b"], provider="fake/test").stats.cache_hits == 0


@pytest.mark.parametrize("content", [b"this is not a database", b"SQLite format 3\x00" + b"\x07" * 100])
def test_a_corrupt_database_is_moved_aside_once_and_calls_go_on(fake, cache_dir, caplog, content):
    embedsdk.embed(["a b"], provider="fake/test")
    runtime.current().cache().close()
    (cache_dir / "cache.db").write_bytes(content)
    with caplog.at_level("WARNING", logger="embedsdk.cache"):
        result = embedsdk.embed(["a b", "c d"], provider="fake/test")
        embedsdk.embed(["a b", "c d"], provider="fake/test")
    assert result.ok.all() and result.stats.cache_hits == 0
    moved = sorted(path.name for path in cache_dir.iterdir() if ".corrupt-" in path.name)
    assert moved and moved[0].startswith("cache.db.corrupt-")
    assert caplog.text.count("moved it aside") == 1
    assert embedsdk.embed(["a b", "c d"], provider="fake/test").stats.cache_hits == 2


def test_a_truncated_database_is_moved_aside(fake, cache_dir, caplog):
    embedsdk.embed([f"text {n}" for n in range(200)], provider="fake/test")
    runtime.current().cache().close()
    database = cache_dir / "cache.db"
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 3])
    result = embedsdk.embed([f"text {n}" for n in range(200)], provider="fake/test")
    assert result.ok.all()


def test_a_cache_dir_that_is_a_file_is_a_clear_error(fake, tmp_path, monkeypatch):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("hello")
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(a_file))
    with pytest.raises(embedsdk.ConfigurationError, match="not-a-folder is a file, not a folder"):
        embedsdk.embed(["a b"], provider="fake/test")
    assert embedsdk.embed(["a b"], provider="fake/test", cache=False).ok.all()


def test_opening_a_cache_touches_no_disk(tmp_path):
    cache = EmbeddingCache(tmp_path / "later")
    assert not (tmp_path / "later").exists()
    assert len(cache) == 0
    assert (tmp_path / "later").is_dir()
