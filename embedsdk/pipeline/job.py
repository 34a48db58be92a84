"""The pipeline of one call, as an `EmbedJob`.

``check options (constructor, no I/O) -> prepare: check items -> unique misses -> cache lookup -> count tokens
-> re-key over-long items -> long-input policy -> plan batches -> run: embed_batch -> pool chunks, post-process
-> cache store (after every batch) -> merge in input order``.

`embedsdk.api.embed` and `aembed` build the same job and differ only in the loop that sends its batches
(`EmbedJob.run`, `EmbedJob.arun`); both loops ask `embedsdk.pipeline.retry.decide` what follows a failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import operator
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import settings
from embedsdk.cache import EmbeddingCache, cache_key
from embedsdk.errors import (
    EmbeddingFailedError,
    EmbedSDKError,
    InputTooLongError,
    InvalidOptionError,
    ItemFailure,
    ProviderError,
)
from embedsdk.pipeline.items import as_item_list, check_items, item_digest, raise_for_item_errors
from embedsdk.pipeline.long_inputs import (
    LONG_POLICIES,
    ApproximateTokenizer,
    Piece,
    expand_long_items,
    pool_chunks,
    too_long_message,
)
from embedsdk.pipeline.planner import plan_batches, request_bytes
from embedsdk.pipeline.progress import ProgressBar
from embedsdk.pipeline.retry import decide
from embedsdk.result import Embeddings, EmbedStats
from embedsdk.space import EmbeddingSpace, normalize_rows

__all__ = ["CacheArg", "EmbedJob", "JobOptions", "Miss", "ProgressArg"]

ROLES = (None, "query", "document")
ON_ERROR = ("raise", "collect")
ProgressArg = bool | Callable[[int, int], None] | None
CacheArg = bool | str | Path | EmbeddingCache | None


def _choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    if not isinstance(value, (str, type(None))) or value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise InvalidOptionError(f"{name}={value!r} is not one of {shown}")
    return value


def _whole_number(name: str, value: Any, minimum: int) -> int | None:
    """``value`` as an int (numpy integers too), or None; bools, floats and strings are refused."""
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise InvalidOptionError(
            f"{name}={value!r} must be a whole number (an int), not {type(value).__name__}"
        ) from None
    if number < minimum:
        raise InvalidOptionError(f"{name}={number} must be at least {minimum}")
    return number


@dataclass(frozen=True)
class JobOptions:
    """The keyword arguments of one `embed` / `aembed` call, checked; everything else is a provider option.

    See `embedsdk.api.embed` for what each one means.
    """

    role: str | None = None
    normalize: bool | None = None
    dimensions: int | None = None
    batch_size: int | None = None
    cache: CacheArg = True
    on_long: str = "error"
    chunk_overlap: int | None = None
    on_error: str = "raise"
    progress: ProgressArg = None

    def __post_init__(self) -> None:
        _choice("role", self.role, ROLES)
        _choice("on_long", self.on_long, LONG_POLICIES)
        _choice("on_error", self.on_error, ON_ERROR)
        if self.normalize is not None and not isinstance(self.normalize, bool):
            raise InvalidOptionError(f"normalize must be True, False or None, not {self.normalize!r}")
        object.__setattr__(self, "dimensions", _whole_number("dimensions", self.dimensions, 1))
        object.__setattr__(self, "batch_size", _whole_number("batch_size", self.batch_size, 1))
        object.__setattr__(self, "chunk_overlap", _whole_number("chunk_overlap", self.chunk_overlap, 0))
        cache = self.cache
        if not isinstance(cache, (bool, str, Path, EmbeddingCache, type(None))):
            raise InvalidOptionError(f"cache must be True, False, a folder or an EmbeddingCache, not {cache!r}")
        if isinstance(cache, str) and not cache.strip():
            raise InvalidOptionError(f"cache={cache!r} names no folder; pass a folder, True for the default, or False")
        if not (self.progress is None or isinstance(self.progress, bool) or callable(self.progress)):
            raise InvalidOptionError(f"progress must be True, False or a callable(done, total), not {self.progress!r}")

    @classmethod
    def split(cls, arguments: Mapping[str, Any]) -> tuple[JobOptions, dict[str, Any]]:
        """The call's own keywords (checked) and, apart, the provider options among ``arguments``."""
        names = {f.name for f in dataclasses.fields(cls)}
        own = {key: value for key, value in arguments.items() if key in names}
        return cls(**own), {key: value for key, value in arguments.items() if key not in names}


@dataclass
class Miss:
    """One unique item of the call that the cache lacks.

    Attributes:
        item: The item (its first occurrence).
        digest: Its content digest.
        key: Its cache key (a policy-specific key once it turns out to be over-long).
        owners: Every input index holding this item.
        tokens: Its token count (1 for non-text items).
    """

    item: Any
    digest: bytes
    key: str
    owners: list[int]
    tokens: int = 1


@dataclass
class _Reply:
    vectors: np.ndarray | None = None
    error: Exception | None = None


@dataclass
class _Request:
    positions: list[int]
    attempt: int = 0
    delay: float = 0.0
    reply: _Reply = field(default_factory=_Reply)


class EmbedJob:
    """One call's state from checks to merge; `prepare` does the lookups, `run` and `arun` send its batches.

    Args:
        items: The call's items.
        embedder: The provider's embedder.
        options: The call's checked keywords.
        cache: The cache to read and write (None: no cache), resolved by the caller.
    """

    def __init__(self, items: Any, embedder: Any, options: JobOptions, cache: EmbeddingCache | None) -> None:
        self.options = options
        self.embedder = embedder
        self.role = options.role
        self.cache = cache
        self.items = as_item_list(items)
        self.provider_id: str = getattr(embedder, "provider_id", None) or embedder.space.provider
        self.space: EmbeddingSpace = embedder.space
        self.limits = embedder.limits
        # A provider that handles long inputs itself (Cohere's truncate) is told the call's policy per batch.
        self._unstored: dict[str, np.ndarray] = {}
        self._state = threading.Lock()  # held while a finished batch is recorded, cached and counted
        self._extra: dict[str, Any] = (
            {"on_long": options.on_long} if getattr(embedder, "handles_long_inputs", False) else {}
        )
        self.out_space = self._output_space(options.normalize, options.dimensions)
        self.chunk_overlap = self._chunk_overlap(options.chunk_overlap)
        self.progress = ProgressBar() if options.progress is True else (options.progress or None)
        self.fingerprint = self.out_space.fingerprint()
        n = len(self.items)
        self.rows = np.full((n, self.out_space.dim), np.nan, dtype=np.float32)
        self.stats = EmbedStats(items=n)
        self.errors: list[ItemFailure] = []
        self.misses: list[Miss] = []
        self.pieces: list[Piece] = []
        self.batches: list[list[int]] = []
        self._prepared = False

    # -- checks (no I/O) ---------------------------------------------------------------------------------

    def _output_space(self, normalize: bool | None, dimensions: int | None) -> EmbeddingSpace:
        dim = self.space.dim
        check_dimensions = getattr(self.embedder, "check_dimensions", None)
        if dimensions is not None and callable(check_dimensions):
            check_dimensions(dimensions)  # a provider whose model refuses shorter vectors says so (ada-002)
        if dimensions is not None:
            if dimensions > dim:
                raise InvalidOptionError(
                    f"dimensions={dimensions}: {self.provider_id} gives {dim}-d vectors; pass 1 to {dim}"
                )
            dim = dimensions
        normalized = self.space.normalized or bool(normalize)
        return self.space.model_copy(update={"role": self.role, "dim": dim, "normalized": normalized})

    def _chunk_overlap(self, overlap: int | None) -> int:
        max_tokens = self.limits.max_tokens_per_item
        if overlap is None:
            return min(32, (max_tokens or 128) // 4)
        # No overlap is always valid, even for a limit of one token (the default there is 0).
        if max_tokens is not None and overlap > 0 and overlap >= max_tokens // 2:
            raise InvalidOptionError(
                f"chunk_overlap={overlap} must be under half of {self.provider_id}'s limit of {max_tokens} tokens"
            )
        return overlap

    # -- prepare: the steps before anything is sent --------------------------------------------------------

    def prepare(self) -> EmbedJob:
        """Check the items, read the cache, apply the long-input policy and plan the batches (once)."""
        if self._prepared:
            return self
        self.errors = check_items(self.items, frozenset(self.embedder.modalities), self.provider_id)
        if self.errors and self.options.on_error == "raise":
            raise_for_item_errors(self.errors)
        misses = self._take_cached(self._unique_misses())
        self._count_tokens(misses)
        misses = self._take_cached(self._rekey_long(misses))
        self.misses = misses
        self.pieces = self._expand(misses)
        self.remaining = np.bincount([p.owner for p in self.pieces], minlength=len(misses))
        self.piece_vectors: dict[int, list[tuple[int, np.ndarray]]] = {}
        self.failed_owners: set[int] = set()
        sizes = [request_bytes(p.content) for p in self.pieces] if self.limits.max_bytes_per_request else None
        self.batches = plan_batches(
            [p.tokens for p in self.pieces], self.limits, batch_size=self.options.batch_size, sizes=sizes
        )
        self.done_pieces = 0
        self._prepared = True
        return self

    def _unique_misses(self) -> list[Miss]:
        """One `Miss` per distinct valid item, owning every input index that repeats it."""
        failed = {error.index for error in self.errors}
        by_digest: dict[bytes, Miss] = {}
        for index, item in enumerate(self.items):
            if index in failed:
                continue
            # Without a cache the digest only dedupes this call's items: bytes suffice, no image is decoded twice.
            digest = item_digest(item, pixels=self.cache is not None)
            if digest in by_digest:
                by_digest[digest].owners.append(index)
            else:
                by_digest[digest] = Miss(item, digest, cache_key(self.fingerprint, digest), [index])
        self.stats.unique = len(by_digest)
        return list(by_digest.values())

    def _take_cached(self, misses: list[Miss]) -> list[Miss]:
        """Fill the rows of every miss the cache has under its key; return the others."""
        if self.cache is None or not misses:
            return misses
        hits = self.cache.get_many([miss.key for miss in misses], self.out_space.dim)
        remaining = []
        for miss in misses:
            vector = hits.get(miss.key)
            if vector is None:
                remaining.append(miss)
            else:
                self.rows[miss.owners] = vector
                self.stats.cache_hits += len(miss.owners)
        return remaining

    def _tokenizer(self) -> Any:
        return self.embedder.tokenizer or ApproximateTokenizer()

    def _count_tokens(self, misses: list[Miss]) -> None:
        texts = [miss for miss in misses if isinstance(miss.item, str)]
        if texts:
            for miss, count in zip(texts, self._tokenizer().count([miss.item for miss in texts])):
                miss.tokens = count

    def _is_long(self, miss: Miss) -> bool:
        limit = self.limits.max_tokens_per_item
        return limit is not None and miss.tokens > limit

    def _rekey_long(self, misses: list[Miss]) -> list[Miss]:
        """Give each over-long item the key of the policy that will make its vector, and look that up."""
        policy = self.options.on_long
        if policy == "error":
            return misses
        described = f"chunk/{self.chunk_overlap}" if policy == "chunk" else policy
        # A provider that applies on_long itself (server-side truncation) may cut items our count kept
        # within the limit, so every one of its vectors is keyed by the policy.
        applies_it_itself = bool(self._extra)
        long_ones = [miss for miss in misses if applies_it_itself or self._is_long(miss)]
        for miss in long_ones:
            miss.key = cache_key(self.fingerprint, miss.digest, long_policy=described)
        found = {id(miss) for miss in long_ones} - {id(miss) for miss in self._take_cached(long_ones)}
        return [miss for miss in misses if id(miss) not in found]

    def _expand(self, misses: list[Miss]) -> list[Piece]:
        if not misses:  # a full cache hit never loads the provider's tokenizer
            return []
        max_tokens = self.limits.max_tokens_per_item
        pieces, refused, treated = expand_long_items(
            [miss.item for miss in misses],
            [miss.tokens for miss in misses],
            tokenizer=self._tokenizer(),
            max_tokens=max_tokens,
            on_long=self.options.on_long,
            overlap=self.chunk_overlap,
        )
        long_errors = [
            ItemFailure(
                index, too_long_message(index, misses[n].tokens, self.provider_id, max_tokens or 0), InputTooLongError
            )
            for n in refused
            for index in misses[n].owners
        ]
        if long_errors and self.options.on_error == "raise":
            raise_for_item_errors(sorted(long_errors, key=lambda error: error.index))
        self.errors.extend(long_errors)
        self.stats.truncated = treated["truncated"]
        self.stats.chunked = treated["chunked"]
        return pieces

    # -- recording results ------------------------------------------------------------------------------

    def _record(self, positions: Sequence[int], vectors: Any) -> None:
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
        for index in self.misses[owner].owners:
            self.errors.append(
                ItemFailure(index, f"item {index}: {self.provider_id} rejected it: {error}", type(error), error)
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
            self.rows[self.misses[owner].owners] = vector
            stored[self.misses[owner].key] = vector
        self.stats.embedded += len(owners)
        if self.cache is not None:
            self._unstored.update(stored)  # written by the send loop after each request (async: off the loop)

    def _take_unstored(self) -> dict[str, np.ndarray]:
        unstored, self._unstored = self._unstored, {}
        return unstored

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

    def _settle(self, request: _Request) -> list[_Request]:
        """Record a request's reply; return the requests that follow it (a retry, or two halves)."""
        error = request.reply.error
        if error is None:
            self._record(request.positions, request.reply.vectors)
            return []
        positions = request.positions
        decision = decide(error, len(positions), request.attempt, settings.max_retries())
        if decision.action == "retry":
            return [_Request(positions, request.attempt + 1, decision.delay)]
        if decision.action == "split":  # rejected for its content: bisect so the bad item fails alone
            half = len(positions) // 2
            return [_Request(positions[:half]), _Request(positions[half:])]
        if decision.action == "fail":
            self._fail(positions[0], error)
            return []
        if decision.final is not None:  # retries ran out: the final error says what was tried
            raise decision.final from error
        translated = self._translate(error, positions)
        if translated is error:
            raise error
        raise translated from error

    def _contents(self, request: _Request) -> list[Any]:
        return [self.pieces[p].content for p in request.positions]

    def _send(self, positions: list[int]) -> None:
        queue = [_Request(positions)]
        while queue:
            request = queue.pop(0)
            if request.delay:
                time.sleep(request.delay)
            try:
                request.reply.vectors = self.embedder.embed_batch(self._contents(request), self.role, **self._extra)
            except Exception as exc:
                request.reply.error = exc
            with self._state:  # batches may run on several threads (`run`): one records at a time
                queue[:0] = self._settle(request)
                if self.cache is not None and self._unstored:
                    self.cache.set_many(self._take_unstored())

    async def _asend(self, positions: list[int]) -> None:
        queue = [_Request(positions)]
        while queue:
            request = queue.pop(0)
            if request.delay:
                await asyncio.sleep(request.delay)
            try:
                request.reply.vectors = await self.embedder.aembed_batch(
                    self._contents(request), self.role, **self._extra
                )
            except Exception as exc:
                request.reply.error = exc
            queue[:0] = self._settle(request)
            if self.cache is not None and self._unstored:
                # SQLite writes block: keep them off the event loop.
                await asyncio.to_thread(self.cache.set_many, self._take_unstored())

    def run(self) -> Embeddings:
        """Send the batches and return the merged result.

        One after the other, unless the provider offers a `batch_executor` for this many batches (a local model
        on a multi-core CPU): then on its threads, several at once. Either way each batch's vectors are recorded
        and cached as it finishes, and the first error (in batch order) is raised once the batches already
        running have finished; batches not yet started are not sent.
        """
        self.prepare()
        offer = getattr(self.embedder, "batch_executor", None)  # optional: protocol-only embedders lack it
        executor = offer(len(self.batches)) if offer is not None and len(self.batches) > 1 else None
        if executor is None:
            for batch in self.batches:
                self._send(batch)
                self._advance(len(batch))
            return self.result()

        def send(batch: list[int]) -> None:
            self._send(batch)
            with self._state:
                self._advance(len(batch))

        futures = [executor.submit(send, batch) for batch in self.batches]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            wait(futures)
            raise
        return self.result()

    async def arun(self, concurrency: int = 4) -> Embeddings:
        """Send up to ``concurrency`` batches at once (for providers with a real async client)."""
        self.prepare()
        gate = asyncio.Semaphore(concurrency)

        async def send(batch: list[int]) -> None:
            async with gate:
                await self._asend(batch)
                self._advance(len(batch))

        tasks = [asyncio.ensure_future(send(batch)) for batch in self.batches]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # One batch failed (or the call was cancelled): stop the others before the caller gets the error,
            # so none keeps spending the rate limit or writing to the cache afterwards.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return self.result()

    def _oov_report(self) -> list[list[str]] | None:
        """Per item, its out-of-vocabulary words, from providers with ``oov_report(items)`` (word vectors).

        Asked of every item, cache hits included (it is lookups only), so the counts never depend on the cache.
        """
        report = getattr(self.embedder, "oov_report", None)
        if not callable(report):
            return None
        counted = report(self.items)
        self.stats.words = sum(words for words, _ in counted)
        self.stats.oov_count = sum(len(missing) for _, missing in counted)
        return [list(missing) for _, missing in counted]

    def result(self) -> Embeddings:
        """The merged `Embeddings`; raises `EmbeddingFailedError` (holding it) when ``on_error="raise"``."""
        errors = sorted(self.errors, key=lambda error: error.index)
        result = Embeddings(self.rows, self.out_space, errors=errors, stats=self.stats, oov=self._oov_report())
        provider_errors = [e for e in errors if e.kind is not None and issubclass(e.kind, ProviderError)]
        if provider_errors and self.options.on_error == "raise":
            shown = "; ".join(e.message for e in provider_errors[:5])
            raise EmbeddingFailedError(
                f"{len(provider_errors)} of {len(self.items)} items failed ({shown}); the others are in "
                f"error.result and cached",
                result,
            )
        return result
