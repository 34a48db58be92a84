"""pytest fixtures that isolate a test from the process's embedsdk state, for the core and for plugins.

Load them from a project's root ``conftest.py`` with ``pytest_plugins = ["embedsdk.testing.fixtures"]``, then
make isolation automatic in a conftest::

    @pytest.fixture
    def embedsdk_plugins():
        return {"myplugin": my_plugin_module}   # or a list; registered in each test's fresh runtime

    @pytest.fixture(autouse=True)
    def _isolated(embedsdk_isolated):
        yield embedsdk_isolated
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from embedsdk.testing.plugins import isolated_runtime

__all__ = ["ENVIRONMENT", "embedsdk_isolated", "embedsdk_plugins"]

ENVIRONMENT = (
    "EMBEDSDK_CACHE",
    "EMBEDSDK_CACHE_DIR",
    "EMBEDSDK_DISABLE_PLUGINS",
    "EMBEDSDK_MAX_RETRIES",
    "EMBEDSDK_PROVIDER",
)
"""The variables a test starts without (``EMBEDSDK_CACHE_DIR`` then points at the test's own folder)."""


@pytest.fixture
def embedsdk_plugins() -> Sequence[object] | Mapping[str, object]:
    """Plugins to register in each test's runtime, as a list or by name; override it in a conftest (default: none)."""
    return ()


@pytest.fixture
def embedsdk_isolated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedsdk_plugins: Sequence[object] | Mapping[str, object]
) -> Iterator[Path]:
    """A fresh runtime (built-ins plus `embedsdk_plugins`), no embedsdk variables, and a cache of the test's own.

    Yields:
        The cache folder (``EMBEDSDK_CACHE_DIR``).
    """
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    cache_dir = tmp_path / "embedsdk-cache"
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(cache_dir))
    named = embedsdk_plugins if isinstance(embedsdk_plugins, Mapping) else None
    listed = () if isinstance(embedsdk_plugins, Mapping) else tuple(embedsdk_plugins)
    with isolated_runtime(*listed, named=named):
        yield cache_dir
