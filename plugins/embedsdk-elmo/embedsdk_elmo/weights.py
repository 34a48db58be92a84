"""Read both published ELMo formats into one `ElmoConfig`, one state dict for `Elmo`, and its `Characters`.

AllenNLP (``options.json`` + ``weights.hdf5``, TensorFlow layouts; the conversions are AllenNLP's):

=================================================================  ============================================
hdf5 dataset                                                       becomes
=================================================================  ============================================
``char_embed`` (n_chars, char_dim)                                 character embedding, after a zero row (id 0)
``CNN/W_cnn_{i}`` (1, width, char_dim, filters), ``CNN/b_cnn_{i}``  convolution ``i`` (weight transposed 2,1,0)
``CNN_high_{k}/W_transform``, ``b_transform``                      highway ``k``, transform half (transposed)
``CNN_high_{k}/W_carry``, ``b_carry``                              highway ``k``, gate half, negated (TF gates
                                                                   the transform, we gate the carry)
``CNN_proj/W_proj`` (filters, proj), ``CNN_proj/b_proj``           projection (transposed)
``RNN_{d}/RNN/MultiRNNCell/Cell{l}/LSTMCell/W_0`` (in + hidden, 4c)  direction ``d`` (0 forward) of layer ``l``:
                                                                   input and recurrent weights, gates reordered
                                                                   from (i, j, f, o) to (i, f, j, o)
``.../LSTMCell/B`` (4c)                                            gate bias, +1 on the forget gate (TF adds it
                                                                   at run time), reordered
``.../LSTMCell/W_P_0`` (c, hidden)                                 state projection (transposed)
=================================================================  ============================================

ELMoForManyLangs (``config.json`` naming the model configuration, ``char.dic``, ``word.dic``,
``token_embedder.pkl`` and ``encoder.pkl``, torch state dicts of its AllenNLP-derived modules): the same
tensors already in torch layout, read with ``torch.load(weights_only=True)``.

Every file is checked against the configuration; a missing tensor or a wrong shape names the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embedsdk.errors import ConfigurationError
from embedsdk_elmo.config import ElmoConfig
from embedsdk_elmo.locate import ElmoFiles
from embedsdk_elmo.vocab import ByteCharacters, Characters, DictionaryCharacters, read_dictionary

if TYPE_CHECKING:
    import torch

__all__ = [
    "PACKAGED_CONFIGS",
    "load_allennlp",
    "load_files",
    "load_manylangs",
    "output_shape",
    "read_manylangs_config",
]

_SAMPLE_CONFIG: dict[str, Any] = {
    "encoder": {"name": "elmo", "projection_dim": 512, "cell_clip": 3, "proj_clip": 3, "dim": 4096, "n_layers": 2},
    "token_embedder": {
        "name": "cnn",
        "activation": "relu",
        "filters": [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
        "n_highway": 2,
        "word_dim": 100,
        "char_dim": 50,
        "max_characters_per_token": 50,
    },
    "classifier": {"name": "sampled_softmax", "n_samples": 8192},
    "dropout": 0.1,
}
PACKAGED_CONFIGS: dict[str, dict[str, Any]] = {
    # The published ELMoForManyLangs folders name one of these without shipping it (the reference falls back
    # to copies inside its package): the same fallback, without needing the reference installed.
    "cnn_50_100_512_4096_sample.json": _SAMPLE_CONFIG,
    "cnn_0_100_512_4096_sample.json": _SAMPLE_CONFIG,
}


def load_files(files: ElmoFiles) -> tuple[ElmoConfig, dict[str, torch.Tensor], Characters]:
    """Load whichever format ``files`` is."""
    if files.kind == "allennlp":
        return load_allennlp(files.options, files.weights)
    return load_manylangs(files.folder)


def output_shape(files: ElmoFiles) -> tuple[int, int]:
    """``(number of output layers, vector width)`` from the configuration alone, without loading weights."""
    if files.kind == "allennlp":
        lstm = _get(_read_json(files.options), files.options, "lstm")
        layers, projection = lstm.get("n_layers", 2), _get(lstm, files.options, "projection_dim")
    else:
        encoder = _get(read_manylangs_config(files.folder), files.folder / "config.json", "encoder")
        layers, projection = encoder.get("n_layers", 2), _get(encoder, files.folder / "config.json", "projection_dim")
    try:
        return 1 + int(layers), 2 * int(projection)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{files.folder}: n_layers and projection_dim must be integers ({exc})") from exc


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} should hold a JSON object")
    return data


def _get(data: dict[str, Any], path: Path, *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise ConfigurationError(f"{path} lacks {'.'.join(keys)}")
        value = value[key]
    return value


def _filters(value: Any, path: Path) -> tuple[tuple[int, int], ...]:
    try:
        filters = tuple((int(width), int(number)) for width, number in value)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{path}: filters must be [[width, number], ...], got {value!r}") from exc
    if not filters or any(w < 1 or n < 1 for w, n in filters):
        raise ConfigurationError(f"{path}: filters must be non-empty with positive widths and numbers")
    return filters


def _clip(value: Any) -> float | None:
    return float(value) if value else None


def _check(tensor: Any, shape: tuple[int, ...], source: Path, name: str) -> torch.Tensor:
    import torch

    if tensor is None:
        raise ConfigurationError(f"{source} lacks {name!r}; the file is incomplete or of another model")
    result = torch.as_tensor(np.asarray(tensor, dtype=np.float32)) if not isinstance(tensor, torch.Tensor) else tensor
    if tuple(result.shape) != shape:
        raise ConfigurationError(
            f"{source}: {name!r} has shape {tuple(result.shape)}, expected {shape} from the model's configuration"
        )
    if not torch.isfinite(result).all():
        raise ConfigurationError(f"{source}: {name!r} holds NaN or infinite values")
    return result.float().contiguous()


# -- AllenNLP -------------------------------------------------------------------------------------------


def _allennlp_config(options: Path) -> ElmoConfig:
    data = _read_json(options)
    cnn, lstm = _get(data, options, "char_cnn"), _get(data, options, "lstm")
    try:
        return ElmoConfig(
            n_chars=int(_get(cnn, options, "n_characters")),
            char_dim=int(_get(cnn, options, "embedding", "dim")),
            filters=_filters(_get(cnn, options, "filters"), options),
            n_highway=int(_get(cnn, options, "n_highway")),
            activation=str(cnn.get("activation", "relu")),
            max_chars=int(cnn.get("max_characters_per_token", 50)),
            projection_dim=int(_get(lstm, options, "projection_dim")),
            cell_dim=int(_get(lstm, options, "dim")),
            n_layers=int(lstm.get("n_layers", 2)),
            cell_clip=_clip(lstm.get("cell_clip")),
            proj_clip=_clip(lstm.get("proj_clip")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{options}: {exc}") from exc


def load_allennlp(options: Path, weights: Path) -> tuple[ElmoConfig, dict[str, torch.Tensor], Characters]:
    """Read AllenNLP's ``options.json`` + ``weights.hdf5`` (layout in the module docstring)."""
    import h5py
    import torch

    config = _allennlp_config(options)
    if config.activation not in ("relu", "tanh"):
        raise ConfigurationError(f"{options}: activation {config.activation!r} is not relu or tanh")
    p, c, f = config.projection_dim, config.cell_dim, config.n_filters
    state: dict[str, torch.Tensor] = {}
    try:
        handle = h5py.File(weights, "r")
    except OSError as exc:
        raise ConfigurationError(f"{weights} is not a readable HDF5 file: {exc}") from exc
    with handle:

        def read(name: str) -> np.ndarray | None:
            item = handle.get(name)
            return None if item is None or not hasattr(item, "shape") else np.asarray(item[...], dtype=np.float32)

        chars = read("char_embed")
        if chars is None or chars.ndim != 2 or chars.shape[1] != config.char_dim or chars.shape[0] < 261:
            raise ConfigurationError(
                f"{weights}: 'char_embed' must be (>= 261, {config.char_dim}), got "
                f"{None if chars is None else chars.shape}"
            )
        table = np.zeros((chars.shape[0] + 1, config.char_dim), dtype=np.float32)
        table[1:] = chars  # id 0 is the masking id
        config = config.model_copy(update={"n_chars": table.shape[0]})
        state["token_encoder.char_embedding.weight"] = _check(table, table.shape, weights, "char_embed")
        for i, (width, number) in enumerate(config.filters):
            w = read(f"CNN/W_cnn_{i}")
            w = None if w is None else np.transpose(w.reshape(w.shape[1:]) if w.ndim == 4 else w, (2, 1, 0))
            state[f"token_encoder.convolutions.{i}.weight"] = _check(
                w, (number, config.char_dim, width), weights, f"CNN/W_cnn_{i}"
            )
            state[f"token_encoder.convolutions.{i}.bias"] = _check(
                read(f"CNN/b_cnn_{i}"), (number,), weights, f"CNN/b_cnn_{i}"
            )
        for k in range(config.n_highway):
            group = f"CNN_high_{k}"
            parts = [read(f"{group}/{name}") for name in ("W_transform", "W_carry", "b_transform", "b_carry")]
            wt, wc, bt, bc = (
                _check(part, shape, weights, f"{group}/{name}")
                for part, shape, name in zip(
                    parts, ((f, f), (f, f), (f,), (f,)), ("W_transform", "W_carry", "b_transform", "b_carry")
                )
            )
            state[f"token_encoder.highways.{k}.weight"] = torch.cat([wt.T, -wc.T]).contiguous()
            state[f"token_encoder.highways.{k}.bias"] = torch.cat([bt, -bc])
        state["token_encoder.projection.weight"] = _check(
            read("CNN_proj/W_proj"), (f, p), weights, "CNN_proj/W_proj"
        ).T.contiguous()
        state["token_encoder.projection.bias"] = _check(read("CNN_proj/b_proj"), (p,), weights, "CNN_proj/b_proj")
        # TF gate order (input, candidate, forget, output) -> ours (input, forget, candidate, output).
        order = torch.cat(
            [torch.arange(0, c), torch.arange(2 * c, 3 * c), torch.arange(c, 2 * c), torch.arange(3 * c, 4 * c)]
        )
        for layer in range(config.n_layers):
            parts_by_name: dict[str, list[torch.Tensor]] = {"input": [], "state": [], "bias": [], "proj": []}
            for direction in range(2):
                cell = f"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"
                gates = _check(read(f"{cell}/W_0"), (2 * p, 4 * c), weights, f"{cell}/W_0").T[order]
                bias = _check(read(f"{cell}/B"), (4 * c,), weights, f"{cell}/B").clone()
                bias[2 * c : 3 * c] += 1.0  # TF's LSTMCell adds forget_bias=1 at run time
                parts_by_name["input"].append(gates[:, :p])
                parts_by_name["state"].append(gates[:, p:])
                parts_by_name["bias"].append(bias[order])
                parts_by_name["proj"].append(_check(read(f"{cell}/W_P_0"), (c, p), weights, f"{cell}/W_P_0").T)
            prefix = f"bilm.layers.{layer}."
            state[prefix + "input_weight"] = torch.stack(parts_by_name["input"]).contiguous()
            state[prefix + "state_weight"] = torch.stack(parts_by_name["state"]).contiguous()
            state[prefix + "state_bias"] = torch.stack(parts_by_name["bias"]).contiguous()
            state[prefix + "projection"] = torch.stack(parts_by_name["proj"]).contiguous()
    return config, state, ByteCharacters(config.max_chars)


# -- ELMoForManyLangs -------------------------------------------------------------------------------------


def read_manylangs_config(folder: Path) -> dict[str, Any]:
    """The model configuration a ``config.json`` names: in the folder, by file name, or a packaged one."""
    top = folder / "config.json"
    named = str(_get(_read_json(top), top, "config_path"))
    for candidate in (folder / named, folder / Path(named).name):
        if candidate.is_file():
            return _read_json(candidate)
    if Path(named).name in PACKAGED_CONFIGS:
        return PACKAGED_CONFIGS[Path(named).name]
    raise ConfigurationError(
        f"{top} names the model configuration {named!r}, which is neither in {folder} nor one of the published "
        f"ones ({', '.join(sorted(PACKAGED_CONFIGS))}); put that file in the folder"
    )


def _load_state(path: Path) -> dict[str, torch.Tensor]:
    import torch

    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip and runtime errors for broken or unsafe files
        raise ConfigurationError(f"{path} is not a torch state dict of tensors: {exc}") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigurationError(f"{path} is not a torch state dict of tensors")
    return state


def load_manylangs(folder: Path) -> tuple[ElmoConfig, dict[str, torch.Tensor], Characters]:
    """Read an ELMoForManyLangs folder (see the module docstring)."""
    import torch

    source = folder / "config.json"
    model = read_manylangs_config(folder)
    encoder, embedder = _get(model, source, "encoder"), _get(model, source, "token_embedder")
    if str(encoder.get("name", "")).lower() != "elmo" or str(embedder.get("name", "")).lower() != "cnn":
        raise ConfigurationError(
            f"{folder}: encoder {encoder.get('name')!r} with token embedder {embedder.get('name')!r} is not ELMo; "
            f"embedsdk runs the 'elmo' encoder over the 'cnn' token embedder (the published models)"
        )
    char_dim, word_dim = int(_get(embedder, source, "char_dim")), int(embedder.get("word_dim", 0))
    if char_dim <= 0:
        raise ConfigurationError(f"{folder}: char_dim is {char_dim}; embedsdk needs the character CNN (char_dim > 0)")
    char_ids = read_dictionary(folder / "char.dic")
    word_ids = read_dictionary(folder / "word.dic") if word_dim > 0 else None
    try:
        config = ElmoConfig(
            n_chars=len(char_ids),
            char_dim=char_dim,
            filters=_filters(_get(embedder, source, "filters"), source),
            n_highway=int(_get(embedder, source, "n_highway")),
            activation=str(embedder.get("activation", "relu")),
            max_chars=int(_get(embedder, source, "max_characters_per_token")),
            n_words=len(word_ids) if word_ids else 0,
            word_dim=max(word_dim, 0),
            projection_dim=int(_get(encoder, source, "projection_dim")),
            cell_dim=int(_get(encoder, source, "dim")),
            n_layers=int(encoder.get("n_layers", 2)),
            cell_clip=_clip(encoder.get("cell_clip")),
            proj_clip=_clip(encoder.get("proj_clip")),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{source}: {exc}") from exc
    for name, table, rows in (("char.dic", char_ids, config.n_chars), ("word.dic", word_ids, config.n_words)):
        if table and max(table.values()) >= rows:
            raise ConfigurationError(f"{folder / name}: ids must be below the number of entries ({rows})")
    p, c, f = config.projection_dim, config.cell_dim, config.n_filters
    tokens_file, encoder_file = folder / "token_embedder.pkl", folder / "encoder.pkl"
    tokens, lstm = _load_state(tokens_file), _load_state(encoder_file)
    state: dict[str, torch.Tensor] = {
        "token_encoder.char_embedding.weight": _check(
            tokens.get("char_emb_layer.embedding.weight"),
            (config.n_chars, char_dim),
            tokens_file,
            "char_emb_layer.embedding.weight",
        ),
        "token_encoder.projection.weight": _check(
            tokens.get("projection.weight"), (p, f + config.word_dim), tokens_file, "projection.weight"
        ),
        "token_encoder.projection.bias": _check(tokens.get("projection.bias"), (p,), tokens_file, "projection.bias"),
    }
    if word_ids:
        name = "word_emb_layer.embedding.weight"
        state["token_encoder.word_embedding.weight"] = _check(
            tokens.get(name), (config.n_words, word_dim), tokens_file, name
        )
    shapes: tuple[tuple[str, tuple[int, ...]], ...]
    shape: tuple[int, ...]
    for i, (width, number) in enumerate(config.filters):
        shapes = (("weight", (number, char_dim, width)), ("bias", (number,)))
        for part, shape in shapes:
            name = f"convolutions.{i}.{part}"
            state[f"token_encoder.{name}"] = _check(tokens.get(name), shape, tokens_file, name)
    for k in range(config.n_highway):
        shapes = (("weight", (2 * f, f)), ("bias", (2 * f,)))
        for part, shape in shapes:
            name = f"highways._layers.{k}.{part}"
            state[f"token_encoder.highways.{k}.{part}"] = _check(tokens.get(name), shape, tokens_file, name)
    for layer in range(config.n_layers):
        for ours, theirs, shape in (
            ("input_weight", "input_linearity.weight", (4 * c, p)),
            ("state_weight", "state_linearity.weight", (4 * c, p)),
            ("state_bias", "state_linearity.bias", (4 * c,)),
            ("projection", "state_projection.weight", (p, c)),
        ):
            pair = [
                _check(lstm.get(f"{d}_layer_{layer}.{theirs}"), shape, encoder_file, f"{d}_layer_{layer}.{theirs}")
                for d in ("forward", "backward")
            ]
            state[f"bilm.layers.{layer}.{ours}"] = torch.stack(pair).contiguous()
    return config, state, DictionaryCharacters(char_ids, word_ids, config.max_chars, folder)
