"""The plugin system: one test per hook, blocking, entry points without installing anything, broken plugins."""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import types

import numpy as np
import pytest

import embedsdk
from embedsdk import runtime
from embedsdk.errors import (
    InvalidInputError,
    PluginError,
    UnknownIndexError,
    UnknownOOVStrategyError,
    UnknownProviderError,
)
from embedsdk.plugins import hookspecs
from embedsdk.plugins.hookspecs import hookimpl
from embedsdk.plugins.manager import BUILTIN_PLUGINS, disabled_plugins, make_plugin_manager
from embedsdk.retrieval.exact import ExactIndex
from embedsdk.testing import FakeEmbedder, isolated_plugins, registered_plugin


def hook_names() -> list[str]:
    """Every hook declared in `embedsdk.plugins.hookspecs`."""
    return sorted(
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, f"{hookspecs.PROJECT_NAME}_spec")
    )


# -- one test per hook ------------------------------------------------------------------------------------


def test_hook_register_embedders():
    class Plugin:
        @hookimpl
        def register_embedders(self, register):
            register("inline/model", FakeEmbedder, aliases=["inline"], dim=16, description="an inline plugin")

    with registered_plugin(Plugin(), name="inline-plugin"):
        info = {i.id: i for i in embedsdk.providers()}["inline/model"]
        assert info.plugin == "inline-plugin"
        assert info.aliases == ("inline",)
        result = embedsdk.embed(["hello world"], provider="inline")
        assert result.space.provider == "inline/model"
        np.testing.assert_allclose(result.vectors, FakeEmbedder("inline/model").embed_batch(["hello world"]), atol=1e-6)
    with pytest.raises(UnknownProviderError):
        embedsdk.embed(["hello world"], provider="inline")  # unregistered with its plugin


def test_hook_register_indexes():
    class TaggedIndex(ExactIndex):
        pass

    class Plugin:
        @hookimpl
        def register_indexes(self, register):
            register("tagged", TaggedIndex, description="exact search, tagged")

    with registered_plugin(Plugin(), name="index-plugin"):
        info = runtime.current().registries.indexes.get("tagged")
        assert info.plugin == "index-plugin"
        assert info.description == "exact search, tagged"
        index = info.factory()
        assert isinstance(index, TaggedIndex)
        index.add(["a"], np.ones((1, 3)))
        assert index.search(np.ones(3), k=1)[0][0].id == "a"
    with pytest.raises(UnknownIndexError):
        runtime.current().registries.indexes.get("tagged")


def test_hook_register_oov_strategies():
    def oov_mean(word, vectors):
        return np.full(vectors.dim, 0.5, dtype=np.float32)

    class Plugin:
        @hookimpl
        def register_oov_strategies(self, register):
            register("mean", oov_mean)

    with registered_plugin(Plugin()):
        strategy = runtime.current().registries.oov_strategies.get("mean").strategy
        assert strategy is oov_mean
        np.testing.assert_array_equal(strategy("zzz", types.SimpleNamespace(dim=3)), [0.5, 0.5, 0.5])
    with pytest.raises(UnknownOOVStrategyError):
        runtime.current().registries.oov_strategies.get("mean")


def test_every_hook_has_a_test():
    tests = {name for name in globals() if name.startswith("test_hook_")}
    missing = [name for name in hook_names() if f"test_hook_{name}" not in tests]
    assert hook_names()  # the listing itself works
    assert missing == [], f"hooks without a test_hook_<name>: {missing}"


@pytest.mark.parametrize("name", hook_names())
def test_every_hook_is_documented(name):
    function = getattr(hookspecs, name)
    assert function.__doc__ and function.__doc__.strip(), f"hook {name} has no docstring"
    assert "register(" in function.__doc__  # says how to call the registry it receives
    assert list(inspect.signature(function).parameters) == ["register"]
    assert name.startswith("register_")


def test_hook_list_is_the_hookspecs_all():
    assert set(hook_names()) == {name for name in hookspecs.__all__ if name.startswith("register_")}


# -- built-ins --------------------------------------------------------------------------------------------


def test_builtins_register_the_exact_index_and_the_oov_strategies():
    registries = runtime.current().registries
    assert registries.indexes.get("exact").factory is ExactIndex
    assert registries.indexes.get("numpy").factory is ExactIndex
    assert registries.indexes.get("exact").plugin == "embedsdk.retrieval.builtins"
    assert registries.oov_strategies.get("zero").plugin == "embedsdk.plugins.builtins"
    assert BUILTIN_PLUGINS == ("embedsdk.plugins.builtins", "embedsdk.retrieval.builtins")
    assert set(registries.oov_strategies.names()) >= {"error", "skip", "unk", "zero"}
    with pytest.raises(InvalidInputError, match="'zzz' is not in the vocabulary"):
        registries.oov_strategies.get("error").strategy("zzz", None)


# -- blocking ---------------------------------------------------------------------------------------------


def test_disabled_plugins_parses_commas_and_spaces(monkeypatch):
    monkeypatch.setenv("EMBEDSDK_DISABLE_PLUGINS", "one, two three,,")
    assert disabled_plugins() == ["one", "two", "three"]
    monkeypatch.delenv("EMBEDSDK_DISABLE_PLUGINS")
    assert disabled_plugins() == []


def test_disable_plugins_blocks_a_named_builtin(monkeypatch):
    monkeypatch.setenv("EMBEDSDK_DISABLE_PLUGINS", "embedsdk.retrieval.builtins")
    manager = make_plugin_manager(load_entrypoints=False)
    assert manager.get_plugin("embedsdk.retrieval.builtins") is None
    with runtime.using(runtime.Runtime(lambda: manager)) as blocked:
        assert blocked.registries.indexes.names() == []
        assert "zero" in blocked.registries.oov_strategies.names()  # the other built-in still loads


# -- entry points -----------------------------------------------------------------------------------------


class FakeDistribution:
    """Just what pluggy's `load_setuptools_entrypoints` reads from an installed distribution."""

    def __init__(self, name: str, entry_points: dict[str, str], group: str = "embedsdk") -> None:
        self.metadata = {"name": name, "version": "1.0"}
        self.version = "1.0"
        self.entry_points = [importlib.metadata.EntryPoint(key, value, group) for key, value in entry_points.items()]


def install_module(monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> types.ModuleType:
    """Make ``import name`` give a module built from ``source``, for this test only."""
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def fake_installed(monkeypatch: pytest.MonkeyPatch, *distributions: FakeDistribution) -> None:
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: list(distributions))


PLUGIN_SOURCE = """
import embedsdk
from embedsdk.testing import FakeEmbedder

@embedsdk.hookimpl
def register_embedders(register):
    register("entry/model", FakeEmbedder, aliases=["entry"], description="loaded from an entry point")
"""


def test_entry_point_plugins_are_loaded(monkeypatch):
    module = install_module(monkeypatch, "embedsdk_entry_plugin", PLUGIN_SOURCE)
    fake_installed(
        monkeypatch,
        FakeDistribution("embedsdk-entry", {"entry": "embedsdk_entry_plugin"}),
        FakeDistribution("unrelated", {"entry": "embedsdk_entry_plugin"}, group="console_scripts"),
    )
    manager = make_plugin_manager()
    assert manager.get_plugin("entry") is module
    assert len(manager.get_plugins()) == 3  # the two built-ins and the entry point, not the other group
    with runtime.using(runtime.Runtime(lambda: manager)):
        info = {i.id: i for i in embedsdk.providers()}["entry/model"]
        assert info.plugin == "entry"
        assert embedsdk.embed(["a b"], provider="entry").space.provider == "entry/model"


def test_isolated_plugins_does_not_load_entry_points_unless_asked(monkeypatch):
    install_module(monkeypatch, "embedsdk_entry_plugin", PLUGIN_SOURCE)
    fake_installed(monkeypatch, FakeDistribution("embedsdk-entry", {"entry": "embedsdk_entry_plugin"}))
    with isolated_plugins() as manager:
        assert manager.get_plugin("entry") is None
    with isolated_plugins(load_entrypoints=True) as manager:
        assert manager.get_plugin("entry") is not None
        assert embedsdk.embedder("entry").provider_id == "entry/model"


def test_disable_plugins_blocks_a_named_entry_point(monkeypatch):
    install_module(monkeypatch, "embedsdk_entry_plugin", PLUGIN_SOURCE)
    fake_installed(monkeypatch, FakeDistribution("embedsdk-entry", {"entry": "embedsdk_entry_plugin"}))
    monkeypatch.setenv("EMBEDSDK_DISABLE_PLUGINS", "entry")
    manager = make_plugin_manager()
    assert manager.get_plugin("entry") is None
    assert manager.is_blocked("entry")
    with runtime.using(runtime.Runtime(lambda: manager)), pytest.raises(UnknownProviderError):
        embedsdk.embedder("entry/model")
    assert make_plugin_manager(blocked=()).get_plugin("entry") is not None  # an explicit list wins


def test_a_misspelled_hook_fails_when_the_manager_is_built(monkeypatch):
    install_module(
        monkeypatch,
        "embedsdk_typo_plugin",
        "import embedsdk\n\n@embedsdk.hookimpl\ndef register_embedder(register):\n    pass\n",
    )
    fake_installed(monkeypatch, FakeDistribution("embedsdk-typo", {"typo": "embedsdk_typo_plugin"}))
    with pytest.raises(PluginError) as caught:
        make_plugin_manager()
    assert "register_embedder" in str(caught.value)
    assert "embedsdk.plugins.hookspecs" in str(caught.value)


def test_a_misspelled_hook_argument_fails_when_the_manager_is_built(monkeypatch):
    install_module(
        monkeypatch,
        "embedsdk_arg_plugin",
        "import embedsdk\n\n@embedsdk.hookimpl\ndef register_embedders(registry):\n    pass\n",
    )
    fake_installed(monkeypatch, FakeDistribution("embedsdk-arg", {"arg": "embedsdk_arg_plugin"}))
    with pytest.raises(PluginError) as caught:
        make_plugin_manager()
    assert "registry" in str(caught.value)


# -- broken plugins ---------------------------------------------------------------------------------------


def embedders_plugin(provider_id: str):
    class Plugin:
        @hookimpl
        def register_embedders(self, register):
            register(provider_id, FakeEmbedder)

    return Plugin()


def test_duplicate_ids_from_two_plugins_are_a_plugin_error():
    with isolated_plugins(embedders_plugin("dup/model"), embedders_plugin("dup/model")):
        with pytest.raises(PluginError, match="dup/model") as caught:
            embedsdk.embed(["a"], provider="dup/model")
    assert "EMBEDSDK_DISABLE_PLUGINS" in str(caught.value)


def test_duplicate_index_names_are_a_plugin_error():
    class Plugin:
        @hookimpl
        def register_indexes(self, register):
            register("exact", ExactIndex)

    with isolated_plugins(Plugin()), pytest.raises(PluginError, match="'exact' is registered by both"):
        runtime.current().registries  # noqa: B018 - building the registries runs the hooks


def test_a_plugin_failing_inside_a_hook_is_a_plugin_error_naming_it():
    class Plugin:
        @hookimpl
        def register_embedders(self, register):
            raise RuntimeError("boom")

    with registered_plugin(Plugin(), name="exploding"), pytest.raises(PluginError) as caught:
        runtime.current().registries  # noqa: B018 - building the registries runs the hooks
    assert "'exploding'" in str(caught.value)
    assert "register_embedders" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)


# -- pluggy's order and wrappers, as pluggy documents them --------------------------------------------------


def provider_plugin(provider_id: str, dim: int, **marks):
    class Plugin:
        @hookimpl(**marks)
        def register_embedders(self, register):
            register(provider_id, lambda pid, **options: FakeEmbedder(pid, dim=dim, **options), dim=dim)

    return Plugin()


def test_a_tryfirst_plugin_overrides_an_id_another_plugin_registers():
    # Registered before the other, so pluggy would call it last; tryfirst makes it run first, and win.
    overriding = provider_plugin("shared/model", 8, tryfirst=True)
    with isolated_plugins(overriding, provider_plugin("shared/model", 4)):
        assert embedsdk.embedder("shared/model").space.dim == 8
        assert {i.id: i for i in embedsdk.providers()}["shared/model"].dim == 8


def test_without_tryfirst_the_same_clash_is_a_plugin_error():
    with isolated_plugins(provider_plugin("shared/model", 8), provider_plugin("shared/model", 4)):
        with pytest.raises(PluginError, match="tryfirst"):
            embedsdk.embedder("shared/model")


def test_a_trylast_plugin_only_fills_gaps():
    fallback = provider_plugin("shared/model", 8, trylast=True)
    gap_filler = provider_plugin("only/fallback", 2, trylast=True)
    with isolated_plugins(provider_plugin("shared/model", 4), fallback, gap_filler):
        assert embedsdk.embedder("shared/model").space.dim == 4
        assert embedsdk.embedder("only/fallback").space.dim == 2


def test_hooks_are_called_the_pluggy_way_last_registered_first():
    calls = []

    def recorder(name, **marks):
        class Plugin:
            @hookimpl(**marks)
            def register_indexes(self, register):
                calls.append(name)

        return Plugin()

    with isolated_plugins(recorder("first"), recorder("second"), recorder("early", tryfirst=True)):
        runtime.current().registries  # noqa: B018 - building the registries runs the hooks
    assert calls == ["early", "second", "first"]


def test_a_hook_wrapper_sees_every_registration():
    seen = {}

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_embedders(self, register):
            yield
            seen.update({info.id: info.plugin for info in register.providers()})

    with isolated_plugins(Wrapper(), provider_plugin("a/model", 4), provider_plugin("b/model", 8)):
        embedsdk.providers()
    assert set(seen) == {"a/model", "b/model"}
    assert len(set(seen.values())) == 2  # each attributed to its own plugin


# -- the runtime owns the manager and the registries ---------------------------------------------------------


def test_registries_are_computed_once_until_plugins_change():
    first = runtime.current().registries
    assert runtime.current().registries is first
    runtime.current().plugins_changed()
    assert runtime.current().registries is not first


def test_isolated_plugins_restores_the_previous_runtime():
    outer = runtime.current()
    with isolated_plugins() as inner:
        assert runtime.current().plugin_manager is inner
        assert runtime.current() is not outer
    assert runtime.current() is outer


def test_a_fresh_runtime_builds_its_manager_on_first_use(monkeypatch):
    fake_installed(monkeypatch)  # nothing installed, so the manager loads the built-ins only
    fresh = runtime.Runtime()
    with runtime.using(fresh):
        manager = fresh.plugin_manager
        assert fresh.plugin_manager is manager
        assert manager.get_plugin("embedsdk.retrieval.builtins") is not None


def test_a_plugin_that_fails_to_import_is_named_with_the_fix(monkeypatch):
    # The module the entry point names does not exist (an uninstalled dependency, a renamed module).
    fake_installed(monkeypatch, FakeDistribution("embedsdk-broken", {"broken": "embedsdk_no_such_plugin_module"}))
    with pytest.raises(PluginError) as caught:
        make_plugin_manager()
    message = str(caught.value)
    assert "plugin 'broken' (distribution embedsdk-broken) failed to import" in message
    assert "EMBEDSDK_DISABLE_PLUGINS=broken" in message
    monkeypatch.setenv("EMBEDSDK_DISABLE_PLUGINS", "broken")
    assert make_plugin_manager().get_plugin("broken") is None  # blocked plugins are not even imported
