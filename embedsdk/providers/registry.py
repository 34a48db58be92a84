"""Provider ids, aliases and families, as plugins registered them; close-match suggestions.

An id is ``family/model``. A plugin registers either one model (``openai/text-embedding-3-small``) or a
whole family (``hf/*``), plus short aliases (``minilm``). `EmbedderRegistry.resolve` turns what a user typed
into a `Resolution`: the canonical id, the factory to build it, and the registered default options.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from typing_extensions import Self

from embedsdk.errors import MissingDependencyError, PluginError, UnknownProviderError
from embedsdk.providers.catalog import missing_plugin_message, package_for

__all__ = [
    "AttributedRegistry",
    "EmbedderRegistry",
    "ProviderInfo",
    "Registrant",
    "Resolution",
    "resolve_conflict",
]


@dataclass(frozen=True)
class Registrant:
    """Who is registering: the plugin's name and the precedence its hook implementation asked for.

    A ``tryfirst`` implementation runs first, so what it registers wins over what later implementations
    register under the same name (an explicit override); a ``trylast`` one only fills gaps (an explicit fallback).
    """

    plugin: str = "unknown"
    tryfirst: bool = False
    trylast: bool = False


def resolve_conflict(kind: str, name: str, first: Registrant, second: Registrant) -> bool:
    """Whether a second registration of ``name`` may be dropped in favour of the first one.

    Returns True (drop the second) when the first came from a ``tryfirst`` hook implementation or the second
    from a ``trylast`` one. Otherwise two plugins claim the same name by accident.

    Raises:
        PluginError: the clash is not an explicit override; the message names both plugins and the fix.
    """
    if first.tryfirst or second.trylast:
        return True
    raise PluginError(
        f"{kind} {name!r} is registered by both {first.plugin!r} and {second.plugin!r}; block one with "
        f"EMBEDSDK_DISABLE_PLUGINS, or mark the overriding hook implementation @hookimpl(tryfirst=True)"
    )


class AttributedRegistry:
    """Base of the registries handed to hooks: each registration is attributed to the plugin making it.

    The plugin manager tells the registry who is calling (`attribute_with`); a registry built by hand
    attributes everything to ``"unknown"``.
    """

    def __init__(self) -> None:
        self._registrant: Callable[[], Registrant] = Registrant

    def for_plugin(self, name: str) -> Self:
        """Attribute every following registration to the plugin ``name`` (for registries built by hand)."""
        self._registrant = lambda: Registrant(name)
        return self

    def attribute_with(self, registrant: Callable[[], Registrant]) -> None:
        """Use ``registrant()`` to learn who makes each following registration."""
        self._registrant = registrant


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


class EmbedderRegistry(AttributedRegistry):
    """Where plugins register providers; passed to ``register_embedders`` hooks, callable as ``register(...)``.

    The first registration of an id or alias wins. A later one for the same name is dropped when the first
    came from a ``tryfirst`` hook implementation (an override) or the later one from a ``trylast`` one (a
    fallback); any other clash is a `PluginError`.
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_id: dict[str, ProviderInfo] = {}
        self._aliases: dict[str, str] = {}
        self._registrants: dict[str, Registrant] = {}

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
        who = self._registrant()
        if "/" not in id or id.startswith("/") or id.endswith("/"):
            raise PluginError(f"plugin {who.plugin!r} registered {id!r}; ids are 'family/model' or 'family/*'")
        if self._taken(id, who):
            return
        if factory is None:
            family = self._by_id.get(id.split("/", 1)[0] + "/*")
            if family is None:
                raise PluginError(f"plugin {who.plugin!r} registered {id!r} without a factory or family")
            factory = family.factory
        kept_aliases = [alias for alias in aliases if not self._taken(alias, who)]
        info = ProviderInfo(
            id=id,
            factory=factory,
            plugin=who.plugin,
            aliases=tuple(kept_aliases),
            modalities=frozenset(modalities),
            dim=dim,
            description=description,
            defaults=dict(defaults or {}),
        )
        self._by_id[id] = info
        self._registrants[id] = who
        for alias in info.aliases:
            self._aliases[alias] = id

    register = __call__

    def _taken(self, name: str, who: Registrant) -> bool:
        """True when ``name`` is already an id or alias whose first registration keeps it (see the class doc).

        An id that is another provider's alias counts too: the alias would win in `resolve` and hide it.
        """
        owner = self._by_id.get(name) or self._by_id.get(self._aliases.get(name, ""))
        return owner is not None and resolve_conflict("provider", name, self._registrants[owner.id], who)

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
            package = package_for(canonical)
            if package is not None and not any(i.family == family for i in self._by_id.values()):
                raise MissingDependencyError(missing_plugin_message(name, package))
            raise UnknownProviderError(name, self.suggest(name), available=self.names())
        return Resolution(id=canonical, info=info, defaults=info.defaults)

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Registered ids and aliases that look like ``name``, best first."""
        candidates = self.names()
        matches = difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)
        lowered = name.lower()
        prefix = [c for c in candidates if c.lower().startswith(lowered.split("/", 1)[0] + "/")]
        return list(dict.fromkeys([*matches, *prefix]))[:n]
