"""`HFEmbedder`: ``hf/<hub id or local folder>`` on torch + transformers.

The pipeline is the one the folder describes (see `recipe`): transformer -> pooling -> dense -> normalize.
Construction is cheap (it reads JSON only); torch, transformers and the weights load on the first batch.
The planner hands it batches sorted by token length within a padded-token budget, so each forward pass pads
little; it runs under ``torch.inference_mode``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk import runtime
from embedsdk.devices import (
    DEVICE_PATTERN,
    device_kind,
    min_cosine,
    pick_device,
    precision_gate,
    requested_precision,
    resolve_precision,
    torch_batch_executor,
)
from embedsdk.errors import (
    ConfigurationError,
    InvalidInputError,
    InvalidOptionError,
    ItemFailure,
    MissingDependencyError,
)
from embedsdk.providers.base import BaseEmbedder
from embedsdk.providers.protocols import ProviderLimits
from embedsdk.result import Embeddings
from embedsdk.space import EmbeddingSpace
from embedsdk_transformers.fastpath import FASTPATH
from embedsdk_transformers.locate import locate_model
from embedsdk_transformers.precision import (
    PROBE_TEXTS,
    gpu_may_be_present,
)
from embedsdk_transformers.recipe import ModelRecipe, read_recipe
from embedsdk_transformers.tokenizer import HFTokenizer, valid_spec

__all__ = ["HFEmbedder", "HFOptions", "pick_device"]

logger = logging.getLogger("embedsdk_transformers")

# Padded tokens per forward pass by default: what keeps a CPU's caches warm, and a GPU busy.
CPU_BATCH_TOKENS = 2048
GPU_BATCH_TOKENS = 16384

_WORD = re.compile(r"\w+(?:[-'\u2019]\w+)*")


class HFOptions(BaseModel):
    """Options of ``hf/...`` providers.

    Attributes:
        pooling: ``cls``, ``mean``, ``max``, ``mean_sqrt_len``, ``weightedmean`` or ``lasttoken``; default: what
            the folder says (sentence-transformers), else ``mean``.
        device: ``auto`` (cuda, then mps, then cpu), or a torch device such as ``cpu`` or ``cuda:1``.
        precision: Compute precision: ``fp32`` (exact), ``bf16``, ``fp16`` (GPU only), ``int8`` (dynamic
            quantization of the linear layers, CPU only), or ``auto``, the default (bf16 on CPUs and GPUs with
            native bf16, else fp32; fp32 on the ONNX backend). Pass ``fp32`` for exact vectors. Every mode but
            fp32 passes a quality gate on first use (min cosine >= 0.999
            against fp32 on a fixed probe set) and falls back to fp32, with a logged warning, when it fails.
            Vectors are always float32; the space records the precision that made them.
        dtype: The older spelling: ``float32``, ``bfloat16`` or ``float16`` (= precision fp32, bf16, fp16).
        backend: ``torch`` (default), or ``onnx``: ONNX Runtime over a graph exported locally from the same
            weights on first use (this needs torch once), parity-checked against torch (min cosine >= 0.99999)
            and kept in the cache folder. It runs in fp32 (``auto`` means fp32 there) and a process that uses
            it imports neither torch nor transformers. Needs ``pip install 'embedsdk-transformers[onnx]'``.
        threads: torch's CPU threads for this process (default: leave torch's own setting alone).
        max_seq_length: Read at most this many tokens of an item (default: the model's limit).
        max_batch_tokens: Padded tokens per forward pass (items x longest item); bounds memory. Default:
            2,048 on CPU, 16,384 on a GPU (larger matrices keep it busy).
        max_batch_items: Items per forward pass at most.
        model_path: Load the weights from this folder while keeping the provider's name (``bert`` from a
            local copy of bert-base-uncased, say).
        revision: Hub revision (branch, tag or commit) when the model comes from the hub.
        query_prompt: Text put before queries (``role="query"``); default: the folder's ``query`` prompt.
        document_prompt: Text put before documents (``role="document"``); default: the folder's prompt.
        trust_remote_code: Allow a model folder's own Python code (off: it runs code from the folder).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    pooling: Literal["cls", "mean", "max", "mean_sqrt_len", "weightedmean", "lasttoken"] | None = None
    device: str = Field(default="auto", pattern=DEVICE_PATTERN)
    precision: Literal["fp32", "bf16", "fp16", "int8", "auto"] | None = None
    dtype: Literal["float32", "float16", "bfloat16"] | None = None
    backend: Literal["torch", "onnx"] = "torch"
    threads: int | None = Field(default=None, gt=0)
    max_seq_length: int | None = Field(default=None, gt=1)
    max_batch_tokens: int | None = Field(default=None, gt=0)
    max_batch_items: int = Field(default=256, gt=0)
    model_path: str | None = None
    revision: str | None = None
    query_prompt: str | None = None
    document_prompt: str | None = None
    trust_remote_code: bool = False


def folder_revision(recipe: ModelRecipe) -> str:
    """A content hash of the model's files (weights, config, tokenizer, pipeline), memoized per file state."""
    h = hashlib.sha256()
    folders = {recipe.folder, recipe.transformer_folder, *(d.folder for d in recipe.dense)}
    # Sorted and without folders inside another (rglob reaches them), so every process, whatever its hash
    # seed, hashes the same files in the same order under the same names.
    roots = sorted(f for f in folders if not any(other != f and other in f.parents for other in folders))
    for root in roots:
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            # Every file that can change a vector; READMEs and hidden files and folders (.git, .cache) cannot.
            if path.is_file() and not any(part.startswith(".") for part in relative.parts) and path.suffix != ".md":
                h.update(str(relative).encode() + b"\0" + runtime.current().file_digest(path).encode())
    return h.hexdigest()[:16]


class HFEmbedder(BaseEmbedder):
    """Embeds text with a local transformer model; see `HFOptions` for options.

    Args:
        provider_id: ``hf/<hub id or folder>`` (``hf//abs/path`` for an absolute folder).
        **options: `HFOptions` fields.
    """

    Options = HFOptions
    options: HFOptions
    supports_words = True

    def __init__(self, provider_id: str, **options: Any) -> None:
        super().__init__(provider_id, **options)
        self.model_name = provider_id.split("/", 1)[1] if provider_id.startswith("hf/") else provider_id
        if not self.model_name:
            raise InvalidOptionError("the hf provider needs a model: 'hf/<hub id>' or 'hf/<folder>'")
        self._recipe: ModelRecipe | None = None
        self._space: EmbeddingSpace | None = None
        self._model: Any = None
        self._tokenizer: HFTokenizer | None = None
        self._dense: list[Any] = []
        self._device = "cpu"
        self._lock = threading.RLock()
        self._prompt_lengths: dict[str | None, int] = {}
        self._precision: str | None = None
        self._backend: str | None = None
        self._requested = self._requested_precision()

    # -- what the folder says (cheap: JSON only) ---------------------------------------------------------

    @property
    def recipe(self) -> ModelRecipe:
        """The model folder's pipeline, located and read on first use."""
        if self._recipe is None:
            folder = locate_model(self.options.model_path or self.model_name, self.options.revision)
            self._recipe = read_recipe(folder)
        return self._recipe

    @property
    def pooling(self) -> tuple[str, ...]:
        """Pooling modes in use: the option, else the folder's."""
        return (self.options.pooling,) if self.options.pooling else self.recipe.pooling

    @property
    def max_seq_length(self) -> int:
        """Tokens read per item: the option, else the folder's settings, capped by the position embeddings."""
        recipe = self.recipe
        limits = [v for v in (recipe.max_seq_length, recipe.tokenizer_max_length, recipe.position_limit()) if v]
        model_limit = min(limits) if limits else 512
        if self.options.max_seq_length is not None:
            if self.options.max_seq_length > model_limit:
                raise InvalidOptionError(
                    f"max_seq_length={self.options.max_seq_length} is over {self.provider_id}'s limit of "
                    f"{model_limit} tokens; pass at most {model_limit}"
                )
            return self.options.max_seq_length
        return model_limit

    def prompt(self, role: str | None) -> str:
        """The text put before items of this role."""
        if role == "query":
            return (
                self.options.query_prompt
                if self.options.query_prompt is not None
                else self.recipe.prompts.get("query", "")
            )
        if role == "document":
            if self.options.document_prompt is not None:
                return self.options.document_prompt
            return self.recipe.prompts.get("document", self.recipe.prompts.get("passage", ""))
        return ""

    @property
    def space(self) -> EmbeddingSpace:
        """Model, content revision, dimension, pooling, normalization and token limit of the vectors."""
        if self._space is None:
            recipe = self.recipe
            pooling = self.pooling
            if self.options.pooling and recipe.dense and len(pooling) != len(recipe.pooling):
                raise InvalidOptionError(f"{self.provider_id}: pooling cannot change the width before its Dense layer")
            extra = {f"{role}_prompt": self.prompt(role) for role in ("query", "document") if self.prompt(role)}
            if self.precision != "fp32":
                extra["precision"] = self.precision
            if self.backend != "torch":
                extra["backend"] = self.backend
            self._space = EmbeddingSpace(
                provider=self.provider_id,
                model=self.model_name,
                revision=folder_revision(recipe),
                dim=recipe.dense[-1].out_features if recipe.dense else recipe.hidden_size * len(pooling),
                normalized=recipe.normalize,
                pooling="+".join(pooling),
                dtype="float32",
                max_tokens=self.max_seq_length,
                extra=extra,
            )
        return self._space

    @property
    def limits(self) -> ProviderLimits:
        """Padded token budget per forward pass; per-item limit leaves room for the longest prompt."""
        longest_prompt = max(self._prompt_tokens(role) for role in ("query", "document"))
        budget = self.options.max_batch_tokens
        if budget is None:
            budget = GPU_BATCH_TOKENS if self._device_kind() in ("cuda", "xpu") else CPU_BATCH_TOKENS
        return ProviderLimits(
            max_items_per_request=self.options.max_batch_items,
            max_tokens_per_item=self.max_seq_length - longest_prompt,
            max_tokens_per_request=max(budget, self.max_seq_length),
            padded=True,
        )

    # -- loading (torch, transformers, weights) -----------------------------------------------------------

    @property
    def tokenizer(self) -> HFTokenizer:
        """The model's tokenizer (loaded on first use; torch is not needed for it)."""
        if self._tokenizer is None:
            # What transformers makes of the tokenizer files, remembered across processes for their content:
            # a later process builds the same Rust tokenizer without importing transformers.
            lowercase = self.recipe.do_lower_case
            key = self._tokenizer_key()
            stored = runtime.current().stored_memo("embedsdk_transformers.tokenizers")
            spec = stored.get(key)
            if valid_spec(spec):
                try:
                    self._tokenizer = HFTokenizer(spec, lowercase=lowercase, load_hf=self._hf_tokenizer)
                except Exception as exc:  # the Rust library cannot read the stored backend: rebuild it
                    logger.warning("%s: ignoring a stored tokenizer spec it cannot read (%s)", self.provider_id, exc)
            if self._tokenizer is None:
                self._tokenizer = HFTokenizer(self._hf_tokenizer(), lowercase=lowercase)
                stored[key] = dict(self._tokenizer.spec)
        return self._tokenizer

    def _hf_tokenizer(self) -> Any:
        transformers = _import_transformers()
        return transformers.AutoTokenizer.from_pretrained(
            str(self.recipe.transformer_folder),
            local_files_only=True,
            trust_remote_code=self.options.trust_remote_code,
        )

    def _tokenizer_key(self) -> str:
        """The tokenizer files' content (every small text file of the transformer folder) and transformers' version."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            library = version("transformers")
        except PackageNotFoundError:
            library = "none"
        h = hashlib.sha256(f"{library}|{self.options.trust_remote_code}".encode())
        folder = self.recipe.transformer_folder
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in (".json", ".txt", ".model", ".py") and path.stat().st_size < 1 << 26:
                h.update(path.name.encode() + b"\0" + runtime.current().file_digest(path).encode())
        return h.hexdigest()[:32]

    def _load(self) -> tuple[Any, list[Any]]:
        """The model and its Dense layers, loaded once.

        Callers use what this returns, not the attributes, so a concurrent `close` cannot pull them away
        mid-batch.
        """
        with self._lock:
            if self._model is not None:
                return self._model, self._dense
            if self.backend == "onnx":  # may export and check the graph first
                from embedsdk_transformers.onnx_backend import OnnxExport, export_folder

                self._device = self._onnx_device()
                self._model = OnnxExport(export_folder(self._onnx_key()), self.options.threads, self._device)
                return self._model, self._dense
            precision = self.precision  # may run the quality gate, which leaves the winning model loaded
            if self._model is None:
                self._model, self._dense = self._build(precision)
            return self._model, self._dense

    def _build(self, precision: str, device: str | None = None) -> tuple[Any, list[Any]]:
        """Load the weights in ``precision``: the transformer (SDPA attention where supported) and Dense layers."""
        import torch

        transformers = _import_transformers()
        if self.options.threads is not None:
            torch.set_num_threads(self.options.threads)
        self._device = device or pick_device(self.options.device)
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
        kwargs: dict[str, Any] = {
            "local_files_only": True,
            "dtype": dtype,
            "trust_remote_code": self.options.trust_remote_code,
        }
        folder = str(self.recipe.transformer_folder)
        try:
            model = transformers.AutoModel.from_pretrained(folder, attn_implementation="sdpa", **kwargs)
        except (ValueError, ImportError):  # an architecture without SDPA support: its own attention
            model = transformers.AutoModel.from_pretrained(folder, **kwargs)
        model.eval().to(self._device)
        if precision == "int8":
            import warnings

            with warnings.catch_warnings():  # torch's notice that its quantized tensors are deprecated
                warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
                model = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                    model, {torch.nn.Linear}, dtype=torch.qint8
                )
        elif precision == "bf16" and self._device == "cpu":
            from embedsdk_transformers.fastpath import pack_linears

            pack_linears(model)
        # Pooling and Dense layers run in float32 whatever the transformer's precision: they cost little.
        dense = [_load_dense(layer, torch.float32, self._device) for layer in self.recipe.dense]
        _ = self.tokenizer
        return model, dense

    # -- precision and its quality gate -------------------------------------------------------------------

    def _requested_precision(self) -> str:
        return requested_precision(self.provider_id, self.options.precision, self.options.dtype)

    def _device_kind(self) -> str:
        """cpu, cuda, mps or xpu; without importing torch when no GPU can be present."""
        return device_kind(self.options.device)

    def _candidate(self, device: str) -> str:
        """The mode to try: the request, with ``auto`` resolved for ``device``."""
        requested = self._requested
        if self.options.backend == "onnx":
            if requested not in ("fp32", "auto"):
                raise InvalidOptionError(
                    f"{self.provider_id}: backend='onnx' runs in fp32; pass precision='fp32' or 'auto' with it, "
                    f"or backend='torch' for precision={requested!r}"
                )
            return "fp32"
        return resolve_precision(self.provider_id, requested, device)

    @property
    def precision(self) -> str:
        """The precision the vectors are computed in: the request, or fp32 when the quality gate refused it."""
        with self._lock:
            if self._precision is None:
                device = self._device_kind()
                mode = self._candidate(device)
                self._precision = self._gate(mode, device) if mode != "fp32" else "fp32"
            return self._precision

    def _gate(self, mode: str, device: str) -> str:
        """``mode``, or fp32 when its probe vectors stray from fp32's; stored per model, pooling, mode and device."""
        # FASTPATH names the CPU bf16 kernels (fastpath.py): a verdict on other kernels is not reused.
        pooling = "+".join(self.pooling)
        key = f"{folder_revision(self.recipe)}|{FASTPATH}|{pooling}|{self.max_seq_length}|{mode}|{device}"
        built: dict[str, tuple[Any, list[Any]]] = {}

        def probe(precision: str) -> Callable[[], np.ndarray]:
            def run() -> np.ndarray:
                built[precision] = self._build(precision)
                return self._vectors(*built[precision], list(PROBE_TEXTS), None)

            return run

        verdict = precision_gate(
            "embedsdk_transformers.precision_gate",
            key,
            mode,
            probe("fp32"),
            probe(mode),
            provider_id=self.provider_id,
        )
        if verdict.precision in built:  # the probe ran: keep the winner loaded
            self._model, self._dense = built[verdict.precision]
        return verdict.precision

    # -- the ONNX backend ------------------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """``torch``, or ``onnx`` once an export of this model passes its parity check (exported on first use).

        An export whose vectors differ from torch's (min cosine < 0.99999 on the probe set) is not used: the
        provider runs on torch, with a logged warning, as the precision gate does.
        """
        with self._lock:
            if self._backend is None:
                backend = self.options.backend
                if backend == "onnx":
                    from embedsdk_transformers.onnx_backend import PARITY_MIN_COSINE, export_folder, read_verdict

                    _ = self.precision  # refuses the modes ONNX does not run
                    self._onnx_device()  # and the devices
                    folder = export_folder(self._onnx_key())
                    cosine = read_verdict(folder)
                    if cosine is None:
                        cosine = self._export(folder)
                    if not cosine >= PARITY_MIN_COSINE:  # NaN fails too
                        logger.warning(
                            "%s: the ONNX export gives min cosine %.6f against torch on the probe set (< %s); "
                            "using torch",
                            self.provider_id,
                            cosine,
                            PARITY_MIN_COSINE,
                        )
                        backend = "torch"
                self._backend = backend
            return self._backend

    def _onnx_key(self) -> str:
        """The export's folder name: the model's content and everything that shapes the exported graph."""
        from embedsdk_transformers.onnx_backend import FORMAT

        recipe = self.recipe
        shape = json.dumps(
            [
                FORMAT,
                self.pooling,
                recipe.normalize,
                [d.model_dump(mode="json", exclude={"folder"}) for d in recipe.dense],
            ],
            sort_keys=True,
        )
        return f"{folder_revision(recipe)}-{hashlib.sha256(shape.encode()).hexdigest()[:12]}"

    def _onnx_device(self) -> str:
        """cpu, or cuda when asked for (or when ``auto`` finds onnxruntime-gpu and a GPU)."""
        requested = self.options.device
        if requested == "auto":
            if not gpu_may_be_present():
                return "cpu"
            from embedsdk_transformers.onnx_backend import import_onnxruntime

            return "cuda" if "CUDAExecutionProvider" in import_onnxruntime().get_available_providers() else "cpu"
        if not requested.startswith(("cpu", "cuda")):
            raise InvalidOptionError(
                f"{self.provider_id}: backend='onnx' runs on cpu or cuda, not {requested!r}; use backend='torch'"
            )
        return requested

    def _export(self, folder: Path) -> float:
        """Export the fp32 model to ``folder`` and check it against torch on the probe set; the min cosine."""
        from embedsdk_transformers.onnx_backend import OnnxExport, export, import_onnxruntime

        import_onnxruntime()  # before the slow export: say what is missing first
        model, dense = self._build("fp32", device="cpu")
        texts = list(PROBE_TEXTS)
        reference = self._vectors(model, dense, texts, None)
        inputs = self.tokenizer.spec["inputs"]

        def check(scratch: Path) -> float:
            candidate = self._vectors(OnnxExport(scratch, self.options.threads, "cpu"), [], texts, None)
            return min_cosine(reference, candidate)

        logger.info("%s: exporting to ONNX in %s (once)", self.provider_id, folder)
        return export(folder, model, dense, self.pooling, self.recipe.normalize, inputs, check)

    @property
    def loaded(self) -> bool:
        """True while the weights are in memory (after the first batch, until `close`)."""
        return self._model is not None

    def close(self) -> None:
        """Drop the weights (they load again on next use)."""
        with self._lock:
            self._model = None
            self._dense = []
            self._tokenizer = None

    def _prompt_tokens(self, role: str | None) -> int:
        """Tokens the role's prompt adds to each item (0 without a prompt), counted once per role."""
        if role not in self._prompt_lengths:
            prompt = self.prompt(role)
            self._prompt_lengths[role] = self.tokenizer.count([prompt])[0] - self.tokenizer.special if prompt else 0
        return self._prompt_lengths[role]

    # -- embedding ---------------------------------------------------------------------------------------

    def batch_executor(self, batches: int) -> Executor | None:
        """On the CPU with torch, threads to run several batches at once (`embedsdk.devices.torch_batch_executor`).

        The model is loaded first, so a ``threads=`` option is in force before the threads are counted.
        """
        if self.options.backend != "torch" or self._device_kind() != "cpu":
            return None
        try:
            self._load()
        except Exception:  # the first batch raises it again, with the pipeline's account of what was kept
            return None
        return torch_batch_executor(batches)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        """Embed a batch of texts: prompt, tokenize (pad to the longest), forward, pool, dense, normalize."""
        model, dense = self._load()
        return self._vectors(model, dense, items, role)

    def _vectors(self, model: Any, dense: list[Any], items: Sequence[Any], role: str | None) -> np.ndarray:
        prompt = self.prompt(role)
        if prompt:
            self.tokenizer.forget(items)  # counted without the prompt: the model reads them with it
        texts = [prompt + text for text in items] if prompt else list(items)
        arrays = self.tokenizer.encode_for_model(texts, self.max_seq_length)
        pool_mask = arrays["attention_mask"]
        if prompt and not self.recipe.include_prompt:
            # The prompt's tokens and the leading special token stay out of pooling, as in
            # sentence-transformers (include_prompt=False).
            pool_mask = pool_mask.copy()
            pool_mask[:, : self._prompt_tokens(role) + 1] = 0
        if hasattr(model, "session"):  # the ONNX backend: pooling, Dense and normalization are in its graph
            vectors: np.ndarray = model.run(arrays, pool_mask)
            return vectors
        return self._torch_vectors(model, dense, arrays, pool_mask)

    def _torch_vectors(
        self, model: Any, dense: list[Any], arrays: dict[str, np.ndarray], pool_mask: np.ndarray
    ) -> np.ndarray:
        import torch

        from embedsdk_transformers.pooling import pool

        if self._device.startswith("cuda"):  # pinned host memory: the copy overlaps with queued GPU work
            batch = {
                name: torch.from_numpy(array).pin_memory().to(self._device, non_blocking=True)
                for name, array in arrays.items()
            }
        else:
            batch = {name: torch.from_numpy(array).to(self._device) for name, array in arrays.items()}
        with torch.inference_mode():
            tokens = model(**batch).last_hidden_state.float()
            vectors = pool(tokens, torch.from_numpy(pool_mask).to(self._device), self.pooling)
            for layer in dense:
                vectors = layer(vectors)
            if self.recipe.normalize:
                vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
            result: np.ndarray = vectors.float().cpu().numpy()
        return result

    def embed_words(self, sentence: str, words: Sequence[str | tuple[int, int]] | None = None) -> Embeddings:
        """One vector per word, read in the context of ``sentence``: the mean of the word's subword pieces.

        Args:
            sentence: The context.
            words: Words (first whole-word occurrence, case-insensitive) or ``(start, end)`` character spans;
                None takes every word of the sentence.

        Raises:
            InvalidInputError: a word is not in the sentence, or lies past the model's token limit.
        """
        if not isinstance(sentence, str) or not sentence.strip():
            raise InvalidInputError(f"embed_words needs a non-empty sentence (str), got {sentence!r}")
        spans, labels = _word_spans(sentence, words)
        model, _ = self._load()
        encoding, positions = self.tokenizer.word_pieces(sentence, spans, self.max_seq_length)
        lost = [labels[n] for n, p in enumerate(positions) if not p]
        if lost:
            raise InvalidInputError(
                f"words {lost} fall past {self.provider_id}'s limit of {self.max_seq_length} tokens (or are "
                f"only special tokens); shorten the sentence around them",
                [ItemFailure(n, f"word {labels[n]!r} has no tokens") for n, p in enumerate(positions) if not p],
            )
        if hasattr(model, "session"):  # the ONNX backend: numpy all the way
            states = model.token_states(encoding)
            vectors = np.stack([states[0][span].mean(0) for span in positions]).astype(np.float32)
        else:
            import torch

            from embedsdk_transformers.pooling import pool_spans

            batch = {name: torch.from_numpy(array).to(self._device) for name, array in encoding.items()}
            with torch.inference_mode():
                tokens = model(**batch).last_hidden_state[0].float()
                vectors = pool_spans(tokens, positions).float().cpu().numpy()
        space = self.space.model_copy(
            update={"dim": self.recipe.hidden_size, "normalized": False, "pooling": "word-mean"}
        )
        return Embeddings(vectors, space, labels=labels)


def _word_spans(
    sentence: str, words: Sequence[str | tuple[int, int]] | None
) -> tuple[list[tuple[int, int]], list[str]]:
    if words is None:
        found = [(m.start(), m.end()) for m in _WORD.finditer(sentence)]
        if not found:
            raise InvalidInputError(f"no words in {sentence!r}")
        return found, [sentence[s:e] for s, e in found]
    if isinstance(words, str):
        words = [words]
    spans, labels, errors = [], [], []
    for n, word in enumerate(words):
        if isinstance(word, tuple) and len(word) == 2 and all(isinstance(v, int) for v in word):
            start, end = word
            if not 0 <= start < end <= len(sentence):
                errors.append(ItemFailure(n, f"span {word} is outside the sentence (0..{len(sentence)})"))
                continue
            spans.append((start, end))
            labels.append(sentence[start:end])
        elif isinstance(word, str) and word.strip():
            match = re.search(rf"(?<!\w){re.escape(word.strip())}(?!\w)", sentence, flags=re.IGNORECASE)
            if match is None:
                errors.append(ItemFailure(n, f"word {n} ({word!r}) is not in the sentence {sentence!r}"))
                continue
            spans.append((match.start(), match.end()))
            labels.append(match.group(0))
        else:
            errors.append(ItemFailure(n, f"word {n} must be a non-empty str or a (start, end) span, not {word!r}"))
    if errors:
        raise InvalidInputError("; ".join(e.message for e in errors) + "; pass words that occur in it", errors)
    return spans, labels


def _import_transformers() -> Any:
    try:
        import transformers
    except ImportError as exc:
        raise MissingDependencyError(
            "the hf provider needs torch and transformers: pip install embedsdk-transformers"
        ) from exc
    # Loading chatter (weight-loading bars, "sequence too long") would drown the caller's own output.
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return transformers


def _load_dense(layer: Any, dtype: Any, device: str) -> Any:
    import torch

    linear = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias)
    weights = layer.folder / "model.safetensors"
    if weights.is_file():
        from safetensors.torch import load_file

        state = load_file(str(weights))
    elif (layer.folder / "pytorch_model.bin").is_file():
        state = torch.load(str(layer.folder / "pytorch_model.bin"), map_location="cpu", weights_only=True)
    else:
        raise ConfigurationError(f"Dense layer folder {layer.folder} has no model.safetensors or pytorch_model.bin")
    linear.load_state_dict({k.removeprefix("linear."): v for k, v in state.items()})
    activation = {
        "tanh": torch.nn.Tanh(),
        "identity": torch.nn.Identity(),
        "relu": torch.nn.ReLU(),
        "gelu": torch.nn.GELU(),
        "sigmoid": torch.nn.Sigmoid(),
    }[layer.activation]
    return torch.nn.Sequential(linear, activation).eval().to(device=device, dtype=dtype)
