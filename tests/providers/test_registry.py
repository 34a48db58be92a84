"""Provider ids, aliases and families; close-match suggestions; index and OOV registries."""

from __future__ import annotations

import pytest

from embedsdk.errors import (
    MissingDependencyError,
    PluginError,
    UnknownIndexError,
    UnknownOOVStrategyError,
    UnknownProviderError,
)
from embedsdk.plugins.registries import IndexRegistry, OOVStrategyRegistry
from embedsdk.providers.registry import EmbedderRegistry


def factory(provider_id, **options):
    return (provider_id, options)


def other_factory(provider_id, **options):
    return ("other", provider_id, options)


@pytest.fixture
def registry() -> EmbedderRegistry:
    registry = EmbedderRegistry().for_plugin("tests")
    registry("openai/text-embedding-3-small", factory, aliases=["small"], dim=1536)
    registry("openai/text-embedding-3-large", factory, dim=3072)
    registry("clip/*", other_factory, modalities=["text", "image"])
    registry("clip/ViT-B-32", aliases=["clip"], defaults={"weights": "openai"})
    return registry


def test_an_id_resolves_to_itself(registry):
    resolution = registry.resolve("openai/text-embedding-3-small")
    assert resolution.id == "openai/text-embedding-3-small"
    assert resolution.info.factory is factory
    assert resolution.info.dim == 1536
    assert resolution.info.plugin == "tests"


def test_an_alias_resolves_to_its_id(registry):
    assert registry.resolve("small").id == "openai/text-embedding-3-small"


def test_a_family_accepts_any_model_of_it(registry):
    resolution = registry.resolve("clip/RN50:openai")
    assert resolution.id == "clip/RN50:openai"
    assert resolution.info.id == "clip/*"
    assert resolution.info.is_family
    assert resolution.info.family == "clip"
    assert resolution.info.modalities == frozenset({"text", "image"})


def test_a_model_registered_without_a_factory_uses_its_family_and_keeps_its_defaults(registry):
    resolution = registry.resolve("clip")
    assert resolution.id == "clip/ViT-B-32"
    assert resolution.info.factory is other_factory
    assert dict(resolution.defaults) == {"weights": "openai"}


def test_the_family_pattern_itself_is_not_a_provider(registry):
    with pytest.raises(UnknownProviderError):
        registry.resolve("clip/*")


def test_an_unknown_id_lists_close_matches(registry):
    with pytest.raises(UnknownProviderError) as caught:
        registry.resolve("openai/text-embedding-3-smal")
    error = caught.value
    assert isinstance(error, KeyError)
    assert error.suggestions[0] == "openai/text-embedding-3-small"
    assert "did you mean 'openai/text-embedding-3-small'" in str(error)


def test_an_unknown_family_suggests_by_similarity(registry):
    assert "small" in registry.suggest("smal")
    assert registry.suggest("zzzzzzzzzz") == []


def test_an_unknown_name_without_matches_lists_what_is_registered(registry):
    with pytest.raises(UnknownProviderError) as caught:
        registry.resolve("zzzzzzzzzz")
    assert caught.value.suggestions == []
    assert "registered: " in str(caught.value)
    assert "openai/text-embedding-3-large" in str(caught.value)


def test_a_first_party_family_without_its_plugin_says_what_to_install(registry, monkeypatch):
    import importlib.metadata

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(MissingDependencyError) as caught:
        registry.resolve("hf/sentence-transformers/all-MiniLM-L6-v2")
    assert "pip install embedsdk-transformers" in str(caught.value)
    assert isinstance(caught.value, ImportError)
    with pytest.raises(MissingDependencyError):
        registry.resolve("minilm/x")


def test_names_and_providers_are_sorted(registry):
    assert registry.names() == sorted(registry.names())
    assert "small" in registry.names()
    assert "clip/*" in registry.names()
    ids = [info.id for info in registry.providers()]
    assert ids == sorted(ids)


@pytest.mark.parametrize("bad_id", ["noslash", "/model", "family/"])
def test_a_malformed_id_is_a_plugin_error(bad_id):
    with pytest.raises(PluginError, match="family/model"):
        EmbedderRegistry()(bad_id, factory)


def test_a_duplicate_id_is_a_plugin_error_naming_both_plugins(registry):
    registry.for_plugin("second")
    with pytest.raises(PluginError) as caught:
        registry("openai/text-embedding-3-small", factory)
    assert "'tests'" in str(caught.value)
    assert "'second'" in str(caught.value)
    assert "EMBEDSDK_DISABLE_PLUGINS" in str(caught.value)


@pytest.mark.parametrize("alias", ["small", "openai/text-embedding-3-large"])
def test_a_taken_alias_is_a_plugin_error(registry, alias):
    with pytest.raises(PluginError, match="registered by both 'tests' and 'tests'"):
        registry("new/model", factory, aliases=[alias])
    with pytest.raises(UnknownProviderError):
        registry.resolve("new/model")  # nothing of a refused registration is kept


def test_a_model_without_factory_or_family_is_a_plugin_error():
    with pytest.raises(PluginError, match="without a factory"):
        EmbedderRegistry()("lonely/model")


def test_index_registry():
    registry = IndexRegistry().for_plugin("tests")
    registry("flat", factory, description="flat search")
    info = registry.get("flat")
    assert (info.name, info.factory, info.plugin, info.description) == ("flat", factory, "tests", "flat search")
    assert registry.names() == ["flat"]
    with pytest.raises(PluginError, match="registered by both"):
        registry("flat", factory)
    with pytest.raises(UnknownIndexError) as caught:
        registry.get("flta")
    assert isinstance(caught.value, KeyError)
    assert "unknown index backend 'flta'" in str(caught.value)
    assert "flat" in caught.value.suggestions
    assert "embedsdk providers" not in str(caught.value)


def test_oov_strategy_registry():
    def strategy(word, vectors):
        return None

    registry = OOVStrategyRegistry()
    registry.register("drop", strategy)
    assert registry.get("drop").strategy is strategy
    with pytest.raises(UnknownOOVStrategyError, match="unknown OOV strategy 'missing'"):
        registry.get("missing")


def test_an_id_already_taken_as_an_alias_is_a_plugin_error():
    registry = EmbedderRegistry().for_plugin("first")
    registry("a/model", factory, aliases=["b/model"])
    registry.for_plugin("second")
    with pytest.raises(PluginError) as caught:
        registry("b/model", other_factory)
    assert "'first'" in str(caught.value)
    assert "'second'" in str(caught.value)
    assert registry.resolve("b/model").id == "a/model"


def test_provider_info_reads_like_a_dict():
    registry = EmbedderRegistry()
    registry("fake/one", lambda provider_id, **options: None, aliases=["one"], dim=8, description="d")
    info = registry.providers()[0]
    assert info["id"] == info.id == "fake/one"
    assert info["aliases"] == ["one"] and info["dim"] == 8 and info["modalities"] == ["text"]
    assert info.to_dict()["family"] is False
    with pytest.raises(KeyError):
        info["factory"]


def test_an_installed_but_blocked_plugin_is_not_told_to_install(registry, monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: object())
    monkeypatch.setenv("EMBEDSDK_DISABLE_PLUGINS", "transformers")
    with pytest.raises(MissingDependencyError) as caught:
        registry.resolve("minilm")
    message = str(caught.value)
    assert "installed but not loaded" in message and "EMBEDSDK_DISABLE_PLUGINS='transformers'" in message
    assert "pip install" not in message
