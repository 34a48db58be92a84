"""ELMo as torch modules of our own: a character CNN token encoder and a two-layer projected BiLSTM.

Both published weight formats load into these modules (see `embedsdk_elmo.weights`):

- `TokenEncoder`: character embeddings -> one Conv1d per filter width, max over positions, activation ->
  highway layers -> (optionally beside a word embedding, as ELMoForManyLangs does) a linear projection.
- `BiLM`: layers of `ProjectedBiLstm`, each an LSTM with a projected hidden state, cell clipping and
  projection clipping, run forward and backward as two independent streams; from the second layer on, each
  stream adds its input to its output (residual connection).
- `Elmo`: both, returning the three ELMo layers: the token layer (doubled to the BiLSTM's width, as ELMo
  does) and the two BiLSTM layers.

Every sentence starts from a zero LSTM state. Padding never reaches a real word's state: the backward
stream reads each sentence reversed within its own length, so in both streams a sentence's words come
first and its padding after, and a finished sentence leaves the active batch (sentences are sorted by
length, longest first).

Compute precision: every module has a ``compute_dtype`` (`Elmo.set_compute_dtype`; float32 by default). In
bfloat16 or float16 the matmuls and convolutions (character CNN, highway, projections, the LSTMs' input,
recurrent and state projections) run in that dtype from float32 weights cast once per call, while
activations, LSTM cell memory, clipping, residual sums and every output stay float32; in float32 nothing
is cast and the computation is the exact one.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from embedsdk_elmo.config import ElmoConfig

__all__ = ["BiLM", "Elmo", "ElmoConfig", "ProjectedBiLstm", "TokenEncoder"]


def _linear(inputs: torch.Tensor, layer: nn.Linear, dtype: torch.dtype) -> torch.Tensor:
    """``layer(inputs)`` with the matmul in ``dtype`` and the result (bias added) in float32."""
    if dtype == torch.float32:
        result: torch.Tensor = layer(inputs)
        return result
    output = F.linear(inputs.to(dtype), layer.weight.to(dtype)).float()
    return output if layer.bias is None else output + layer.bias


class TokenEncoder(nn.Module):
    """Character CNN + highway (+ word embedding) + projection: one vector per word."""

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__()
        self.config = config
        self.char_embedding = nn.Embedding(config.n_chars, config.char_dim)
        self.word_embedding = nn.Embedding(config.n_words, config.word_dim) if config.word_dim else None
        self.convolutions = nn.ModuleList(
            nn.Conv1d(config.char_dim, number, kernel_size=width) for width, number in config.filters
        )
        # Each highway layer computes [transform | gate] in one matmul: y = g * x + (1 - g) * f(transform).
        self.highways = nn.ModuleList(
            nn.Linear(config.n_filters, 2 * config.n_filters) for _ in range(config.n_highway)
        )
        self.projection = nn.Linear(config.n_filters + config.word_dim, config.projection_dim)
        self.compute_dtype = torch.float32

    def _convolve(self, embedded: torch.Tensor, conv: nn.Module) -> torch.Tensor:
        """One convolution's max over positions, computed in `compute_dtype`, as float32."""
        dtype = self.compute_dtype
        if dtype == torch.float32:
            result: torch.Tensor = conv(embedded).amax(dim=-1)
            return result
        assert isinstance(conv, nn.Conv1d)
        bias = None if conv.bias is None else conv.bias.to(dtype)
        return F.conv1d(embedded.to(dtype), conv.weight.to(dtype), bias).amax(dim=-1).float()

    def forward(self, chars: torch.Tensor, words: torch.Tensor | None = None) -> torch.Tensor:
        """Vectors of shape ``(n, projection_dim)`` for ``chars`` ``(n, max_chars)`` and ``words`` ``(n,)``."""
        activation = torch.relu if self.config.activation == "relu" else torch.tanh
        dtype = self.compute_dtype
        embedded = self.char_embedding(chars).transpose(1, 2)  # (n, char_dim, max_chars)
        features = torch.cat([activation(self._convolve(embedded, conv)) for conv in self.convolutions], dim=-1)
        width = self.config.n_filters
        for highway in self.highways:
            assert isinstance(highway, nn.Linear)
            projected = _linear(features, highway, dtype)
            gate = torch.sigmoid(projected[:, width:])
            features = gate * features + (1 - gate) * torch.relu(projected[:, :width])
        if self.word_embedding is not None:
            if words is None:
                raise ValueError("this model has a word embedding: pass word ids")
            features = torch.cat([self.word_embedding(words), features], dim=-1)
        return _linear(features, self.projection, dtype)


class ProjectedBiLstm(nn.Module):
    """One BiLSTM layer with projection and clipping; the two directions' weights are stacked on dim 0.

    Gates are ordered input, forget, candidate, output (AllenNLP's order). Parameters, per direction
    (0 forward, 1 backward): ``input_weight`` (4 * cell, input), ``state_weight`` (4 * cell, hidden),
    ``state_bias`` (4 * cell), ``projection`` (hidden, cell).
    """

    def __init__(
        self, input_dim: int, hidden_dim: int, cell_dim: int, cell_clip: float | None, proj_clip: float | None
    ) -> None:
        super().__init__()
        self.hidden_dim, self.cell_dim = hidden_dim, cell_dim
        self.cell_clip, self.proj_clip = cell_clip, proj_clip
        self.input_weight = nn.Parameter(torch.zeros(2, 4 * cell_dim, input_dim))
        self.state_weight = nn.Parameter(torch.zeros(2, 4 * cell_dim, hidden_dim))
        self.state_bias = nn.Parameter(torch.zeros(2, 4 * cell_dim))
        self.projection = nn.Parameter(torch.zeros(2, hidden_dim, cell_dim))
        self.compute_dtype = torch.float32

    def _gate_order(self, device: Any) -> torch.Tensor:
        # Gates reordered to (input, forget, output | candidate): one sigmoid and one tanh per step.
        cell = self.cell_dim
        order = torch.cat(
            [torch.arange(0, 2 * cell), torch.arange(3 * cell, 4 * cell), torch.arange(2 * cell, 3 * cell)]
        )
        return order.to(device)

    def project(self, inputs: torch.Tensor) -> torch.Tensor:
        """Input projections ``(2, n, 4 * cell)`` (bias included, gates in run order) of ``(2, n, input)``.

        For the first layer the input is the token layer, which has no context: these can be computed once
        per distinct word and handed to `forward` as ``table``.
        """
        order = self._gate_order(inputs.device)
        dtype = self.compute_dtype
        weight = self.input_weight[:, order].transpose(1, 2).to(dtype).contiguous()
        bias = self.state_bias[:, order][:, None, :]
        if dtype == torch.float32:
            return torch.baddbmm(bias, inputs, weight)
        return torch.bmm(inputs.to(dtype), weight).float().add_(bias)

    def forward(
        self, streams: torch.Tensor, lengths: list[int], table: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Run both directions over ``streams`` ``(2, batch, time, input)``.

        Sentences are sorted longest first and stream 1 holds each sentence reversed within its length, so
        step ``t`` only touches the sentences longer than ``t``. Returns ``(2, batch, time, hidden)`` in the
        same order; positions past a sentence's length are zero.

        Args:
            streams: The two directions' inputs.
            lengths: Positions per sentence, non-increasing.
            table: Optionally, `project` outputs ``(2, n, 4 * cell)`` and, per stream and position, the row
                ``(2, batch, time)`` holding that position's projection; then ``streams`` are not projected.
        """
        _, batch, steps, _ = streams.shape
        cell = self.cell_dim
        order = self._gate_order(streams.device)
        dtype = self.compute_dtype
        low = dtype != torch.float32  # then matmuls in dtype, the rest (cell memory, gates' sums) in float32
        input_weight = self.input_weight[:, order].transpose(1, 2).to(dtype).contiguous()  # (2, input, 4 * cell)
        recurrent = self.state_weight[:, order].transpose(1, 2).to(dtype).contiguous()  # (2, hidden, 4 * cell)
        projection = self.projection.transpose(1, 2).to(dtype).contiguous()  # (2, cell, hidden)
        # Input projections outside the recurrence: one matmul per block of steps (time-major, so a block's
        # rows are together); blocks bound memory for big models (4 * cell floats per word and direction).
        time_major = streams.transpose(1, 2).reshape(2, steps * batch, -1)
        bias = self.state_bias[:, order][:, None, :]
        block = max(1, min(steps, (1 << 24) // max(1, 2 * batch * 4 * cell)))
        inputs = time_major.new_empty(0)
        state = streams.new_zeros(2, batch, self.hidden_dim)
        memory = streams.new_zeros(2, batch, cell)
        outputs = streams.new_zeros(2, steps, batch, self.hidden_dim)
        active = batch
        for t in range(steps):
            while active > 0 and lengths[active - 1] <= t:
                active -= 1
            if active == 0:
                break
            if active < state.shape[1]:  # finished sentences (the shortest, last) leave the batch
                state, memory = state[:, :active], memory[:, :active]
            if t % block == 0 and table is not None:
                projected, ids = table
                span = ids[:, :, t : t + block]  # (2, batch, block)
                inputs = torch.stack([projected[0][span[0]], projected[1][span[1]]]).transpose(1, 2)
            elif t % block == 0:
                rows = time_major[:, t * batch : (t + block) * batch]
                if low:
                    inputs = torch.bmm(rows.to(dtype), input_weight).float().add_(bias).view(2, -1, batch, 4 * cell)
                else:
                    inputs = torch.baddbmm(bias, rows, input_weight).view(2, -1, batch, 4 * cell)
            if low:
                # Same-dtype in-place add: a mixed bfloat16 + float32 add is several times slower here.
                gates = torch.bmm(state.to(dtype), recurrent).float().add_(inputs[:, t % block, :active])
            else:
                gates = torch.baddbmm(inputs[:, t % block, :active], state, recurrent)
            sigmoids = torch.sigmoid(gates[..., : 3 * cell])
            candidate = torch.tanh(gates[..., 3 * cell :])
            memory = torch.addcmul(sigmoids[..., :cell] * candidate, sigmoids[..., cell : 2 * cell], memory)
            if self.cell_clip:
                memory = memory.clamp_(-self.cell_clip, self.cell_clip)
            hidden = sigmoids[..., 2 * cell :] * torch.tanh(memory)
            state = torch.bmm(hidden.to(dtype), projection).float() if low else torch.bmm(hidden, projection)
            if self.proj_clip:
                state = state.clamp_(-self.proj_clip, self.proj_clip)
            outputs[:, t, :active] = state
        return outputs.transpose(1, 2)


class BiLM(nn.Module):
    """Stacked `ProjectedBiLstm` layers with residual connections from the second layer on."""

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__()
        dim = config.projection_dim
        self.layers = nn.ModuleList(
            ProjectedBiLstm(dim, dim, config.cell_dim, config.cell_clip, config.proj_clip)
            for _ in range(config.n_layers)
        )

    def project_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """The first layer's input projections ``(2, n, 4 * cell)`` of token vectors ``(n, projection_dim)``."""
        first = self.layers[0]
        assert isinstance(first, ProjectedBiLstm)
        return first.project(tokens.expand(2, -1, -1))

    def forward(
        self, streams: torch.Tensor, lengths: list[int], table: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> list[torch.Tensor]:
        """Each layer's output ``(2, batch, time, dim)``, streams in the order `ProjectedBiLstm` takes.

        ``table`` holds the first layer's input projections by word (see `ProjectedBiLstm.forward`).
        """
        outputs = []
        for index, layer in enumerate(self.layers):
            output = layer(streams, lengths, table if index == 0 else None)
            if index > 0:
                output = output + streams
            outputs.append(output)
            streams = output
        return outputs


def reversal_index(lengths: list[int], steps: int, device: Any) -> torch.Tensor:
    """Per sentence, the time index that reverses its first ``length`` positions and keeps the rest."""
    positions = torch.arange(steps, device=device)
    lengths_t = torch.tensor(lengths, device=device)[:, None]
    return torch.where(positions < lengths_t, lengths_t - 1 - positions, positions)


class Elmo(nn.Module):
    """`TokenEncoder` + `BiLM`: the three ELMo layers for a batch of sentences."""

    def __init__(self, config: ElmoConfig) -> None:
        super().__init__()
        self.config = config
        self.token_encoder = TokenEncoder(config)
        self.bilm = BiLM(config)
        self.compute_dtype = torch.float32

    def set_compute_dtype(self, dtype: torch.dtype) -> None:
        """Run the matmuls and convolutions in ``dtype`` (float32, bfloat16 or float16); outputs stay float32."""
        self.compute_dtype = dtype
        self.token_encoder.compute_dtype = dtype
        for layer in self.bilm.layers:
            assert isinstance(layer, ProjectedBiLstm)
            layer.compute_dtype = dtype

    def forward(
        self,
        token_vectors: torch.Tensor,
        lengths: list[int],
        token_rows: torch.Tensor | None = None,
        projected: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The layers ``(1 + n_layers, batch, time, 2 * projection_dim)`` for encoded tokens.

        Args:
            token_vectors: ``(batch, time, projection_dim)``: `TokenEncoder` outputs of each sentence, sentence
                boundary tokens included, padded at the end; sentences sorted longest first.
            lengths: Tokens per sentence (boundaries included), non-increasing.
            token_rows: Optionally, ``(batch, time)`` rows of ``projected`` for each position.
            projected: Optionally, the first BiLSTM layer's input projections of distinct words
                (``bilm.layers[0].project``), so they are not computed again for every occurrence.
        """
        steps = token_vectors.shape[1]
        reverse = reversal_index(lengths, steps, token_vectors.device)
        gather = reverse[:, :, None].expand_as(token_vectors)
        streams = torch.stack([token_vectors, token_vectors.gather(1, gather)])
        table = None
        if token_rows is not None and projected is not None:
            table = (projected, torch.stack([token_rows, token_rows.gather(1, reverse)]))
        layers = [torch.cat([token_vectors, token_vectors], dim=-1)]
        for output in self.bilm(streams, lengths, table):
            backward = output[1].gather(1, reverse[:, :, None].expand_as(output[1]))
            layers.append(torch.cat([output[0], backward], dim=-1))
        mask = (
            torch.arange(steps, device=token_vectors.device)[None, :]
            < torch.tensor(lengths, device=token_vectors.device)[:, None]
        )
        return torch.stack(layers) * mask[None, :, :, None]
