"""The pipeline of one call.

``resolve provider -> validate items -> cache lookup (misses only) -> long-input policy -> plan batches ->
embed_batch -> pool chunks, post-process -> cache store (after every batch) -> merge in input order``.

`embed` and `aembed` share everything but the loop that sends batches (`_Job.run` / `_Job.arun`).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import settings
from embedsdk.cache import EmbeddingCache, cache_key, default_cache, item_digest
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
from embedsdk.plugins import registries
from embedsdk.progress import ProgressBar
from embedsdk.protocols import Embedder
from embedsdk.registry import ProviderInfo
from embedsdk.space import Embeddings, EmbeddingSpace, EmbedStats
from embedsdk.validation import as_item_list, check_items, raise_for_item_errors

__all__ = ["aembed", "clear_embedders", "embed", "embed_words", "embedder", "providers"]

ROLES = (None, "query", "document")
ON_ERROR = ("raise", "collect")
ProgressArg = bool | Callable[[int, int], None] | None
CacheArg = bool | str | Path | EmbeddingCache | None

_embedders: dict[str, Any] = {}
_embedders_lock = threading.Lock()


def clear_embedders() -> None:
    """Forget the embedders built by `embedder` (they are rebuilt, and their models reloaded, on next use)."""
    with _embedders_lock:
        _embedders.clear()


def providers() -> list[ProviderInfo]:
    """Every registered provider: ``id``, ``aliases``, ``modalities``, ``dim`` (when known), ``plugin``."""
    return registries().embedders.providers()


def embedder(provider: str | None = None, **options: Any) -> Any:
    """A reusable embedder for ``provider`` (an id or alias; the default provider when None).

    The same provider with the same options gives the same object, so a model loads once per process.

    Raises:
        UnknownProviderError: no provider has that id (a KeyError; the message lists close matches).
        InvalidOptionError: an option the provider does not take, or a bad value.
    """
    name = provider or settings.default_provider()
    resolution = registries().embedders.resolve(name)
    merged = {**resolution.defaults, **options}
    key = resolution.id + "\0" + json.dumps(merged, sort_keys=True, default=repr)
    with _embedders_lock:
        found = _embedders.get(key)
        if found is not None:
            return found
        try:
            built = resolution.info.factory(resolution.id, **merged)
        except TypeError as exc:
            raise InvalidOptionError(f"{resolution.id}: {exc}") from exc
        _embedders[key] = built
        return built


def _as_embedder(provider: str | Embedder | None, options: dict[str, Any]) -> Any:
    if provider is None or isinstance(provider, str):
        return embedder(provider, **options)
    if not hasattr(provider, "embed_batch"):
        raise InvalidOptionError(
            f"provider must be an id such as 'minilm' or an Embedder, not {type(provider).__name__}"
        )
    if options:
        raise InvalidOptionError(
            f"options {sorted(options)} cannot be applied to an already built embedder; pass them to "
            f"embedsdk.embedder(...) instead"
        )
    return provider


def _as_cache(cache: CacheArg) -> EmbeddingCache | None:
    if cache is False or cache is None or not settings.cache_enabled():
        return None
    if cache is True:
        return default_cache()
    if isinstance(cache, EmbeddingCache):
        return cache
    if isinstance(cache, (str, Path)):
        return EmbeddingCache(cache)
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


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    result: np.ndarray = (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)
    return result


class _Job:
    """One call's state from validation to merge. Misses are the unique, uncached, valid items."""

    def __init__(
        self,
        items: Any,
        provider: str | Embedder | None,
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
        options: dict[str, Any],
    ) -> None:
        _check_choice("role", role, ROLES)
        _check_choice("on_long", on_long, LONG_POLICIES)
        _check_choice("on_error", on_error, ON_ERROR)
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise InvalidOptionError(f"batch_size must be a positive int, got {batch_size!r}")
        self.embedder = _as_embedder(provider, options)
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
        self.pieces: list[Piece] = []
        self.batches: list[list[int]] = []
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

    def _lookup_and_plan(self) -> None:
        failed = {error.index for error in self.errors}
        by_digest: dict[bytes, list[int]] = {}
        for index, item in enumerate(self.items):
            if index not in failed:
                by_digest.setdefault(item_digest(item), []).append(index)
        self.stats.unique = len(by_digest)
        digests = list(by_digest)
        keys = [cache_key(self.namespace, d) for d in digests]
        hits = self.cache.get_many(keys, self.out_space.dim) if self.cache else {}
        for key, digest in zip(keys, digests):
            if key in hits:
                self.rows[by_digest[digest]] = hits[key]
        self.stats.cache_hits = sum(len(by_digest[d]) for k, d in zip(keys, digests) if k in hits)

        # Misses: one entry per unique item, with every input index that repeats it.
        misses = [(k, by_digest[d]) for k, d in zip(keys, digests) if k not in hits]
        contents = [self.items[indexes[0]] for _, indexes in misses]
        tokenizer = self.embedder.tokenizer or ApproximateTokenizer()
        texts = [(n, c) for n, c in enumerate(contents) if isinstance(c, str)]
        counts = [1] * len(contents)
        for (n, _), count in zip(texts, tokenizer.count([c for _, c in texts]) if texts else []):
            counts[n] = count
        max_tokens = self.limits.max_tokens_per_item
        self.miss_keys = [key for key, _ in misses]
        self.miss_indexes = [indexes for _, indexes in misses]
        if max_tokens is not None and self.on_long != "error":
            # An over-long item's vector depends on the policy, so its key says which policy made it.
            long_ns = f"{self.namespace}|on_long={self.on_long}|overlap={self.chunk_overlap}"
            long_positions = [n for n, count in enumerate(counts) if count > max_tokens]
            for n in long_positions:
                self.miss_keys[n] = cache_key(long_ns, item_digest(contents[n]))
            long_hits = (
                self.cache.get_many([self.miss_keys[n] for n in long_positions], self.out_space.dim)
                if self.cache
                else {}
            )
            keep = []
            for n in range(len(contents)):
                if self.miss_keys[n] in long_hits:
                    self.rows[self.miss_indexes[n]] = long_hits[self.miss_keys[n]]
                    self.stats.cache_hits += len(self.miss_indexes[n])
                else:
                    keep.append(n)
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
        self.pieces = pieces
        self.remaining = np.bincount([p.owner for p in pieces], minlength=len(contents))
        self.piece_vectors: dict[int, list[tuple[int, np.ndarray]]] = {}
        self.failed_owners: set[int] = set()
        self.batches = plan_batches([p.tokens for p in pieces], self.limits, batch_size=self.batch_size)
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
            self.piece_vectors.setdefault(owner, []).append((position, vector))
            self.remaining[owner] -= 1
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
        owners = [o for o in owners if o not in self.failed_owners]
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
            vectors = _normalize_rows(vectors)
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
        return ProviderError(
            f"{self.provider_id} failed on a batch of {len(positions)} items: {type(exc).__name__}: {exc} "
            f"({done} items embedded before it are cached, so running the call again resumes)"
        )

    def _backoff(self, attempt: int, exc: RateLimitedError) -> float:
        if attempt >= settings.max_retries():
            raise exc
        if exc.retry_after is not None:
            return float(exc.retry_after)
        return float(min(60.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2))

    def _send(self, positions: list[int]) -> None:
        attempt = 0
        while True:
            try:
                vectors = self.embedder.embed_batch([self.pieces[p].content for p in positions], self.role)
                self._record(positions, vectors)
                return
            except RateLimitedError as exc:
                time.sleep(self._backoff(attempt, exc))
                attempt += 1
            except ItemRejectedError as exc:
                if len(positions) == 1:
                    self._fail(positions[0], exc)
                    return
                half = len(positions) // 2
                self._send(positions[:half])
                self._send(positions[half:])
                return
            except Exception as exc:
                translated = self._translate(exc, positions)
                if translated is exc:
                    raise
                raise translated from exc

    async def _asend(self, positions: list[int]) -> None:
        attempt = 0
        while True:
            try:
                vectors = await self.embedder.aembed_batch([self.pieces[p].content for p in positions], self.role)
                self._record(positions, vectors)
                return
            except RateLimitedError as exc:
                await asyncio.sleep(self._backoff(attempt, exc))
                attempt += 1
            except ItemRejectedError as exc:
                if len(positions) == 1:
                    self._fail(positions[0], exc)
                    return
                half = len(positions) // 2
                await self._asend(positions[:half])
                await self._asend(positions[half:])
                return
            except Exception as exc:
                translated = self._translate(exc, positions)
                if translated is exc:
                    raise
                raise translated from exc

    def run(self) -> Embeddings:
        for batch in self.batches:
            self._send(batch)
            self._advance(len(batch))
        return self.result()

    async def arun(self, concurrency: int = 4) -> Embeddings:
        gate = asyncio.Semaphore(concurrency)

        async def send(batch: list[int]) -> None:
            async with gate:
                await self._asend(batch)
                self._advance(len(batch))

        await asyncio.gather(*(send(batch) for batch in self.batches))
        return self.result()

    def result(self) -> Embeddings:
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


def embed(
    items: Iterable[Any] | str,
    provider: str | Embedder | None = None,
    *,
    role: str | None = None,
    normalize: bool | None = None,
    dimensions: int | None = None,
    batch_size: int | None = None,
    cache: CacheArg = True,
    on_long: str = "error",
    chunk_overlap: int | None = None,
    on_error: str = "raise",
    progress: ProgressArg = None,
    **options: Any,
) -> Embeddings:
    """Embed items with a provider, through the cache, in input order.

    Args:
        items: A list of items (texts for text providers), or one string.
        provider: An id (``hf/<model or path>``), an alias (``minilm``), or an Embedder; None uses
            ``EMBEDSDK_PROVIDER`` or the bundled all-MiniLM-L6-v2.
        role: ``"query"``, ``"document"`` or None; each provider maps it to its own mechanism.
        normalize: True gives unit-length vectors; None keeps what the provider gives.
        dimensions: Keep the first ``dimensions`` dimensions (Matryoshka-style), re-normalized when normalized.
        batch_size: At most this many items per request (the provider's limits still apply).
        cache: True uses the default cache, False bypasses it; a folder or `EmbeddingCache` uses that.
        on_long: What to do with an item over the provider's token limit: ``"error"`` refuses it (naming
            its index), ``"truncate"`` cuts it, ``"chunk"`` splits it on token boundaries with
            ``chunk_overlap`` tokens shared, embeds the pieces and mean-pools them.
        chunk_overlap: Tokens shared by consecutive chunks (default: min(32, limit / 4)).
        on_error: ``"raise"`` raises on the first problem (after embedding and caching all other items,
            for provider failures); ``"collect"`` returns every row it could, NaN rows for the others and
            their reasons in ``result.errors``.
        progress: True shows a progress bar on stderr; a callable gets ``(done, total)`` after each batch.
        **options: Provider options (``pooling="cls"``, ``device="cpu"``...), checked by the provider.

    Returns:
        `Embeddings` of shape ``(len(items), dim)``.

    Raises:
        InvalidInputError: a bad item (its index and the fix are in the message; all of them in ``.errors``).
        InvalidOptionError: an option the provider does not take, or a bad value.
        UnknownProviderError: no provider has that id (a KeyError listing close matches).
        EmbeddingFailedError: the provider failed some items; ``.result`` has the others.
    """
    job = _Job(
        items,
        provider,
        role=role,
        normalize=normalize,
        dimensions=dimensions,
        batch_size=batch_size,
        cache=cache,
        on_long=on_long,
        chunk_overlap=chunk_overlap,
        on_error=on_error,
        progress=progress,
        options=options,
    )
    return job.run()


async def aembed(
    items: Iterable[Any] | str,
    provider: str | Embedder | None = None,
    *,
    role: str | None = None,
    normalize: bool | None = None,
    dimensions: int | None = None,
    batch_size: int | None = None,
    cache: CacheArg = True,
    on_long: str = "error",
    chunk_overlap: int | None = None,
    on_error: str = "raise",
    progress: ProgressArg = None,
    **options: Any,
) -> Embeddings:
    """Async twin of `embed`, with the same arguments.

    Providers with a truly asynchronous client send up to four requests at once; the others run in a
    worker thread, so the event loop is never blocked by a local model.
    """

    def prepare() -> _Job:
        return _Job(
            items,
            provider,
            role=role,
            normalize=normalize,
            dimensions=dimensions,
            batch_size=batch_size,
            cache=cache,
            on_long=on_long,
            chunk_overlap=chunk_overlap,
            on_error=on_error,
            progress=progress,
            options=options,
        )

    job = await asyncio.to_thread(prepare)
    if getattr(job.embedder, "supports_async", False):
        return await job.arun()
    return await asyncio.to_thread(job.run)


def embed_words(
    sentence: str,
    words: Sequence[str | tuple[int, int]] | None = None,
    provider: str | Embedder | None = None,
    **options: Any,
) -> Embeddings:
    """One vector per word of ``sentence``, each read in the context of the whole sentence.

    A word split into several subword pieces gets the mean of its pieces, so "bank" in "river bank" and in
    "bank deposit" get different vectors.

    Args:
        sentence: The context.
        words: The words to embed: strings (their first whole-word occurrence, case-insensitive) or
            ``(start, end)`` character spans; None embeds every word.
        provider: A provider that embeds words in context (``hf/...``, ``bert``...); default provider if None.
        **options: Provider options.

    Returns:
        `Embeddings` with one row per word and ``labels`` holding the words.
    """
    model = _as_embedder(provider, options)
    if not getattr(model, "supports_words", False):
        raise InvalidOptionError(
            f"{getattr(model, 'provider_id', model)} does not embed words in context; use a transformer "
            f"provider such as 'bert' or 'hf/<model>'"
        )
    result: Embeddings = model.embed_words(sentence, words)
    return result
