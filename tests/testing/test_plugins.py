"""The helpers third parties test with: the deterministic fake and the plugin context managers."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk
from embedsdk import runtime
from embedsdk.errors import InvalidOptionError, ItemRejectedError, RateLimitedError, UnknownProviderError
from embedsdk.testing import FakeEmbedder, WhitespaceTokenizer, fake_provider, isolated_plugins, registered_plugin


def test_the_fake_is_deterministic_across_instances():
    first = FakeEmbedder("fake/a").embed_batch(["the cat sat", "a dog"])
    second = FakeEmbedder("fake/b").embed_batch(["the cat sat", "a dog"])
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float32
    assert first.shape == (2, 16)


def test_the_fake_gives_close_vectors_to_texts_sharing_words():
    vectors = FakeEmbedder("fake/test", dim=256).embed_batch(["red apple pie", "red apple tart", "blue whale song"])
    similar, different = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.5  # two of three words shared: about 2/3
    assert abs(different) < 0.3  # nothing shared: about 0


def test_the_fake_is_case_insensitive_and_role_aware():
    fake = FakeEmbedder("fake/test")
    np.testing.assert_array_equal(fake.embed_batch(["Red Apple"]), fake.embed_batch(["red apple"]))
    assert not np.allclose(fake.embed_batch(["red apple"], "query"), fake.embed_batch(["red apple"], "document"))
    assert fake.roles == [None, None, "query", "document"]
    assert fake.items_embedded == 4


def test_the_fake_normalizes_unless_told_not_to():
    assert np.linalg.norm(FakeEmbedder("fake/test").embed_batch(["a b c"])[0]) == pytest.approx(1.0, abs=1e-6)
    assert np.linalg.norm(FakeEmbedder("fake/test", normalized=False).embed_batch(["a b c"])[0]) > 1.2


def test_the_fake_space_and_limits_follow_its_options():
    fake = FakeEmbedder(
        "fake/test", dim=8, normalized=False, max_tokens=10, max_items=3, max_batch_tokens=20, padded=True
    )
    assert (fake.space.provider, fake.space.model, fake.space.dim, fake.space.normalized) == (
        "fake/test",
        "test",
        8,
        False,
    )
    assert fake.space.max_tokens == 10
    limits = fake.limits
    assert (limits.max_items_per_request, limits.max_tokens_per_item, limits.max_tokens_per_request, limits.padded) == (
        3,
        10,
        20,
        True,
    )
    assert isinstance(fake.tokenizer, WhitespaceTokenizer)
    assert fake.space != FakeEmbedder("fake/test").space


def test_the_fake_rejects_listed_content_and_rate_limits_a_set_number_of_times():
    fake = FakeEmbedder("fake/test", reject=["poison"], rate_limited=2)
    for _ in range(2):
        with pytest.raises(RateLimitedError) as caught:
            fake.embed_batch(["ok"])
        assert caught.value.retry_after == 0
    with pytest.raises(ItemRejectedError, match="poison"):
        fake.embed_batch(["ok", "some poison here"])
    assert fake.calls == []
    assert fake.embed_batch(["ok"]).shape == (1, 16)
    assert fake.calls == [["ok"]]


@pytest.mark.parametrize("options", [{"dim": 0}, {"dimension": 8}, {"rate_limited": -1}, {"max_items": "many"}])
def test_the_fake_validates_its_options(options):
    with pytest.raises(InvalidOptionError):
        FakeEmbedder("fake/test", **options)


def test_whitespace_tokenizer():
    tokenizer = WhitespaceTokenizer()
    assert tokenizer.count(["a b  c", "", "one"]) == [3, 0, 1]
    assert tokenizer.truncate("a b c d", 2) == "a b"
    assert tokenizer.split("a b c d e", 2) == ["a b", "c d", "e"]
    assert tokenizer.split("a b c d e", 3, overlap=1) == ["a b c", "c d e"]
    assert tokenizer.split("a b", 5, overlap=1) == ["a b"]
    text = " ".join(str(n) for n in range(100))
    pieces = tokenizer.split(text, 10, overlap=3)
    assert all(len(piece.split()) <= 10 for piece in pieces)
    assert pieces[-1].split()[-1] == "99"
    assert {word for piece in pieces for word in piece.split()} == set(text.split())


def test_fake_provider_registers_for_the_block_and_yields_the_instance_calls_use():
    with fake_provider("fake/block", aliases=["fb"], dim=8) as fake:
        assert embedsdk.embedder("fake/block") is fake
        assert embedsdk.embedder("fb", dim=8) is fake  # the same options also get the instance
        other = embedsdk.embedder("fake/block", dim=4)
        assert other is not fake
        assert other.space.dim == 4
        embedsdk.embed(["a"], provider="fb")
        assert fake.calls == [["a"]]
    with pytest.raises(UnknownProviderError):
        embedsdk.embedder("fake/block")


def test_registered_plugin_adds_and_removes_a_plugin():
    class Plugin:
        @embedsdk.hookimpl
        def register_embedders(self, register):
            register("inline/x", FakeEmbedder)

    manager = runtime.current().plugin_manager
    with registered_plugin(Plugin(), name="inline") as inside:
        assert inside is manager
        assert manager.get_plugin("inline") is not None
        assert "inline/x" in [info.id for info in embedsdk.providers()]
    assert manager.get_plugin("inline") is None
    assert "inline/x" not in [info.id for info in embedsdk.providers()]


def test_isolated_plugins_registers_the_given_plugins_on_a_fresh_manager():
    class Plugin:
        @embedsdk.hookimpl
        def register_embedders(self, register):
            register("inline/y", FakeEmbedder)

    outer = runtime.current().plugin_manager
    with isolated_plugins(Plugin()) as manager:
        assert manager is not outer
        assert runtime.current().plugin_manager is manager
        assert embedsdk.embedder("inline/y").provider_id == "inline/y"
    assert runtime.current().plugin_manager is outer
    with pytest.raises(UnknownProviderError):
        embedsdk.embedder("inline/y")


def test_isolated_plugins_restores_the_manager_after_an_error():
    outer = runtime.current().plugin_manager
    with pytest.raises(RuntimeError), isolated_plugins():
        raise RuntimeError("boom")
    assert runtime.current().plugin_manager is outer


def test_inline_plugins_are_validated_like_installed_ones():
    import embedsdk
    from embedsdk.testing import isolated_plugins, registered_plugin

    class Misspelled:
        @embedsdk.hookimpl
        def register_embedder(self, register):  # missing the final "s"
            pass

    class WrongArguments:
        @embedsdk.hookimpl
        def register_embedders(self, registry):
            pass

    with isolated_plugins():
        for plugin in (Misspelled(), WrongArguments()):
            with pytest.raises(embedsdk.PluginError, match="hookspecs"), registered_plugin(plugin):
                pass
        with pytest.raises(embedsdk.PluginError):
            with isolated_plugins(Misspelled()):
                pass
