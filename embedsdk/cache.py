"""The vector cache: diskcache underneath, keys built so that a hit can only be the right vector.

A key is ``sha256(space fingerprint, post-processing options, item content)``. The space fingerprint covers
provider, model, revision, dimension, normalization, pooling, dtype, role and token limit; the item part is
the item's bytes (text as UTF-8, images as their pixels, files as their content). Nothing else enters a key,
and secrets never do: a provider's API key does not change a vector, so it is not part of the space.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import settings
from embedsdk.errors import InvalidItemTypeError, ItemError

__all__ = ["EmbeddingCache", "cache_at", "cache_key", "default_cache", "item_digest"]


def item_digest(item: Any) -> bytes:
    """A sha256 of the item's content, prefixed by its kind so text "x" and bytes b"x" never collide.

    Raises:
        InvalidItemTypeError: the item has no content embedsdk knows how to hash.
    """
    h = hashlib.sha256()
    if isinstance(item, str):
        h.update(b"text\0" + item.encode("utf-8", "surrogatepass"))
    elif isinstance(item, (bytes, bytearray, memoryview)):
        h.update(b"bytes\0" + bytes(item))
    elif isinstance(item, os.PathLike):
        h.update(b"file\0" + Path(item).read_bytes())
    elif isinstance(item, np.ndarray):
        h.update(f"array\0{item.dtype.str}\0{item.shape}\0".encode() + np.ascontiguousarray(item).tobytes())
    elif all(hasattr(item, name) for name in ("mode", "size", "tobytes")):  # a PIL image
        h.update(f"image\0{item.mode}\0{item.size}\0".encode() + item.tobytes())
    else:
        raise InvalidItemTypeError(
            f"cannot hash an item of type {type(item).__name__} for the cache",
            [ItemError(-1, type(item).__name__)],
        )
    return h.digest()


def cache_key(namespace: str, digest: bytes) -> str:
    """The cache key of one item: ``namespace`` is the space fingerprint plus post-processing options."""
    return hashlib.sha256(namespace.encode("utf-8") + b"\0" + digest).hexdigest()


class EmbeddingCache:
    """A process-safe store of float32 vectors on disk (SQLite + files via diskcache).

    Args:
        directory: Where to keep it; defaults to ``EMBEDSDK_CACHE_DIR`` or the user cache dir.
        size_limit: Bytes kept before the least recently stored entries are evicted.
    """

    def __init__(self, directory: str | Path | None = None, size_limit: int = 8 * 2**30) -> None:
        import diskcache

        self.directory = Path(directory) if directory is not None else settings.cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._store = diskcache.Cache(str(self.directory), size_limit=size_limit)

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.directory)!r})"

    def __len__(self) -> int:
        return len(self._store)

    def get_many(self, keys: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        """The vectors found for ``keys``; a stored value of the wrong size counts as a miss."""
        found = {}
        for key in keys:
            raw = self._store.get(key)
            if isinstance(raw, bytes) and len(raw) == 4 * dim:
                found[key] = np.frombuffer(raw, dtype=np.float32)
        return found

    def set_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors (as float32 bytes) in one transaction."""
        with self._store.transact():
            for key, vector in vectors.items():
                self._store.set(key, np.ascontiguousarray(vector, dtype=np.float32).tobytes())

    def clear(self) -> int:
        """Drop every entry; returns how many there were."""
        return int(self._store.clear())

    def close(self) -> None:
        """Close the underlying database (it reopens on next use)."""
        self._store.close()


_open: dict[Path, EmbeddingCache] = {}
_open_lock = threading.Lock()


def cache_at(directory: str | Path) -> EmbeddingCache:
    """The process's cache in ``directory``, opened once and reused by every call that names it."""
    path = Path(directory).expanduser().resolve()
    with _open_lock:
        if path not in _open:
            _open[path] = EmbeddingCache(path)
        return _open[path]


def default_cache() -> EmbeddingCache:
    """The process's cache in the configured folder (``EMBEDSDK_CACHE_DIR`` is read on every call)."""
    return cache_at(settings.cache_dir())
