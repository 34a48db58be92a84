"""The registries handed to the ``register_indexes`` and ``register_oov_strategies`` hooks, and `Registries`.

Each is callable as ``register(name, ...)``. As for providers, the first registration of a name wins; a later
one is dropped when the first came from a ``tryfirst`` hook implementation or the later one from a ``trylast``
one, and any other clash is a `PluginError`. Lookups go through `get`, which raises the error class of the
kind (`UnknownIndexError`, `UnknownOOVStrategyError`) with close matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from embedsdk.errors import UnknownIndexError, UnknownOOVStrategyError
from embedsdk.providers.registry import AttributedRegistry, EmbedderRegistry, Registrant, resolve_conflict

__all__ = ["IndexInfo", "IndexRegistry", "OOVStrategyInfo", "OOVStrategyRegistry", "Registries"]

Entry = TypeVar("Entry")


@dataclass(frozen=True)
class IndexInfo:
    """One index backend: ``factory(space=None, **options) -> Index``."""

    name: str
    factory: Callable[..., Any]
    plugin: str
    description: str = ""


@dataclass(frozen=True)
class OOVStrategyInfo:
    """One out-of-vocabulary strategy: ``strategy(word, vectors) -> vector | None``."""

    name: str
    strategy: Callable[[str, Any], Any]
    plugin: str
    description: str = ""


class _NamedRegistry(AttributedRegistry, Generic[Entry]):
    """A name -> entry registry shared by index backends and OOV strategies."""

    kind = "entry"
    unknown: type[UnknownIndexError] | type[UnknownOOVStrategyError] = UnknownIndexError

    def __init__(self) -> None:
        super().__init__()
        self._entries: dict[str, Entry] = {}
        self._registrants: dict[str, Registrant] = {}

    def _add(self, name: str, make: Callable[[str], Entry]) -> None:
        who = self._registrant()
        if name in self._entries and resolve_conflict(self.kind, name, self._registrants[name], who):
            return
        self._entries[name] = make(who.plugin)
        self._registrants[name] = who

    def get(self, name: str) -> Entry:
        """The entry registered under ``name``.

        Raises:
            UnknownIndexError | UnknownOOVStrategyError: nothing is registered under ``name``; the message
                lists close matches (both are KeyErrors).
        """
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            shown = name if isinstance(name, str) else repr(name)
            suggestions = difflib.get_close_matches(shown, list(self._entries), n=3)
            raise self.unknown(shown, suggestions, list(self._entries)) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        """Every registration, sorted by name."""
        return [self._entries[name] for name in self.names()]


class IndexRegistry(_NamedRegistry[IndexInfo]):
    """Where plugins register index backends; callable as ``register(name, factory, description=...)``."""

    kind = "index backend"
    unknown = UnknownIndexError

    def __call__(self, name: str, factory: Callable[..., Any], *, description: str = "") -> None:
        """Register ``factory(space=None, **options) -> Index`` under ``name``."""
        self._add(name, lambda plugin: IndexInfo(name, factory, plugin, description))

    register = __call__


class OOVStrategyRegistry(_NamedRegistry[OOVStrategyInfo]):
    """Where plugins register out-of-vocabulary strategies; callable as ``register(name, strategy)``."""

    kind = "OOV strategy"
    unknown = UnknownOOVStrategyError

    def __call__(self, name: str, strategy: Callable[[str, Any], Any], *, description: str = "") -> None:
        """Register ``strategy(word, vectors) -> vector | None`` under ``name``."""
        self._add(name, lambda plugin: OOVStrategyInfo(name, strategy, plugin, description or _summary(strategy)))

    register = __call__


def _summary(function: Callable[..., Any]) -> str:
    return (function.__doc__ or "").strip().split("\n", 1)[0]


@dataclass(frozen=True)
class Registries:
    """What the hooks of one plugin manager registered."""

    embedders: EmbedderRegistry
    indexes: IndexRegistry
    oov_strategies: OOVStrategyRegistry
