"""Strict, vectorised readers of word2vec text, GloVe text, fastText ``.vec`` and word2vec binary files.

Floats never pass through Python objects one by one: the text reader validates the layout with numpy byte
operations (line ends, token counts per line), blanks the words out of a copy of the buffer and parses every
number in one ``np.fromstring`` call; the binary reader copies each row with ``np.frombuffer``. Every
problem is a `VectorFileError` naming the file and the line.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from embedsdk_static.errors import VectorFileError

__all__ = ["read_text", "read_word2vec_binary", "sniff_header"]

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True
_NON_BLANK = re.compile(rb"\S")
_WORD_END = re.compile(rb"[ \t\r\x0b\x0c]")
_BLOCK_BYTES = 8 << 20


def sniff_header(first_line: bytes) -> tuple[int, int] | None:
    """``(count, dim)`` when a first line is a word2vec header (two whole numbers), else None."""
    parts = first_line.split()
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        return int(parts[0]), int(parts[1])
    return None


def read_text(path: Path, *, header: bool | None = None) -> tuple[list[str], np.ndarray]:
    """Read a text vector file: one ``word v1 v2 ... vd`` line per word, with or without a header.

    The body is read in blocks of about 8 MiB of whole lines, so the numpy temporaries stay small whatever
    the file's size (GloVe 6B 50d text is 171 MB).

    Args:
        path: The file.
        header: True: a word2vec/fastText ``count dim`` header is required; False: none (GloVe); None:
            detected (a first line of two whole numbers is a header).

    Returns:
        The words and a float32 ``(count, dim)`` matrix.

    Raises:
        VectorFileError: empty file, non-UTF-8 bytes, a line with the wrong number of values, a value that is
            not a finite number, or a header that disagrees with the body.
    """
    data = path.read_bytes()
    if _NON_BLANK.search(data) is None:
        raise VectorFileError(path, None, "the file is empty; expected one 'word v1 v2 ...' line per word")
    first_end = data.find(b"\n")
    first_end = len(data) if first_end < 0 else first_end
    declared = sniff_header(data[:first_end])
    if header is True and declared is None:
        raise VectorFileError(
            path, 1, "expected a 'count dim' header line (word2vec text format); for GloVe files use format='glove'"
        )
    if header is False:
        declared = None
    pos = first_end + 1 if declared is not None else 0
    line = 2 if declared is not None else 1
    end = len(data)
    while end > pos and data[end - 1] in b" \t\r\n":
        end -= 1
    if end <= pos:
        raise VectorFileError(path, line, "the header announces vectors but the file holds none (truncated?)")
    dim = declared[1] if declared is not None else None
    words: list[str] = []
    blocks: list[np.ndarray] = []
    while pos < end:
        cut = data.find(b"\n", min(pos + _BLOCK_BYTES, end))
        cut = end if cut < 0 or cut > end else cut
        block = data[pos:cut] + b"\n"
        try:
            block.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_line = line + block.count(b"\n", 0, exc.start)
            raise VectorFileError(
                path, bad_line, f"byte {block[exc.start]:#04x} is not UTF-8; re-encode the file as UTF-8"
            ) from None
        block_words, values, dim = _parse_block(path, block, line, dim, bool(declared))
        words.extend(block_words)
        blocks.append(values)
        line += len(block_words)
        pos = cut + 1
    count = len(words)
    if declared is not None and declared[0] != count:
        raise VectorFileError(
            path,
            1,
            f"the header announces {declared[0]} words but the file holds {count} "
            f"({'truncated' if count < declared[0] else 'header is wrong'})",
        )
    matrix = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    return words, matrix


def _parse_block(
    path: Path, block: bytes, first_line: int, dim: int | None, declared: bool
) -> tuple[list[str], np.ndarray, int]:
    """Words and values of a block of whole lines (ending in a newline); ``first_line`` numbers its first."""
    raw = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    ws = _WS[raw]
    token_starts = np.flatnonzero(~ws & np.concatenate(([True], ws[:-1])))
    del ws
    # Token starts before each line end, minus those before the previous one: tokens per line.
    tokens_per_line = np.diff(np.searchsorted(token_starts, ends), prepend=0)
    blank = np.flatnonzero(tokens_per_line == 0)
    if blank.size:
        raise VectorFileError(path, int(blank[0]) + first_line, "blank line inside the file; remove it")
    if dim is None:
        dim = int(tokens_per_line[0]) - 1
        if dim < 1:
            raise VectorFileError(path, first_line, "a word without any values; expected 'word v1 v2 ...'")
    wrong = np.flatnonzero(tokens_per_line != dim + 1)
    if wrong.size:
        index = int(wrong[0])
        raise VectorFileError(
            path,
            index + first_line,
            f"{int(tokens_per_line[index]) - 1} values where every line has {dim} "
            f"({'the header says so' if declared else 'as the first line'}); the line is cut or corrupt",
        )
    word_starts = token_starts[np.searchsorted(token_starts, starts)].tolist()
    del token_starts
    words: list[str] = []
    pieces: list[bytes] = []
    # One slice per line (never one object per number): the word, and the line's values after it.
    for start, line_end in zip(word_starts, ends.tolist()):
        space = _WORD_END.search(block, start, line_end)
        word_end = space.start() if space is not None else line_end
        words.append(block[start:word_end].decode("utf-8"))
        pieces.append(block[word_end:line_end])
    try:
        values = np.fromstring(b" ".join(pieces), dtype=np.float32, sep=" ")
    except ValueError:
        values = np.zeros(0, dtype=np.float32)
    if values.size != len(words) * dim:
        index, token = _first_bad_number(block, starts, ends)
        raise VectorFileError(path, index + first_line, f"{token!r} is not a number")
    matrix = values.reshape(len(words), dim)
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if bad.size:
        raise VectorFileError(path, int(bad[0]) + first_line, "a value is NaN or infinite")
    return words, matrix, dim


def _first_bad_number(body: bytes, starts: np.ndarray, ends: np.ndarray) -> tuple[int, str]:
    # Only on the error path: find which line holds the value that did not parse.
    for line, (start, end) in enumerate(zip(starts.tolist(), ends.tolist())):
        for token in body[start:end].split()[1:]:
            try:
                float(token)
            except ValueError:
                return line, token.decode("utf-8", "replace")
    return len(ends) - 1, "?"


def read_word2vec_binary(path: Path) -> tuple[list[str], np.ndarray]:
    """Read a word2vec binary file: a ``count dim`` text header, then ``word<space>`` + dim float32 per word.

    Raises:
        VectorFileError: empty file, a bad header, a header that promises more words than the file holds
            (truncated or lying), trailing data after the announced words, a word that is not UTF-8, or a
            non-finite value. Entries are numbered as lines (header = line 1).
    """
    data = path.read_bytes()
    if not data:
        raise VectorFileError(path, None, "the file is empty; expected a word2vec binary file")
    head_end = data.find(b"\n")
    declared = sniff_header(data[: head_end if head_end >= 0 else 64])
    if head_end < 0 or declared is None:
        raise VectorFileError(path, 1, "no 'count dim' header line: not a word2vec binary file")
    count, dim = declared
    if dim < 1:
        raise VectorFileError(path, 1, f"the header announces dimension {dim}")
    width = 4 * dim
    matrix = np.empty((count, dim), dtype=np.float32)
    words: list[str] = []
    pos = head_end + 1
    size = len(data)
    for entry in range(count):
        while pos < size and data[pos] in b"\n\r":
            pos += 1
        space = data.find(b" ", pos, pos + 1000)
        if space < 0 or space + 1 + width > size:
            raise VectorFileError(
                path,
                entry + 2,
                f"the header announces {count} words of {dim} values but the file ends at word {entry + 1} "
                f"(byte {pos}): truncated, or the header lies",
            )
        try:
            words.append(data[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise VectorFileError(path, entry + 2, f"the word at byte {pos} is not UTF-8") from None
        matrix[entry] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + width
    if data[pos:].strip():
        raise VectorFileError(
            path, count + 2, f"{size - pos} bytes follow the {count} words the header announces: the header lies"
        )
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if bad.size:
        raise VectorFileError(path, int(bad[0]) + 2, "a value is NaN or infinite (corrupt, or the dimension is wrong)")
    return words, matrix
