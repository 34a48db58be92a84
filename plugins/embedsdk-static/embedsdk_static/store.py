"""The conversion cache: a parsed vector file saved as ``vectors.npy`` + ``vocab.txt`` for memory-mapped reloads.

A text or binary file is parsed once; later loads (in this or any process) map the ``.npy`` and read the
vocabulary, which for GloVe 6B is ~0.3 s instead of a full parse. Entries are keyed by the file's resolved
path, size and modification time, so an edited file is parsed again. Writes go to a temporary folder
renamed into place, so concurrent processes never see half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["file_digest", "store_dir", "stored", "write_entry"]

FORMAT_VERSION = 1


def store_dir() -> Path:
    """``<embedsdk cache dir>/static-tables`` (``EMBEDSDK_CACHE_DIR`` moves it with the vector cache)."""
    from embedsdk import settings

    return Path(settings.cache_dir()) / "static-tables"


def _key(path: Path, kind: str) -> str:
    stat = path.stat()
    raw = f"{FORMAT_VERSION}\0{kind}\0{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (first 16 hex digits), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def stored(path: Path, kind: str) -> tuple[list[str], np.ndarray | None, dict[str, Any]] | None:
    """The converted entry of ``path`` (words, memory-mapped matrix or None, metadata), or None when absent.

    A damaged entry (unreadable, or counts that disagree) is treated as absent and rebuilt, never trusted.
    """
    folder = store_dir() / _key(path, kind)
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        words = (folder / "vocab.txt").read_text("utf-8").split("\n")
        matrix = np.load(folder / "vectors.npy", mmap_mode="r") if meta.get("has_vectors") else None
    except (OSError, ValueError):
        return None
    if meta.get("count") != len(words) or (matrix is not None and matrix.shape[0] != len(words)):
        return None
    return words, matrix, meta


def write_entry(path: Path, kind: str, words: list[str], matrix: np.ndarray | None, meta: dict[str, Any]) -> bool:
    """Save a converted table (or only its vocabulary) for later loads; False when nothing could be written.

    Words holding a newline cannot be stored one per line: such tables are not cached.
    """
    if any("\n" in word for word in words):
        return False
    final = store_dir() / _key(path, kind)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
        if matrix is not None:
            np.save(temp / "vectors.npy", np.ascontiguousarray(matrix, dtype=np.float32))
        (temp / "vocab.txt").write_text("\n".join(words), "utf-8")
        full = {**meta, "count": len(words), "source": str(path), "has_vectors": matrix is not None}
        (temp / "meta.json").write_text(json.dumps(full), "utf-8")
        try:
            os.replace(temp, final)
        except OSError:
            shutil.rmtree(temp, ignore_errors=True)  # another process won the race; its entry is as good
        return True
    except OSError:
        return False
