"""Plugin registration for tests: a fresh runtime for a block, inline plugins, and a registered fake provider.

Core tests and plugin tests isolate themselves the same way, through these (or the pytest fixtures of
`embedsdk.testing.fixtures`), never by resetting a module's private state::

    with isolated_runtime(my_plugin_module):
        embedsdk.embed(["a b"], provider="mine/model")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pluggy

from embedsdk import runtime
from embedsdk.plugins.hookspecs import hookimpl
from embedsdk.plugins.manager import add_plugin, make_plugin_manager
from embedsdk.providers.registry import EmbedderRegistry
from embedsdk.testing.fakes import FakeEmbedder

__all__ = ["fake_provider", "isolated_plugins", "isolated_runtime", "registered_plugin"]


@contextmanager
def isolated_runtime(
    *plugin_objects: object, load_entrypoints: bool = False, named: Mapping[str, object] | None = None
) -> Iterator[runtime.Runtime]:
    """Run the block with a fresh `Runtime`: built-ins, the given plugins, and (by default) no installed ones.

    Its embedders and caches are closed when the block ends, and the previous runtime comes back untouched.

    Args:
        *plugin_objects: Modules or objects with ``@embedsdk.hookimpl`` functions to register.
        load_entrypoints: Also load the installed plugins (entry-point group ``embedsdk``).
        named: Plugins registered under a name of their own: use the entry-point name
            (``{"transformers": embedsdk_transformers.plugin}``) so a test sees what an installed plugin shows.
    """
    manager = make_plugin_manager(load_entrypoints=load_entrypoints, blocked=())
    for plugin in plugin_objects:
        add_plugin(manager, plugin)
    for name, plugin in (named or {}).items():
        add_plugin(manager, plugin, name=name)
    with runtime.using(runtime.Runtime(lambda: manager)) as fresh:
        yield fresh


@contextmanager
def isolated_plugins(*plugin_objects: object, load_entrypoints: bool = False) -> Iterator[pluggy.PluginManager]:
    """Like `isolated_runtime`, yielding the block's plugin manager."""
    with isolated_runtime(*plugin_objects, load_entrypoints=load_entrypoints) as fresh:
        yield fresh.plugin_manager


@contextmanager
def registered_plugin(plugin: object, name: str | None = None) -> Iterator[pluggy.PluginManager]:
    """Register an inline plugin in the current runtime's plugin manager for the block, then remove it.

    Raises:
        PluginError: the plugin implements a hook that does not exist or takes the wrong arguments.
    """
    current = runtime.current()
    manager = current.plugin_manager
    plugin_name = add_plugin(manager, plugin, name=name)
    current.plugins_changed()
    try:
        yield manager
    finally:
        manager.unregister(name=plugin_name)
        current.plugins_changed()


@contextmanager
def fake_provider(id: str = "fake/test", *, aliases: Sequence[str] = (), **options: Any) -> Iterator[FakeEmbedder]:
    """Register a `FakeEmbedder` under ``id`` for the block and yield it.

    Calls with no options (or the same options) get this very instance, so the test can count its calls.
    """
    instance = FakeEmbedder(id, **options)

    class _FakePlugin:
        @hookimpl
        def register_embedders(self, register: EmbedderRegistry) -> None:
            def build(provider_id: str, **given: Any) -> FakeEmbedder:
                return instance if not given or given == options else FakeEmbedder(provider_id, **given)

            register(id, build, aliases=aliases, dim=instance.options.dim, description="deterministic fake")

    with registered_plugin(_FakePlugin(), name=f"fake:{id}"):
        yield instance
