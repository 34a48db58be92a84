"""The torch kernels of `flat` (`embedsdk.retrieval.scan`) and the exact search's bf16 proof, against brute force."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from embedsdk.retrieval.flat import FlatIndex, bf16_error

torch = pytest.importorskip("torch")
from embedsdk.retrieval.scan import Selector, bf16_ready, scan  # noqa: E402


def _select(scores: Any, keep: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run `scan` over ``scores`` (queries x rows) in blocks of ``width`` rows, the blocks being the scores."""
    m, n = scores.shape
    blocks = ((start, scores[:, start : start + width].T, None) for start in range(0, n, width))
    return scan(torch, blocks, lambda rows, out: out.copy_(rows.T), m, keep, width, scores.dtype)


@pytest.mark.parametrize("dtype", ["bfloat16", "float32", "int32"])
@pytest.mark.parametrize(("m", "n", "keep", "width"), [(7, 1000, 5, 96), (40, 5003, 64, 512), (3, 70, 10, 33)])
def test_the_selector_keeps_exactly_the_best(dtype: str, m: int, n: int, keep: int, width: int) -> None:
    generator = torch.Generator().manual_seed(m * n)
    raw = torch.randn(m, n, generator=generator) - 2.0  # mostly negative: bf16 bits do not sort those
    scores = (raw * 1000).int() if dtype == "int32" else raw.to(getattr(torch, dtype))
    values, slots, bound = _select(scores, keep, width)
    dense = scores.float().numpy()
    assert np.array_equal(values, -np.sort(-dense, axis=1)[:, :keep])
    assert np.array_equal(np.take_along_axis(dense, slots, axis=1), values)
    for row in range(m):
        dropped = np.delete(dense[row], slots[row])
        assert dropped.max() <= bound[row]  # the bound covers everything not returned


def test_the_selector_pads_when_fewer_rows_than_keep_and_honours_masks() -> None:
    scores = torch.randn(4, 20)
    blocks = [(0, scores[:, :12].T, np.arange(12) % 2 == 0), (12, scores[:, 12:].T, None)]
    values, slots, bound = scan(torch, iter(blocks), lambda rows, out: out.copy_(rows.T), 4, 30, 12, torch.float32)
    allowed = np.r_[np.arange(12) % 2 == 0, np.ones(8, dtype=bool)]
    assert (slots[:, :14] >= 0).all() and (slots[:, 14:] == -1).all() and np.isneginf(values[:, 14:]).all()
    assert all(set(row[:14].tolist()) == set(np.nonzero(allowed)[0].tolist()) for row in slots)
    assert np.isneginf(bound).all()  # nothing was dropped


def test_the_selector_takes_blocks_one_by_one() -> None:
    selector = Selector(torch, 2, 3)
    selector.push(torch.tensor([[5.0, 1.0, 4.0, 2.0], [0.0, -1.0, -2.0, -3.0]]), 0)
    selector.push(torch.tensor([[3.0, 6.0], [7.0, -4.0]]), 4)
    values, slots, bound = selector.result()
    assert values.tolist() == [[6.0, 5.0, 4.0], [7.0, 0.0, -1.0]]
    assert slots.tolist() == [[5, 0, 2], [4, 0, 1]]
    assert bound.tolist() == [4.0, -1.0]


needs_bf16 = pytest.mark.skipif(not bf16_ready(torch), reason="this CPU has no native bf16 products")


def test_the_bf16_error_bound_holds() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 384)).astype(np.float32)
    b = np.vstack([a[:50] + 1e-3 * rng.standard_normal((50, 384)), rng.standard_normal((250, 384))]).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    approx = (torch.from_numpy(a).bfloat16() @ torch.from_numpy(b).bfloat16().T).float().numpy()
    assert np.abs(approx - a @ b.T).max() < bf16_error(384)


def _brute(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    scores = q @ unit.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), order


def _assert_exact(hits: Any, vectors: np.ndarray, queries: np.ndarray, truth_scores: np.ndarray) -> None:
    """The brute-force top scores, each hit's score its true cosine (so only exact ties may swap ids)."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    assert np.allclose([[h.score for h in row] for row in hits], truth_scores, atol=1e-6)
    for query, row in zip(q, hits):
        ids = [int(h.id) for h in row]
        assert len(set(ids)) == len(ids)
        assert np.allclose(unit[ids] @ query, [h.score for h in row], atol=1e-6)


def _record_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kind of each torch scan flat runs from now on (``bf16``, ``float32``), in order."""
    kinds: list[str] = []
    scan_once = FlatIndex._torch_scan

    def counted(self: FlatIndex, *args: Any) -> Any:
        kinds.append(args[-1])
        return scan_once(self, *args)

    monkeypatch.setattr(FlatIndex, "_torch_scan", counted)
    return kinds


@needs_bf16
def test_exact_search_falls_back_to_float32_where_the_bound_cannot_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    # Near-duplicates closer than bf16 can tell apart: the bound cannot settle those queries from 2k
    # candidates, so they are scanned again in float32; the answer is the brute-force one either way.
    rng = np.random.default_rng(2)
    base = rng.standard_normal((40, 64)).astype(np.float32)
    vectors = np.repeat(base, 50, axis=0) + 1e-2 * rng.standard_normal((2000, 64)).astype(np.float32)
    queries = base[:12] + 1e-2 * rng.standard_normal((12, 64)).astype(np.float32)
    index = FlatIndex(None)
    index.add([str(i) for i in range(len(vectors))], vectors)
    monkeypatch.setattr("embedsdk.retrieval.flat.CANDIDATES", 0)
    kinds = _record_scans(monkeypatch)
    hits = index.search(queries, k=10)
    truth_scores, _ = _brute(vectors, queries, 10)
    assert kinds == ["bf16", "float32"]
    _assert_exact(hits, vectors, queries, truth_scores)


@needs_bf16
def test_exact_search_settles_clustered_queries_without_a_float32_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((6000, 48)).astype(np.float32)
    queries = vectors[:100] + 0.3 * rng.standard_normal((100, 48)).astype(np.float32)
    index = FlatIndex(None)
    index.add([str(i) for i in range(len(vectors))], vectors, [{"even": i % 2 == 0} for i in range(len(vectors))])
    index.remove(["1", "2"])
    kinds = _record_scans(monkeypatch)
    for k, where in [(1, None), (10, None), (25, {"even": True})]:
        kinds.clear()
        hits = index.search(queries, k=k, filter=where)
        live = np.array([i not in (1, 2) and (where is None or i % 2 == 0) for i in range(len(vectors))])
        truth_scores, _ = _brute(vectors[live], queries, k)
        assert kinds == ["bf16"]
        _assert_exact(hits, vectors, queries, truth_scores)
        assert all(live[int(h.id)] for row in hits for h in row)


def test_the_float32_scan_without_prefilter_finds_the_same() -> None:
    rng = np.random.default_rng(4)
    vectors, queries = rng.standard_normal((3000, 32)).astype(np.float32), rng.standard_normal((30, 32))
    plain, proved = FlatIndex(None, prefilter=None), FlatIndex(None)
    for index in (plain, proved):
        index.add([str(i) for i in range(len(vectors))], vectors)
    _, truth = _brute(vectors, queries.astype(np.float32), 10)
    for index in (plain, proved):
        assert [[int(h.id) for h in row] for row in index.search(queries, k=10)] == truth.tolist()
