"""The one owner of process state: plugin manager, registries, built embedders, open caches, plugin memos.

Every other module is stateless: it asks `current()` for what it needs. `Runtime` is thread-safe. Built
embedders live in a bounded LRU; an embedder pushed out is closed (its weights freed; it reloads if asked for
again). Tests swap the whole runtime (`embedsdk.testing.isolated_runtime`), so nothing reaches into a
module's private names to reset it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pluggy

from embedsdk import settings
from embedsdk.cache import EmbeddingCache
from embedsdk.errors import InvalidOptionError, ModelNotFoundError
from embedsdk.pipeline.limiter import LimiterRegistry
from embedsdk.plugins.manager import collect_registries, make_plugin_manager
from embedsdk.plugins.registries import Registries

__all__ = ["DEFAULT_MAX_EMBEDDERS", "Runtime", "StoredMemo", "current", "replace", "using"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_EMBEDDERS = 8


class Runtime:
    """Process state, built lazily and owned in one place.

    Args:
        manager_factory: Builds the plugin manager on first use (default: `make_plugin_manager`, which loads
            the installed plugins).
        max_embedders: How many built embedders are kept; the least recently used one beyond that is closed.
    """

    def __init__(
        self,
        manager_factory: Callable[[], pluggy.PluginManager] = make_plugin_manager,
        *,
        max_embedders: int = DEFAULT_MAX_EMBEDDERS,
    ) -> None:
        self._manager_factory = manager_factory
        self._manager: pluggy.PluginManager | None = None
        self._registries: Registries | None = None
        self._embedders: OrderedDict[str, Any] = OrderedDict()
        self._max_embedders = max_embedders
        self._caches: dict[Path, EmbeddingCache] = {}
        self._memos: dict[str, dict[Any, Any]] = {}
        self._stored: dict[tuple[Path, str], StoredMemo] = {}
        self._limiters = LimiterRegistry()
        self._pools: dict[str, tuple[int, ThreadPoolExecutor]] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (
            f"Runtime(plugins={'loaded' if self._manager else 'not loaded'}, embedders={len(self._embedders)}, "
            f"caches={len(self._caches)})"
        )

    # -- plugins ----------------------------------------------------------------------------------------

    @property
    def plugin_manager_factory(self) -> Callable[[], pluggy.PluginManager]:
        """What builds this runtime's plugin manager (to build another runtime like it)."""
        return self._manager_factory

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The plugin manager, built on first use."""
        with self._lock:
            if self._manager is None:
                self._manager = self._manager_factory()
            return self._manager

    @property
    def registries(self) -> Registries:
        """What the plugins registered, from one run of the hooks (repeated after `plugins_changed`)."""
        with self._lock:
            if self._registries is None:
                self._registries = collect_registries(self.plugin_manager)
            return self._registries

    def plugins_changed(self) -> None:
        """Plugins were added or removed: run the hooks again on next use, and close the built embedders."""
        with self._lock:
            self._registries = None
            self.forget_embedders()

    # -- embedders --------------------------------------------------------------------------------------

    def embedder(self, provider: str, options: dict[str, Any]) -> Any:
        """The embedder for ``provider`` (an id or alias) with ``options``, built once and reused.

        Raises:
            UnknownProviderError: no provider has that id.
            InvalidOptionError: the provider's factory does not take these options.
        """
        with self._lock:
            resolution = self.registries.embedders.resolve(provider)
            merged = {**resolution.defaults, **options}
            key = resolution.id + "\0" + json.dumps(merged, sort_keys=True, default=_option_key)
            found = self._embedders.get(key)
            if found is not None:
                self._embedders.move_to_end(key)
                return found
            try:
                built = resolution.info.factory(resolution.id, **merged)
            except TypeError as exc:
                raise InvalidOptionError(f"{resolution.id}: {exc}") from exc
            self._embedders[key] = built
            while len(self._embedders) > self._max_embedders:
                _, evicted = self._embedders.popitem(last=False)
                _close(evicted)
            return built

    def forget_embedders(self) -> None:
        """Close every built embedder; the next `embedder` call builds (and loads) it again."""
        with self._lock:
            while self._embedders:
                _, built = self._embedders.popitem()
                _close(built)

    # -- caches and memos -------------------------------------------------------------------------------

    def cache(self, directory: str | Path | None = None) -> EmbeddingCache:
        """The cache in ``directory`` (default: ``EMBEDSDK_CACHE_DIR`` or the user cache folder), one per folder."""
        path = Path(directory if directory is not None else settings.cache_dir()).expanduser().absolute()
        with self._lock:
            if path not in self._caches:
                self._caches[path] = EmbeddingCache(path)
            return self._caches[path]

    def memo(self, name: str) -> MutableMapping[Any, Any]:
        """A dictionary a plugin keeps process-wide facts in (file hashes, say), emptied with the runtime.

        Args:
            name: The plugin's own name for it (``"embedsdk_transformers.revisions"``).
        """
        with self._lock:
            return self._memos.setdefault(name, {})

    def stored_memo(self, name: str) -> StoredMemo:
        """Facts a plugin keeps across processes (file digests, precision probes), in the cache folder.

        A small JSON file, ``<cache folder>/memos/<name>.json``, read once per process and rewritten
        (atomically) on each change. Nothing read from it is trusted: a file that is not a JSON object
        counts as empty, and a value of the wrong shape is the caller's miss.

        Args:
            name: The plugin's own name for it (``"embedsdk_transformers.digests"``); letters, digits, ``._-``.
        """
        if not name or not all(c.isalnum() or c in "._-" for c in name):
            raise InvalidOptionError(f"a stored memo's name is letters, digits and '._-', not {name!r}")
        folder = Path(settings.cache_dir()).expanduser().absolute() / "memos"
        with self._lock:
            key = (folder, name)
            if key not in self._stored:
                self._stored[key] = StoredMemo(folder / f"{name}.json")
            return self._stored[key]

    def file_digest(self, path: str | Path) -> str:
        """The sha256 (hex) of a file's content, hashed once per file state (path, size, mtime).

        Providers use it for content-hash revisions of their weights. It is remembered for the process and
        across processes (`stored_memo`), so a multi-GB checkpoint is read again only after it changes.

        Raises:
            ModelNotFoundError: the file is missing or cannot be read; the message names it.
        """
        file = Path(path).resolve()
        try:
            stat = file.stat()
            key = f"{file}|{stat.st_size}|{stat.st_mtime_ns}"
            # Under the lock: two threads loading one checkpoint hash it once, not twice.
            with self._lock:
                memo = self.memo("embedsdk.file_digests")
                found = memo.get(key)
                if found is None:
                    stored = self.stored_memo("embedsdk.file_digests")
                    found = stored.get(key)
                    if not (isinstance(found, str) and len(found) == 64):
                        digest = hashlib.sha256()
                        with file.open("rb") as handle:
                            for block in iter(lambda: handle.read(1 << 22), b""):
                                digest.update(block)
                        found = digest.hexdigest()
                        stored[key] = found
                    memo[key] = found
        except OSError as exc:
            raise ModelNotFoundError(f"cannot read {file}: {exc.strerror or exc}") from exc
        return str(found)

    @property
    def limiters(self) -> LimiterRegistry:
        """The process's rate limiters, one per endpoint and API key (`embedsdk.pipeline.limiter`).

        Hosted providers share them: every call to one endpoint with one key, from any thread or event loop,
        draws on the same requests-per-minute and tokens-per-minute budget.
        """
        return self._limiters

    def thread_pool(
        self,
        name: str,
        workers: int,
        initializer: Callable[[], None] | None = None,
        started: Callable[[], None] | None = None,
    ) -> Executor:
        """A pool of ``workers`` threads shared by everything that asks for ``name``, all started at once.

        Each thread runs ``initializer`` when it starts, and every thread has started when this returns, so
        whatever the initializer changes is in place before the first task. A process forked from this one
        gets a pool of its own (threads do not survive a fork).

        Args:
            name: What the threads are for, with whatever decides their set-up (``"torch-cpu-2"``).
            workers: How many threads.
            initializer: Run once in each thread before its first task.
            started: Run once in the calling thread when a new pool's threads have all started (to undo what
                the initializers changed process-wide, say); not run when the pool already exists.
        """
        with self._lock:
            owner, pool = self._pools.get(name, (None, None))
            if pool is not None and owner == os.getpid():
                return pool
            barrier = threading.Barrier(workers + 1)
            pool = ThreadPoolExecutor(workers, thread_name_prefix=f"embedsdk-{name}", initializer=initializer)
            for _ in range(workers):  # each task holds its thread until all have started, so all start now
                pool.submit(barrier.wait, 10)
            barrier.wait(10)  # BrokenBarrierError (a RuntimeError) if a thread failed to start or set up
            if started is not None:
                started()
            self._pools[name] = (os.getpid(), pool)
            return pool

    def close(self) -> None:
        """Close every built embedder and open cache, stop the thread pools, and forget the memos."""
        with self._lock:
            for _, pool in self._pools.values():
                pool.shutdown(wait=False, cancel_futures=True)
            self._pools.clear()
            self.forget_embedders()
            for cache in self._caches.values():
                cache.close()
            self._caches.clear()
            self._memos.clear()
            self._stored.clear()
            self._limiters.clear()


class StoredMemo(MutableMapping[str, Any]):
    """A string-keyed dictionary of JSON values kept in one file; see `Runtime.stored_memo`.

    Args:
        path: The JSON file (created with its folder on first write).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"StoredMemo({str(self.path)!r})"

    def _read(self) -> dict[str, Any]:
        if self._data is None:
            data: Any = {}
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                pass
            except (OSError, ValueError) as exc:
                logger.warning("embedsdk: ignoring memo file %s (%s); it will be rewritten", self.path, exc)
            self._data = data if isinstance(data, dict) else {}
        return self._data

    def _write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".memo-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self._data, out, sort_keys=True)
            os.replace(temporary, self.path)
        except OSError as exc:  # a read-only cache folder: the memo still holds for this process
            logger.debug("embedsdk: could not write memo %s: %s", self.path, exc)

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            return self._read()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            data = self._read()
            if key in data and data[key] == value:
                return
            # Another process may have added entries since this one read the file: merge them first.
            self._data = None
            data = self._read()
            data[key] = value
            self._write()

    def __delitem__(self, key: str) -> None:
        with self._lock:
            del self._read()[key]
            self._write()

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._read()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._read())


def _option_key(value: Any) -> str:
    """How an option value that JSON cannot hold enters the key of a built embedder.

    A secret (pydantic ``SecretStr``/``SecretBytes``) enters by a hash of its value: its repr is the same
    ``'**********'`` for every key, which would hand one API key's embedder to a call with another key.
    """
    reveal = getattr(value, "get_secret_value", None)
    if callable(reveal):
        secret = reveal()
        raw = secret if isinstance(secret, bytes) else str(secret).encode("utf-8")
        return f"secret:{hashlib.sha256(raw).hexdigest()}"
    return repr(value)


def _close(embedder: Any) -> None:
    close = getattr(embedder, "close", None)
    if callable(close):
        close()


_current = Runtime()
_current_lock = threading.Lock()


def current() -> Runtime:
    """The process's runtime."""
    return _current


def replace(runtime: Runtime) -> Runtime:
    """Make ``runtime`` the process's runtime; returns the previous one (which is not closed)."""
    global _current
    with _current_lock:
        previous, _current = _current, runtime
    return previous


@contextmanager
def using(runtime: Runtime) -> Iterator[Runtime]:
    """Run the block with ``runtime`` as the process's runtime, then close it and restore the previous one."""
    previous = replace(runtime)
    try:
        yield runtime
    finally:
        replace(previous)
        runtime.close()
