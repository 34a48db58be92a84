"""What every evaluation reports: its metrics, and what the embeddings cost (`EvalCost`).

Every task embeds through `embedsdk.embed` with a `CostMeter`, so the cache, the planner and the role apply,
and the cost of a run is read from each call's ``stats``: items asked for, cache hits, tokens, provider
requests and wall time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import embedsdk
from embedsdk.errors import InvalidInputError

__all__ = ["CostMeter", "EvalCost", "TaskResult"]


@dataclass
class EvalCost:
    """What the embeddings of one evaluation cost.

    Attributes:
        items: Items the task asked for (repeats included).
        embedded: Items that reached the provider (the others came from the cache or were repeats).
        cache_hits: Items answered by the cache.
        tokens: Tokens sent to the provider, in its own tokenizer when it has one.
        requests: Requests sent to the provider (forward passes for local models, API calls for hosted ones).
        seconds: Wall time spent embedding.
    """

    items: int = 0
    embedded: int = 0
    cache_hits: int = 0
    tokens: int = 0
    requests: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The cost as a plain dict (JSON-ready)."""
        return {
            "items": self.items,
            "embedded": self.embedded,
            "cache_hits": self.cache_hits,
            "tokens": self.tokens,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class TaskResult:
    """Base of every task's result: the provider, the number of examples and the cost.

    Attributes:
        task: The task's name (``sts``, ``retrieval``...).
        provider: The provider id the vectors came from (aliases resolved).
        examples: How many examples were scored (pairs, queries, texts, words).
        cost: What the embeddings cost (`EvalCost`).
    """

    task: str
    provider: str
    examples: int
    cost: EvalCost = field(default_factory=EvalCost)

    @property
    def metrics(self) -> dict[str, float]:
        """The task's metrics by name, for reports; each task class fills it."""
        return {}

    @property
    def primary(self) -> str:
        """The name of the metric a report sorts by."""
        return next(iter(self.metrics), "")

    def to_dict(self) -> dict[str, Any]:
        """Task, provider, examples, metrics and cost as a plain dict (JSON-ready)."""
        return {
            "task": self.task,
            "provider": self.provider,
            "examples": self.examples,
            "metrics": {name: round(float(value), 6) for name, value in self.metrics.items()},
            "cost": self.cost.to_dict(),
        }


class CostMeter:
    """Runs `embedsdk.embed` calls for one task and adds up their cost.

    Args:
        provider: An id, an alias or an Embedder.
        cache: Passed to `embedsdk.embed` (True: the default cache).
        progress: Passed to `embedsdk.embed` (True: a progress bar on stderr).
        options: Provider options and `embedsdk.embed` arguments. Items over the provider's token limit are
            truncated unless ``on_long`` says otherwise, as the reference evaluators (sentence-transformers,
            MTEB) do.
    """

    def __init__(
        self, provider: Any, *, cache: Any = True, progress: Any = None, options: dict[str, Any] | None = None
    ) -> None:
        self.provider = provider
        self.cache = cache
        self.progress = progress
        self.options = {"on_long": "truncate", **(options or {})}
        self.cost = EvalCost()
        self.provider_id = provider if isinstance(provider, str) else ""

    def embed(self, texts: Sequence[str], role: str | None = None, *, what: str = "texts") -> np.ndarray:
        """Embed ``texts`` with ``role`` and return float32 unit-length rows; the call's cost is added up.

        Raises:
            InvalidInputError: ``texts`` is empty, or an item cannot be embedded (its index and the fix are in
                the message; ``what`` names the list it came from).
        """
        if not texts:
            raise InvalidInputError(f"no {what} to embed: the list is empty")
        started = time.perf_counter()
        try:
            result = embedsdk.embed(
                list(texts), self.provider, role=role, cache=self.cache, progress=self.progress, **self.options
            )
        except InvalidInputError as exc:
            raise type(exc)(f"{what}: {exc}", exc.errors) from exc
        self._add(result, time.perf_counter() - started)
        vectors = np.asarray(result.vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalized: np.ndarray = vectors / np.where(norms == 0, 1, norms)
        return normalized

    def embed_collect(self, texts: Sequence[str], role: str | None = None) -> np.ndarray:
        """Like `embed`, but items the provider cannot embed (out-of-vocabulary words) come back as NaN rows."""
        started = time.perf_counter()
        result = embedsdk.embed(
            list(texts),
            self.provider,
            role=role,
            cache=self.cache,
            progress=self.progress,
            on_error="collect",
            **self.options,
        )
        self._add(result, time.perf_counter() - started)
        vectors = np.asarray(result.vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            # A zero vector is how some OOV strategies say "unknown": treat it as missing too.
            out: np.ndarray = np.where(norms > 0, vectors / np.where(norms == 0, 1, norms), np.nan)
        return out.astype(np.float32)

    def _add(self, result: Any, seconds: float) -> None:
        stats = result.stats
        self.cost.items += int(getattr(stats, "items", 0))
        self.cost.embedded += int(getattr(stats, "embedded", 0))
        self.cost.cache_hits += int(getattr(stats, "cache_hits", 0))
        self.cost.tokens += int(getattr(stats, "tokens", 0))
        self.cost.requests += int(getattr(stats, "requests", getattr(stats, "batches", 0)))
        self.cost.seconds += seconds
        self.provider_id = result.space.provider
