"""The torch kernels of the `flat` index: score blocks of stored rows, keep each query's best candidates.

`scan` scores all queries against one block of stored rows at a time (one matrix product into a reused
buffer: bf16 for the exact search's first pass, int32 from int8 codes, or float32 from numpy's BLAS) and
hands each block to a `Selector`, which keeps each query's best ``keep`` (score, slot) pairs without
sorting the block:

- A block of ``GROUP * n`` columns is cut into ``n`` chunks (chunk ``c``: columns ``c, c + n, ...``) and only
  the chunk maxima are compared with each query's floor (a lower bound of its final ``keep``-th best
  score). Only chunks whose maximum reaches the floor are gathered and their entries compared: after the
  first blocks a few per query, so selecting costs about one maximum over the block instead of a top-k
  (which cost as much as the product at 1,000 queries).
- The first block sets the floor: the ``keep``-th largest chunk maximum (at least ``keep`` entries reach
  it), or the block's own ``keep``-th best when it has fewer chunks than ``keep``. Survivors go to a
  buffer per query; a full buffer is cut back to the best ``keep``, which raises the floors.
- Nothing that is dropped scores above the final floor, which `Selector.result` returns as the bound of
  everything not returned: the exact search proves its answers with it (`embedsdk.retrieval.flat`).

torch is imported lazily, by `load_torch`; `flat` scans with numpy when it is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["GROUP", "SCORES_PER_BLOCK", "Selector", "bf16_ready", "block_rows", "load_torch", "scan"]

GROUP = 32  # columns per chunk whose maximum is compared with the floor
SCORES_PER_BLOCK = 4_194_304  # queries x rows per block: 8-16 MB, inside the last-level cache


def block_rows(queries: int, limit: int) -> int:
    """Rows per block for this many queries: about `SCORES_PER_BLOCK` scores (a multiple of `GROUP`)."""
    rows = min(limit, max(GROUP * 8, SCORES_PER_BLOCK // max(queries, 1)), 1 << 17)
    return rows // GROUP * GROUP if rows >= GROUP else rows


def load_torch() -> Any | None:
    """The torch module, or None when it is not installed (the caller then scans with numpy)."""
    try:
        import torch  # lazily: the kernels here are torch's; numpy has no bf16 or int8 products
    except ImportError:
        return None
    return torch


_BF16: list[bool] = []


def bf16_ready(torch: Any) -> bool:
    """True when this CPU multiplies bf16 natively (AVX512-BF16 or AMX); checked once.

    oneDNN also runs bf16 products on CPUs without them, emulated, slower than float32: those scan in
    float32.
    """
    if not _BF16:
        try:
            _BF16.append(bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()))
        except (AttributeError, RuntimeError):
            _BF16.append(False)
    return _BF16[0]


class Selector:
    """Each query's best ``keep`` (score, slot) pairs over blocks of scores (see the module docstring).

    The chunk maxima of bf16 and int32 blocks are taken in torch (one parallel pass over the block); the
    few chunks that reach a floor are then handled in numpy, whose small single-threaded operations do not
    wait on a thread pool.

    Args:
        torch: The torch module.
        queries: Number of queries (rows of every block).
        keep: Pairs kept per query.
    """

    def __init__(self, torch: Any, queries: int, keep: int) -> None:
        self._torch = torch
        self._m, self._keep = queries, keep
        self._width = 3 * keep + GROUP
        self._values = np.full((queries, self._width), -np.inf, dtype=np.float32)
        self._slots = np.full((queries, self._width), -1, dtype=np.int64)
        self._fill = np.zeros(queries, dtype=np.int64)
        self._floor = np.full(queries, -np.inf, dtype=np.float32)
        self._started = False
        self._bits: bool | None = None  # True once bf16 blocks are seen (chunk maxima compared as bits)

    def push(self, scores: Any, start: int) -> None:
        """Take a block of scores ``(queries, rows)`` (a torch tensor) of stored rows ``start .. start + rows``."""
        rows = scores.shape[1]
        whole = rows // GROUP * GROUP
        if scores.dtype == self._torch.bfloat16:
            self._bits = True
        if whole:
            chunks = scores[:, :whole].view(self._m, GROUP, whole // GROUP)
            peaks = self._peaks(scores[:, :whole])
            if not self._started and peaks.shape[1] >= self._keep:
                # At least `keep` entries reach the keep-th largest chunk maximum: a floor from the start.
                kth = -np.partition(-peaks, self._keep - 1, axis=1)[:, self._keep - 1]
                self._floor = np.maximum(self._floor, self._value(kth))
            elif not self._started and rows >= self._keep:
                # Fewer chunks than `keep` (a wide `rescore`): the block's own keep-th best, once.
                kth = scores.topk(self._keep, dim=1, sorted=False).values.amin(1).float().numpy()
                self._floor = np.maximum(self._floor, kth)
            self._started = True
            found = np.flatnonzero(self._reach(peaks))
            if len(found):
                row, chunk = np.divmod(found, peaks.shape[1])
                values = _widen(_raw(self._torch, chunks)[row, :, chunk])
                passed = np.flatnonzero(values >= self._floor[row][:, None])  # flat: far faster than 2-d
                item, lane = np.divmod(passed, GROUP)
                self._add(row[item], values.ravel()[passed], start + chunk[item] + lane * peaks.shape[1])
        if whole < rows:
            rest = _widen(_raw(self._torch, scores[:, whole:]))
            row, column = np.nonzero(rest >= self._floor[:, None])
            self._add(row, rest[row, column], column + (start + whole))

    def _peaks(self, block: Any) -> np.ndarray:
        """Each chunk's maximum ``(queries, chunks)``; for bf16 scores as sortable bf16 bits (see `_reach`).

        Chunk ``c`` of a block of ``GROUP * n`` columns holds columns ``c, c + n, c + 2n, ...``: the maxima are
        then an element-wise maximum of `GROUP` rows of ``n`` (vectorized), not a reduction of short runs.
        """
        torch = self._torch
        if block.dtype == torch.float32:
            # float32 blocks come from numpy's BLAS, whose threads still spin after a product: a torch
            # reduction in between would fight them for the cores. numpy's maximum is single-threaded.
            raw = block.numpy()
            floats: np.ndarray = raw.reshape(raw.shape[0], GROUP, raw.shape[1] // GROUP).max(axis=1)
            return floats
        if block.dtype == torch.bfloat16:
            # torch's bf16 maximum is slow; the int16 bits of positive bf16 numbers sort like the numbers.
            block = block.view(torch.int16)
        peaks: np.ndarray = block.view(block.shape[0], GROUP, block.shape[1] // GROUP).amax(1).numpy()
        return peaks

    def _reach(self, peaks: np.ndarray) -> np.ndarray:
        """Chunks whose maximum reaches the query's floor (a superset where the comparison is by bits)."""
        if self._bits is None:
            return peaks >= self._floor[:, None]
        # bf16 bits: exact for positive floors (bits of positive numbers sort like them); every chunk of a
        # query whose floor is not positive is taken (its entries are compared one by one afterwards).
        positive = self._floor > 0
        keys = np.where(positive, self._floor, np.float32(1)).view(np.int32) >> 16
        reach: np.ndarray = (peaks >= keys[:, None]) | ~positive[:, None]
        return reach

    def _value(self, peaks: np.ndarray) -> np.ndarray:
        """Chunk maxima from `_peaks` as float32 (bf16 bits that are not a positive number: ``-inf``)."""
        if self._bits is None:
            return peaks.astype(np.float32)
        values: np.ndarray = (peaks.astype(np.int32) << 16).view(np.float32)
        return np.where(peaks > 0, values, np.float32(-np.inf))

    def _add(self, row: np.ndarray, values: np.ndarray, slots: np.ndarray) -> None:
        """Append pairs (``row`` ascending) to their queries' rows of the buffer, compacting when full."""
        if not len(row):
            return
        counts = np.bincount(row, minlength=self._m)
        if int((self._fill + counts).max()) > self._width:
            self._compact()
            if int((self._fill + counts).max()) > self._width:
                self._grow(int((self._fill + counts).max()))
        position = np.arange(len(row)) - (np.cumsum(counts) - counts)[row] + self._fill[row]
        self._values[row, position] = values
        self._slots[row, position] = slots
        self._fill += counts

    def _compact(self) -> None:
        """Keep each query's best ``keep`` at the front of its buffer row; the floors rise to their minimum."""
        full = self._fill > self._keep
        if not full.any():
            return
        values, slots = self._values[full], self._slots[full]
        best = np.argpartition(-values, self._keep - 1, axis=1)[:, : self._keep]
        kept = np.take_along_axis(values, best, axis=1)
        values[:, : self._keep], values[:, self._keep :] = kept, -np.inf
        slots[:, : self._keep] = np.take_along_axis(slots, best, axis=1)
        self._values[full], self._slots[full] = values, slots
        self._fill[full] = self._keep
        self._floor[full] = np.maximum(self._floor[full], kept.min(axis=1))

    def _grow(self, width: int) -> None:
        pad = max(width, 2 * self._width) - self._width
        self._values = np.pad(self._values, ((0, 0), (0, pad)), constant_values=-np.inf)
        self._slots = np.pad(self._slots, ((0, 0), (0, pad)), constant_values=-1)
        self._width += pad

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scores and slots ``(queries, keep)``, best first (``-inf`` and -1 pad), and each query's bound.

        The bound is the highest score any pair not returned can have: the floor when ``keep`` pairs were
        kept, ``-inf`` when fewer (nothing was dropped).
        """
        self._compact()
        order = np.argsort(-self._values[:, : self._keep], axis=1, kind="stable")
        values = np.take_along_axis(self._values[:, : self._keep], order, axis=1)
        slots = np.take_along_axis(self._slots[:, : self._keep], order, axis=1)
        slots[np.isneginf(values)] = -1
        bound = np.where(self._fill >= self._keep, self._floor, np.float32(-np.inf)).astype(np.float32)
        return values, slots, bound


def _raw(torch: Any, scores: Any) -> np.ndarray:
    """A numpy view of a torch tensor of scores (bf16 as its int16 bits: numpy has no bf16)."""
    if scores.dtype == torch.bfloat16:
        scores = scores.view(torch.int16)
    raw: np.ndarray = scores.numpy()
    return raw


def _widen(raw: np.ndarray) -> np.ndarray:
    """float32 scores from `_raw`'s view (bf16 bits widened exactly; int32 converted exactly below 2^24)."""
    if raw.dtype == np.int16:
        widened: np.ndarray = (raw.astype(np.int32) << 16).view(np.float32)
        return widened
    return raw.astype(np.float32, copy=False)


def scan(
    torch: Any,
    blocks: Iterable[tuple[int, Any, np.ndarray | None]],
    product: Callable[[Any, Any], None],
    queries: int,
    keep: int,
    width: int,
    dtype: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run `product` over ``(first slot, stored rows, allowed mask or None)`` blocks into one reused buffer.

    Args:
        torch: The torch module.
        blocks: Blocks of at most ``width`` stored rows, in whatever form `product` takes.
        product: ``product(rows, out)`` writes the queries' scores against ``rows`` into ``out``.
        queries: Number of queries.
        keep: Pairs kept per query.
        width: The most rows in a block.
        dtype: The scores' torch dtype.

    Returns:
        `Selector.result` of the scan.
    """
    selector = Selector(torch, queries, keep)
    buffer = torch.empty(queries * width, dtype=dtype)
    floor = torch.iinfo(dtype).min if not dtype.is_floating_point else float("-inf")
    for start, rows, allowed in blocks:
        out = buffer[: queries * len(rows)].view(queries, len(rows))
        product(rows, out)
        if allowed is not None:
            out.masked_fill_(~torch.from_numpy(np.ascontiguousarray(allowed))[None, :], floor)
        selector.push(out, start)
    values, slots, bound = selector.result()
    if not dtype.is_floating_point:
        masked = values <= floor
        values[masked], slots[masked] = -np.inf, -1
    return values, slots, bound
