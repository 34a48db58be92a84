"""The plugin manager: built by a factory so every test can have a fresh one, shared by the process.

`make_plugin_manager` adds the hookspecs, blocks what ``EMBEDSDK_DISABLE_PLUGINS`` names, registers the
built-ins, loads the ``embedsdk`` entry points and calls ``check_pending`` so a misspelled hook fails at
once. `registries` runs the hooks and caches the resulting registries until `reset` (or a change of the
manager through `embedsdk.testing`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import pluggy

from embedsdk import hookspecs
from embedsdk.errors import PluginError
from embedsdk.registry import EmbedderRegistry, IndexRegistry, OOVStrategyRegistry

__all__ = [
    "ENTRY_POINT_GROUP",
    "Registries",
    "disabled_plugins",
    "get_plugin_manager",
    "add_plugin",
    "invalidate",
    "make_plugin_manager",
    "registries",
    "reset",
    "set_plugin_manager",
]

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
BUILTINS_NAME = "embedsdk.builtins"


def disabled_plugins() -> list[str]:
    """Plugin names listed in ``EMBEDSDK_DISABLE_PLUGINS`` (comma or space separated)."""
    raw = os.environ.get("EMBEDSDK_DISABLE_PLUGINS", "")
    return [name for name in raw.replace(",", " ").split() if name]


def make_plugin_manager(*, load_entrypoints: bool = True, blocked: Iterable[str] | None = None) -> pluggy.PluginManager:
    """Build a plugin manager with embedsdk's hookspecs, built-ins and (optionally) installed plugins.

    Args:
        load_entrypoints: Load plugins from the ``embedsdk`` entry-point group.
        blocked: Plugin names not to load; defaults to ``EMBEDSDK_DISABLE_PLUGINS``.

    Raises:
        PluginError: a plugin implements a hook that does not exist, or takes arguments the hook does not
            give (a typo, usually).
    """
    from embedsdk import builtins

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    for name in disabled_plugins() if blocked is None else blocked:
        manager.set_blocked(name)
    if not manager.is_blocked(BUILTINS_NAME):
        manager.register(builtins, name=BUILTINS_NAME)
    try:
        # Registering validates argument names, check_pending the hook names: both are a broken plugin.
        if load_entrypoints:
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{exc}; check the hook's name and arguments against embedsdk.hookspecs") from exc
    return manager


def add_plugin(manager: pluggy.PluginManager, plugin: object, name: str | None = None) -> str:
    """Register ``plugin`` (a module or object with hookimpls) and validate it as loading does.

    Returns:
        The name it was registered under.

    Raises:
        PluginError: a hook name that does not exist, or arguments the hook does not give; the plugin is
            left unregistered.
    """
    try:
        registered = manager.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{exc}; check the hook's name and arguments against embedsdk.hookspecs") from exc
    if registered is None:
        raise PluginError(f"plugin {name or plugin!r} is blocked (EMBEDSDK_DISABLE_PLUGINS) or already registered")
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        manager.unregister(name=registered)
        raise PluginError(f"{exc}; check the hook's name against embedsdk.hookspecs") from exc
    return registered


@dataclass
class Registries:
    """What the hooks registered."""

    embedders: EmbedderRegistry
    indexes: IndexRegistry
    oov_strategies: OOVStrategyRegistry


_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_registries: Registries | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, built on first use."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = make_plugin_manager()
        return _manager


def set_plugin_manager(manager: pluggy.PluginManager | None) -> None:
    """Replace the process's plugin manager (None: rebuild on next use) and forget the registries."""
    global _manager
    with _lock:
        _manager = manager
        invalidate()


def invalidate() -> None:
    """Forget the registries and built embedders so the next call runs the hooks again."""
    global _registries
    with _lock:
        _registries = None
    from embedsdk import api

    api.clear_embedders()


def reset() -> None:
    """Rebuild everything on next use: manager, registries, embedders."""
    set_plugin_manager(None)


def _run_hook(
    manager: pluggy.PluginManager, hook_name: str, registry: EmbedderRegistry | IndexRegistry | OOVStrategyRegistry
) -> None:
    # Each implementation is called on its own, in registration order (built-ins first), so every
    # registration is attributed to its plugin.
    caller = getattr(manager.hook, hook_name)
    for impl in caller.get_hookimpls():
        registry.for_plugin(impl.plugin_name)
        try:
            impl.function(register=registry)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc}") from exc


def registries() -> Registries:
    """Run the hooks of the current manager once and return what they registered."""
    global _registries
    with _lock:
        if _registries is None:
            manager = get_plugin_manager()
            result = Registries(EmbedderRegistry(), IndexRegistry(), OOVStrategyRegistry())
            _run_hook(manager, "register_embedders", result.embedders)
            _run_hook(manager, "register_indexes", result.indexes)
            _run_hook(manager, "register_oov_strategies", result.oov_strategies)
            _registries = result
        return _registries
