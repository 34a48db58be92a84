"""`FlatIndex` (``flat``, the default): exact cosine search in blocks, memory-mapped segments, quantized scoring.

- **Search** scores queries against blocks of stored rows (one matrix product per block) and keeps each
  query's best hits with a partial sort, so 1M x 384 vectors are searched without a 1M x n_queries score
  matrix: the largest temporary is ``n_queries x block`` (about 64 MB).
- **Quantized** (``quantize="int8"`` or ``"binary"``, see `embedsdk.retrieval.quantized`): blocks are scored
  with codes, each query keeps its best ``rescore`` candidates, and those are rescored exactly in float32.
  The int8 ranges are calibrated once from the stored vectors and saved with the index.
- **Folder**: an append-only set of segments. ``segments/seg-<id>.npy`` files are immutable float32 matrices
  (memory-mapped on load, so loading is lazy: rows are read when a search touches them); each save writes
  only the rows added since the last save to this folder as a new segment, plus the small files (ids and
  metadata, manifest) in a new snapshot behind the atomic ``CURRENT`` pointer (`embedsdk.retrieval.storage`).
  Deleted rows stay in their segment, masked, until more than half the rows are deleted; the index then
  compacts into one new segment. Segments no snapshot uses are removed after a successful save.
- **Checks**: the same as every backend (`embedsdk.retrieval.checks`); a load checks every segment's shape,
  dtype and finite values (one pass in blocks, nothing kept in memory), ids, counts and the space.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from embedsdk.errors import CorruptFileError, InvalidOptionError
from embedsdk.retrieval.quantized import (
    Calibration,
    calibrate,
    encode,
    int_scores,
    quantize_queries,
    unpack_signs,
)
from embedsdk.retrieval.scan import bf16_ready, block_rows, load_torch, scan
from embedsdk.retrieval.slots import SearchRequest, SlotIndex, read_entries
from embedsdk.retrieval.storage import (
    check_file,
    commit_snapshot,
    fsync_path,
    load_matrix,
    new_snapshot,
    read_manifest,
    read_space,
    write_json,
)

__all__ = ["FlatIndex", "FlatOptions"]

SEGMENTS = "segments"
_SCORE_BUDGET = 16_000_000  # numpy scan: scores per block, n_queries x block rows, ~64 MB of float32
CANDIDATES = 54  # exact search: bf16 candidates per query beyond k (64 for k=10), rescored as needed


def bf16_error(dim: int) -> float:
    """How far a bf16 product of two unit vectors can be from the exact cosine (and so from float32's).

    With u = 2^-8 (bf16's unit roundoff): rounding both inputs costs at most (2u + u^2) * sum |q_j x_j|
    <= 2u + u^2 (Cauchy-Schwarz); the float32 accumulation at most dim * 2^-24 (times the same sum); the
    bf16 output at most u * |score|. Rounded up, with room for the float32 rescoring's own error.
    """
    inputs = 2 * 2**-8 + 2**-16
    return 1.01 * (inputs + dim * 2**-23 + 2**-8 * (1 + inputs)) + 1e-5


class FlatOptions(BaseModel):
    """Options of `FlatIndex`.

    Attributes:
        quantize: None (exact), ``"int8"`` or ``"binary"`` codes with float32 rescoring.
        rescore: Candidates per query rescored in float32 when quantized (at least ``k``).
        block_rows: Most stored rows scored per matrix product.
        prefilter: Exact search only: ``"bf16"`` proposes candidates with a bf16 product and proves the
            float32 answer with an error bound (when torch is installed and the CPU has bf16 products;
            the result is the float32 scan's); None scans every row in float32.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantize: Literal["int8", "binary"] | None = None
    rescore: int = Field(default=40, gt=0)
    block_rows: int = Field(default=65536, gt=0)
    prefilter: Literal["bf16"] | None = "bf16"


class _Segment:
    """Rows ``start .. start + len(rows)`` of the index, from one file (or not saved yet: ``name`` None)."""

    def __init__(self, rows: np.ndarray, start: int, name: str | None) -> None:
        self.rows = rows
        self.start = start
        self.name = name
        self.codes: np.ndarray | None = None
        self.half: Any = None  # bf16 copy (a torch tensor) for the exact search's first pass


class FlatIndex(SlotIndex):
    """Exact (or quantized, then rescored) cosine search over memory-mappable segments.

    Args:
        space: The space its vectors must come from; None lets the first added `Embeddings` set it.
        **options: `FlatOptions`: ``quantize``, ``rescore``, ``block_rows``.
    """

    Options = FlatOptions
    options: FlatOptions
    format = "embedsdk.flat"
    version = 1

    def __init__(self, space: Any = None, **options: Any) -> None:
        self._segments: list[_Segment] = []
        self._tail = np.zeros((0, space.dim if space else 0), dtype=np.float32)
        self._tail_rows = 0
        self._calibration: Calibration | None = None
        self._folder: Path | None = None
        self._tail_codes: np.ndarray | None = None
        self._tail_half: Any = None
        self._tail_half_rows = 0
        super().__init__(space, **options)

    # -- row storage: saved segments, then an in-memory tail ----------------------------------------------

    def _write_rows(self, start: int, matrix: np.ndarray) -> None:
        rows = self._tail_rows + len(matrix)
        if rows > len(self._tail) or self._tail.shape[1] != matrix.shape[1]:
            grown = np.zeros((max(rows, 2 * len(self._tail), 64), matrix.shape[1]), dtype=np.float32)
            if self._tail_rows:
                grown[: self._tail_rows] = self._tail[: self._tail_rows]
            self._tail = grown
        self._tail[self._tail_rows : rows] = matrix
        self._tail_rows = rows

    def _blocks(self) -> list[tuple[int, np.ndarray, _Segment | None]]:
        parts: list[tuple[int, np.ndarray, _Segment | None]] = [(s.start, s.rows, s) for s in self._segments]
        if self._tail_rows:
            parts.append((self._size - self._tail_rows, self._tail[: self._tail_rows], None))
        return parts

    def _rows(self, slots: np.ndarray) -> np.ndarray:
        slots = np.asarray(slots, dtype=np.int64)
        out = np.empty((len(slots), self._dim or 0), dtype=np.float32)
        for start, rows, _ in self._blocks():
            inside = (slots >= start) & (slots < start + len(rows))
            if inside.any():
                out[inside] = rows[slots[inside] - start]
        return out

    def _clear_rows(self, slots: Sequence[int]) -> None:
        # Saved segments are immutable; deleted rows there are masked until compaction rewrites them.
        first_tail = self._size - self._tail_rows
        for slot in slots:
            if slot >= first_tail:
                self._tail[slot - first_tail] = 0.0

    def _keep_rows(self, live: np.ndarray) -> None:
        kept = self._rows(live)
        self._segments = []
        self._tail, self._tail_rows = kept, len(kept)
        self._tail_codes, self._tail_half = None, None

    # -- the native side: nothing to maintain beyond the rows --------------------------------------------

    def _native_reset(self) -> None:
        self._tail_codes, self._tail_half = None, None

    def _native_add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        pass

    def _native_search(self, request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
        torch = load_torch()
        if self.options.quantize is None:
            if torch is None:
                return self._scan(request.queries, request.k, request.allowed, exact=True)
            if self.options.prefilter == "bf16" and bf16_ready(torch):
                return self._certified(torch, request.queries, request.k, request.allowed)
            return self._torch_scan(torch, request.queries, request.k, request.allowed, "float32")[:2]
        width = min(max(self.options.rescore, request.k), self._size)
        candidates = None
        if torch is not None:
            try:
                kind = self.options.quantize
                _, candidates, _ = self._torch_scan(torch, request.queries, width, request.allowed, kind)
            except RuntimeError:  # torch._int_mm is private: a build that refuses these shapes scans with numpy
                candidates = None
        if candidates is None:
            _, candidates = self._scan(request.queries, width, request.allowed, exact=False)
        return self._rescore(request.queries, candidates, request.k)

    def _torch_scan(
        self, torch: Any, queries: np.ndarray, keep: int, allowed: np.ndarray | None, kind: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each query's best ``keep`` by ``kind`` scores (float32, bf16, int8 or binary codes), and its bound."""
        m = len(queries)
        step = block_rows(m, self.options.block_rows)
        if kind == "float32":
            left = np.ascontiguousarray(queries, dtype=np.float32)

            def floats(rows: Any, out: Any) -> None:
                np.matmul(left, rows.T, out=out.numpy())

            blocks = self._slices(step, allowed, lambda segment, rows: rows)
            return scan(torch, blocks, floats, m, keep, step, torch.float32)
        if kind == "bf16":
            half = torch.from_numpy(queries).to(torch.bfloat16)

            def halves(rows: Any, out: Any) -> None:
                torch.mm(half, rows.T, out=out)

            return scan(torch, self._slices(step, allowed, self._half), halves, m, keep, step, torch.bfloat16)
        coded = torch.from_numpy(quantize_queries(queries, self._calibrated()))
        dim = queries.shape[1]

        def codes(rows: Any, out: Any) -> None:
            block = unpack_signs(rows, dim) if kind == "binary" else rows
            torch._int_mm(coded, torch.from_numpy(block).T, out=out)

        return scan(torch, self._slices(step, allowed, self._codes), codes, m, keep, step, torch.int32)

    def _slices(
        self, step: int, allowed: np.ndarray | None, form: Callable[[_Segment | None, np.ndarray], Any]
    ) -> Iterator[tuple[int, Any, np.ndarray | None]]:
        """``(first slot, rows in the given form, allowed mask)`` for blocks of at most ``step`` rows."""
        for start, rows, segment in self._blocks():
            stored = form(segment, rows)
            for offset in range(0, len(rows), step):
                stop = min(len(rows), offset + step)
                mask = None if allowed is None else allowed[start + offset : start + stop]
                yield start + offset, stored[offset:stop], mask

    def _certified(
        self, torch: Any, queries: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top ``k``: bf16 candidates, float32 scores, and a bound proving nothing else can enter.

        A bf16 score is within `bf16_error` of the float32 one (unit vectors). After rescoring a query's best
        candidates in float32, every vector not rescored scores at most (its bf16 score, at most the next
        candidate's or the scan's bound) + `bf16_error`; when that is below the k-th float32 score, the
        answer is exact. Queries the bound does not settle rescore all their candidates, then (rarely) scan
        every row in float32.
        """
        keep = min(self._size, max(2 * k, k + CANDIDATES))
        approx, slots, bound = self._torch_scan(torch, queries, keep, allowed, "bf16")
        exact = np.full(approx.shape, -np.inf, dtype=np.float32)
        error = bf16_error(queries.shape[1])
        todo = np.arange(len(queries))
        done = 0
        for upto in sorted({min(keep, 2 * k + 8), keep}):
            exact[todo, done:upto] = self._exact_scores(queries[todo], slots[todo, done:upto])
            done = upto
            kth = -np.partition(-exact[todo, :done], k - 1, axis=1)[:, k - 1]
            rest = approx[todo, done] if done < keep else bound[todo]
            settled = np.isneginf(rest) | (rest + error < kth)
            todo = todo[~settled]
            if not len(todo):
                break
        order = np.argsort(-exact, axis=1, kind="stable")[:, :k]
        scores = np.take_along_axis(exact, order, axis=1)
        found = np.take_along_axis(slots, order, axis=1)
        found[np.isneginf(scores)] = -1
        if len(todo):
            scores[todo], found[todo] = self._torch_scan(torch, queries[todo], k, allowed, "float32")[:2]
        return scores, found

    def _exact_scores(self, queries: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """float32 cosines of each query with its candidate slots (-inf where the slot is -1).

        The candidates of a group of queries are gathered at once (about 16 MB), then one batched product.
        """
        scores = np.full(slots.shape, -np.inf, dtype=np.float32)
        if not slots.size:
            return scores
        group = max(1, 4_000_000 // (slots.shape[1] * queries.shape[1]))
        for first in range(0, len(queries), group):
            found = slots[first : first + group]
            rows = self._rows(np.where(found >= 0, found, 0).ravel()).reshape(*found.shape, queries.shape[1])
            exact = np.matmul(rows, queries[first : first + group, :, None])[:, :, 0]
            scores[first : first + group] = np.where(found >= 0, exact, -np.inf)
        return scores

    def _scan(
        self, queries: np.ndarray, keep: int, allowed: np.ndarray | None, exact: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each query's best ``keep`` (score, slot) pairs over all rows, block by block, in numpy (no torch)."""
        m = len(queries)
        best_scores = np.full((m, 0), -np.inf, dtype=np.float32)
        best_slots = np.zeros((m, 0), dtype=np.int64)
        step = max(1, min(self.options.block_rows, _SCORE_BUDGET // max(m, 1)))
        coded = None if exact else quantize_queries(queries, self._calibrated())
        for start, rows, segment in self._blocks():
            codes = None if exact else self._codes(segment, rows)
            for offset in range(0, len(rows), step):
                stop = min(len(rows), offset + step)
                if exact:
                    scores = queries @ rows[offset:stop].T
                else:
                    assert codes is not None and coded is not None
                    block = codes[offset:stop]
                    if self.options.quantize == "binary":
                        block = unpack_signs(block, queries.shape[1])
                    scores = int_scores(coded, block).astype(np.float32)
                if allowed is not None:
                    scores[:, ~allowed[start + offset : start + stop]] = -np.inf
                take = min(keep, stop - offset)
                top = np.argpartition(-scores, take - 1, axis=1)[:, :take]
                best_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
                best_slots = np.concatenate([best_slots, top + start + offset], axis=1)
                if best_scores.shape[1] > keep:
                    top = np.argpartition(-best_scores, keep - 1, axis=1)[:, :keep]
                    best_scores = np.take_along_axis(best_scores, top, axis=1)
                    best_slots = np.take_along_axis(best_slots, top, axis=1)
        return self._ordered(best_scores, best_slots)

    @staticmethod
    def _ordered(scores: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidates sorted best first, with slot -1 where a score is -inf (masked or missing)."""
        order = np.argsort(-scores, axis=1, kind="stable")
        scores = np.take_along_axis(scores, order, axis=1)
        slots = np.take_along_axis(slots, order, axis=1)
        slots[~np.isfinite(scores)] = -1
        return scores, slots

    def _rescore(self, queries: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self._exact_scores(queries, candidates)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        slots = np.take_along_axis(candidates, top, axis=1)
        best = np.take_along_axis(scores, top, axis=1)
        slots[~np.isfinite(best)] = -1
        return best, slots

    def _calibrated(self) -> Calibration:
        if self._calibration is None:
            # Once, from every stored row (a sample when many); saved with the index from then on.
            live = np.nonzero(self._live_mask())[0]
            self._calibration = calibrate(
                self._rows(live) if len(live) <= 200_000 else self._rows(live[:: len(live) // 200_000])
            )
        return self._calibration

    def _codes(self, segment: _Segment | None, rows: np.ndarray) -> np.ndarray:
        kind = self.options.quantize
        assert kind is not None
        if segment is not None:
            if segment.codes is None:
                segment.codes = encode(rows, self._calibrated(), kind)
            return segment.codes
        if self._tail_codes is None or len(self._tail_codes) != len(rows):
            done = 0 if self._tail_codes is None else len(self._tail_codes)
            fresh = encode(rows[done:], self._calibrated(), kind)
            self._tail_codes = fresh if self._tail_codes is None else np.concatenate([self._tail_codes, fresh])
        return self._tail_codes

    def _half(self, segment: _Segment | None, rows: np.ndarray) -> Any:
        """The rows as a bf16 torch tensor, made once per segment (the tail: once per row, in a growing buffer)."""
        torch = load_torch()
        assert torch is not None
        if segment is not None:
            if segment.half is None:
                segment.half = _to_bf16(torch, rows)
            return segment.half
        if self._tail_half is None or len(rows) < self._tail_half_rows:
            self._tail_half, self._tail_half_rows = None, 0
        if self._tail_half is None or len(rows) > len(self._tail_half):
            grown = torch.empty((max(len(rows), 2 * self._tail_half_rows), rows.shape[1]), dtype=torch.bfloat16)
            if self._tail_half is not None:
                grown[: self._tail_half_rows] = self._tail_half[: self._tail_half_rows]
            self._tail_half = grown
        if len(rows) > self._tail_half_rows:
            self._tail_half[self._tail_half_rows : len(rows)] = _to_bf16(torch, rows[self._tail_half_rows :])
            self._tail_half_rows = len(rows)
        return self._tail_half[: len(rows)]

    # -- files --------------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the index into the folder ``path``: new rows as a new segment, the rest by reference.

        Saving again to the folder it was loaded from or last saved to writes only the rows added since; a
        crash at any point leaves the previous save loadable (see the module docstring).
        """
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        segments_dir = folder / SEGMENTS
        segments_dir.mkdir(exist_ok=True)
        same_folder = self._folder is not None and self._folder.resolve() == folder.resolve()
        if self.options.quantize is not None and len(self):
            self._calibrated()
        written: list[_Segment] = []
        for start, rows, segment in self._blocks():
            codes = self._codes(segment, rows) if self.options.quantize is not None and len(self) else None
            if segment is not None and same_folder and segment.name is not None:
                written.append(segment)
                continue
            name = f"seg-{os.urandom(8).hex()}.npy"
            _write_npy(segments_dir / name, rows)
            fresh = _Segment(rows, start, name)
            fresh.codes = codes
            written.append(fresh)
        entries = []
        for segment in written:
            entry: dict[str, Any] = {"file": segment.name, "rows": len(segment.rows)}
            if segment.codes is not None and self.options.quantize is not None:
                codes_name = f"{Path(str(segment.name)).stem}.{self.options.quantize}.npy"
                if not (segments_dir / codes_name).exists():
                    _write_npy(segments_dir / codes_name, segment.codes)
                entry["codes"] = codes_name
            entries.append(entry)
        fsync_path(segments_dir)
        temp = new_snapshot(folder)
        write_json(temp / "entries.json", {"ids": self._ids, "metadata": self._metadata})
        manifest = {
            "format": self.format,
            "version": self.version,
            "space": self._space.model_dump() if self._space else None,
            "dim": self._dim,
            "slots": self._size,
            "count": len(self),
            "options": self.options.model_dump(),
            "segments": entries,
            "calibration": self._calibration.to_json() if self._calibration else None,
        }
        commit_snapshot(folder, temp, manifest, keep={SEGMENTS})
        used = {e["file"] for e in entries} | {e["codes"] for e in entries if "codes" in e}
        for leftover in segments_dir.iterdir():
            if leftover.name not in used:
                leftover.unlink(missing_ok=True)
        # The tail is saved now: later saves to this folder append after it.
        self._segments, self._tail_rows, self._tail_codes, self._tail_half = written, 0, None, None
        self._tail = np.zeros((0, self._dim or 0), dtype=np.float32)
        self._folder = folder

    @classmethod
    def load(cls, path: str | Path) -> FlatIndex:
        """Open an index folder written by `save`; segments are memory-mapped, not read into memory.

        Raises:
            CorruptFileError: a missing or damaged file, counts or ids that disagree, another format, a
                newer format version, a dimension that differs from the space, or non-finite vectors; the
                message names the file and the problem.
        """
        folder = Path(path)
        snapshot, manifest = read_manifest(folder, cls.format, cls.version)
        where = snapshot / "manifest.json"
        space = read_space(manifest, where)
        slots, count, dim, options = (manifest.get(key) for key in ("slots", "count", "dim", "options"))
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (slots, count)):
            raise CorruptFileError(where, f"'slots' and 'count' must be whole numbers (got {slots!r}, {count!r})")
        assert isinstance(slots, int) and isinstance(count, int)
        if dim is not None and (not isinstance(dim, int) or dim < 1 or (space is not None and dim != space.dim)):
            raise CorruptFileError(where, f"'dim' {dim!r} does not match the space's dimension")
        if not isinstance(options, dict):
            raise CorruptFileError(where, "'options' must be an object")
        try:
            index = cls(space, **options)
        except InvalidOptionError as exc:
            raise CorruptFileError(where, f"its options are not valid here ({exc})") from None
        ids, metadata = read_entries(check_file(snapshot, manifest, "entries.json"), slots, count)
        listed = manifest.get("segments")
        if not isinstance(listed, list):
            raise CorruptFileError(where, "'segments' must be a list")
        segments, start = [], 0
        for entry in listed:
            segments.append(index._open_segment(folder, where, entry, start, dim))
            start += len(segments[-1].rows)
        if start != slots:
            raise CorruptFileError(where, f"its segments hold {start} vectors but 'slots' says {slots}")
        raw_calibration = manifest.get("calibration")
        if raw_calibration is not None and dim is not None:
            try:
                index._calibration = Calibration.from_json(raw_calibration, dim)
            except ValueError as exc:
                raise CorruptFileError(where, str(exc)) from None
        index._dim, index._size, index._segments, index._folder = dim, slots, segments, folder
        index._ids, index._metadata = ids, metadata
        index._slot = {name: n for n, name in enumerate(ids) if name is not None}
        for item in metadata:
            if item is not None:
                index._keys.update(item.keys())
        return index

    def _open_segment(self, folder: Path, where: Path, entry: Any, start: int, dim: int | None) -> _Segment:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("file"), str)
            or not isinstance(entry.get("rows"), int)
        ):
            raise CorruptFileError(where, f"segment entry {entry!r} needs 'file' and 'rows'")
        name = entry["file"]
        if Path(name).name != name or not name.endswith(".npy"):
            raise CorruptFileError(where, f"segment file name {name!r} is not a plain .npy file name")
        path = folder / SEGMENTS / name
        if not path.is_file():
            raise CorruptFileError(path, "is missing (the folder was copied without its segments?)")
        segment = _Segment(load_matrix(path, entry["rows"], dim, mmap=True), start, name)
        codes_name = entry.get("codes")
        if codes_name is not None and self.options.quantize is not None:
            codes_path = folder / SEGMENTS / str(codes_name)
            if Path(str(codes_name)).name == codes_name and codes_path.is_file():
                try:
                    codes = np.load(codes_path, allow_pickle=False)
                except (OSError, ValueError, EOFError) as exc:
                    raise CorruptFileError(codes_path, f"cannot be read as a .npy matrix ({exc})") from None
                width = dim if self.options.quantize == "int8" else -(-(dim or 0) // 8)
                wanted = np.int8 if self.options.quantize == "int8" else np.uint8
                if codes.shape != (entry["rows"], width) or codes.dtype != wanted:
                    raise CorruptFileError(codes_path, f"holds {codes.dtype} codes of shape {codes.shape}")
                segment.codes = codes
        return segment


def _to_bf16(torch: Any, rows: np.ndarray) -> Any:
    with warnings.catch_warnings():
        # Memory-mapped segments are read-only; torch only reads them here.
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(rows).to(torch.bfloat16)


def _write_npy(path: Path, rows: np.ndarray) -> None:
    """Write a .npy file under a temporary name, fsync it, then rename it into place."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temp, "wb") as handle:
        np.save(handle, np.ascontiguousarray(rows))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
