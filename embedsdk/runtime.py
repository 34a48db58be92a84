"""The one owner of process state: plugin manager, registries, built embedders, open caches, plugin memos.

Every other module is stateless: it asks `current()` for what it needs. `Runtime` is thread-safe. Built
embedders live in a bounded LRU; an embedder pushed out is closed (its weights freed; it reloads if asked for
again). Tests swap the whole runtime (`embedsdk.testing.isolated_runtime`), so nothing reaches into a
module's private names to reset it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pluggy

from embedsdk import settings
from embedsdk.cache import EmbeddingCache
from embedsdk.errors import InvalidOptionError
from embedsdk.pipeline.limiter import LimiterRegistry
from embedsdk.plugins.manager import collect_registries, make_plugin_manager
from embedsdk.plugins.registries import Registries

__all__ = ["DEFAULT_MAX_EMBEDDERS", "Runtime", "current", "replace", "using"]

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
        self._limiters = LimiterRegistry()
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
            key = resolution.id + "\0" + json.dumps(merged, sort_keys=True, default=repr)
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

    @property
    def limiters(self) -> LimiterRegistry:
        """The process's rate limiters, one per endpoint and API key (`embedsdk.pipeline.limiter`).

        Hosted providers share them: every call to one endpoint with one key, from any thread or event loop,
        draws on the same requests-per-minute and tokens-per-minute budget.
        """
        return self._limiters

    def close(self) -> None:
        """Close every built embedder and open cache, and forget the memos."""
        with self._lock:
            self.forget_embedders()
            for cache in self._caches.values():
                cache.close()
            self._caches.clear()
            self._memos.clear()
            self._limiters.clear()


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
