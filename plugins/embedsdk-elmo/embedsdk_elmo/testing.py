"""Tiny random-weight ELMo models in the ELMoForManyLangs folder format, for tests, examples and benchmarks.

`write_random_manylangs` writes the files exactly as the reference (``elmoformanylangs``) reads them:
``config.json`` naming a model configuration in the folder, ``char.dic`` and ``word.dic`` (``entry<TAB>id``),
and ``token_embedder.pkl`` / ``encoder.pkl``, torch state dicts under the reference modules' parameter names.
Random weights carry no meaning: use these models to test mechanics and speed, never quality.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from pathlib import Path

__all__ = ["write_random_manylangs"]


def write_random_manylangs(
    folder: Path | str,
    words: Iterable[str] = (),
    *,
    seed: int = 0,
    char_dim: int = 8,
    filters: tuple[tuple[int, int], ...] = ((1, 8), (2, 8), (3, 16)),
    n_highway: int = 2,
    word_dim: int = 12,
    projection_dim: int = 16,
    cell_dim: int = 32,
    n_layers: int = 2,
    max_chars: int = 50,
    clip: float = 3.0,
    scale: float = 0.6,
) -> Path:
    """Write a random ELMoForManyLangs model to ``folder`` and return the folder.

    Args:
        folder: Where to write (created if needed).
        words: The word vocabulary (``word.dic``) when ``word_dim > 0``; other words are ``<oov>``.
        seed: Seed of the random weights.
        char_dim: Character embedding width; the characters are printable ASCII.
        filters: ``(width, number)`` per convolution.
        n_highway: Highway layers.
        word_dim: Word embedding width (0: characters only, like AllenNLP's models).
        projection_dim: Token layer and LSTM output width.
        cell_dim: LSTM memory width.
        n_layers: BiLSTM layers.
        max_chars: Characters per word, including the two markers.
        clip: Cell and projection clipping value.
        scale: Standard deviation of the random weights; large enough that the clipping engages.
    """
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * scale

    specials = ["<oov>", "<pad>", "<bos>", "<eos>", "<bow>", "<eow>"]
    chars = specials + [c for c in string.printable if not c.isspace()]
    (folder / "char.dic").write_text("".join(f"{c}\t{i}\n" for i, c in enumerate(chars)), encoding="utf-8")
    vocabulary = ["<oov>", "<pad>", "<bos>", "<eos>", *dict.fromkeys(w for w in words if w not in specials)]
    if word_dim:
        (folder / "word.dic").write_text("".join(f"{w}\t{i}\n" for i, w in enumerate(vocabulary)), encoding="utf-8")
    model_config = {
        "encoder": {
            "name": "elmo",
            "projection_dim": projection_dim,
            "cell_clip": clip,
            "proj_clip": clip,
            "dim": cell_dim,
            "n_layers": n_layers,
        },
        "token_embedder": {
            "name": "cnn",
            "activation": "relu",
            "filters": [list(f) for f in filters],
            "n_highway": n_highway,
            "word_dim": word_dim,
            "char_dim": char_dim,
            "max_characters_per_token": max_chars,
        },
        "classifier": {"name": "sampled_softmax", "n_samples": 8},
        "dropout": 0.1,
    }
    (folder / "tiny_elmo.json").write_text(json.dumps(model_config, indent=1), encoding="utf-8")
    (folder / "config.json").write_text(json.dumps({"config_path": "tiny_elmo.json", "seed": seed}), encoding="utf-8")
    n_filters = sum(n for _, n in filters)
    tokens: dict[str, torch.Tensor] = {"char_emb_layer.embedding.weight": rand(len(chars), char_dim)}
    if word_dim:
        tokens["word_emb_layer.embedding.weight"] = rand(len(vocabulary), word_dim)
    for i, (width, number) in enumerate(filters):
        tokens[f"convolutions.{i}.weight"] = rand(number, char_dim, width)
        tokens[f"convolutions.{i}.bias"] = rand(number)
    for k in range(n_highway):
        tokens[f"highways._layers.{k}.weight"] = rand(2 * n_filters, n_filters) / n_filters**0.5
        tokens[f"highways._layers.{k}.bias"] = rand(2 * n_filters)
    tokens["projection.weight"] = rand(projection_dim, n_filters + word_dim)
    tokens["projection.bias"] = rand(projection_dim)
    encoder: dict[str, torch.Tensor] = {}
    for layer in range(n_layers):
        for direction in ("forward", "backward"):
            prefix = f"{direction}_layer_{layer}."
            encoder[prefix + "input_linearity.weight"] = rand(4 * cell_dim, projection_dim) / projection_dim**0.25
            encoder[prefix + "state_linearity.weight"] = rand(4 * cell_dim, projection_dim) / projection_dim**0.25
            encoder[prefix + "state_linearity.bias"] = rand(4 * cell_dim)
            encoder[prefix + "state_projection.weight"] = rand(projection_dim, cell_dim)
    torch.save(tokens, folder / "token_embedder.pkl")
    torch.save(encoder, folder / "encoder.pkl")
    return folder
