"""The vector cache: diskcache underneath, keys built so that a hit can only be the right vector.

A key is ``sha256(format, space fingerprint, long-input policy when it applied, item digest)``: `cache_key` is
the only place one is built. The space fingerprint covers provider, model, revision, dimension, normalization,
pooling, dtype, role and token limit; the item digest is a hash of the item's content (see
`embedsdk.pipeline.items.item_digest`). Secrets never enter a key: an API key does not change a vector.

Nothing read back is trusted. Each vector is stored with its length and a checksum; a hit whose record is
damaged (wrong length, checksum, non-finite values, unreadable) is a miss, with a logged warning. A database
that SQLite cannot read is moved aside and a fresh one started, with one warning saying where it went.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import struct
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import ConfigurationError

__all__ = ["KEY_FORMAT", "EmbeddingCache", "cache_key", "pack_vector", "unpack_vector"]

logger = logging.getLogger("embedsdk.cache")

KEY_FORMAT = "embedsdk.vector/2"
"""Part of every key: a change of the record layout starts a fresh key space instead of misreading old records."""

_MAGIC = b"ESV2"
_HEADER = struct.Struct("<4sI8s")  # magic, number of float32 values, blake2b-64 of the payload


def cache_key(space_fingerprint: str, digest: bytes, *, long_policy: str | None = None) -> str:
    """The cache key of one item.

    Args:
        space_fingerprint: `EmbeddingSpace.fingerprint()` of the call's output space (dimensions, normalization
            and role included).
        digest: The item's content digest.
        long_policy: For an item over the token limit, the policy that made its vector (``truncate`` or
            ``chunk`` with its overlap, say ``"chunk/32"``): its vector depends on it.
    """
    parts = [KEY_FORMAT, space_fingerprint, f"on_long={long_policy}" if long_policy else ""]
    return hashlib.sha256("\0".join(parts).encode("utf-8") + b"\0" + digest).hexdigest()


def pack_vector(vector: np.ndarray) -> bytes:
    """A vector as stored: header (magic, length, checksum) then float32 bytes."""
    payload = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
    checksum = hashlib.blake2b(payload, digest_size=8).digest()
    return _HEADER.pack(_MAGIC, len(payload) // 4, checksum) + payload


def unpack_vector(record: object, dim: int) -> np.ndarray | None:
    """The vector in ``record`` when it is an intact record of ``dim`` finite values, else None."""
    if not isinstance(record, bytes) or len(record) != _HEADER.size + 4 * dim:
        return None
    magic, length, checksum = _HEADER.unpack_from(record)
    payload = record[_HEADER.size :]
    if magic != _MAGIC or length != dim or hashlib.blake2b(payload, digest_size=8).digest() != checksum:
        return None
    vector = np.frombuffer(payload, dtype=np.float32)
    return vector if bool(np.isfinite(vector).all()) else None


class EmbeddingCache:
    """A process-safe store of float32 vectors on disk (SQLite + files via diskcache).

    Construction touches no disk: the folder is checked and the database opened on first use.

    Args:
        directory: Where to keep it.
        size_limit: Bytes kept before the least recently stored entries are evicted.
    """

    def __init__(self, directory: str | Path, size_limit: int = 8 * 2**30) -> None:
        if isinstance(directory, str) and not directory.strip():
            raise ConfigurationError("the cache folder is an empty string; pass a folder path, or cache=False")
        self.directory = Path(directory).expanduser()
        self.size_limit = size_limit
        self._store: Any = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.directory)!r})"

    def __len__(self) -> int:
        return int(self._run(len))

    # -- opening, and recovering from a damaged database --------------------------------------------------

    def _open(self) -> Any:
        if self._store is None:
            import diskcache

            if self.directory.exists() and not self.directory.is_dir():
                raise ConfigurationError(
                    f"the cache folder {self.directory} is a file, not a folder; point EMBEDSDK_CACHE_DIR (or "
                    f"cache=) at a folder, or pass cache=False"
                )
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot create the cache folder {self.directory}: {exc.strerror or exc}; point "
                    f"EMBEDSDK_CACHE_DIR (or cache=) at a writable folder, or pass cache=False"
                ) from None
            self._store = diskcache.Cache(str(self.directory), size_limit=self.size_limit)
        return self._store

    def _run(self, operation: Any) -> Any:
        """Run ``operation(store)``; a database SQLite cannot read is moved aside once and the call retried."""
        with self._lock:
            try:
                return operation(self._open())
            except sqlite3.DatabaseError as exc:
                self._move_aside(exc)
                return operation(self._open())

    def _move_aside(self, exc: Exception) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except Exception:
                logger.debug("closing the damaged cache database failed", exc_info=True)
            self._store = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = []
        for name in ("cache.db", "cache.db-wal", "cache.db-shm"):
            path = self.directory / name
            if path.exists():
                target = path.with_name(f"{name}.corrupt-{stamp}")
                path.replace(target)
                moved.append(target.name)
        logger.warning(
            "the vector cache database in %s could not be read (%s); moved it aside as %s and started a fresh "
            "one: vectors are embedded again as needed",
            self.directory,
            exc,
            ", ".join(moved) or "nothing",
        )

    # -- reading and writing ------------------------------------------------------------------------------

    def get_many(self, keys: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        """The intact vectors found for ``keys``; a damaged or unreadable record counts as a miss."""
        wanted = list(keys)

        def read(store: Any) -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            damaged = 0
            for key in wanted:
                try:
                    record = store.get(key)
                except sqlite3.DatabaseError:
                    raise
                except Exception:
                    record = b""
                if record is None:
                    continue
                vector = unpack_vector(record, dim)
                if vector is None:
                    damaged += 1
                else:
                    found[key] = vector
            if damaged:
                logger.warning(
                    "%d cached vector record(s) in %s are damaged (length, checksum or non-finite values); "
                    "embedding those items again",
                    damaged,
                    self.directory,
                )
            return found

        result: dict[str, np.ndarray] = self._run(read)
        return result

    def set_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors, each with its checksum, in one transaction."""
        records = {key: pack_vector(vector) for key, vector in vectors.items()}

        def write(store: Any) -> None:
            with store.transact():
                for key, record in records.items():
                    store.set(key, record)

        self._run(write)

    def clear(self) -> int:
        """Drop every entry; returns how many there were."""
        return int(self._run(lambda store: store.clear()))

    def close(self) -> None:
        """Close the underlying database (it reopens on next use)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
