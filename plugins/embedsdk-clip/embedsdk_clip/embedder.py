"""`ClipEmbedder`: ``clip/<architecture>[:<pretrained tag or checkpoint path>]`` on open-clip-torch.

Text and images go into one normalized space, as CLIP compares them. A batch may mix both: texts go
through ``encode_text`` and images through ``encode_image``, each row back in its place. Images are decoded
inside `ClipEmbedder.embed_batch`, one batch at a time and one image at a time within it (each becomes a
3x224x224 tensor at once), so memory stays bounded however many paths a call holds.

Construction is cheap: open_clip, torch and the weights load on first use (importing torch takes seconds,
and `embedsdk providers` must not pay for it).

``precision`` (default ``auto``) follows `embedsdk.devices`: bf16 where the CPU or GPU computes it natively,
else fp32, behind the shared quality gate (`embedsdk.devices.precision_gate`: probe texts and probe images in
fp32 and in the mode, verdicts stored in the memo ``embedsdk_clip.precision_gate``); the space records any
precision other than fp32.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk import BaseEmbedder, EmbeddingSpace, ProviderLimits
from embedsdk.devices import (
    PROBE_TEXTS,
    device_kind,
    pick_device,
    precision_gate,
    resolve_precision,
)
from embedsdk.errors import (
    ConfigurationError,
    InvalidInputError,
    InvalidOptionError,
    ItemRejectedError,
    MissingDependencyError,
)
from embedsdk.pipeline.items import DECODE_POLICY, DEFAULT_MAX_PIXELS, load_image
from embedsdk_clip.checkpoint import Weights, file_digest, load_state_dict, resolve_weights
from embedsdk_clip.tokenizer import ClipTokenizer

__all__ = ["ClipEmbedder", "ClipOptions", "encode_text_trimmed", "parse_clip_id", "pick_device"]


class ClipOptions(BaseModel):
    """Options of ``clip/...`` providers.

    Attributes:
        checkpoint: Load the weights from this local file (safetensors, or a ``.pt``/``.bin`` state dict)
            while keeping the provider's name (``clip`` from a local copy of the OpenAI weights, say).
        quick_gelu: Use QuickGELU activations (OpenAI's weights were trained with it); default: what the
            pretrained tag says, else the architecture's config.
        device: ``auto`` (cuda, then mps, then cpu), or a torch device such as ``cpu`` or ``cuda:1``.
        precision: Compute precision of both towers: ``fp32`` (open_clip's own vectors), ``bf16``, ``fp16``
            (GPU only), or ``auto`` (the default): bf16 on CPUs with native bf16 (AVX512-BF16, AMX) and on GPUs
            that support it, else fp32. A mode other than fp32 passes the quality gate on first use (min
            cosine >= 0.999 against fp32 on probe texts and images, else fp32 with a warning). Vectors are
            always float32; the space records the precision (``space.extra["precision"]``, absent for fp32).
        batch_size: Items (texts or images) per forward pass at most.
        max_image_pixels: Largest image decoded at full size; larger JPEGs are decoded at reduced scale,
            other larger images are refused (see `embedsdk.pipeline.items.load_image`).
        cache_dir: Hugging Face cache folder for hub weights (default: the hub's own).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    checkpoint: str | None = None
    quick_gelu: bool | None = None
    device: str = "auto"
    precision: Literal["fp32", "bf16", "fp16", "auto"] = "auto"
    batch_size: int = Field(default=64, gt=0)
    max_image_pixels: int = Field(default=DEFAULT_MAX_PIXELS, gt=0)
    cache_dir: str | None = None


def parse_clip_id(provider_id: str) -> tuple[str, str | None]:
    """``clip/<arch>[:<weights>]`` -> (arch, weights or None); ``clip/hf-hub:<org>/<repo>`` keeps the hub id."""
    rest = provider_id.split("/", 1)[1] if provider_id.startswith("clip/") else provider_id
    if rest.startswith("hf-hub:"):
        return rest, None
    arch, _, weights = rest.partition(":")
    if not arch:
        raise InvalidOptionError(
            f"{provider_id!r} names no architecture; use 'clip/<architecture>[:<tag or checkpoint path>]', "
            f"e.g. 'clip/ViT-B-32:openai' or 'clip/ViT-B-32:/models/vitb32.safetensors'"
        )
    return arch, weights or None


def _import_open_clip() -> Any:
    try:
        import open_clip
    except ImportError as exc:
        raise MissingDependencyError("the clip provider needs open-clip-torch: pip install embedsdk-clip") from exc
    return open_clip


class ClipEmbedder(BaseEmbedder):
    """Embeds text and images with an open_clip model; see `ClipOptions` for options.

    Args:
        provider_id: ``clip/<architecture>[:<pretrained tag or local checkpoint path>]`` or
            ``clip/hf-hub:<org>/<repo>``.
        **options: `ClipOptions` fields.
    """

    Options = ClipOptions
    options: ClipOptions
    modalities = frozenset({"text", "image"})

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.arch, self.weights_spec = parse_clip_id(provider_id)
        self._weights: Weights | None = None
        self._model_cfg: dict[str, Any] | None = None
        self._preprocess_cfg: dict[str, Any] | None = None
        self._space: EmbeddingSpace | None = None
        self._tokenizer: ClipTokenizer | None = None
        self._loaded: tuple[Any, Any] | None = None
        self._device = "cpu"
        self._lock = threading.RLock()
        self._precision: str | None = None

    # -- what the id and the files say (no model built) ----------------------------------------------------

    @property
    def weights(self) -> Weights:
        """The checkpoint, located on first use (downloaded only when online and not cached)."""
        if self._weights is None:
            _import_open_clip()
            self._weights = resolve_weights(
                self.arch, self.weights_spec, self.options.checkpoint, self.options.cache_dir
            )
        return self._weights

    @property
    def model_cfg(self) -> dict[str, Any]:
        """open_clip's model config of the architecture (embed_dim, vision_cfg, text_cfg...)."""
        if self._model_cfg is None:
            open_clip = _import_open_clip()
            if self.arch.startswith("hf-hub:"):
                folder = self.weights.config_folder
                assert folder is not None
                self._model_cfg = dict(json.loads((folder / "open_clip_config.json").read_text())["model_cfg"])
            else:
                cfg = open_clip.get_model_config(self.arch)
                if cfg is None:
                    import difflib

                    close = difflib.get_close_matches(self.arch, open_clip.list_models(), n=5, cutoff=0.5)
                    raise InvalidOptionError(
                        f"{self.provider_id}: {self.arch!r} is not an open_clip architecture"
                        + (f"; did you mean {', '.join(close)}?" if close else "")
                        + " (open_clip.list_models() lists them)"
                    )
                self._model_cfg = dict(cfg)
        return self._model_cfg

    @property
    def quick_gelu(self) -> bool:
        """True when the text and image towers use QuickGELU."""
        if self.options.quick_gelu is not None:
            return self.options.quick_gelu
        return bool(self.weights.quick_gelu or self.model_cfg.get("quick_gelu", False))

    @property
    def preprocess_cfg(self) -> dict[str, Any]:
        """The image preprocessing (size, mean, std, interpolation, resize mode), as open_clip resolves it."""
        if self._preprocess_cfg is None:
            _import_open_clip()
            from open_clip.transform import PreprocessCfg, merge_preprocess_dict

            cfg = asdict(PreprocessCfg())
            if self.weights.config_folder is not None:
                config = json.loads((self.weights.config_folder / "open_clip_config.json").read_text())
                cfg = merge_preprocess_dict(cfg, config.get("preprocess_cfg", {}))
            cfg = merge_preprocess_dict(cfg, self.weights.preprocess)
            cfg["size"] = self.model_cfg["vision_cfg"].get("image_size", cfg["size"])
            self._preprocess_cfg = cfg
        return self._preprocess_cfg

    @property
    def context_length(self) -> int:
        """Tokens the text tower reads, start and end tokens included."""
        return int(self.model_cfg.get("text_cfg", {}).get("context_length", 77))

    @property
    def space(self) -> EmbeddingSpace:
        """Architecture, weights (content hash), dimension and preprocessing of the vectors."""
        if self._space is None:
            weights = self.weights
            self._space = EmbeddingSpace(
                provider=self.provider_id,
                model=f"{self.arch}:{weights.label}",
                revision=file_digest(weights.path)[:16],
                dim=int(self.model_cfg["embed_dim"]),
                normalized=True,
                pooling=None,
                dtype="float32",
                max_tokens=self.context_length,
                extra={
                    "image_preprocess": json.dumps(self.preprocess_cfg, sort_keys=True, default=list),
                    "image_decode": DECODE_POLICY,
                    "quick_gelu": str(self.quick_gelu).lower(),
                    **({"precision": self.precision} if self.precision != "fp32" else {}),
                    # The JPEG reduced-scale decode depends on the pixel limit.
                    **(
                        {"max_image_pixels": str(self.options.max_image_pixels)}
                        if self.options.max_image_pixels != DEFAULT_MAX_PIXELS
                        else {}
                    ),
                },
            )
        return self._space

    @property
    def limits(self) -> ProviderLimits:
        """Batches cut by item count; texts sorted by length (a text batch runs at its longest text's length).

        Images count as one token, so sorting also gathers them into batches of their own, in input order.
        """
        return ProviderLimits(
            max_items_per_request=self.options.batch_size,
            max_tokens_per_item=self.context_length,
            max_tokens_per_request=self.options.batch_size * self.context_length,
            padded=True,
        )

    @property
    def tokenizer(self) -> ClipTokenizer:
        """open_clip's tokenizer of the architecture, counting start and end tokens."""
        if self._tokenizer is None:
            open_clip = _import_open_clip()
            folder = self.weights.config_folder
            name = f"local-dir:{folder}" if folder is not None else self.arch
            self._tokenizer = ClipTokenizer(open_clip.get_tokenizer(name), self.context_length)
        return self._tokenizer

    # -- precision and its quality gate -------------------------------------------------------------------

    @property
    def precision(self) -> str:
        """The precision the vectors are computed in: the request (``auto`` resolved), or fp32 if the gate refused it.

        The first call may run the quality gate; a stored verdict decides without loading anything.
        """
        with self._lock:
            if self._precision is None:
                kind = device_kind(self.options.device)
                mode = resolve_precision(self.provider_id, self.options.precision, kind)
                key = f"{file_digest(self.weights.path)[:16]}|{self.arch}|{self.quick_gelu}|{mode}|{kind}"
                candidate: list[tuple[Any, Any]] = []

                def reference() -> np.ndarray:
                    return self._probe_vectors(self._build("fp32"))

                def run() -> np.ndarray:
                    candidate.append(self._build(mode))
                    return self._probe_vectors(candidate[0])

                verdict = precision_gate(
                    "embedsdk_clip.precision_gate", key, mode, reference, run, provider_id=self.provider_id
                )
                self._precision = verdict.precision
                if candidate and verdict.passed:
                    self._loaded = candidate[0]  # the gate built it: keep it
            return self._precision

    def _probe_vectors(self, loaded: tuple[Any, Any]) -> np.ndarray:
        """The gate's probe set through one model: `PROBE_TEXTS` and a few fixed synthetic images."""
        texts = list(PROBE_TEXTS)
        rows, cols = np.mgrid[0:96, 0:128]
        images: list[Any] = [
            np.stack([rows * 2, cols * 2, (rows + cols) % 256], axis=-1).astype(np.uint8),  # gradients
            (((rows // 12 + cols // 12) % 2) * 255)[:, :, None].repeat(3, axis=2).astype(np.uint8),  # checkerboard
            np.random.default_rng(0).integers(0, 256, size=(96, 128, 3), dtype=np.uint8),  # noise
            np.full((64, 64, 3), (200, 30, 60), dtype=np.uint8),  # a flat colour
        ]
        return self._run(loaded, [*texts, *images])

    def _build(self, precision: str) -> tuple[Any, Any]:
        """The model in ``precision`` on its device, and its image transform."""
        open_clip = _import_open_clip()
        weights = self.weights
        self._device = pick_device(self.options.device)
        name = f"local-dir:{weights.config_folder}" if weights.config_folder is not None else self.arch
        # open_clip warns on the root logger that the model starts random: true, and the checkpoint
        # is loaded right after, so that one message is dropped.
        quiet = _DropRandomInitWarning()
        logging.getLogger().addFilter(quiet)
        try:
            model = open_clip.create_model(
                name,
                pretrained=None,
                load_weights=False,
                precision=precision,
                device="cpu",
                force_quick_gelu=self.quick_gelu,
                force_preprocess_cfg=self.preprocess_cfg,
                pretrained_text=False,
            )
        finally:
            logging.getLogger().removeFilter(quiet)
        _load_weights(model, weights, self.arch)
        model.eval().to(self._device)
        from open_clip.transform import PreprocessCfg, image_transform_v2

        transform = image_transform_v2(PreprocessCfg(**self.preprocess_cfg), is_train=False)
        return model, transform

    # -- the model ------------------------------------------------------------------------------------------

    def _load(self) -> tuple[Any, Any]:
        """The model and its image transform, built and loaded once (callers keep what this returns)."""
        with self._lock:
            precision = self.precision  # may run the quality gate, which leaves the winning model loaded
            if self._loaded is None:
                self._loaded = self._build(precision)
            return self._loaded

    @property
    def logit_scale(self) -> float:
        """The model's learned temperature (``exp(logit_scale)``, 100 for OpenAI's weights), for zero-shot."""
        model, _ = self._load()
        return float(model.logit_scale.detach().float().exp().cpu())

    def close(self) -> None:
        """Drop the weights (they load again on next use)."""
        with self._lock:
            self._loaded = None

    def _pixels(self, items: Sequence[Any], transform: Any) -> Any:
        """Decode and preprocess images one at a time; a bad one rejects the batch (the core bisects it)."""
        import torch

        tensors = []
        for item in items:
            try:
                tensors.append(transform(load_image(item, self.options.max_image_pixels)))
            except InvalidInputError as exc:
                raise ItemRejectedError(f"cannot use the image: {exc}") from exc
        return torch.stack(tensors)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Embed texts (``str``) and images (anything else) of one batch, each row in its item's place."""
        return self._run(self._load(), items)

    def _run(self, loaded: tuple[Any, Any], items: Sequence[Any]) -> np.ndarray:
        import torch

        model, transform = loaded
        texts = [n for n, item in enumerate(items) if isinstance(item, str)]
        images = [n for n, item in enumerate(items) if not isinstance(item, str)]
        pixels = self._pixels([items[n] for n in images], transform) if images else None
        out = np.empty((len(items), int(self.model_cfg["embed_dim"])), dtype=np.float32)
        # open_clip's bf16/fp16 casts the convolutions and linear layers, not every parameter: images go in
        # in the dtype of those.
        low = {p.dtype for p in model.visual.parameters()} - {torch.float32}
        dtype = low.pop() if len(low) == 1 else torch.float32
        with torch.inference_mode():
            if texts:
                tokens = self.tokenizer.encode_for_model([items[n] for n in texts]).to(self._device)
                out[texts] = encode_text_trimmed(model, tokens).float().cpu().numpy()
            if pixels is not None:
                batch = pixels.to(device=self._device, dtype=dtype)
                out[images] = model.encode_image(batch, normalize=True).float().cpu().numpy()
        return out


def encode_text_trimmed(model: Any, tokens: Any) -> Any:
    """``model.encode_text(tokens, normalize=True)``, run only up to the batch's last end token.

    CLIP's text tower is causal and pools at the end token, so the padding after the longest text's end
    token never reaches the result: cutting it changes nothing but the time (a 10-token caption costs
    11 positions, not 77). Models of another shape (Hugging Face text towers, other pooling) run whole.
    """
    import torch
    from open_clip.model import CLIP
    from open_clip.transformer import text_global_pool

    pool = getattr(model, "text_pool_type", None)
    mask = getattr(model, "attn_mask", None)
    if type(model) is not CLIP or mask is None or pool not in ("argmax", "eos"):
        return model.encode_text(tokens, normalize=True)
    if pool == "argmax":
        ends = tokens.argmax(dim=-1)
    else:
        ends = (tokens == model.text_eos_id).int().argmax(dim=-1)
    length = int(ends.max()) + 1
    tokens = tokens[:, :length]
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast_dtype) + model.positional_embedding[:length].to(cast_dtype)
    x = model.transformer(x, attn_mask=mask[:length, :length])
    x = text_global_pool(model.ln_final(x), tokens, pool, eos_token_id=getattr(model, "text_eos_id", None))
    if model.text_projection is not None:
        projection = model.text_projection
        x = projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection
    return torch.nn.functional.normalize(x, dim=-1)


class _DropRandomInitWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No pretrained weights loaded")


def _load_weights(model: Any, weights: Weights, arch: str) -> None:
    """Load a checkpoint into ``model`` after open_clip's own fix-ups; a misfit names the file and keys."""
    from open_clip.convert import convert_state_dict
    from open_clip.model import convert_to_custom_text_state_dict, resize_pos_embed, resize_text_pos_embed

    state = load_state_dict(weights.path)
    try:
        state = convert_state_dict(model, state)
        if "positional_embedding" in state and not hasattr(model, "positional_embedding"):
            state = convert_to_custom_text_state_dict(state)
        for key in ("logit_scale", "logit_bias"):
            target = getattr(model, key, None)
            if key in state and target is not None and state[key].ndim != target.ndim:
                state[key] = state[key].reshape(target.shape)
        if "logit_bias" not in state and getattr(model, "logit_bias", None) is not None and "logit_scale" in state:
            import torch

            state["logit_bias"] = torch.zeros_like(state["logit_scale"])
        resize_pos_embed(state, model)
        resize_text_pos_embed(state, model)
        result = model.load_state_dict(state, strict=False)
    except Exception as exc:  # size mismatches raise RuntimeError with a page of text: keep the first line
        first = str(exc).strip().splitlines()
        raise ConfigurationError(
            f"CLIP checkpoint {weights.path} does not fit architecture {arch}: "
            f"{first[1].strip() if len(first) > 1 else (first[0] if first else type(exc).__name__)}; "
            f"is it a checkpoint of another architecture?"
        ) from exc
    if result.missing_keys or result.unexpected_keys:
        raise ConfigurationError(
            f"CLIP checkpoint {weights.path} does not fit architecture {arch}: missing {result.missing_keys[:5]}, "
            f"unexpected {result.unexpected_keys[:5]}; is it a checkpoint of another architecture?"
        )
