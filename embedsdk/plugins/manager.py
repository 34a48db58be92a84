"""The plugin manager factory, and the registries its hooks fill. No process state lives here.

`make_plugin_manager` adds the hookspecs, blocks what ``EMBEDSDK_DISABLE_PLUGINS`` names, registers the
built-ins, loads the ``embedsdk`` entry points and calls ``check_pending`` so a misspelled hook fails at
once. `collect_registries` calls every hook through ``pm.hook.<name>(register=...)``, so pluggy's order
(``tryfirst``, ``trylast``, wrappers) holds. The process's manager and registries are owned by
`embedsdk.runtime`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import types
from collections.abc import Callable, Iterable

import pluggy

from embedsdk.errors import PluginError
from embedsdk.plugins import hookspecs
from embedsdk.plugins.registries import IndexRegistry, OOVStrategyRegistry, Registries
from embedsdk.providers.registry import AttributedRegistry, EmbedderRegistry, Registrant

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "add_plugin",
    "collect_registries",
    "disabled_plugins",
    "make_plugin_manager",
]

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME

# The core registers its own pieces through its hooks, exactly as a plugin would. They are named, not
# imported, here (as pytest names its default plugins): the exact index lives in `embedsdk.retrieval`, a
# layer above this one.
BUILTIN_PLUGINS: tuple[str, ...] = ("embedsdk.plugins.builtins", "embedsdk.retrieval.builtins")


def disabled_plugins() -> list[str]:
    """Plugin names listed in ``EMBEDSDK_DISABLE_PLUGINS`` (comma or space separated)."""
    raw = os.environ.get("EMBEDSDK_DISABLE_PLUGINS", "")
    return [name for name in raw.replace(",", " ").split() if name]


def _validation_error(exc: pluggy.PluginValidationError) -> PluginError:
    return PluginError(f"{exc}; check the hook's name and arguments against embedsdk.plugins.hookspecs")


def make_plugin_manager(*, load_entrypoints: bool = True, blocked: Iterable[str] | None = None) -> pluggy.PluginManager:
    """Build a plugin manager with embedsdk's hookspecs, built-ins and (optionally) installed plugins.

    Args:
        load_entrypoints: Load plugins from the ``embedsdk`` entry-point group.
        blocked: Plugin names not to load; defaults to ``EMBEDSDK_DISABLE_PLUGINS``.

    Raises:
        PluginError: a plugin implements a hook that does not exist, takes arguments the hook does not give
            (a typo, usually), or fails to import.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    for name in disabled_plugins() if blocked is None else blocked:
        manager.set_blocked(name)
    try:
        for name in BUILTIN_PLUGINS:
            if not manager.is_blocked(name):
                manager.register(importlib.import_module(name), name=name)
        # Registering validates argument names, check_pending the hook names: both are a broken plugin.
        if load_entrypoints:
            _load_entry_points(manager)
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise _validation_error(exc) from exc
    return manager


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    """Register the plugins of the ``embedsdk`` entry-point group, as pluggy's own loader does.

    Done here rather than with ``load_setuptools_entrypoints`` so that a plugin that fails to import is named,
    with the variable that blocks it.
    """
    for distribution in importlib.metadata.distributions():
        for entry_point in distribution.entry_points:
            name = entry_point.name
            if entry_point.group != ENTRY_POINT_GROUP or manager.get_plugin(name) or manager.is_blocked(name):
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {name!r} (distribution {distribution.metadata['name']}) failed to import: "
                    f"{type(exc).__name__}: {exc}; reinstall or fix it, or block it with "
                    f"EMBEDSDK_DISABLE_PLUGINS={name}"
                ) from exc
            manager.register(plugin, name=name)


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
        raise _validation_error(exc) from exc
    if registered is None:
        raise PluginError(f"plugin {name or plugin!r} is blocked (EMBEDSDK_DISABLE_PLUGINS) or already registered")
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        manager.unregister(name=registered)
        raise _validation_error(exc) from exc
    return registered


def collect_registries(manager: pluggy.PluginManager) -> Registries:
    """Call every registration hook of ``manager`` once and return what the plugins registered.

    Raises:
        PluginError: a hook implementation raised, or two plugins claim one name (see `resolve_conflict`).
    """
    result = Registries(EmbedderRegistry(), IndexRegistry(), OOVStrategyRegistry())
    _call(manager, "register_embedders", result.embedders)
    _call(manager, "register_indexes", result.indexes)
    _call(manager, "register_oov_strategies", result.oov_strategies)
    return result


def _call(manager: pluggy.PluginManager, hook_name: str, registry: AttributedRegistry) -> None:
    caller = getattr(manager.hook, hook_name)
    implementations: dict[types.CodeType | None, list[pluggy.HookImpl]] = {}
    for impl in caller.get_hookimpls():
        implementations.setdefault(_code_of(impl.function), []).append(impl)
    registry.attribute_with(_registrant_finder(implementations))
    try:
        caller(register=registry)
    except PluginError:
        raise
    except Exception as exc:
        impl = _implementation_in(exc.__traceback__, implementations)
        who = f"plugin {impl.plugin_name!r}" if impl is not None else "a plugin"
        raise PluginError(f"{who} failed in {hook_name}: {type(exc).__name__}: {exc}") from exc
    finally:
        registry.attribute_with(Registrant)


def _code_of(function: Callable[..., object]) -> types.CodeType | None:
    target = getattr(function, "__func__", function)  # bound methods of plugin objects
    code = getattr(target, "__code__", None)
    return code if isinstance(code, types.CodeType) else None


def _implementation_at(
    frame: types.FrameType, implementations: dict[types.CodeType | None, list[pluggy.HookImpl]]
) -> pluggy.HookImpl | None:
    """The hook implementation running in ``frame``, if any.

    Two plugin objects of one class share their methods' code, so the frame's ``self`` tells them apart.
    """
    candidates = implementations.get(frame.f_code)
    if not candidates:
        return None
    owner = frame.f_locals.get("self")
    for impl in candidates:
        if getattr(impl.function, "__self__", None) is owner:
            return impl
    return candidates[0]


def _registrant_finder(
    implementations: dict[types.CodeType | None, list[pluggy.HookImpl]],
) -> Callable[[], Registrant]:
    """Who is registering right now: the innermost hook implementation on the call stack.

    pluggy calls the implementations itself, so the registry learns its caller from the stack; helper
    functions an implementation calls are attributed to it as well.
    """

    def find() -> Registrant:
        frame: types.FrameType | None = sys._getframe(1)
        while frame is not None:
            impl = _implementation_at(frame, implementations)
            if impl is not None:
                return Registrant(impl.plugin_name, tryfirst=impl.tryfirst, trylast=impl.trylast)
            frame = frame.f_back
        return Registrant()

    return find


def _implementation_in(
    traceback: types.TracebackType | None, implementations: dict[types.CodeType | None, list[pluggy.HookImpl]]
) -> pluggy.HookImpl | None:
    """The innermost hook implementation a traceback passes through."""
    found = None
    while traceback is not None:
        found = _implementation_at(traceback.tb_frame, implementations) or found
        traceback = traceback.tb_next
    return found
