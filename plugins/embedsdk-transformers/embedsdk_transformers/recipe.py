"""What a model folder says about how to embed with it, read without loading weights.

A sentence-transformers folder is a pipeline (modules.json): Transformer -> Pooling -> [Dense...] ->
[Normalize]. A plain Hugging Face folder is just the transformer; it gets mean pooling unless told otherwise.
`read_recipe` turns either into a `ModelRecipe`, the single description the embedder builds itself from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from embedsdk.errors import ConfigurationError

__all__ = ["POOLING_MODES", "DenseLayer", "ModelRecipe", "read_modules", "read_recipe", "transformer_folder"]

# sentence-transformers' pooling flags, in the order it concatenates them.
_POOLING_FLAGS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
POOLING_MODES = tuple(_POOLING_FLAGS.values())
_ACTIVATIONS = {"Tanh": "tanh", "Identity": "identity", "ReLU": "relu", "GELU": "gelu", "Sigmoid": "sigmoid"}


class DenseLayer(BaseModel):
    """A sentence-transformers Dense module: ``activation(x @ W.T + b)``."""

    model_config = ConfigDict(frozen=True)

    folder: Path
    in_features: int
    out_features: int
    bias: bool = True
    activation: str = "tanh"


class ModelRecipe(BaseModel):
    """How to embed with a model folder.

    Attributes:
        folder: The model folder.
        transformer_folder: Where config.json, weights and tokenizer live.
        pooling: Pooling modes, concatenated in this order (usually one).
        include_prompt: Whether prompt tokens count in pooling (sentence-transformers' flag).
        dense: Dense layers after pooling.
        normalize: Whether a Normalize module ends the pipeline.
        max_seq_length: Tokens the model reads, from sentence_bert_config.json (sentence-transformers < 6).
        tokenizer_max_length: The tokenizer's ``model_max_length`` (where sentence-transformers >= 6 keeps
            max_seq_length), when it is a real limit.
        do_lower_case: Lower-case texts before tokenizing.
        prompts: Prompt texts by name (``query``, ``document``...), prepended to the text.
        hidden_size: The transformer's output width.
        model_type: The transformer's ``model_type`` (bert, roberta...).
        max_position_embeddings: Positions the transformer was built for.
        pad_token_id: Padding id, which offsets RoBERTa-style position ids.
        sentence_transformers: True when the folder is a sentence-transformers pipeline.
    """

    model_config = ConfigDict(frozen=True)

    folder: Path
    transformer_folder: Path
    pooling: tuple[str, ...] = ("mean",)
    include_prompt: bool = True
    dense: tuple[DenseLayer, ...] = ()
    normalize: bool = False
    max_seq_length: int | None = None
    tokenizer_max_length: int | None = None
    do_lower_case: bool = False
    prompts: dict[str, str] = {}
    hidden_size: int
    model_type: str = ""
    max_position_embeddings: int | None = None
    pad_token_id: int | None = None
    sentence_transformers: bool = False

    def position_limit(self) -> int | None:
        """Most tokens the transformer can take, from its position embeddings."""
        if self.max_position_embeddings is None:
            return None
        # RoBERTa-style models start positions after the padding index.
        offset = (
            (self.pad_token_id or 0) + 1
            if self.model_type in {"roberta", "xlm-roberta", "camembert", "mpnet", "longformer"}
            else 0
        )
        return self.max_position_embeddings - offset


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _pooling_modes(config: dict[str, Any]) -> tuple[str, ...]:
    modes = tuple(mode for flag, mode in _POOLING_FLAGS.items() if config.get(flag))
    if not modes and config.get("pooling_mode"):
        modes = (str(config["pooling_mode"]).replace("mean_tokens", "mean").replace("cls_token", "cls"),)
    return modes or ("mean",)


def _activation(name: str) -> str:
    short = name.rsplit(".", 1)[-1]
    if short not in _ACTIVATIONS:
        raise ConfigurationError(
            f"Dense activation {name!r} is not supported; supported: {', '.join(sorted(_ACTIVATIONS))}"
        )
    return _ACTIVATIONS[short]


def read_modules(folder: Path) -> list[tuple[str, Path, dict[str, Any]]] | None:
    """A sentence-transformers folder's pipeline as (kind, module folder, entry); None for a plain folder.

    ``kind`` is the class name without its module path (``Transformer``, ``Pooling``...), which
    sentence-transformers has moved between packages across versions.
    """
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return None
    entries: list[dict[str, Any]] = json.loads(modules_file.read_text(encoding="utf-8"))
    return [(str(e.get("type", "")).rsplit(".", 1)[-1], folder / str(e.get("path", "")), e) for e in entries]


def transformer_folder(folder: Path) -> Path:
    """Where the transformer of a model folder lives (the folder itself for plain Hugging Face folders)."""
    for kind, path, _ in read_modules(folder) or ():
        if kind == "Transformer":
            return path
    return folder


def read_recipe(folder: Path) -> ModelRecipe:
    """Read a sentence-transformers or plain Hugging Face model folder into a `ModelRecipe`.

    Raises:
        ConfigurationError: the folder's pipeline has a module embedsdk cannot run (named in the message).
    """
    fields: dict[str, Any] = {"folder": folder, "transformer_folder": folder}
    modules = read_modules(folder)
    if modules is not None:
        fields["sentence_transformers"] = True
        dense = []
        for kind, path, module in modules:
            if kind == "Transformer":
                fields["transformer_folder"] = path
                st = _read_json(path / "sentence_bert_config.json") or _read_json(folder / "sentence_bert_config.json")
                fields["max_seq_length"] = st.get("max_seq_length")
                fields["do_lower_case"] = bool(st.get("do_lower_case", False))
            elif kind == "Pooling":
                config = _read_json(path / "config.json")
                fields["pooling"] = _pooling_modes(config)
                fields["include_prompt"] = bool(config.get("include_prompt", True))
            elif kind == "Dense":
                config = _read_json(path / "config.json")
                dense.append(
                    DenseLayer(
                        folder=path,
                        in_features=config["in_features"],
                        out_features=config["out_features"],
                        bias=config.get("bias", True),
                        activation=_activation(config.get("activation_function", "Tanh")),
                    )
                )
            elif kind == "Normalize":
                fields["normalize"] = True
            else:
                raise ConfigurationError(
                    f"{folder}: module {module.get('type')!r} in modules.json is not supported; embedsdk runs "
                    f"Transformer, Pooling, Dense and Normalize modules"
                )
        fields["dense"] = tuple(dense)
        prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
        fields["prompts"] = {str(k): str(v) for k, v in prompts.items() if v}
    config = _read_json(fields["transformer_folder"] / "config.json")
    hidden = config.get("hidden_size") or config.get("d_model") or config.get("dim")
    if hidden is None:
        raise ConfigurationError(f"{fields['transformer_folder'] / 'config.json'} gives no hidden_size")
    fields["hidden_size"] = int(hidden)
    fields["model_type"] = str(config.get("model_type", ""))
    fields["max_position_embeddings"] = config.get("max_position_embeddings")
    fields["pad_token_id"] = config.get("pad_token_id")
    tokenizer_limit = _read_json(fields["transformer_folder"] / "tokenizer_config.json").get("model_max_length")
    if isinstance(tokenizer_limit, int) and 0 < tokenizer_limit < 1_000_000:  # "no limit" is a huge sentinel
        fields["tokenizer_max_length"] = tokenizer_limit
    return ModelRecipe(**fields)
