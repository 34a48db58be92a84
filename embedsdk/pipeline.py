"""The pipeline of one call, as an `EmbedJob`.

``validate -> cache lookup (misses only) -> long-input policy -> plan batches -> embed_batch -> pool chunks,
post-process -> cache store (after every batch) -> merge in input order``.

`embed` and `aembed` (in `embedsdk.api`) build the same job and differ only in the loop that sends its
batches (`EmbedJob.run`, `EmbedJob.arun`).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import settings
from embedsdk.cache import EmbeddingCache, cache_at, cache_key, default_cache, item_digest
from embedsdk.errors import (
    EmbeddingFailedError,
    EmbedSDKError,
    InputTooLongError,
    InvalidOptionError,
    ItemError,
    ItemRejectedError,
    ProviderError,
    RateLimitedError,
)
from embedsdk.planner import (
    LONG_POLICIES,
    ApproximateTokenizer,
    Piece,
    expand_long_items,
    plan_batches,
    pool_chunks,
    too_long_message,
)
from embedsdk.progress import ProgressBar
from embedsdk.space import Embeddings, EmbeddingSpace, EmbedStats, normalize_rows
from embedsdk.validation import as_item_list, check_items, raise_for_item_errors

__all__ = ["CacheArg", "EmbedJob", "ProgressArg"]

ROLES = (None, "query", "document")
ON_ERROR = ("raise", "collect")
ProgressArg = bool | Callable[[int, int], None] | None
CacheArg = bool | str | Path | EmbeddingCache | None


def _as_cache(cache: CacheArg) -> EmbeddingCache | None:
    if cache is False or cache is None or not settings.cache_enabled():
        return None
    if cache is True:
        return default_cache()
    if isinstance(cache, EmbeddingCache):
        return cache
    if isinstance(cache, (str, Path)):
        return cache_at(cache)
    raise InvalidOptionError(f"cache must be True, False, a folder or an EmbeddingCache, not {cache!r}")


def _as_progress(progress: ProgressArg) -> Callable[[int, int], None] | None:
    if progress is True:
        return ProgressBar()
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    raise InvalidOptionError(f"progress must be True, False or a callable(done, total), not {progress!r}")


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise InvalidOptionError(f"{name}={value!r} is not one of {shown}")


class EmbedJob:
    """One call's state from validation to merge; `run` and `arun` send its batches.

    "Misses" are the call's unique, valid items the cache lacks; each may become several pieces (chunks).
    """

    def __init__(
        self,
        items: Any,
        embedder: Any,
        *,
        role: str | None,
        normalize: bool | None,
        dimensions: int | None,
        batch_size: int | None,
        cache: CacheArg,
        on_long: str,
        chunk_overlap: int | None,
        on_error: str,
        progress: ProgressArg,
    ) -> None:
        _check_choice("role", role, ROLES)
        _check_choice("on_long", on_long, LONG_POLICIES)
        _check_choice("on_error", on_error, ON_ERROR)
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise InvalidOptionError(f"batch_size must be a positive int, got {batch_size!r}")
        self.embedder = embedder
        self.role = role
        self.on_long = on_long
        self.on_error = on_error
        self.batch_size = batch_size
        self.cache = _as_cache(cache)
        self.progress = _as_progress(progress)
        self.items = as_item_list(items)
        self.provider_id = getattr(self.embedder, "provider_id", None) or self.embedder.space.provider

        self.space: EmbeddingSpace = self.embedder.space
        self.limits = self.embedder.limits
        self.out_space = self._output_space(normalize, dimensions)
        max_tokens = self.limits.max_tokens_per_item
        if chunk_overlap is None:
            chunk_overlap = min(32, (max_tokens or 128) // 4)
        # No overlap is always valid, even for a limit of one token (the default there is 0).
        if chunk_overlap < 0 or (max_tokens is not None and chunk_overlap > 0 and chunk_overlap >= max_tokens // 2):
            raise InvalidOptionError(
                f"chunk_overlap={chunk_overlap} must be at least 0 and under half of {self.provider_id}'s "
                f"limit of {max_tokens} tokens"
            )
        self.chunk_overlap = chunk_overlap
        self.namespace = self.out_space.fingerprint()

        n = len(self.items)
        self.rows = np.full((n, self.out_space.dim), np.nan, dtype=np.float32)
        self.stats = EmbedStats(items=n)
        self.errors = check_items(self.items, frozenset(self.embedder.modalities), self.provider_id)
        if self.errors and on_error == "raise":
            raise_for_item_errors(self.errors)
        self._lookup_and_plan()

    # -- set-up -----------------------------------------------------------------------------------------

    def _output_space(self, normalize: bool | None, dimensions: int | None) -> EmbeddingSpace:
        dim = self.space.dim
        if dimensions is not None:
            if isinstance(dimensions, bool) or not isinstance(dimensions, int) or not 1 <= dimensions <= dim:
                raise InvalidOptionError(
                    f"dimensions={dimensions!r}: {self.provider_id} gives {dim}-d vectors; pass 1 to {dim}"
                )
            dim = dimensions
        if normalize is not None and not isinstance(normalize, bool):
            raise InvalidOptionError(f"normalize must be True, False or None, not {normalize!r}")
        normalized = self.space.normalized or bool(normalize)
        return self.space.model_copy(update={"role": self.role, "dim": dim, "normalized": normalized})

    def _take_cached(self, keys: list[str], groups: list[list[int]]) -> list[int]:
        """Fill the rows of every group whose key the cache has; return the positions it lacks."""
        hits = self.cache.get_many(keys, self.out_space.dim) if self.cache is not None else {}
        missing = []
        for n, (key, indexes) in enumerate(zip(keys, groups)):
            if key in hits:
                self.rows[indexes] = hits[key]
                self.stats.cache_hits += len(indexes)
            else:
                missing.append(n)
        return missing

    def _lookup_and_plan(self) -> None:
        failed = {error.index for error in self.errors}
        by_digest: dict[bytes, list[int]] = {}
        for index, item in enumerate(self.items):
            if index not in failed:
                by_digest.setdefault(item_digest(item), []).append(index)
        self.stats.unique = len(by_digest)
        digests = list(by_digest)
        keys = [cache_key(self.namespace, digest) for digest in digests]
        missing = self._take_cached(keys, [by_digest[d] for d in digests])

        # Misses: one entry per unique item, with every input index that repeats it.
        self.miss_keys = [keys[n] for n in missing]
        miss_digests = [digests[n] for n in missing]
        self.miss_indexes = [by_digest[digest] for digest in miss_digests]
        contents = [self.items[indexes[0]] for indexes in self.miss_indexes]
        tokenizer = self.embedder.tokenizer or ApproximateTokenizer()
        texts = [(n, c) for n, c in enumerate(contents) if isinstance(c, str)]
        counts = [1] * len(contents)
        for (n, _), count in zip(texts, tokenizer.count([c for _, c in texts]) if texts else []):
            counts[n] = count
        max_tokens = self.limits.max_tokens_per_item
        long_positions = [n for n, count in enumerate(counts) if max_tokens is not None and count > max_tokens]
        if long_positions and self.on_long != "error":
            # An over-long item's vector depends on the policy, so its key says which policy made it.
            long_namespace = f"{self.namespace}|on_long={self.on_long}|overlap={self.chunk_overlap}"
            for n in long_positions:
                self.miss_keys[n] = cache_key(long_namespace, miss_digests[n])
            still_missing = self._take_cached(
                [self.miss_keys[n] for n in long_positions], [self.miss_indexes[n] for n in long_positions]
            )
            cached = set(long_positions) - {long_positions[m] for m in still_missing}
            keep = [n for n in range(len(contents)) if n not in cached]
            contents = [contents[n] for n in keep]
            counts = [counts[n] for n in keep]
            self.miss_keys = [self.miss_keys[n] for n in keep]
            self.miss_indexes = [self.miss_indexes[n] for n in keep]

        pieces, refused, treated = expand_long_items(
            contents,
            counts,
            tokenizer=tokenizer,
            max_tokens=max_tokens,
            on_long=self.on_long,
            overlap=self.chunk_overlap,
        )
        long_errors = [
            ItemError(index, too_long_message(index, counts[n], self.provider_id, max_tokens or 0), InputTooLongError)
            for n in refused
            for index in self.miss_indexes[n]
        ]
        if long_errors and self.on_error == "raise":
            raise_for_item_errors(sorted(long_errors, key=lambda error: error.index))
        self.errors.extend(long_errors)
        self.stats.truncated = treated["truncated"]
        self.stats.chunked = treated["chunked"]
        self.pieces: list[Piece] = pieces
        self.remaining = np.bincount([p.owner for p in pieces], minlength=len(contents))
        self.piece_vectors: dict[int, list[tuple[int, np.ndarray]]] = {}
        self.failed_owners: set[int] = set()
        self.batches: list[list[int]] = plan_batches(
            [p.tokens for p in pieces], self.limits, batch_size=self.batch_size
        )
        self.done_pieces = 0

    # -- recording results ------------------------------------------------------------------------------

    def _record(self, positions: Sequence[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(positions), self.space.dim) or not np.isfinite(vectors).all():
            raise ProviderError(
                f"{self.provider_id} returned vectors of shape {vectors.shape} (finite: "
                f"{bool(np.isfinite(vectors).all())}) for {len(positions)} items; expected "
                f"({len(positions)}, {self.space.dim}) finite values"
            )
        finished = []
        for position, vector in zip(positions, vectors):
            owner = self.pieces[position].owner
            self.remaining[owner] -= 1
            if owner in self.failed_owners:
                continue  # another chunk of this item failed: the item fails whole
            self.piece_vectors.setdefault(owner, []).append((position, vector))
            if self.remaining[owner] == 0:
                finished.append(owner)
        self.stats.tokens += sum(self.pieces[p].tokens for p in positions)
        self._finish_owners(finished)

    def _fail(self, position: int, error: Exception) -> None:
        owner = self.pieces[position].owner
        self.remaining[owner] -= 1
        if owner in self.failed_owners:
            return
        self.failed_owners.add(owner)
        self.piece_vectors.pop(owner, None)
        for index in self.miss_indexes[owner]:
            self.errors.append(
                ItemError(index, f"item {index}: {self.provider_id} rejected it: {error}", type(error), error)
            )

    def _finish_owners(self, owners: Sequence[int]) -> None:
        if not owners:
            return
        pooled = []
        for owner in owners:
            parts = sorted(self.piece_vectors.pop(owner), key=lambda pair: pair[0])
            matrix = np.stack([vector for _, vector in parts])
            pooled.append(matrix[0] if len(parts) == 1 else pool_chunks(matrix, [0] * len(parts), 1)[0])
        final = self._post_process(np.stack(pooled))
        stored = {}
        for owner, vector in zip(owners, final):
            self.rows[self.miss_indexes[owner]] = vector
            stored[self.miss_keys[owner]] = vector
        self.stats.embedded += len(owners)
        if self.cache is not None:
            self.cache.set_many(stored)

    def _post_process(self, vectors: np.ndarray) -> np.ndarray:
        vectors = vectors[:, : self.out_space.dim]
        if self.out_space.normalized:
            vectors = normalize_rows(vectors)
        return vectors.astype(np.float32, copy=False)

    def _advance(self, count: int) -> None:
        self.done_pieces += count
        self.stats.batches += 1
        if self.progress is not None:
            self.progress(self.done_pieces, len(self.pieces))

    # -- sending batches --------------------------------------------------------------------------------

    def _translate(self, exc: Exception, positions: Sequence[int]) -> EmbedSDKError:
        if isinstance(exc, EmbedSDKError):
            return exc
        done = self.stats.embedded
        kept = (
            f"{done} item(s) embedded before it are cached, so running the call again resumes"
            if self.cache is not None
            else f"{done} item(s) embedded before it are lost: the cache is off"
        )
        return ProviderError(
            f"{self.provider_id} failed on a batch of {len(positions)} item(s): {type(exc).__name__}: {exc} ({kept})"
        )

    def _backoff(self, attempt: int, exc: RateLimitedError) -> float:
        if attempt >= settings.max_retries():
            raise exc
        if exc.retry_after is not None:
            return float(exc.retry_after)
        return float(min(60.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2))

    def _after_failure(self, exc: Exception, positions: list[int], attempt: int) -> float | None:
        """Decide what follows a failed request, for `_send` and `_asend` alike.

        Returns the seconds to wait before retrying (rate limits), or None when the batch is settled:
        a rejected single item is recorded as failed, a rejected batch is to be split by the caller
        (``len(positions) > 1``). Anything else is raised, translated into an embedsdk error.
        """
        if isinstance(exc, RateLimitedError):
            return self._backoff(attempt, exc)
        if isinstance(exc, ItemRejectedError):
            if len(positions) == 1:
                self._fail(positions[0], exc)
            return None
        translated = self._translate(exc, positions)
        if translated is exc:
            raise exc
        raise translated from exc

    def _send(self, positions: list[int]) -> None:
        for attempt in itertools.count():
            try:
                vectors = self.embedder.embed_batch([self.pieces[p].content for p in positions], self.role)
            except Exception as exc:
                delay = self._after_failure(exc, positions, attempt)
                if delay is not None:
                    time.sleep(delay)
                    continue
                if len(positions) > 1:  # rejected for its content: bisect so the bad item fails alone
                    half = len(positions) // 2
                    self._send(positions[:half])
                    self._send(positions[half:])
                return
            self._record(positions, vectors)
            return

    async def _asend(self, positions: list[int]) -> None:
        for attempt in itertools.count():
            try:
                vectors = await self.embedder.aembed_batch([self.pieces[p].content for p in positions], self.role)
            except Exception as exc:
                delay = self._after_failure(exc, positions, attempt)
                if delay is not None:
                    await asyncio.sleep(delay)
                    continue
                if len(positions) > 1:
                    half = len(positions) // 2
                    await self._asend(positions[:half])
                    await self._asend(positions[half:])
                return
            self._record(positions, vectors)
            return

    def run(self) -> Embeddings:
        """Send the batches one after the other and return the merged result."""
        for batch in self.batches:
            self._send(batch)
            self._advance(len(batch))
        return self.result()

    async def arun(self, concurrency: int = 4) -> Embeddings:
        """Send up to ``concurrency`` batches at once (for providers with a real async client)."""
        gate = asyncio.Semaphore(concurrency)

        async def send(batch: list[int]) -> None:
            async with gate:
                await self._asend(batch)
                self._advance(len(batch))

        await asyncio.gather(*(send(batch) for batch in self.batches))
        return self.result()

    def result(self) -> Embeddings:
        """The merged `Embeddings`; raises `EmbeddingFailedError` (holding it) when ``on_error="raise"``."""
        errors = sorted(self.errors, key=lambda error: error.index)
        result = Embeddings(self.rows, self.out_space, errors=errors, stats=self.stats)
        provider_errors = [e for e in errors if e.kind is not None and issubclass(e.kind, ProviderError)]
        if provider_errors and self.on_error == "raise":
            shown = "; ".join(e.message for e in provider_errors[:5])
            raise EmbeddingFailedError(
                f"{len(provider_errors)} of {len(self.items)} items failed ({shown}); the others are in "
                f"error.result and cached",
                result,
            )
        return result
