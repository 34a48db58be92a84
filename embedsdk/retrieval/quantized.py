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
kernels, `embedsdk.retrieval.scan`) runs it when torch is installed; otherwise numpy computes it in float32
(same ranking, no speed-up). The best ``rescore`` candidates are then rescored exactly in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "Calibration",
    "calibrate",
    "encode",
    "int_scores",
    "quantize_queries",
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
