"""`ElmoEngine`: loaded weights + character ids -> the three ELMo layers of a batch of tokenized sentences.

A batch is run in four steps: each distinct word is encoded once by the character CNN (the token layer
has no context, so its vectors are kept across batches); sentences get their boundary tokens and are sorted longest
first; the BiLSTM runs over them (see `embedsdk_elmo.model`); rows go back to input order without the
boundary tokens.

`ElmoEngine.set_compute_dtype` picks the precision of the matmuls and convolutions (see `embedsdk_elmo.model`);
the kept token tables are dropped on a change, so no vector mixes two precisions.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from embedsdk.errors import ConfigurationError
from embedsdk_elmo.config import ElmoConfig
from embedsdk_elmo.locate import ElmoFiles
from embedsdk_elmo.model import Elmo
from embedsdk_elmo.vocab import BOS, EOS, Characters
from embedsdk_elmo.weights import load_files

__all__ = ["TABLE_BYTES", "TOKEN_TABLE_LIMIT", "ElmoEngine", "read_scalar_mix"]

TOKEN_TABLE_LIMIT = 200_000
"""Distinct words whose token-layer vectors an engine keeps at most (the tables start over past it)."""
TABLE_BYTES = 256 << 20
"""Memory the first-layer input projections kept per word may take (fewer words for bigger models)."""


def read_scalar_mix(path: Path, n_layers: int) -> tuple[list[float], float]:
    """Read ``scalar_mix.json``: ``{"scalar_weights": [one per layer], "gamma": 1.0}``.

    The mix is ``gamma * sum(softmax(scalar_weights)[k] * layer[k])``, AllenNLP's ``ScalarMix``.
    """
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        weights = [float(w) for w in data["scalar_weights"]]
        gamma = float(data.get("gamma", 1.0))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(
            f'{path}: expected {{"scalar_weights": [{n_layers} numbers], "gamma": number}} ({exc})'
        ) from exc
    if len(weights) != n_layers or not all(np.isfinite(weights)) or not np.isfinite(gamma):
        raise ConfigurationError(f"{path}: scalar_weights must hold {n_layers} finite numbers, one per layer")
    return weights, gamma


class ElmoEngine:
    """An ELMo model loaded from ``files`` onto ``device``.

    Attributes:
        config: The model's shape.
        characters: Word -> ids of its format.
        model: The `Elmo` torch module (eval mode).
        n_layers: Output layers (token layer + BiLSTM layers).
        dim: Width of each output vector (twice the projection).
    """

    def __init__(self, files: ElmoFiles, device: str = "cpu") -> None:
        config, state, characters = load_files(files)
        self.config: ElmoConfig = config
        self.characters: Characters = characters
        model = Elmo(config)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:  # the loaders build every tensor; a gap here is a bug, not a bad file
            raise ConfigurationError(
                f"{files.folder}: weights did not fill the model (missing {missing}, extra {unexpected})"
            )
        self.model = model.eval().to(device)
        self.device = device
        self.n_layers = 1 + config.n_layers
        self.dim = 2 * config.projection_dim
        self._rows: dict[str, int] = {}
        self._table: torch.Tensor | None = None
        self._projected: torch.Tensor | None = None
        self._table_lock = threading.Lock()
        # Words kept: TOKEN_TABLE_LIMIT, fewer for big models (each keeps 2 * 4 * cell floats of projections).
        self.table_limit = max(1024, min(TOKEN_TABLE_LIMIT, TABLE_BYTES // (2 * 4 * config.cell_dim * 4)))

    def _encode_new(self, words: list[str]) -> None:
        """Encode ``words`` and append their token vectors and first-layer input projections to the tables.

        The tables grow by doubling, so appending is amortized; rows already handed out are never written.
        """
        chars = torch.tensor([self.characters.chars(w) for w in words], dtype=torch.long, device=self.device)
        word_ids = None
        if self.characters.has_words:
            word_ids = torch.tensor([self.characters.word(w) for w in words], dtype=torch.long, device=self.device)
        encoded = self.model.token_encoder(chars, word_ids)
        projected = self.model.bilm.project_tokens(encoded)
        used, needed = len(self._rows), len(self._rows) + len(words)
        if self._table is None or self._projected is None or needed > self._table.shape[0]:
            capacity = max(needed, 2 * used, 64)
            table = encoded.new_empty(capacity, encoded.shape[1])
            table_projected = projected.new_empty(2, capacity, projected.shape[2])
            if self._table is not None and self._projected is not None and used:
                table[:used] = self._table[:used]
                table_projected[:, :used] = self._projected[:, :used]
            self._table, self._projected = table, table_projected
        self._table[used:needed] = encoded
        self._projected[:, used:needed] = projected
        for word in words:
            self._rows[word] = len(self._rows)

    def _token_vectors(
        self, sentences: Sequence[Sequence[str]]
    ) -> tuple[torch.Tensor, torch.Tensor, list[int], torch.Tensor]:
        """The token layer of each sentence (boundaries included), the table rows behind it, and lengths.

        The token layer has no context, so each distinct word is encoded once and kept, with its input
        projections into the first BiLSTM layer (the most costly part of that layer's input), in tables
        bounded by `table_limit` words; a batch only encodes words not seen yet.

        Returns:
            ``(batch, time, projection)`` vectors, ``(batch, time)`` table rows, tokens per sentence, and the
            projections table ``(2, words, 4 * cell)`` those rows index.
        """
        with self._table_lock:
            distinct = dict.fromkeys(w for words in sentences for w in words)
            new = [w for w in distinct if w not in self._rows]
            if len(self._rows) + len(new) > self.table_limit:
                self._rows, self._table, self._projected = {}, None, None
                new = list(distinct)
            if not self._rows:
                new = [BOS, EOS, *new]
            if new:
                self._encode_new(new)
            assert self._table is not None and self._projected is not None
            rows, used = self._rows, len(self._rows)
            table, projected = self._table[:used], self._projected[:, :used]
            index = [[rows[BOS], *(rows[w] for w in words), rows[EOS]] for words in sentences]
        lengths = [len(ids) for ids in index]
        steps = max(lengths)
        pad = rows[EOS]
        padded = torch.tensor([ids + [pad] * (steps - len(ids)) for ids in index], dtype=torch.long, device=self.device)
        return table[padded], padded, lengths, projected

    def layers(self, sentences: Sequence[Sequence[str]]) -> tuple[torch.Tensor, list[int]]:
        """The ELMo layers of tokenized sentences.

        Args:
            sentences: Each a non-empty list of words.

        Returns:
            ``(n_layers, batch, longest, dim)`` in input order, boundary tokens removed, zeros past each
            sentence's end; and the number of words of each sentence.
        """
        if not sentences or any(len(words) == 0 for words in sentences):
            raise ConfigurationError("every sentence needs at least one word")
        with torch.inference_mode():
            vectors, token_rows, lengths, projected = self._token_vectors(sentences)
            order = sorted(range(len(lengths)), key=lambda n: -lengths[n])
            order_t = torch.tensor(order, device=self.device)
            output = self.model(vectors[order_t], [lengths[n] for n in order], token_rows[order_t], projected)
            restore = torch.empty_like(order_t)
            restore[order_t] = torch.arange(len(order), device=self.device)
            output = output[:, restore, 1 : max(lengths) - 1]
        words = [n - 2 for n in lengths]
        # The end-of-sentence token of shorter sentences sits inside the kept range: zero it.
        steps = output.shape[2]
        keep = torch.arange(steps, device=self.device)[None, :] < torch.tensor(words, device=self.device)[:, None]
        return output * keep[None, :, :, None], words

    def layers_numpy(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Per sentence, a float32 array ``(n_layers, words, dim)``."""
        output, words = self.layers(sentences)
        array = output.float().cpu().numpy()
        return [array[:, n, :count] for n, count in enumerate(words)]

    @property
    def compute_dtype(self) -> torch.dtype:
        """The dtype the matmuls and convolutions run in (outputs are float32 whatever it is)."""
        return self.model.compute_dtype

    def set_compute_dtype(self, dtype: torch.dtype) -> None:
        """Compute in ``dtype`` from now on; the kept token tables start over if it changes."""
        with self._table_lock:
            if dtype != self.model.compute_dtype:
                self.model.set_compute_dtype(dtype)
                self._rows, self._table, self._projected = {}, None, None

    def to(self, device: Any) -> ElmoEngine:
        """Move the model to ``device``."""
        with self._table_lock:
            self.model.to(device)
            self.device = str(device)
            self._rows, self._table, self._projected = {}, None, None
        return self
