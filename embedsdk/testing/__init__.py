"""Test helpers for embedsdk and for plugin authors: a deterministic fake embedder, isolated runtimes, fixtures.

The fake is for testing the core (caching, batching, ordering, errors), never for claims about a real
provider. Typical use::

    from embedsdk.testing import fake_provider

    def test_cache_hits():
        with fake_provider("fake/test") as fake:
            embedsdk.embed(["a b", "c d"], provider="fake/test")
            embedsdk.embed(["a b", "c d"], provider="fake/test")
            assert len(fake.calls) == 1

The pytest fixtures (`embedsdk.testing.fixtures`) are not imported here, so importing this package does not
need pytest.
"""

from __future__ import annotations

from embedsdk.testing.fakes import FakeEmbedder, FakeOptions, WhitespaceTokenizer
from embedsdk.testing.plugins import fake_provider, isolated_plugins, isolated_runtime, registered_plugin

__all__ = [
    "FakeEmbedder",
    "FakeOptions",
    "WhitespaceTokenizer",
    "fake_provider",
    "isolated_plugins",
    "isolated_runtime",
    "registered_plugin",
]
