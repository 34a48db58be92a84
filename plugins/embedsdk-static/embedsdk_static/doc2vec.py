"""`Doc2VecEmbedder`: ``doc2vec/<folder>``: vectors for new documents, inferred deterministically.

gensim's ``infer_vector`` draws negative samples from the model's random state, so two calls on the same text
differ. Here the state is reset from ``seed`` before every document and the number of epochs is fixed, so the
same text always gets the same vector (and the cache is honest). The training documents' own vectors are
available by tag (`Doc2VecEmbedder.document_vector`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk import BaseEmbedder, EmbeddingSpace, ProviderLimits
from embedsdk.errors import InvalidInputError, ModelNotFoundError
from embedsdk_static.errors import VectorFileError
from embedsdk_static.store import file_digest
from embedsdk_static.text import make_tokenizer

__all__ = ["Doc2VecEmbedder", "Doc2VecOptions"]


class Doc2VecOptions(BaseModel):
    """Options of ``doc2vec/<folder>``.

    Attributes:
        epochs: Inference epochs (default: the model's training epochs).
        seed: Seed of the random state reset before each document.
        tokenizer: ``regex`` or ``whitespace``; default: what the folder was trained with.
        lowercase: Lower-case before tokenizing; default: what the folder was trained with.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int | None = Field(default=None, gt=0)
    seed: int = 0
    tokenizer: Literal["regex", "whitespace"] | None = None
    lowercase: bool | None = None


class Doc2VecEmbedder(BaseEmbedder):
    """Infers Doc2Vec vectors for texts with a folder written by `embedsdk.train.doc2vec`.

    Args:
        provider_id: ``doc2vec/<folder>``.
        **options: `Doc2VecOptions` fields.
    """

    Options = Doc2VecOptions
    options: Doc2VecOptions

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.folder = Path(provider_id.split("/", 1)[1]).expanduser()
        manifest = self.folder / "embedsdk.json"
        if not manifest.is_file():
            raise ModelNotFoundError(
                f"{self.folder} has no embedsdk.json: doc2vec/ loads folders written by embedsdk.train.doc2vec"
            )
        try:
            self.manifest: dict[str, Any] = json.loads(manifest.read_text("utf-8"))
            self.model_file = self.folder / str(self.manifest["file"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VectorFileError(manifest, None, f"not a valid embedsdk.json ({exc})") from None
        if self.manifest.get("kind") != "doc2vec":
            raise VectorFileError(manifest, None, f"a {self.manifest.get('kind')!r} folder; load it with static/")
        tokenizer = self.options.tokenizer or str(self.manifest.get("tokenizer", "regex"))
        lowercase = self.options.lowercase
        if lowercase is None:
            lowercase = bool(self.manifest.get("lowercase", True))
        self._split = make_tokenizer(tokenizer, lowercase)
        self._settings = {"tokenizer": tokenizer, "lowercase": str(lowercase), "seed": str(self.options.seed)}
        self._model: Any = None
        self._space: EmbeddingSpace | None = None
        self._lock = threading.Lock()
        self._infer_lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The gensim Doc2Vec model, loaded on first use (its arrays memory-mapped)."""
        with self._lock:
            if self._model is None:
                from embedsdk_static.loaders import _import_gensim

                gensim = _import_gensim()
                try:
                    self._model = gensim.models.Doc2Vec.load(str(self.model_file), mmap="r")
                except Exception as exc:  # unpickling errors of every kind
                    raise VectorFileError(self.model_file, None, f"not a readable Doc2Vec model ({exc})") from exc
            return self._model

    @property
    def epochs(self) -> int:
        """Inference epochs: the option, else the model's."""
        return self.options.epochs or int(self.model.epochs)

    @property
    def space(self) -> EmbeddingSpace:
        """Folder, model digest, dimension, inference settings."""
        if self._space is None:
            self._space = EmbeddingSpace(
                provider=self.provider_id,
                model=self.folder.name,
                revision=file_digest(self.model_file),
                dim=int(self.model.vector_size),
                normalized=False,
                pooling="doc2vec",
                extra={**self._settings, "epochs": str(self.epochs)},
            )
        return self._space

    @property
    def limits(self) -> ProviderLimits:
        """Inference is per document; batches only group the calls."""
        return ProviderLimits(max_items_per_request=256)

    def oov_report(self, items: Sequence[Any]) -> list[tuple[int, list[str]]]:
        """Per item, its number of words and those the model never saw in training (inference ignores them)."""
        vocab = self.model.wv.key_to_index
        report: list[tuple[int, list[str]]] = []
        for item in items:
            words = self._split(str(item))
            report.append((len(words), [w for w in words if w not in vocab]))
        return report

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """One inferred vector per text, the same for the same text in every call."""
        model, epochs = self.model, self.epochs
        out = np.empty((len(items), int(model.vector_size)), dtype=np.float32)
        for position, item in enumerate(items):
            with self._infer_lock:  # the random state is shared: one inference at a time
                model.random = np.random.RandomState(self.options.seed)
                out[position] = model.infer_vector(self._split(str(item)), epochs=epochs)
        return out

    def document_vector(self, tag: str | int) -> np.ndarray:
        """The vector learned for a training document, by its tag (its position when trained from a list)."""
        try:
            return np.asarray(self.model.dv[tag], dtype=np.float32)
        except KeyError:
            raise InvalidInputError(f"no training document is tagged {tag!r} in {self.folder}") from None

    @property
    def tags(self) -> list[Any]:
        """The training documents' tags."""
        return list(self.model.dv.index_to_key)
