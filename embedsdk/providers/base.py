"""`BaseEmbedder`: what a plugin author subclasses. Implement `embed_batch`; everything else is shared.

A subclass declares its options as a pydantic model (``Options``), its capabilities as class attributes and
its space through the `space` property. The core turns the options passed to ``embed(..., **options)`` into an
``Options`` instance, so an unknown or ill-typed option fails with a message naming it.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from embedsdk.errors import ConfigurationError, InvalidOptionError
from embedsdk.providers.protocols import ProviderLimits, Tokenizer
from embedsdk.space import EmbeddingSpace

if TYPE_CHECKING:
    from embedsdk.result import Embeddings

__all__ = ["BaseEmbedder", "NoOptions", "parse_options"]


class NoOptions(BaseModel):
    """Options model of a provider that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_options(model: type[BaseModel], options: Mapping[str, Any], provider: str) -> BaseModel:
    """Validate ``options`` against a provider's pydantic model, translating errors to `InvalidOptionError`.

    The message names each bad option, says what was wrong, and lists the options the provider takes.
    """
    try:
        return model(**options)
    except ValidationError as exc:
        valid = sorted(model.model_fields)
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "options"
            if error["type"] == "extra_forbidden":
                problems.append(f"unknown option {name!r}")
            else:
                problems.append(f"option {name!r}: {error['msg']}")
        takes = f"it takes: {', '.join(valid)}" if valid else "it takes no options"
        raise InvalidOptionError(f"{provider}: {'; '.join(problems)} ({takes})") from None


class BaseEmbedder(ABC):
    """Shared parts of an embedder; subclasses implement `embed_batch` and say what space they produce.

    Class attributes:
        Options: pydantic model of the provider's options (``extra="forbid"`` so typos fail).
        modalities: What it embeds (``{"text"}`` by default).
        supports_async: True when `aembed_batch` is truly asynchronous (hosted APIs).
        supports_words: True when `embed_words` embeds words in the context of their sentence.
    """

    Options: ClassVar[type[BaseModel]] = NoOptions
    modalities: ClassVar[frozenset[str]] = frozenset({"text"})
    supports_async: ClassVar[bool] = False
    supports_words: ClassVar[bool] = False

    def __init__(self, provider_id: str, **options: Any) -> None:
        self.provider_id = provider_id
        self.options: Any = parse_options(self.Options, options, provider_id)

    def __repr__(self) -> str:
        # Options may hold secrets (API keys): only their names are shown.
        fields: set[str] = getattr(self.options, "model_fields_set", set())
        shown = f", options={sorted(fields)}" if fields else ""
        return f"{type(self).__name__}({self.provider_id!r}{shown})"

    @property
    @abstractmethod
    def space(self) -> EmbeddingSpace:
        """The space of the vectors `embed_batch` returns, with ``role`` None."""

    @property
    def limits(self) -> ProviderLimits:
        """Request limits; override for anything but the defaults."""
        return ProviderLimits()

    @property
    def tokenizer(self) -> Tokenizer | None:
        """The provider's tokenizer, or None to let the planner estimate lengths."""
        return None

    @abstractmethod
    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Embed one batch that fits `limits`; return float32 of shape ``(len(items), space.dim)``."""

    def batch_executor(self, batches: int) -> Executor | None:
        """Where the planner may run this call's ``batches`` batches at once, or None: one after the other.

        A local model on a multi-core CPU returns threads set up for it (one per core, each running its
        batches on one core), so that one batch's Python and small kernels overlap another's matrix products.
        `embed_batch` must then be safe to call from several threads at once. The default: None.
        """
        return None

    async def aembed_batch(
        self, items: Sequence[Any], role: str | None = None, on_long: str | None = None
    ) -> np.ndarray:
        """Async twin of `embed_batch`; the default runs it in a worker thread.

        ``on_long`` is passed only to providers that declare ``handles_long_inputs``; it is handed on to their
        `embed_batch` unchanged.
        """
        if on_long is None:
            return await asyncio.to_thread(self.embed_batch, items, role)
        extended: Any = self.embed_batch  # providers with handles_long_inputs take on_long=
        return await asyncio.to_thread(extended, items, role, on_long=on_long)

    def embed_words(self, sentence: str, words: Sequence[str | tuple[int, int]] | None = None) -> Embeddings:
        """Embed words in the context of ``sentence``; only providers with ``supports_words`` do."""
        raise ConfigurationError(
            f"{self.provider_id} does not embed words in context; use a transformer provider such as "
            f"'hf/<model>' or 'bert'"
        )

    def embed(self, items: Iterable[Any] | str, **kwargs: Any) -> Embeddings:
        """Embed through the full pipeline (validation, cache, batching) with this embedder."""
        # The one sanctioned upward import (declared in pyproject's import-linter contract): a convenience
        # entry into the public call, so `embedsdk.embedder(...).embed(...)` works.
        from embedsdk.api import embed

        return embed(items, provider=self, **kwargs)

    async def aembed(self, items: Iterable[Any] | str, **kwargs: Any) -> Embeddings:
        """Async twin of `embed`."""
        from embedsdk.api import aembed

        return await aembed(items, provider=self, **kwargs)

    def close(self) -> None:
        """Release what the embedder holds (weights, connections); it loads again on next use."""
