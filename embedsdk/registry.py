"""Provider ids, aliases and families, as plugins registered them; close-match suggestions.

An id is ``family/model``. A plugin registers either one model (``openai/text-embedding-3-small``) or a
whole family (``hf/*``), plus short aliases (``minilm``). `EmbedderRegistry.resolve` turns what a user typed
into a `Resolution`: the canonical id, the factory to build it, and the registered default options.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from embedsdk.errors import MissingDependencyError, PluginError, UnknownProviderError

__all__ = [
    "EmbedderRegistry",
    "IndexInfo",
    "IndexRegistry",
    "OOVStrategyRegistry",
    "ProviderInfo",
    "Resolution",
]

# Families that first-party plugins provide, so a missing plugin gets a pip command instead of "unknown".
PLUGIN_FOR_FAMILY = {
    "hf": "embedsdk-transformers",
    "minilm": "embedsdk-transformers",
    "bert": "embedsdk-transformers",
    "codebert": "embedsdk-transformers",
    "scibert": "embedsdk-transformers",
}


def _missing_plugin_message(name: str, package: str) -> str:
    try:
        importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return f"provider {name!r} needs the {package} plugin: pip install {package}"
    return (
        f"provider {name!r} comes from the {package} plugin, which is installed but not loaded: "
        f"EMBEDSDK_DISABLE_PLUGINS={os.environ.get('EMBEDSDK_DISABLE_PLUGINS', '')!r} blocks it, or the "
        f"process's plugin manager was built without it"
    )


@dataclass(frozen=True)
class ProviderInfo:
    """One registration: a model id or a family pattern (``family/*``) and how to build it."""

    id: str
    factory: Callable[..., Any]
    plugin: str
    aliases: tuple[str, ...] = ()
    modalities: frozenset[str] = frozenset({"text"})
    dim: int | None = None
    description: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The listing fields (no factory): id, aliases, modalities, dim, plugin, description, family."""
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "modalities": sorted(self.modalities),
            "dim": self.dim,
            "plugin": self.plugin,
            "description": self.description,
            "family": self.is_family,
        }

    def __getitem__(self, key: str) -> Any:
        # Listings are often handled as dicts (JSON, DataFrames); p["id"] works like p.id.
        return self.to_dict()[key]

    @property
    def is_family(self) -> bool:
        """True for ``family/*`` registrations, which accept any model of the family."""
        return self.id.endswith("/*")

    @property
    def family(self) -> str:
        """The part before the first slash."""
        return self.id.split("/", 1)[0]


@dataclass(frozen=True)
class Resolution:
    """What a provider id or alias resolves to."""

    id: str
    info: ProviderInfo
    defaults: Mapping[str, Any]


class EmbedderRegistry:
    """Where plugins register providers; passed to ``register_embedders`` hooks, callable as ``register(...)``."""

    def __init__(self) -> None:
        self._by_id: dict[str, ProviderInfo] = {}
        self._aliases: dict[str, str] = {}
        self._plugin = "unknown"

    def for_plugin(self, name: str) -> EmbedderRegistry:
        """Set the plugin name that following registrations are attributed to; returns self."""
        self._plugin = name
        return self

    def __call__(
        self,
        id: str,
        factory: Callable[..., Any] | None = None,
        *,
        aliases: Iterable[str] = (),
        modalities: Iterable[str] = ("text",),
        dim: int | None = None,
        description: str = "",
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        """Register a provider.

        Args:
            id: ``family/model`` for one model, ``family/*`` for a family.
            factory: ``factory(provider_id, **options) -> Embedder``; may be omitted for a model of an
                already registered family, which then builds it.
            aliases: Short names that resolve to ``id``.
            modalities: What it embeds.
            dim: Vector dimension, when known without loading the model.
            description: One line for ``embedsdk providers``.
            defaults: Options applied unless the caller passes them (an alias's pooling, say).

        Raises:
            PluginError: the id or an alias is already taken, the id is malformed, or no factory is known.
        """
        if "/" not in id or id.startswith("/") or id.endswith("/"):
            raise PluginError(f"plugin {self._plugin!r} registered {id!r}; ids are 'family/model' or 'family/*'")
        if id in self._by_id:
            raise PluginError(
                f"provider {id!r} is registered by both {self._by_id[id].plugin!r} and {self._plugin!r}; "
                f"block one with EMBEDSDK_DISABLE_PLUGINS"
            )
        if id in self._aliases:
            # The alias would win in `resolve`, silently hiding this provider.
            owner = self._by_id[self._aliases[id]].plugin
            raise PluginError(
                f"provider {id!r} (plugin {self._plugin!r}) is already an alias of {self._aliases[id]!r} "
                f"(plugin {owner!r}); block one with EMBEDSDK_DISABLE_PLUGINS"
            )
        if factory is None:
            family = self._by_id.get(id.split("/", 1)[0] + "/*")
            if family is None:
                raise PluginError(f"plugin {self._plugin!r} registered {id!r} without a factory or family")
            factory = family.factory
        info = ProviderInfo(
            id=id,
            factory=factory,
            plugin=self._plugin,
            aliases=tuple(aliases),
            modalities=frozenset(modalities),
            dim=dim,
            description=description,
            defaults=dict(defaults or {}),
        )
        for alias in info.aliases:
            if alias in self._aliases or alias in self._by_id:
                raise PluginError(f"alias {alias!r} of {id!r} (plugin {self._plugin!r}) is already taken")
        self._by_id[id] = info
        for alias in info.aliases:
            self._aliases[alias] = id

    register = __call__

    def providers(self) -> list[ProviderInfo]:
        """Every registration, sorted by id."""
        return [self._by_id[key] for key in sorted(self._by_id)]

    def names(self) -> list[str]:
        """Every id and alias a user can type (families shown as ``family/*``)."""
        return sorted([*self._by_id, *self._aliases])

    def resolve(self, name: str) -> Resolution:
        """Turn an id or alias into a `Resolution`.

        Raises:
            UnknownProviderError: no registration matches; the message lists close matches.
            MissingDependencyError: the id belongs to a first-party plugin that is not installed.
        """
        canonical = self._aliases.get(name, name)
        info = self._by_id.get(canonical)
        if info is None and "/" in canonical:
            info = self._by_id.get(canonical.split("/", 1)[0] + "/*")
        if info is None or canonical.endswith("/*"):
            family = canonical.split("/", 1)[0]
            if family in PLUGIN_FOR_FAMILY and not any(i.family == family for i in self._by_id.values()):
                raise MissingDependencyError(_missing_plugin_message(name, PLUGIN_FOR_FAMILY[family]))
            raise UnknownProviderError(name, self.suggest(name), available=self.names())
        return Resolution(id=canonical, info=info, defaults=info.defaults)

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Registered ids and aliases that look like ``name``, best first."""
        candidates = self.names()
        matches = difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)
        lowered = name.lower()
        prefix = [c for c in candidates if c.lower().startswith(lowered.split("/", 1)[0] + "/")]
        return list(dict.fromkeys([*matches, *prefix]))[:n]


@dataclass(frozen=True)
class IndexInfo:
    """One index backend."""

    name: str
    factory: Callable[..., Any]
    plugin: str
    description: str = ""


class _NamedRegistry:
    """A name -> object registry shared by index backends and OOV strategies."""

    kind = "entry"

    def __init__(self) -> None:
        self._entries: dict[str, Any] = {}
        self._plugin = "unknown"

    def for_plugin(self, name: str) -> Any:
        """Set the plugin name that following registrations are attributed to; returns self."""
        self._plugin = name
        return self

    def _add(self, name: str, entry: Any) -> None:
        if name in self._entries:
            raise PluginError(f"{self.kind} {name!r} is registered twice (second time by {self._plugin!r})")
        self._entries[name] = entry

    def get(self, name: str) -> Any:
        """The entry registered under ``name``; an `UnknownProviderError` (a KeyError) lists close matches."""
        try:
            return self._entries[name]
        except KeyError:
            suggestions = difflib.get_close_matches(name, list(self._entries), n=3)
            raise UnknownProviderError(name, suggestions, list(self._entries), kind=self.kind) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._entries)


class IndexRegistry(_NamedRegistry):
    """Where plugins register index backends; callable as ``register(name, factory, description=...)``."""

    kind = "index"

    def __call__(self, name: str, factory: Callable[..., Any], *, description: str = "") -> None:
        """Register ``factory(space=None, **options) -> Index`` under ``name``."""
        self._add(name, IndexInfo(name=name, factory=factory, plugin=self._plugin, description=description))

    register = __call__


class OOVStrategyRegistry(_NamedRegistry):
    """Where plugins register out-of-vocabulary strategies; callable as ``register(name, strategy)``."""

    kind = "OOV strategy"

    def __call__(self, name: str, strategy: Callable[[str, Any], Any]) -> None:
        """Register ``strategy(word, vectors) -> vector | None`` under ``name``."""
        self._add(name, strategy)

    register = __call__
