"""Quantized scoring for the `flat` index: int8 and binary codes, calibrated once, and their integer kernel.

- **int8**: each dimension ``j`` is mapped from ``[lo_j, hi_j]`` to ``[-127, 127]``. The ranges are calibrated
  ONCE, from the stored vectors (the 0.05 and 99.95 percentiles of a sample of up to 200,000 rows), and saved
  with the index; later vectors are encoded with the same ranges (clipped). Never per batch: ranges that
  change between batches make codes of different batches incomparable.
- **binary**: one bit per dimension, set when the value is above the calibrated midpoint; 32x smaller than
  float32.

A query is scored against codes with the asymmetric form ``sum_j q_j * half_j * code_j`` (the ``q . mid``
term is the same for every stored vector, so it cannot change a ranking); ``q * half`` is itself rounded
to int8 per query, so scoring is one int8 x int8 -> int32 matrix product. torch's ``_int_mm`` (VNNI/AMX
kernels) runs it when torch is installed; otherwise numpy computes it in float32 (same ranking, no speed-up).
The best ``rescore`` candidates are then rescored exactly in float32.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "Calibration",
    "calibrate",
    "encode",
    "int_scores",
    "quantize_queries",
    "top_candidates",
    "top_exact",
    "unpack_signs",
]

_SAMPLE = 200_000


class Calibration:
    """Per-dimension midpoints and half-ranges of the stored vectors.

    Attributes:
        mid: float32 ``(dim,)``.
        half: float32 ``(dim,)``, all positive.
    """

    def __init__(self, mid: np.ndarray, half: np.ndarray) -> None:
        self.mid = np.asarray(mid, dtype=np.float32)
        self.half = np.maximum(np.asarray(half, dtype=np.float32), 1e-6)

    def to_json(self) -> dict[str, list[float]]:
        """The calibration as JSON lists (for the manifest)."""
        return {"mid": self.mid.tolist(), "half": self.half.tolist()}

    @classmethod
    def from_json(cls, raw: Any, dim: int) -> Calibration:
        """Read `to_json`'s output back.

        Raises:
            ValueError: missing keys, wrong lengths or non-finite values.
        """
        if not isinstance(raw, dict):
            raise ValueError("calibration must be an object with 'mid' and 'half'")
        mid = np.asarray(raw.get("mid"), dtype=np.float32)
        half = np.asarray(raw.get("half"), dtype=np.float32)
        if mid.shape != (dim,) or half.shape != (dim,):
            raise ValueError(f"calibration must hold {dim} values in 'mid' and 'half'")
        if not (np.isfinite(mid).all() and np.isfinite(half).all() and (half > 0).all()):
            raise ValueError("calibration values must be finite, with positive half-ranges")
        return cls(mid, half)


def calibrate(rows: np.ndarray) -> Calibration:
    """Calibrate from stored rows (a sample of them when there are many)."""
    if len(rows) > _SAMPLE:
        rows = rows[np.linspace(0, len(rows) - 1, _SAMPLE).astype(np.int64)]
    lo, hi = np.quantile(np.asarray(rows, dtype=np.float32), [0.0005, 0.9995], axis=0)
    return Calibration((lo + hi) / 2, (hi - lo) / 2)


def encode(rows: np.ndarray, calibration: Calibration, kind: str) -> np.ndarray:
    """Codes of ``rows``: int8 ``(n, dim)`` for ``"int8"``, packed bits ``(n, ceil(dim/8))`` for ``"binary"``."""
    centred = (np.asarray(rows, dtype=np.float32) - calibration.mid) / calibration.half
    if kind == "binary":
        packed: np.ndarray = np.packbits(centred > 0, axis=1)
        return packed
    codes: np.ndarray = np.clip(np.rint(centred * 127), -127, 127).astype(np.int8)
    return codes


def unpack_signs(packed: np.ndarray, dim: int) -> np.ndarray:
    """Packed bits as int8 signs ``(n, dim)`` of -1 and +1."""
    bits = np.unpackbits(packed, axis=1, count=dim).view(np.int8)
    signs: np.ndarray = bits * 2 - 1
    return signs


def quantize_queries(queries: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Unit queries as int8 ``round(127 * q * half / max|q * half|)``, one scale per query."""
    scaled = queries * calibration.half
    peak = np.abs(scaled).max(axis=1, keepdims=True)
    result: np.ndarray = np.rint(scaled / np.where(peak == 0, 1, peak) * 127).astype(np.int8)
    return result


def int_scores(queries: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``queries @ codes.T`` for int8 matrices, as int32 ``(m, n)``; torch's integer kernel when available."""
    try:
        import torch  # lazily: the integer matmul kernel; numpy has none

        result: np.ndarray = torch._int_mm(torch.from_numpy(queries), torch.from_numpy(codes).T).numpy()
        return result
    except (ImportError, AttributeError, RuntimeError):
        fallback: np.ndarray = (queries.astype(np.float32) @ codes.astype(np.float32).T).astype(np.int32)
        return fallback


def top_candidates(
    queries: np.ndarray, blocks: Iterable[tuple[int, np.ndarray, np.ndarray | None]], keep: int, dim: int, binary: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each query's best ``keep`` (code score, slot) pairs over blocks of codes, all in torch; None without torch.

    Args:
        queries: int8 queries from `quantize_queries`.
        blocks: ``(first slot, codes, allowed mask or None)`` per block of stored rows.
        keep: Candidates kept per query.
        dim: Dimension of the vectors (to unpack binary codes).
        binary: True when the codes are packed bits.

    Returns:
        float32 scores (``-inf`` for masked rows) and int64 slots, both ``(m, <= keep)``, or None when torch
        is not installed (the caller scans with numpy).
    """
    try:
        import torch  # lazily: its integer matmul and top-k kernels; numpy has neither
    except ImportError:
        return None
    try:
        return _torch_top_candidates(torch, queries, blocks, keep, dim, binary)
    except (RuntimeError, AttributeError):
        # torch._int_mm is a private kernel: a build that lacks it or refuses these shapes scans with numpy.
        return None


def _torch_top_candidates(
    torch: Any,
    queries: np.ndarray,
    blocks: Iterable[tuple[int, np.ndarray, np.ndarray | None]],
    keep: int,
    dim: int,
    binary: bool,
) -> tuple[np.ndarray, np.ndarray]:
    floor = torch.iinfo(torch.int32).min
    left = torch.from_numpy(queries)
    best = torch.empty((len(queries), 0), dtype=torch.int32)
    slots = torch.empty((len(queries), 0), dtype=torch.int64)
    for start, codes, allowed in blocks:
        block = unpack_signs(codes, dim) if binary else codes
        scores = torch._int_mm(left, torch.from_numpy(np.ascontiguousarray(block)).T)
        if allowed is not None:
            scores.masked_fill_(~torch.from_numpy(allowed)[None, :], floor)
        values, found = torch.topk(scores, min(keep, scores.shape[1]), dim=1, sorted=False)
        best, slots = torch.cat([best, values], dim=1), torch.cat([slots, found + start], dim=1)
        if best.shape[1] > keep:
            best, position = torch.topk(best, keep, dim=1, sorted=False)
            slots = torch.gather(slots, 1, position)
    result = best.numpy().astype(np.float32)
    result[best.numpy() == floor] = -np.inf
    return result, slots.numpy()


def top_exact(
    queries: np.ndarray, blocks: Iterable[tuple[int, np.ndarray, np.ndarray | None]], keep: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each query's best ``keep`` (cosine, slot) pairs over float32 blocks, in torch; None without torch.

    The float32 twin of `top_candidates`: the same matrix product numpy would do, with torch's top-k instead
    of a partial sort per block (which costs as much as the product itself at 1,000 queries).
    """
    try:
        import torch  # lazily: its top-k kernel; numpy's argpartition is much slower on wide blocks
    except ImportError:
        return None
    left = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    best = torch.empty((len(queries), 0), dtype=torch.float32)
    slots = torch.empty((len(queries), 0), dtype=torch.int64)
    for start, rows, allowed in blocks:
        with warnings.catch_warnings():
            # Memory-mapped segments are read-only; torch only reads them here.
            warnings.simplefilter("ignore", UserWarning)
            right = torch.from_numpy(np.ascontiguousarray(rows))
        scores = left @ right.T
        if allowed is not None:
            scores.masked_fill_(~torch.from_numpy(allowed)[None, :], float("-inf"))
        values, found = torch.topk(scores, min(keep, scores.shape[1]), dim=1, sorted=False)
        best, slots = torch.cat([best, values], dim=1), torch.cat([slots, found + start], dim=1)
        if best.shape[1] > keep:
            best, position = torch.topk(best, keep, dim=1, sorted=False)
            slots = torch.gather(slots, 1, position)
    return best.numpy(), slots.numpy()
