"""The hooks a plugin can implement. Each receives a typed registry and returns None.

A plugin is a module (or object) with functions marked ``@embedsdk.hookimpl``, registered through the
``embedsdk`` entry-point group::

    [project.entry-points.embedsdk]
    myplugin = "myplugin"          # the module that holds the hookimpls

    # myplugin.py
    import embedsdk

    @embedsdk.hookimpl
    def register_embedders(register):
        register("mine/*", MyEmbedder, description="My models")

The host calls each hook once per registry through ``pm.hook.<name>(register=...)``, so pluggy's ordering
applies: implementations run last-registered first, ``tryfirst`` ones before the others and ``trylast`` ones
after; wrappers (``@hookimpl(wrapper=True)``) run around all of them and see every registration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from embedsdk.plugins.registries import IndexRegistry, OOVStrategyRegistry
    from embedsdk.providers.registry import EmbedderRegistry

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec", "register_embedders", "register_indexes", "register_oov_strategies"]

PROJECT_NAME = "embedsdk"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_embedders(register: EmbedderRegistry) -> None:
    """Register embedding providers: ``register(id, factory, aliases=..., dim=..., modalities=...)``.

    ``id`` is ``family/model`` for one model, or ``family/*`` for a whole family whose factory receives
    the full id (``hf/*`` takes ``hf/<hub id or local path>``). ``factory(provider_id, **options)`` returns
    an `Embedder` and must be cheap: load weights on first use.
    """


@hookspec
def register_indexes(register: IndexRegistry) -> None:
    """Register index backends: ``register(name, factory, description=...)``.

    ``factory(space=None, **options)`` returns an `Index`.
    """


@hookspec
def register_oov_strategies(register: OOVStrategyRegistry) -> None:
    """Register out-of-vocabulary strategies for static word vectors: ``register(name, strategy)``.

    ``strategy(word, vectors)`` returns a vector for a word the vocabulary lacks, or None to drop the word.
    """
