"""The catalog of first-party plugins: which pip package provides which family or alias.

It is used for one thing only: when nobody registered what a user asked for, a known name gets the exact
``pip install`` command instead of "unknown provider". The registrations themselves are the plugins' own
(each plugin registers its families and aliases through ``register_embedders``); nothing here builds a model.
"""

from __future__ import annotations

import importlib.metadata
import os

__all__ = ["FIRST_PARTY_PACKAGES", "missing_plugin_message", "package_for"]

FIRST_PARTY_PACKAGES: dict[str, str] = {
    # families (the part of an id before the slash)
    "hf": "embedsdk-transformers",
    "openai": "embedsdk-openai",
    "cohere": "embedsdk-cohere",
    "clip": "embedsdk-clip",
    "use": "embedsdk-use",
    "static": "embedsdk-static",
    "doc2vec": "embedsdk-static",
    "elmo": "embedsdk-elmo",
    # aliases that first-party plugins register
    "minilm": "embedsdk-transformers",
    "bert": "embedsdk-transformers",
    "codebert": "embedsdk-transformers",
    "scibert": "embedsdk-transformers",
    "muse": "embedsdk-use",
    "glove": "embedsdk-static",
}


def package_for(name: str) -> str | None:
    """The first-party package that provides ``name`` (an id, a ``family/...`` or an alias), if any."""
    return FIRST_PARTY_PACKAGES.get(name) or FIRST_PARTY_PACKAGES.get(name.split("/", 1)[0] if "/" in name else "")


def missing_plugin_message(name: str, package: str) -> str:
    """Why ``name`` is not available although ``package`` is known to provide it, and the fix."""
    try:
        importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return f"provider {name!r} needs the {package} plugin: pip install {package}"
    return (
        f"provider {name!r} comes from the {package} plugin, which is installed but not loaded: "
        f"EMBEDSDK_DISABLE_PLUGINS={os.environ.get('EMBEDSDK_DISABLE_PLUGINS', '')!r} blocks it, or the "
        f"process's plugin manager was built without it"
    )
