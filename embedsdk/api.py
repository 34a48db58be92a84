"""The public calls: `embed`, `aembed`, `embedder`, `embed_words`, `providers`, `zero_shot`.

They resolve the provider (an id, an alias or an Embedder) and hand the rest of the call to an
`embedsdk.pipeline.EmbedJob`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import runtime, settings
from embedsdk.cache import EmbeddingCache
from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.pipeline.items import is_image_item
from embedsdk.pipeline.job import CacheArg, EmbedJob, JobOptions, ProgressArg
from embedsdk.providers.protocols import Embedder
from embedsdk.providers.registry import ProviderInfo
from embedsdk.result import Embeddings, ZeroShotResult

__all__ = ["aembed", "embed", "embed_words", "embedder", "providers", "zero_shot"]


def providers() -> list[ProviderInfo]:
    """Every registered provider: ``id``, ``aliases``, ``modalities``, ``dim`` (when known), ``plugin``."""
    return runtime.current().registries.embedders.providers()


def embedder(provider: str | None = None, **options: Any) -> Any:
    """A reusable embedder for ``provider`` (an id or alias; the default provider when None).

    The same provider with the same options gives the same object, so a model loads once per process.

    Raises:
        UnknownProviderError: no provider has that id (a KeyError; the message lists close matches).
        InvalidOptionError: an option the provider does not take, or a bad value.
    """
    if provider is not None and not isinstance(provider, str):
        raise InvalidOptionError(f"provider must be an id such as 'minilm', not {type(provider).__name__}")
    return runtime.current().embedder(provider or settings.default_provider(), options)


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
    if isinstance(cache, EmbeddingCache):
        return cache
    return runtime.current().cache(None if cache is True else Path(cache))


def _job(items: Any, provider: str | Embedder | None, arguments: dict[str, Any]) -> EmbedJob:
    """The job of one call: the call's own keywords checked, the rest handed to the provider as options."""
    options, provider_options = JobOptions.split(arguments)
    return EmbedJob(items, _as_embedder(provider, provider_options), options, _as_cache(options.cache))


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
    arguments = {
        "role": role,
        "normalize": normalize,
        "dimensions": dimensions,
        "batch_size": batch_size,
        "cache": cache,
        "on_long": on_long,
        "chunk_overlap": chunk_overlap,
        "on_error": on_error,
        "progress": progress,
    }
    return _job(items, provider, {**options, **arguments}).run()


async def aembed(items: Iterable[Any] | str, provider: str | Embedder | None = None, **arguments: Any) -> Embeddings:
    """Async twin of `embed`, with the same arguments (``role``, ``cache``, ``on_long``... and provider options).

    Providers with a truly asynchronous client send up to their ``max_concurrency`` requests at once (four when
    they do not say); the others run in a worker thread, so the event loop is never blocked by a local model or
    by the cache's disk.
    """

    def prepare() -> EmbedJob:
        # Resolving may read a model's files and the cache lookup touches disk: keep both off the loop.
        return _job(items, provider, arguments).prepare()

    job = await asyncio.to_thread(prepare)
    if getattr(job.embedder, "supports_async", False):
        # A hosted provider may allow more (or fewer) requests in flight than the default four.
        return await job.arun(getattr(job.embedder, "max_concurrency", 4))
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


def zero_shot(
    images: Any,
    labels: Sequence[str],
    provider: str | Embedder | None = "clip",
    *,
    template: str | Sequence[str] = "a photo of a {}",
    cache: CacheArg = True,
    batch_size: int | None = None,
    on_error: str = "raise",
    progress: ProgressArg = None,
    **options: Any,
) -> ZeroShotResult:
    """Label images with no training: which label's prompt is each image closest to, as CLIP does it.

    Each label becomes a prompt (``template`` with ``{}`` replaced by the label; several templates are
    averaged per label, CLIP's prompt ensembling); images and prompts are embedded in the provider's shared
    space, and each image gets a softmax over labels of the model's logit scale times the cosines.

    Args:
        images: Image items (`pathlib.Path`, bytes, PIL images, numpy arrays), or one of them.
        labels: The candidate labels, such as ``["cat", "dog"]``.
        provider: Any provider whose modalities include text and image (default ``clip``).
        template: The prompt of a label, with ``{}`` where the label goes, or several such prompts.
        cache: As for `embed`.
        batch_size: As for `embed`.
        on_error: ``"raise"``, or ``"collect"`` to keep going past images that fail (NaN rows, named in
            ``.errors``).
        progress: As for `embed`.
        **options: Provider options.

    Returns:
        `ZeroShotResult`: ``.probs`` (n_images x n_labels), ``.labels``, ``.best``, ``.top(k)``.

    Raises:
        InvalidOptionError: the provider does not embed both text and images, or a bad label or template.
        InvalidInputError: an image item is text or cannot be embedded (its index is in the message).
    """
    model = _as_embedder(provider, options)
    name = getattr(model, "provider_id", provider)
    if not {"text", "image"} <= frozenset(getattr(model, "modalities", ())):
        raise InvalidOptionError(
            f"zero_shot needs a provider that embeds text and images in one space; {name} embeds "
            f"{', '.join(sorted(getattr(model, 'modalities', ())))}: use provider='clip' or "
            f"'clip/<architecture>:<weights>'"
        )
    labels = [labels] if isinstance(labels, str) else list(labels)
    if not labels or not all(isinstance(label, str) and label.strip() for label in labels):
        raise InvalidOptionError(f"labels must be a non-empty list of non-empty strings, not {labels!r}")
    templates = [template] if isinstance(template, str) else list(template)
    if not templates or not all(isinstance(t, str) and "{}" in t for t in templates):
        raise InvalidOptionError(
            f"template must hold '{{}}' where the label goes (like 'a photo of a {{}}'), not {template!r}"
        )
    if is_image_item(images) and not (isinstance(images, np.ndarray) and images.ndim == 4):
        images = [images]  # one image (an (N, H, W, C) array is N images)
    items = list(images)
    texts = [n for n, item in enumerate(items) if isinstance(item, str)]
    if texts:
        raise InvalidInputError(
            f"images {texts[:5]} are str, which embedsdk reads as text; pass pathlib.Path(...) for image files"
        )
    prompts = [[t.replace("{}", label) for t in templates] for label in labels]
    call: dict[str, Any] = {"cache": cache, "batch_size": batch_size, "progress": progress, "normalize": True}
    flat = [prompt for group in prompts for prompt in group]
    text = embed(flat, provider=model, **call).vectors.reshape(len(labels), len(templates), -1).mean(axis=1)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    pictures = embed(items, provider=model, on_error=on_error, **call)
    similarities = pictures.vectors @ text.T
    scale = float(getattr(model, "logit_scale", None) or 100.0)
    logits = scale * similarities
    exp = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probs = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return ZeroShotResult(
        probs=probs,
        labels=labels,
        similarities=similarities.astype(np.float32),
        logit_scale=scale,
        prompts=prompts,
        errors=list(pictures.errors),
    )
