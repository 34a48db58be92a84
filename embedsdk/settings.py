"""Settings read from the environment at the moment they are needed (so tests can monkeypatch them).

| variable                  | meaning                                                 | default               |
|---------------------------|---------------------------------------------------------|-----------------------|
| ``EMBEDSDK_PROVIDER``     | provider used when a call names none                    | ``minilm``            |
| ``EMBEDSDK_CACHE_DIR``    | folder of the vector cache                              | user cache dir        |
| ``EMBEDSDK_CACHE``        | ``0`` turns the cache off for every call                | on                    |
| ``EMBEDSDK_DISABLE_PLUGINS`` | plugin names not to load (comma separated)           | none                  |
| ``EMBEDSDK_MAX_RETRIES``  | retries of a rate-limited request                       | 5                     |
| ``EMBEDSDK_COLLECTIONS_DIR`` | folder of named collections (``Collection("name")``) | user data dir         |
"""

from __future__ import annotations

import os
from pathlib import Path

from embedsdk.errors import ConfigurationError

__all__ = ["DEFAULT_PROVIDER", "cache_dir", "cache_enabled", "collections_dir", "default_provider", "max_retries"]

DEFAULT_PROVIDER = "minilm"


def default_provider() -> str:
    """``EMBEDSDK_PROVIDER``, else the bundled all-MiniLM-L6-v2 (alias ``minilm``)."""
    return os.environ.get("EMBEDSDK_PROVIDER") or DEFAULT_PROVIDER


def cache_dir() -> Path:
    """``EMBEDSDK_CACHE_DIR``, else ``<user cache dir>/embedsdk/vectors`` (platformdirs)."""
    configured = os.environ.get("EMBEDSDK_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("embedsdk")) / "vectors"


def collections_dir() -> Path:
    """``EMBEDSDK_COLLECTIONS_DIR``, else ``<user data dir>/embedsdk/collections`` (platformdirs)."""
    configured = os.environ.get("EMBEDSDK_COLLECTIONS_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("embedsdk")) / "collections"


def cache_enabled() -> bool:
    """False when ``EMBEDSDK_CACHE`` is ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get("EMBEDSDK_CACHE", "1").strip().lower() not in {"0", "false", "no", "off"}


def max_retries() -> int:
    """``EMBEDSDK_MAX_RETRIES`` (default 5): how often a rate-limited request is retried.

    Raises:
        ConfigurationError: the variable is not a whole number, 0 or more.
    """
    raw = os.environ.get("EMBEDSDK_MAX_RETRIES", "5")
    try:
        retries = int(raw)
    except ValueError:
        retries = -1
    if retries < 0:
        raise ConfigurationError(f"EMBEDSDK_MAX_RETRIES={raw!r}: set it to a whole number of retries, 0 or more")
    return retries
