"""A trainable copy of an ``hf/`` provider's model: transformer -> pooling -> dense -> normalize, on torch.

`SentenceModel.load` reads what the provider's folder says (through the provider's ``recipe``), so training
sees the same pipeline that embedding runs; `SentenceModel.save` writes a sentence-transformers folder that
``embed(..., provider=f"hf/{folder}")`` and ``SentenceTransformer(folder)`` both load.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedsdk.devices import pick_device
from embedsdk.errors import InvalidOptionError, MissingDependencyError

if TYPE_CHECKING:
    import torch

__all__ = ["SentenceModel", "check_output", "import_torch"]

_ACTIVATIONS = {"tanh": "Tanh", "identity": "Identity", "relu": "ReLU", "gelu": "GELU", "sigmoid": "Sigmoid"}
_POOLING_FLAGS = {
    "cls": "pooling_mode_cls_token",
    "max": "pooling_mode_max_tokens",
    "mean": "pooling_mode_mean_tokens",
    "mean_sqrt_len": "pooling_mode_mean_sqrt_len_tokens",
}
# Copies of the weights in other formats: stale after training, so they are not copied to the output.
_STALE = ("onnx", "openvino", "*.onnx", "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "rust_model.ot")


def import_torch() -> Any:
    """Import torch and transformers, or raise `MissingDependencyError` with the pip command."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependencyError(
            "fine-tuning needs torch and transformers: pip install embedsdk-transformers"
        ) from exc
    # Loading and saving chatter (weight bars, head-initialization notes) would drown the training bar.
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return torch


def check_output(output: Path) -> None:
    """Refuse an ``output`` that exists and is neither empty nor a sentence-transformers folder.

    Raises:
        InvalidOptionError: ``output`` is a file, or a folder holding other things (never deleted).
    """
    if not output.exists():
        return
    if not output.is_dir():
        raise InvalidOptionError(f"output {output} is a file; give a folder")
    if any(output.iterdir()) and not (output / "modules.json").is_file():
        raise InvalidOptionError(f"output {output} exists and is not a model folder; choose a new folder")


def _recipe(provider: Any) -> Any:
    import embedsdk

    built = embedsdk.embedder(provider) if isinstance(provider, str) or provider is None else provider
    recipe = getattr(built, "recipe", None)
    if recipe is None or not hasattr(recipe, "transformer_folder"):
        name = getattr(built, "provider_id", type(built).__name__)
        raise InvalidOptionError(
            f"{name} cannot be fine-tuned: training works on hf/ providers (local transformer models), "
            f"such as 'minilm' or 'hf/<folder>'"
        )
    return built, recipe


class SentenceModel:
    """The provider's transformer, pooling, dense layers and normalization as torch modules.

    Attributes:
        transformer: The Hugging Face model (``AutoModel``).
        tokenizer: Its tokenizer.
        pooling: Pooling modes, concatenated in order.
        dense: ``torch.nn.Sequential(linear, activation)`` per Dense layer.
        normalize: Whether vectors are scaled to unit length.
        max_seq_length: Tokens read per text.
        lowercase: Whether texts are lower-cased first.
    """

    def __init__(self, provider: Any, device: str = "auto") -> None:
        torch = import_torch()
        import transformers

        self.embedder, self.recipe = _recipe(provider)
        recipe = self.recipe
        self.device = pick_device(device)
        self.pooling: tuple[str, ...] = tuple(getattr(self.embedder, "pooling", recipe.pooling))
        unsupported = [mode for mode in self.pooling if mode not in _POOLING_FLAGS]
        if unsupported:
            raise InvalidOptionError(
                f"fine-tuning supports {', '.join(_POOLING_FLAGS)} pooling, not {', '.join(unsupported)}"
            )
        self.normalize = bool(recipe.normalize)
        self.max_seq_length = int(getattr(self.embedder, "max_seq_length", recipe.max_seq_length or 512))
        self.lowercase = bool(recipe.do_lower_case)
        folder = str(recipe.transformer_folder)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.transformer = transformers.AutoModel.from_pretrained(folder, local_files_only=True)
        self.dense = [self._load_dense(layer) for layer in recipe.dense]
        self.modules = torch.nn.ModuleList([self.transformer, *self.dense]).to(self.device)

    def _load_dense(self, layer: Any) -> Any:
        torch = import_torch()
        linear = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias)
        if (layer.folder / "model.safetensors").is_file():
            from safetensors.torch import load_file

            state = load_file(str(layer.folder / "model.safetensors"))
        else:
            state = torch.load(str(layer.folder / "pytorch_model.bin"), map_location="cpu", weights_only=True)
        linear.load_state_dict({key.removeprefix("linear."): value for key, value in state.items()})
        activation = getattr(torch.nn, _ACTIVATIONS[layer.activation])()
        return torch.nn.Sequential(linear, activation)

    def parameters(self) -> Any:
        """Every trainable parameter (transformer and dense layers)."""
        return self.modules.parameters()

    def train(self, mode: bool = True) -> None:
        """Switch dropout on (training) or off (evaluation)."""
        self.modules.train(mode)

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Token ids and attention mask of ``texts``, padded to the longest and cut at `max_seq_length`."""
        texts = [text.lower() for text in texts] if self.lowercase else list(texts)
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="pt"
        )
        return {name: tensor.to(self.device) for name, tensor in batch.items()}

    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """Embeddings of ``texts`` with gradients: forward, pool, dense, normalize."""
        th = import_torch()
        batch = self.tokenize(texts)
        tokens = self.transformer(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        parts = []
        for mode in self.pooling:
            if mode == "cls":
                parts.append(tokens[:, 0])
            elif mode == "max":
                parts.append(tokens.masked_fill(mask == 0, -1e9).max(1).values)
            elif mode == "mean":
                parts.append((tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9))
            else:  # mean_sqrt_len
                parts.append((tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9).sqrt())
        vectors = parts[0] if len(parts) == 1 else th.cat(parts, dim=-1)
        for layer in self.dense:
            vectors = layer(vectors)
        if self.normalize:
            vectors = th.nn.functional.normalize(vectors, p=2, dim=-1)
        result: torch.Tensor = vectors
        return result

    def save(self, output: Path, transformer: Any = None) -> Path:
        """Write a sentence-transformers folder at ``output`` and return it.

        An existing ``output`` is replaced when it is empty or a sentence-transformers folder (one with
        ``modules.json``); any other existing folder is refused, so no user file is ever deleted.

        Args:
            output: The folder to write.
            transformer: The encoder to save instead of `transformer` (the base of a masked-LM model).
        """
        source = Path(self.recipe.folder)
        output = Path(output).expanduser().resolve()
        if output == source.resolve():
            raise InvalidOptionError(f"output {output} is the base model's own folder; choose another")
        if output.exists():
            check_output(output)
            shutil.rmtree(output)
        if self.recipe.sentence_transformers:
            shutil.copytree(source, output, ignore=shutil.ignore_patterns(*_STALE, ".git", ".cache"))
            inner = output / Path(self.recipe.transformer_folder).resolve().relative_to(source.resolve())
        else:
            output.mkdir(parents=True)
            inner = output
            self._write_pipeline(output)
        (transformer or self.transformer).save_pretrained(str(inner), safe_serialization=True)
        self.tokenizer.save_pretrained(str(inner))
        from safetensors.torch import save_file

        for layer, sequential in zip(self.recipe.dense, self.dense, strict=True):
            folder = output / Path(layer.folder).resolve().relative_to(source.resolve())
            weights = sequential[0].state_dict().items()
            state = {f"linear.{key}": value.detach().cpu().contiguous() for key, value in weights}
            save_file(state, str(folder / "model.safetensors"))
        return output

    def _write_pipeline(self, output: Path) -> None:
        """modules.json and configs that make a plain Hugging Face folder a sentence-transformers one."""
        modules = [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        ]
        if self.normalize:
            normalize = {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
            modules.append(normalize)
            (output / "2_Normalize").mkdir()
        (output / "modules.json").write_text(json.dumps(modules, indent=2), encoding="utf-8")
        (output / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": self.max_seq_length, "do_lower_case": self.lowercase}), encoding="utf-8"
        )
        (output / "1_Pooling").mkdir()
        pooling: dict[str, Any] = {"word_embedding_dimension": int(self.recipe.hidden_size)}
        pooling |= {flag: mode in self.pooling for mode, flag in _POOLING_FLAGS.items()}
        (output / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2), encoding="utf-8")
