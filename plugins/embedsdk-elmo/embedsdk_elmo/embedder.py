"""`ElmoEmbedder`: ``elmo/<folder or file>``; sentence vectors, words in context, and the raw layers.

Construction is cheap (it finds the files); torch and the weights load on the first batch. Sentence vectors
are the mean over words of the chosen layer, as the ELMo paper's sentence use does; `embed_words` gives one
vector per word in the context of its sentence; `embed_layers` gives every layer of every word.

``precision`` (default ``auto``) follows `embedsdk.devices`: bf16 where the CPU or GPU computes it natively,
else fp32, behind the shared quality gate (`embedsdk.devices.precision_gate`, verdicts stored in the memo
``embedsdk_elmo.precision_gate``). ELMo's probe is word-level: the gate's probe sentences (`PROBE_TEXTS`) are
embedded in fp32 and in the mode, and every word vector of every layer is compared. The space records any
precision other than fp32.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import BaseEmbedder, Embeddings, EmbeddingSpace, ProviderLimits
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
    ItemFailure,
    MissingDependencyError,
)
from embedsdk_elmo.locate import ElmoFiles, default_location, files_revision, locate_elmo
from embedsdk_elmo.options import ElmoOptions
from embedsdk_elmo.tokenizer import WordTokenizer

__all__ = ["DEFAULT_MODEL", "GATE_MEMO", "ElmoEmbedder", "pick_device"]

DEFAULT_MODEL = "default"
"""The model part of ``elmo/default`` (alias ``elmo``): the weights at `default_location`."""
GATE_MEMO = "embedsdk_elmo.precision_gate"
"""The stored memo holding the quality gate's verdicts (see `ElmoEmbedder.precision`)."""
_PROBE = "words-all-layers-1"  # what the gate compares; part of the verdict's key
_TORCH_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


class ElmoEmbedder(BaseEmbedder):
    """ELMo vectors from a local model; see `ElmoOptions` for options.

    Args:
        provider_id: ``elmo/<folder or file>`` (``elmo//abs/path`` for an absolute path), or ``elmo/default``
            for the weights at ``EMBEDSDK_ELMO_PATH`` (else ``<user cache>/embedsdk/elmo``).
        **options: `ElmoOptions` fields.
    """

    Options = ElmoOptions
    options: ElmoOptions
    supports_words = True

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.model_name = provider_id.split("/", 1)[1] if provider_id.startswith("elmo/") else provider_id
        if not self.model_name:
            raise InvalidOptionError("the elmo provider needs a model: 'elmo/<folder or weights file>' or 'elmo'")
        self._files: ElmoFiles | None = None
        self._space: EmbeddingSpace | None = None
        self._engine: Any = None
        self._mix: tuple[list[float], float] | None = None
        self._lock = threading.RLock()
        self._tokenizer = WordTokenizer()
        self._precision: str | None = None

    # -- what is on disk (cheap) ------------------------------------------------------------------------

    @property
    def location(self) -> Path:
        """Where the weights are read from: the ``path`` option, the id's path, or the default location."""
        if self.options.path:
            return Path(self.options.path)
        return default_location() if self.model_name == DEFAULT_MODEL else Path(self.model_name)

    @property
    def files(self) -> ElmoFiles:
        """The model's files (found on first use; `ModelNotFoundError` names what is missing)."""
        if self._files is None:
            files = locate_elmo(self.location)
            if self.options.layer == "mix" and files.mix is None:
                raise ConfigurationError(
                    f"{self.provider_id}: layer='mix' needs scalar-mix weights in {files.folder / 'scalar_mix.json'} "
                    f'({{"scalar_weights": [3 numbers], "gamma": 1.0}}); or pick layer="average", 0, 1 or 2'
                )
            self._files = files
        return self._files

    @property
    def space(self) -> EmbeddingSpace:
        """Model, content revision, dimension, layer and word limit of the sentence vectors."""
        if self._space is None:
            files = self.files
            dim = self._checked_dim()
            layer = self.options.layer
            precision = self.precision  # a stored gate verdict decides without loading weights
            extra = {"layer": str(layer), "format": files.kind, "tokenizer": "elmo-words-1"}
            if precision != "fp32":
                extra["precision"] = precision
            self._space = EmbeddingSpace(
                provider=self.provider_id,
                model=self.model_name if self.model_name != DEFAULT_MODEL else f"elmo:{files.folder.name}",
                revision=files_revision(files),
                dim=dim,
                normalized=False,
                pooling="mean",
                dtype="float32",
                max_tokens=self.options.max_words,
                extra=extra,
            )
        return self._space

    def _checked_dim(self) -> int:
        """The vectors' width, from the configuration; refuses a layer the model lacks (nothing is loaded)."""
        from embedsdk_elmo.weights import output_shape

        layers, dim = output_shape(self.files)  # from the configuration: a cache hit never loads weights
        layer = self.options.layer
        if isinstance(layer, int) and layer >= layers:
            raise InvalidOptionError(f"{self.provider_id}: layer must be below {layers}, got {layer}")
        return dim

    @property
    def limits(self) -> ProviderLimits:
        """Words per item and padded words per forward pass (the planner counts words)."""
        return ProviderLimits(
            max_items_per_request=self.options.max_batch_items,
            max_tokens_per_item=self.options.max_words,
            max_tokens_per_request=max(self.options.max_batch_words, self.options.max_words),
            padded=True,
        )

    @property
    def tokenizer(self) -> WordTokenizer:
        """The word tokenizer (see `embedsdk_elmo.tokenizer`); one token is one word."""
        return self._tokenizer

    # -- precision and its quality gate -------------------------------------------------------------------

    @property
    def precision(self) -> str:
        """The precision the vectors are computed in: the request (``auto`` resolved), or fp32 if the gate refused it.

        The first call for a mode other than fp32 may run the quality gate (it loads the weights); a verdict
        stored by an earlier process decides without loading anything.

        Raises:
            InvalidOptionError: ``fp16`` on a CPU.
        """
        with self._lock:
            if self._precision is None:
                kind = device_kind(self.options.device)
                mode = resolve_precision(self.provider_id, self.options.precision, kind)
                key = f"{files_revision(self.files)}|{mode}|{kind}|{_PROBE}"
                verdict = precision_gate(
                    GATE_MEMO, key, mode, self._probe("fp32"), self._probe(mode), provider_id=self.provider_id
                )
                self._precision = verdict.precision
                if self._engine is not None:
                    self._engine.set_compute_dtype(_torch_dtype(self._precision))
            return self._precision

    def _probe(self, mode: str) -> Callable[[], np.ndarray]:
        """Every word vector of every layer of the probe sentences, computed in ``mode``: ``(vectors, dim)``."""

        def run() -> np.ndarray:
            engine = self._load_engine()
            engine.set_compute_dtype(_torch_dtype(mode))
            sentences = [self._tokenizer.words(text)[: self.options.max_words] for text in PROBE_TEXTS]
            layers = engine.layers_numpy([words for words in sentences if words])
            return np.concatenate([layer.reshape(-1, layer.shape[-1]) for layer in layers])

        return run

    # -- loading ----------------------------------------------------------------------------------------

    def _load_engine(self) -> Any:
        """The engine on its device, loaded once (in whichever precision it was last set to)."""
        with self._lock:
            if self._engine is not None:
                return self._engine
            try:
                import torch  # noqa: F401  (imported here so `import embedsdk` never pays for torch)
            except ImportError as exc:
                raise MissingDependencyError("the elmo provider needs torch: pip install embedsdk-elmo") from exc
            from embedsdk_elmo.engine import ElmoEngine, read_scalar_mix

            self._checked_dim()  # checks the layer against the model's configuration before loading anything
            files = self.files
            engine = ElmoEngine(files, device=pick_device(self.options.device))
            if self.options.layer == "mix" and files.mix is not None:
                self._mix = read_scalar_mix(files.mix, engine.n_layers)
            self._engine = engine
            return engine

    def _load(self) -> Any:
        """The engine in the gated precision (the gate may run first, leaving the engine loaded)."""
        with self._lock:
            _ = self.space  # checks the layer and settles the precision
            engine = self._load_engine()
            engine.set_compute_dtype(_torch_dtype(self.precision))
            return engine

    def close(self) -> None:
        """Drop the weights (they load again on next use)."""
        with self._lock:
            self._engine = None

    # -- embedding --------------------------------------------------------------------------------------

    def _select(self, layers: Any) -> Any:
        """The chosen output from ``(n_layers, ..., dim)`` layers (a torch tensor or numpy array)."""
        layer = self.options.layer
        if layer == "average":
            return layers.mean(0)
        if layer == "mix":
            assert self._mix is not None
            weights, gamma = self._mix
            shifted = np.exp(np.asarray(weights) - max(weights))
            normalized = (shifted / shifted.sum()).tolist()
            return gamma * sum(w * layers[k] for k, w in enumerate(normalized))
        return layers[int(layer)]

    def embed_layers(self, sentences: Sequence[str | Sequence[str]]) -> list[np.ndarray]:
        """Every ELMo layer of every word: per sentence, float32 ``(3, words, dim)``.

        Args:
            sentences: Texts (cut into words by the word tokenizer) or lists of words, run as one batch.
        """
        engine = self._load()
        words = [self._tokenizer.words(s) if isinstance(s, str) else list(s) for s in sentences]
        empty = [n for n, w in enumerate(words) if not w]
        if empty:
            raise InvalidInputError(
                f"sentences {empty} have no words; pass non-blank text",
                [ItemFailure(n, f"sentence {n} has no words") for n in empty],
            )
        result: list[np.ndarray] = engine.layers_numpy(words)
        return result

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Sentence vectors: the mean over words of the chosen layer, float32 ``(len(items), dim)``."""
        import torch

        engine = self._load()
        words = [self._tokenizer.words(str(item)) for item in items]
        empty = [n for n, w in enumerate(words) if not w]
        if empty:
            raise InvalidInputError(
                f"items {empty} have no words", [ItemFailure(n, f"item {n} has no words") for n in empty]
            )
        layers, counts = engine.layers(words)
        with torch.inference_mode():
            chosen = self._select(layers)  # (batch, longest, dim), zeros past each sentence's end
            sums = chosen.sum(1)
            vectors = sums / torch.tensor(counts, dtype=sums.dtype, device=sums.device)[:, None]
        result: np.ndarray = vectors.float().cpu().numpy()
        return result

    def embed_words(self, sentence: str, words: Sequence[str | tuple[int, int]] | None = None) -> Embeddings:
        """One vector per word, read in the context of ``sentence``, from the chosen layer.

        Args:
            sentence: The context.
            words: Words (first whole-word occurrence, case-insensitive) or ``(start, end)`` character spans;
                None takes every word the tokenizer finds (punctuation included). A span covering several
                tokenizer words gets their mean.

        Raises:
            InvalidInputError: a word is not in the sentence, or the sentence is over ``max_words``.
        """
        if not isinstance(sentence, str) or not sentence.strip():
            raise InvalidInputError(f"embed_words needs a non-empty sentence (str), got {sentence!r}")
        tokens = self._tokenizer.tokenize(sentence)
        if len(tokens) > self.options.max_words:
            raise InvalidInputError(
                f"the sentence has {len(tokens)} words, over {self.provider_id}'s max_words={self.options.max_words}; "
                f"shorten it around the words, or raise max_words"
            )
        if words is None:
            positions = [[n] for n in range(len(tokens))]
            labels = [word for word, _, _ in tokens]
        else:
            positions, labels = _word_positions(sentence, tokens, words)
        layers = self.embed_layers([[word for word, _, _ in tokens]])[0]  # (n_layers, words, dim)
        chosen = np.asarray(self._select(layers), dtype=np.float32)
        vectors = np.stack([chosen[p].mean(0) for p in positions]).astype(np.float32)
        space = self.space.model_copy(update={"pooling": "word", "max_tokens": self.options.max_words})
        return Embeddings(vectors, space, labels=labels)


def _torch_dtype(mode: str) -> Any:
    import torch

    return getattr(torch, _TORCH_DTYPES[mode])


def _word_positions(
    sentence: str, tokens: list[tuple[str, int, int]], words: Sequence[str | tuple[int, int]] | str
) -> tuple[list[list[int]], list[str]]:
    """Per requested word, the positions of the tokenizer words it covers, and its label."""
    if isinstance(words, str):
        words = [words]
    positions, labels, errors = [], [], []
    for n, word in enumerate(words):
        if isinstance(word, tuple) and len(word) == 2 and all(isinstance(v, int) for v in word):
            start, end = word
            if not 0 <= start < end <= len(sentence):
                errors.append(ItemFailure(n, f"span {word} is outside the sentence (0..{len(sentence)})"))
                continue
        elif isinstance(word, str) and word.strip():
            match = re.search(rf"(?<!\w){re.escape(word.strip())}(?!\w)", sentence, flags=re.IGNORECASE)
            if match is None:
                errors.append(ItemFailure(n, f"word {n} ({word!r}) is not in the sentence {sentence!r}"))
                continue
            start, end = match.span()
        else:
            errors.append(ItemFailure(n, f"word {n} must be a non-empty str or a (start, end) span, not {word!r}"))
            continue
        covered = [k for k, (_, s, e) in enumerate(tokens) if s < end and e > start]
        if not covered:
            errors.append(ItemFailure(n, f"word {n} ({sentence[start:end]!r}) covers no word of the tokenizer"))
            continue
        positions.append(covered)
        labels.append(sentence[start:end])
    if errors:
        raise InvalidInputError("; ".join(e.message for e in errors) + "; pass words that occur in it", errors)
    return positions, labels
