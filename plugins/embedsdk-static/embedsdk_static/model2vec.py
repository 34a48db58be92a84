"""`Model2VecEmbedder`: ``static/<Model2Vec folder>`` (``model.safetensors`` + ``tokenizer.json``).

A Model2Vec model is a static table of subword-token vectors plus a tokenizer: a text's vector is the mean of
its tokens' vectors (normalized when the folder's ``config.json`` says so). The ``model2vec`` package does
the work, imported on first use.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk import BaseEmbedder, EmbeddingSpace, ProviderLimits
from embedsdk.errors import MissingDependencyError, ModelNotFoundError
from embedsdk_static.errors import VectorFileError
from embedsdk_static.store import file_digest

__all__ = ["Model2VecEmbedder", "Model2VecOptions", "is_model2vec_folder"]


def is_model2vec_folder(path: Path) -> bool:
    """True for a folder holding ``model.safetensors`` and ``tokenizer.json``."""
    return path.is_dir() and (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file()


class Model2VecOptions(BaseModel):
    """Options of a Model2Vec folder.

    Attributes:
        max_length: Tokens read per text (None: all of them).
        max_batch_items: Items per batch.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_length: int | None = Field(default=512, gt=0)
    max_batch_items: int = Field(default=1024, gt=0)


def _safetensors_dim(path: Path) -> int:
    # The safetensors header is JSON after an 8-byte length: the shape without loading the weights.
    with path.open("rb") as handle:
        size_bytes = handle.read(8)
        size = int.from_bytes(size_bytes, "little") if len(size_bytes) == 8 else 0
        if not 0 < size < 1 << 24:
            raise VectorFileError(path, None, "not a safetensors file (bad header length)")
        try:
            header = json.loads(handle.read(size))
        except ValueError:
            raise VectorFileError(path, None, "not a safetensors file (unreadable header)") from None
    tensors = {name: info for name, info in header.items() if name != "__metadata__"}
    for name in ("embeddings", *tensors):
        shape = tensors.get(name, {}).get("shape")
        if shape and len(shape) == 2:
            return int(shape[1])
    raise VectorFileError(path, None, "holds no 2-d embedding matrix")


class Model2VecEmbedder(BaseEmbedder):
    """Embeds texts with a Model2Vec folder.

    Args:
        provider_id: ``static/<folder>``.
        **options: `Model2VecOptions` fields.
    """

    Options = Model2VecOptions
    options: Model2VecOptions

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.folder = Path(provider_id.split("/", 1)[1]).expanduser()
        if not is_model2vec_folder(self.folder):
            raise ModelNotFoundError(f"{self.folder} is not a Model2Vec folder (model.safetensors + tokenizer.json)")
        self._model: Any = None
        self._space: EmbeddingSpace | None = None
        self._lock = threading.Lock()

    @property
    def space(self) -> EmbeddingSpace:
        """Folder name, a digest of its weights and tokenizer, dimension, normalization."""
        if self._space is None:
            config_path = self.folder / "config.json"
            config = json.loads(config_path.read_text("utf-8")) if config_path.is_file() else {}
            digest = hashlib.sha256()
            for name in ("model.safetensors", "tokenizer.json", "config.json"):
                if (self.folder / name).is_file():
                    digest.update(name.encode() + file_digest(self.folder / name).encode())
            self._space = EmbeddingSpace(
                provider=self.provider_id,
                model=self.folder.name,
                revision=digest.hexdigest()[:16],
                dim=_safetensors_dim(self.folder / "model.safetensors"),
                normalized=bool(config.get("normalize", False)),
                pooling="mean",
                extra={"format": "model2vec", "max_length": str(self.options.max_length)},
            )
        return self._space

    @property
    def limits(self) -> ProviderLimits:
        """Large batches: a batch is a tokenizer call and a gather."""
        return ProviderLimits(max_items_per_request=self.options.max_batch_items)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from model2vec import StaticModel
                except ImportError as exc:
                    raise MissingDependencyError(
                        "Model2Vec folders need model2vec: pip install embedsdk-static (or pip install model2vec)"
                    ) from exc
                self._model = StaticModel.from_pretrained(str(self.folder))
            return self._model

    def oov_report(self, items: Sequence[Any]) -> list[tuple[int, list[str]]]:
        """Subword tokenizers leave no word out of vocabulary: no words counted, none missing."""
        return [(0, []) for _ in items]

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Mean of token vectors per text, as model2vec computes it."""
        model = self._load()
        vectors = model.encode(
            [str(item) for item in items],
            max_length=self.options.max_length,
            batch_size=max(len(items), 1),
            use_multiprocessing=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def close(self) -> None:
        """Drop the model."""
        with self._lock:
            self._model = None
