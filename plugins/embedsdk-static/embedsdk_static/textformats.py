"""Strict, vectorised readers of word2vec text, GloVe text, fastText ``.vec`` and word2vec binary files.

Floats never pass through Python objects one by one: the text reader validates the layout with numpy byte
operations (line ends, token counts per line), blanks the words out of a copy of the buffer and parses every
number in one ``np.fromstring`` call; the binary reader copies each row with ``np.frombuffer``. Every
problem is a `VectorFileError` naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedsdk_static.errors import VectorFileError

__all__ = ["read_text", "read_word2vec_binary", "sniff_header"]

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True


def _check_utf8(path: Path, data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise VectorFileError(
            path, line, f"byte {data[exc.start]:#04x} at offset {exc.start} is not UTF-8; re-encode the file as UTF-8"
        ) from None


def sniff_header(first_line: bytes) -> tuple[int, int] | None:
    """``(count, dim)`` when a first line is a word2vec header (two whole numbers), else None."""
    parts = first_line.split()
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        return int(parts[0]), int(parts[1])
    return None


def read_text(path: Path, *, header: bool | None = None) -> tuple[list[str], np.ndarray]:
    """Read a text vector file: one ``word v1 v2 ... vd`` line per word, with or without a header.

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
    if not data.strip():
        raise VectorFileError(path, None, "the file is empty; expected one 'word v1 v2 ...' line per word")
    _check_utf8(path, data)
    first_end = data.find(b"\n")
    first_end = len(data) if first_end < 0 else first_end
    declared = sniff_header(data[:first_end])
    if header is True and declared is None:
        raise VectorFileError(
            path, 1, "expected a 'count dim' header line (word2vec text format); for GloVe files use format='glove'"
        )
    if header is False:
        declared = None
    body_start = first_end + 1 if declared is not None else 0
    line_offset = 2 if declared is not None else 1
    body = data[body_start:].rstrip(b"\r\n\t ") + b"\n"
    if not body.strip():
        raise VectorFileError(path, line_offset, "the header announces vectors but the file holds none (truncated?)")
    raw = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    ws = _WS[raw]
    token_starts = np.flatnonzero(~ws & np.concatenate(([True], ws[:-1])))
    line_of_token = np.searchsorted(ends, token_starts)
    tokens_per_line = np.bincount(line_of_token, minlength=len(ends))
    blank = np.flatnonzero(tokens_per_line == 0)
    if blank.size:
        raise VectorFileError(path, int(blank[0]) + line_offset, "blank line inside the file; remove it")
    dim = declared[1] if declared is not None else int(tokens_per_line[0]) - 1
    if dim < 1:
        raise VectorFileError(path, line_offset, "a word without any values; expected 'word v1 v2 ...'")
    wrong = np.flatnonzero(tokens_per_line != dim + 1)
    if wrong.size:
        line = int(wrong[0])
        raise VectorFileError(
            path,
            line + line_offset,
            f"{int(tokens_per_line[line]) - 1} values where every line has {dim} "
            f"({'the header says so' if declared else 'as the first line'}); the line is cut or corrupt",
        )
    count = len(ends)
    if declared is not None and declared[0] != count:
        raise VectorFileError(
            path,
            1,
            f"the header announces {declared[0]} words but the file holds {count} "
            f"({'truncated' if count < declared[0] else 'header is wrong'})",
        )
    first_tokens = token_starts[np.searchsorted(line_of_token, np.arange(count))]
    word_ends = np.flatnonzero(ws)
    first_token_ends = word_ends[np.searchsorted(word_ends, first_tokens)]
    words = [body[s:e].decode("utf-8") for s, e in zip(first_tokens.tolist(), first_token_ends.tolist())]
    # Blank the words out, then parse every remaining number in one C call.
    mask = np.zeros(len(raw) + 1, dtype=np.int32)
    np.add.at(mask, first_tokens, 1)
    np.add.at(mask, first_token_ends, -1)
    numbers = raw.copy()
    numbers[np.cumsum(mask[:-1]) > 0] = 32
    try:
        values = np.fromstring(numbers.tobytes(), dtype=np.float32, sep=" ")
    except ValueError:
        values = np.zeros(0, dtype=np.float32)
    if values.size != count * dim:
        line, token = _first_bad_number(body, starts, ends)
        raise VectorFileError(path, line + line_offset, f"{token!r} is not a number")
    matrix = values.reshape(count, dim)
    bad = np.flatnonzero(~np.isfinite(matrix).all(axis=1))
    if bad.size:
        raise VectorFileError(path, int(bad[0]) + line_offset, "a value is NaN or infinite")
    return words, matrix


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
