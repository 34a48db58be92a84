"""The second convolution of each n-gram branch in fp32, as Winograd minimal filtering: fewer products, same sums.

A branch's second convolution gives each position ``t`` the sum over its window of
``hidden[t - left + o] @ W[o]`` (``o < order``), one ``(256, 256)`` product per offset: 10 products per token over
the three branches, most of the fp32 arithmetic of the model. Winograd's F(m, r) (Toom-Cook with interpolation
points ``0, ±1, ±2, ±1/2`` and infinity) computes ``m`` consecutive outputs of an ``r``-tap correlation with
``n = m + r - 1`` products instead of ``m * r``:

    U = Bᵀ d        (d: the n input rows of a tile, 256 channels each; a cheap linear mix of rows)
    M_i = U_i @ V_i (V = G W: the weights mixed once, at load; one batched product per tile row)
    y = Aᵀ M        (the m output rows; another cheap mix)

With F(6, 2), F(6, 3) and F(4, 5) the three branches need 7/6 + 8/6 + 8/4 = 4.5 products per token instead of
10. The mixes only add and scale by small powers of two, so the result stays within about 1e-6 (relative) of
the direct sums in fp32, a few times float32's own rounding; vectors stay within 1e-7 of cosine of the
reference. bf16 keeps the direct product (its rounding would grow through the mixes).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional

__all__ = ["TILES", "correlate", "correlate_padded", "padded_rows", "winograd_matrices", "winograd_weights"]

#: Outputs per tile and the finite interpolation points, per n-gram order (window width).
TILES: dict[int, tuple[int, tuple[float, ...]]] = {
    2: (6, (0.0, 1.0, -1.0, 2.0, -2.0, 0.5)),
    3: (6, (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)),
    5: (4, (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)),
}


def winograd_matrices(m: int, r: int, points: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Aᵀ, G, Bᵀ)`` of F(m, r) in float64: ``Aᵀ (m, n)``, ``G (n, r)``, ``Bᵀ (n, n)`` with ``n = m + r - 1``.

    ``Aᵀ`` and ``G`` are the Toom-Cook evaluation matrices (``points`` plus the point at infinity); ``Bᵀ`` is
    solved from the defining identity ``Σ_i Aᵀ[j, i] G[i, o] Bᵀ[i, k] = [k == j + o]`` and checked.

    Raises:
        ValueError: ``points`` are not ``n - 1`` distinct values, or the identity does not hold.
    """
    n = m + r - 1
    p = np.asarray(points, dtype=np.float64)
    if p.shape != (n - 1,) or len(set(points)) != n - 1:
        raise ValueError(f"F({m}, {r}) needs {n - 1} distinct points, not {points}")
    at = np.zeros((m, n))
    g = np.zeros((n, r))
    for i in range(n - 1):
        at[:, i] = p[i] ** np.arange(m)
        g[i] = p[i] ** np.arange(r) / np.prod([p[i] - p[k] for k in range(n - 1) if k != i])
    at[m - 1, n - 1] = 1.0
    g[n - 1, r - 1] = 1.0
    system = np.einsum("ji,io->joi", at, g).reshape(m * r, n)
    wanted = np.zeros((m, r, n))
    for j in range(m):
        for o in range(r):
            wanted[j, o, j + o] = 1.0
    bt, *_ = np.linalg.lstsq(system, wanted.reshape(m * r, n), rcond=None)
    if not np.allclose(system @ bt, wanted.reshape(m * r, n), atol=1e-9):
        raise ValueError(f"no Winograd F({m}, {r}) transform for points {points}")
    return at, g, bt


def winograd_weights(weight: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F(m, order) for one branch's second convolution (m from `TILES`), as float32 arrays.

    Args:
        weight: ``(order * 256, 256)``, rows ordered (window offset, channel).
        order: The window width.

    Returns:
        ``V (n, 256, 256)`` (``V_i = Σ_o G[i, o] W[o]``, mixed in float64 and rounded once), ``Aᵀ (m, n)`` and
        ``Bᵀ (n, n)``.
    """
    m, points = TILES[order]
    at, g, bt = winograd_matrices(m, order, points)
    taps = weight.astype(np.float64).reshape(order, -1, weight.shape[1])
    mixed = np.einsum("io,ocd->icd", g, taps)
    return mixed.astype(np.float32), at.astype(np.float32), bt.astype(np.float32)


def padded_rows(positions: int, output_mix: torch.Tensor) -> int:
    """Rows `correlate_padded` reads for ``positions`` outputs: whole tiles plus the window's reach."""
    m, n = output_mix.shape
    return -(-positions // m) * m + n - m


def correlate_padded(
    rows: torch.Tensor, positions: int, weight: torch.Tensor, output_mix: torch.Tensor, input_mix: torch.Tensor
) -> torch.Tensor:
    """``out[t] = Σ_o rows[t + o] @ W[o]`` for ``t < positions``, from `winograd_weights`' ``V``, ``Aᵀ``, ``Bᵀ``.

    Args:
        rows: ``(padded_rows(positions), 256)`` float32, contiguous: row ``left + t`` holds input ``t``, and the
            rows around the input are zero (they stand for the padding).
        positions: Outputs wanted.
        weight: ``V`` of `winograd_weights`.
        output_mix: ``Aᵀ`` of `winograd_weights`.
        input_mix: ``Bᵀ`` of `winograd_weights`.
    """
    channels = rows.shape[1]
    m, n = output_mix.shape
    tiles = -(-positions // m)
    # Tile k reads rows k*m .. k*m + n - 1: overlapping views, no copy.
    windows = rows.as_strided((tiles, n, channels), (m * channels, channels, 1))
    mixed = torch.matmul(input_mix, windows)  # (tiles, n, 256)
    products = torch.bmm(mixed.transpose(0, 1), weight)  # (n, tiles, 256)
    out = torch.matmul(output_mix, products.transpose(0, 1))  # (tiles, m, 256)
    return out.reshape(tiles * m, channels)[:positions]


def correlate(
    hidden: torch.Tensor, weight: torch.Tensor, output_mix: torch.Tensor, input_mix: torch.Tensor, left: int
) -> torch.Tensor:
    """``out[t] = Σ_o hidden[t - left + o] @ W[o]`` for every row (rows outside ``hidden`` count as zero).

    Args:
        hidden: ``(positions, 256)`` float32.
        weight: ``V`` of `winograd_weights`.
        output_mix: ``Aᵀ`` of `winograd_weights`.
        input_mix: ``Bᵀ`` of `winograd_weights`.
        left: Rows of left context in the window.
    """
    positions = hidden.shape[0]
    rows = functional.pad(hidden, (0, 0, left, padded_rows(positions, output_mix) - left - positions))
    return correlate_padded(rows, positions, weight, output_mix, input_mix)
