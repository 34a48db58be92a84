"""Settings are read from the environment when needed."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from embedsdk import settings
from embedsdk.errors import ConfigurationError


def test_default_provider(monkeypatch):
    assert settings.default_provider() == settings.DEFAULT_PROVIDER == "minilm"
    monkeypatch.setenv("EMBEDSDK_PROVIDER", "fake/test")
    assert settings.default_provider() == "fake/test"


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "vectors"))
    assert settings.cache_dir() == tmp_path / "vectors"
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", "~/somewhere")
    assert settings.cache_dir() == Path.home() / "somewhere"
    monkeypatch.delenv("EMBEDSDK_CACHE_DIR")
    assert settings.cache_dir() == Path(platformdirs.user_cache_dir("embedsdk")) / "vectors"


@pytest.mark.parametrize(
    ("value", "enabled"), [("0", False), ("false", False), (" OFF ", False), ("no", False), ("1", True), ("yes", True)]
)
def test_cache_enabled(monkeypatch, value, enabled):
    assert settings.cache_enabled() is True
    monkeypatch.setenv("EMBEDSDK_CACHE", value)
    assert settings.cache_enabled() is enabled


def test_max_retries(monkeypatch):
    assert settings.max_retries() == 5
    monkeypatch.setenv("EMBEDSDK_MAX_RETRIES", "2")
    assert settings.max_retries() == 2


@pytest.mark.parametrize("value", ["lots", "-1", "2.5"])
def test_a_bad_max_retries_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("EMBEDSDK_MAX_RETRIES", value)
    with pytest.raises(ConfigurationError, match="EMBEDSDK_MAX_RETRIES"):
        settings.max_retries()
