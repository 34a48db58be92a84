"""Index folders that survive a crash: immutable snapshots behind an atomically replaced pointer.

An index folder holds ``CURRENT`` (the name of the live snapshot) and snapshot folders ``snap-000001``,
``snap-000002``... Each snapshot has a ``manifest.json`` (format, version, space, file checksums) and the
backend's files. A save writes a new snapshot into a temporary folder, fsyncs every file, renames the folder
into place, then replaces ``CURRENT`` with `os.replace` (atomic on POSIX and Windows) and fsyncs the
folder. A process killed at any point leaves ``CURRENT`` naming a complete snapshot: the previous one or the
new one. Older snapshots and leftovers of interrupted saves are removed after the switch.

Reading trusts nothing: `read_manifest` checks the pointer, the manifest's format and version (a newer
version is refused with the advice to upgrade), and `check_file` verifies checksums, so a damaged folder
raises one `CorruptFileError` naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import CorruptFileError
from embedsdk.space import EmbeddingSpace

__all__ = [
    "POINTER",
    "check_file",
    "commit_snapshot",
    "file_digest",
    "fsync_path",
    "load_matrix",
    "new_snapshot",
    "read_json",
    "read_manifest",
    "read_space",
    "write_json",
]

POINTER = "CURRENT"
_PREFIX = "snap-"


def fsync_path(path: Path) -> None:
    """Flush a file or a folder entry to disk (folders: where the OS allows it)."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # Windows cannot open folders; its renames are durable enough for us there.
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def file_digest(path: Path) -> str:
    """sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as JSON (refusing values JSON cannot hold)."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        from embedsdk.errors import InvalidInputError

        raise InvalidInputError(f"index metadata must be JSON-serializable (no NaN) to save: {exc}") from None
    path.write_text(text, encoding="utf-8")


def read_json(path: Path) -> Any:
    """Parse a JSON file, as a `CorruptFileError` naming it when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorruptFileError(
            path, f"cannot be read ({exc.strerror or exc}); the index folder is incomplete"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptFileError(path, f"is not valid JSON ({exc})") from None


def new_snapshot(folder: Path) -> Path:
    """A fresh temporary folder inside ``folder`` to write a snapshot into."""
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".tmp-{os.getpid()}-{os.urandom(4).hex()}"
    temp.mkdir()
    return temp


def _snapshot_number(name: str) -> int:
    return int(name[len(_PREFIX) :]) if name.startswith(_PREFIX) and name[len(_PREFIX) :].isdigit() else 0


def commit_snapshot(folder: Path, temp: Path, manifest: dict[str, Any], keep: Iterable[str] = ()) -> Path:
    """Make the snapshot written in ``temp`` the live one, atomically; returns its final folder.

    Args:
        folder: The index folder.
        temp: A folder from `new_snapshot` holding the snapshot's files.
        manifest: Written as ``manifest.json``, with a ``files`` entry of checksums added for every file.
        keep: Names of other entries of ``folder`` that the new snapshot uses (shared segments); kept.
    """
    manifest = dict(manifest)
    files = sorted(p.name for p in temp.iterdir() if p.is_file())
    manifest["files"] = {name: file_digest(temp / name) for name in files}
    write_json(temp / "manifest.json", manifest)
    for name in [*files, "manifest.json"]:
        fsync_path(temp / name)
    fsync_path(temp)
    number = 1 + max((_snapshot_number(p.name) for p in folder.iterdir()), default=0)
    final = folder / f"{_PREFIX}{number:06d}"
    os.replace(temp, final)
    fsync_path(folder)
    pointer_temp = folder / f".{POINTER}.{os.getpid()}.tmp"
    with open(pointer_temp, "w", encoding="utf-8") as handle:
        handle.write(final.name)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer_temp, folder / POINTER)
    fsync_path(folder)
    keep_names = {final.name, POINTER, *keep}
    for entry in folder.iterdir():
        if entry.name not in keep_names and (entry.name.startswith((_PREFIX, ".tmp-", f".{POINTER}"))):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
    return final


def read_manifest(folder: Path, fmt: str, version: int) -> tuple[Path, dict[str, Any]]:
    """The live snapshot folder of an index folder and its checked manifest.

    Args:
        folder: The index folder.
        fmt: The format name the caller reads (``"embedsdk.flat"``...).
        version: The newest format version the caller reads.

    Raises:
        CorruptFileError: not an index folder, a dangling pointer, a bad manifest, another format, or a
            newer version (upgrade embedsdk).
    """
    if not folder.is_dir():
        raise CorruptFileError(folder, "is not a folder; pass the folder an index was saved to")
    pointer = folder / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptFileError(pointer, f"cannot be read ({exc}); is this a saved {fmt} index folder?") from None
    snapshot = folder / name
    if not name.startswith(_PREFIX) or "/" in name or "\\" in name or not snapshot.is_dir():
        raise CorruptFileError(pointer, f"names snapshot {name!r}, which is not in the folder")
    manifest = read_json(snapshot / "manifest.json")
    path = snapshot / "manifest.json"
    if not isinstance(manifest, dict):
        raise CorruptFileError(path, "must hold a JSON object")
    found_format, found_version = manifest.get("format"), manifest.get("version")
    if found_format != fmt:
        raise CorruptFileError(path, f"has format {found_format!r}; expected {fmt!r} (load it with its own backend)")
    if isinstance(found_version, bool) or not isinstance(found_version, int) or found_version < 1:
        raise CorruptFileError(path, f"has no valid format version ({found_version!r})")
    if found_version > version:
        raise CorruptFileError(
            path,
            f"was written by a newer embedsdk (format {fmt} version {found_version}; this one reads up to "
            f"{version}): upgrade embedsdk to read it",
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise CorruptFileError(path, "'files' must map file names to sha256 digests")
    return snapshot, manifest


def check_file(snapshot: Path, manifest: dict[str, Any], name: str) -> Path:
    """The path of file ``name`` of a snapshot, after checking it exists and matches its recorded checksum."""
    path = snapshot / name
    expected = manifest["files"].get(name)
    if expected is None:
        raise CorruptFileError(snapshot / "manifest.json", f"does not list {name!r}")
    if not path.is_file():
        raise CorruptFileError(path, "is missing")
    if file_digest(path) != expected:
        raise CorruptFileError(path, "does not match the checksum its manifest recorded (damaged or edited)")
    return path


def read_space(manifest: dict[str, Any], path: Path) -> EmbeddingSpace | None:
    """The manifest's ``space`` entry as an `EmbeddingSpace` (None when the index had none)."""
    raw = manifest.get("space")
    if raw is None:
        return None
    try:
        return EmbeddingSpace(**raw)
    except (TypeError, ValueError) as exc:
        raise CorruptFileError(path, f"'space' is not a valid embedding space ({exc})") from None


def load_matrix(path: Path, rows: int, dim: int | None, mmap: bool = False) -> np.ndarray:
    """A float32 ``(rows, dim)`` matrix from a ``.npy`` file, checked for shape, finite values and unit rows.

    Args:
        path: The file.
        rows: Rows it must have.
        dim: Columns it must have (None: any).
        mmap: Map it read-only instead of reading it (the finite and unit-length checks still read it once, in
            blocks).
    """
    try:
        matrix = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise CorruptFileError(path, f"cannot be read as a .npy matrix ({exc})") from None
    if matrix.ndim != 2 or matrix.dtype != np.float32:
        raise CorruptFileError(path, f"holds a {matrix.dtype} array of shape {matrix.shape}, not (n, dim) float32")
    if matrix.shape[0] != rows:
        raise CorruptFileError(path, f"holds {matrix.shape[0]} vectors but the manifest says {rows}")
    if dim is not None and rows and matrix.shape[1] != dim:
        raise CorruptFileError(path, f"vectors are {matrix.shape[1]}-d but the index's space is {dim}-d")
    for start in range(0, rows, 65536):
        block = matrix[start : start + 65536]
        if not np.isfinite(block).all():
            raise CorruptFileError(path, "holds NaN or infinite values")
        # Indexes store unit rows (or zero rows); flat's exact bf16 pass relies on it, so nothing else is taken.
        squares = np.einsum("ij,ij->i", block, block, dtype=np.float64)
        wrong = np.flatnonzero((np.abs(squares - 1) > 2e-3) & (squares != 0))
        if wrong.size:
            row = start + int(wrong[0])
            raise CorruptFileError(
                path, f"row {row} has length {np.sqrt(squares[wrong[0]]):.4g}; an index stores unit-length vectors"
            )
    checked: np.ndarray = matrix
    return checked
