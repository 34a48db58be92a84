"""`PieceRows`: what the network computes per SentencePiece piece, kept across batches up to a capacity.

Everything before the first convolution's window sums depends on the piece alone: its dequantized token
vector (512), its projected and layer-normed vector (3 x 256), and that vector times the first convolution's
weight at every window offset (2 + 3 + 5 blocks of 256). `USEModel` computes these once per distinct piece of
a batch; this store keeps them for the next batches too, so frequent pieces (text follows Zipf's law: a few
thousand pieces make most of any corpus) are computed once per process. Rows are stored as first computed,
until ``capacity`` pieces are held; pieces beyond it are computed per batch as before. It never changes a
vector beyond float32 rounding (a row is the same arithmetic whether stored or recomputed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import torch

__all__ = ["PieceRows"]


class PieceRows:
    """Per-piece rows of width ``width`` for piece ids ``0 .. vocabulary - 1``, at most ``capacity`` of them.

    Args:
        vocabulary: Number of piece ids.
        width: Floats per row.
        capacity: Most pieces held (0: nothing is kept). Memory: ``capacity * width * 4`` bytes at most,
            allocated as pieces arrive.
    """

    def __init__(self, vocabulary: int, width: int, capacity: int) -> None:
        self.vocabulary = vocabulary
        self.width = width
        self.capacity = capacity
        self._slot: torch.Tensor | None = None
        self._rows: torch.Tensor | None = None
        self._used = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._used

    def rows(self, ids: torch.Tensor, compute: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """``(len(ids), width)``: the rows of distinct piece ids, computing (with ``compute``) the ones not held."""
        if self.capacity == 0:
            return compute(ids)
        with self._lock:
            if self._slot is None or self._slot.device != ids.device:
                self._slot = torch.full((self.vocabulary,), -1, dtype=torch.long, device=ids.device)
                self._rows, self._used = None, 0
            slots = self._slot[ids]
            missing = slots < 0
            if not bool(missing.any()):
                assert self._rows is not None
                return self._rows[slots]
            new_ids = ids[missing]
            fresh = compute(new_ids)
            out = fresh.new_empty((ids.shape[0], self.width))
            out[missing] = fresh
            held = ~missing
            if self._rows is not None and bool(held.any()):
                out[held] = self._rows[slots[held]]
            self._store(new_ids, fresh)
            return out

    def _store(self, ids: torch.Tensor, rows: torch.Tensor) -> None:
        room = min(self.capacity - self._used, ids.shape[0])
        if room <= 0:
            return
        end = self._used + room
        if self._rows is None or self._rows.shape[0] < end:
            # Grow by doubling (up to the capacity), so a few pieces cost a few rows.
            size = min(self.capacity, max(end, 2 * (0 if self._rows is None else self._rows.shape[0]), 1024))
            grown = rows.new_empty((size, self.width))
            if self._rows is not None:
                grown[: self._used] = self._rows[: self._used]
            self._rows = grown
        self._rows[self._used : end] = rows[:room]
        assert self._slot is not None
        self._slot[ids[:room]] = torch.arange(self._used, end, device=ids.device)
        self._used = end
