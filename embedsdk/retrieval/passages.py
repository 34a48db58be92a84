"""Cutting a folder of text files into passages to embed and search, each remembering where it starts.

`iter_text_files` walks a file or folder and yields the UTF-8 text files in it, skipping hidden entries
(``.git``, ``.venv``...), binary files and files over a size cap. `split_passages` cuts one text into
passages of consecutive lines that fit a token budget, keeping blank-line separated paragraphs together
when they fit, so a search hit can point at ``file:line``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from embedsdk.errors import ConfigurationError, InvalidOptionError

__all__ = ["SKIPPED_FOLDERS", "CountTokens", "Passage", "TextFile", "iter_text_files", "split_passages"]

CountTokens = Callable[[Sequence[str]], list[int]]
"""Tokens of each text, as a provider's ``tokenizer.count`` gives them."""

# Not hidden, but never what someone searching their text means (and often huge).
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules"})


@dataclass(frozen=True)
class Passage:
    """Consecutive lines of one text, cut to fit a token budget.

    Attributes:
        text: The lines from `line` to `end_line`, joined with newlines (blank lines between paragraphs kept).
        line: Number of its first line, counting from 1.
        end_line: Number of its last line.
        tokens: Its size as the ``count_tokens`` given to `split_passages` counted it.
    """

    text: str
    line: int
    end_line: int
    tokens: int


class TextFile(NamedTuple):
    """A file `iter_text_files` found to be text, with its decoded content."""

    path: Path
    text: str


def _lines(text: str) -> list[str]:
    # Only "\n" ends a line, as in editors and grep: str.splitlines would also split on form feeds and
    # other separators, and the line numbers would no longer match the file.
    return [line.removesuffix("\r") for line in text.split("\n")]


def _paragraphs(lines: Sequence[str]) -> list[list[int]]:
    """Runs of non-blank lines, as lists of 0-based line indexes."""
    paragraphs: list[list[int]] = []
    current: list[int] = []
    for index, line in enumerate(lines):
        if line.strip():
            current.append(index)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _pack(paragraphs: list[list[int]], line_tokens: dict[int, int], max_tokens: int) -> list[list[int]]:
    """Group lines into passages by estimated size: whole paragraphs while they fit, else line by line."""
    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for paragraph in paragraphs:
        paragraph_size = sum(line_tokens[n] for n in paragraph)
        if paragraph_size <= max_tokens:
            if current and size + paragraph_size > max_tokens:
                groups.append(current)
                current, size = [], 0
            current.extend(paragraph)
            size += paragraph_size
            continue
        # Too big to stay whole: it starts its own passages and the next paragraph starts afresh.
        if current:
            groups.append(current)
            current, size = [], 0
        for n in paragraph:
            if current and size + line_tokens[n] > max_tokens:
                groups.append(current)
                current, size = [], 0
            current.append(n)
            size += line_tokens[n]
        groups.append(current)
        current, size = [], 0
    if current:
        groups.append(current)
    return groups


def split_passages(text: str, count_tokens: CountTokens, max_tokens: int) -> list[Passage]:
    """Cut ``text`` into passages of consecutive lines of at most ``max_tokens`` tokens each.

    Blank lines separate paragraphs; consecutive paragraphs share a passage while they fit, and a paragraph
    is cut between lines only when it alone is over the budget. A single line over the budget is still a
    passage of its own (embed it with ``on_long="chunk"``). Passages never start or end with blank lines.

    Sizes are first estimated as the sum of the lines' counts (less the cost of an empty text, the special
    tokens, which a passage pays once), then every passage is counted whole, and one still over the budget
    (tokenizers that count line breaks) is halved until it fits.

    Args:
        text: The text; lines end with a newline (Windows line ends work too).
        count_tokens: Tokens of each of a list of texts, such as an embedder's ``tokenizer.count``.
        max_tokens: Budget of one passage.

    Returns:
        The passages in order; empty when the text has no non-blank line.

    Raises:
        InvalidOptionError: ``max_tokens`` is not a whole number of 1 or more.
    """
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise InvalidOptionError(f"max_tokens={max_tokens!r} must be a whole number of tokens, 1 or more")
    lines = _lines(text)
    paragraphs = _paragraphs(lines)
    if not paragraphs:
        return []
    filled = [n for paragraph in paragraphs for n in paragraph]
    # What every text costs however short ([CLS] and [SEP], say): once per passage, not once per line.
    overhead = count_tokens([""])[0]
    line_tokens = {n: max(1, c - overhead) for n, c in zip(filled, count_tokens([lines[n] for n in filled]))}

    def joined(group: list[int]) -> str:
        return "\n".join(lines[group[0] : group[-1] + 1])

    pending = _pack(paragraphs, line_tokens, max(1, max_tokens - overhead))
    done: list[tuple[list[int], int]] = []
    while pending:
        counts = count_tokens([joined(group) for group in pending])
        retry: list[list[int]] = []
        for group, count in zip(pending, counts):
            if count <= max_tokens or len(group) == 1:
                done.append((group, count))
            else:
                half = len(group) // 2
                retry.extend([group[:half], group[half:]])
        pending = retry
    done.sort(key=lambda pair: pair[0][0])
    return [Passage(joined(group), group[0] + 1, group[-1] + 1, count) for group, count in done]


def _skipped_name(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS


def _read_text(path: Path, max_bytes: int | None) -> tuple[str | None, str]:
    """The file's text, or None and why it is not searched."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if max_bytes is not None and info.st_size > max_bytes:
            return None, f"{_size(info.st_size)}, over the {_size(max_bytes)} cap"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    if b"\x00" in data:
        return None, "binary (holds NUL bytes)"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return None, "binary or not UTF-8"


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1e6:.1f} MB"
    if count >= 1_000:
        return f"{count / 1e3:.1f} kB"
    return f"{count} bytes"


def iter_text_files(
    path: str | os.PathLike[str],
    max_bytes: int | None = None,
    on_skip: Callable[[Path, str], None] | None = None,
) -> Iterator[TextFile]:
    """The UTF-8 text files at ``path`` (a file, or a folder walked recursively in sorted order).

    Hidden files and folders (names starting with a dot: ``.git``, ``.venv``, ``.env``) and ``__pycache__``
    and ``node_modules`` are not entered; ``path`` itself is read even when its name is hidden. A file is
    skipped when it is over ``max_bytes``, holds a NUL byte, or is not valid UTF-8.

    Args:
        path: A file or folder. Paths yielded are ``path`` joined with the names found under it.
        max_bytes: Skip files larger than this; None reads files of any size.
        on_skip: Called as ``on_skip(path, reason)`` for each file skipped for its size or content
            (hidden entries are left out silently).

    Raises:
        ConfigurationError: ``path`` does not exist.
    """
    root = Path(path)
    if not root.exists():
        raise ConfigurationError(f"{root}: no such file or folder; pass a text file or a folder of them")
    if root.is_dir():
        candidates = _walk(root)
    else:
        candidates = iter([root])
    for candidate in candidates:
        text, reason = _read_text(candidate, max_bytes)
        if text is not None:
            yield TextFile(candidate, text)
        elif on_skip is not None:
            on_skip(candidate, reason)


def _walk(root: Path) -> Iterator[Path]:
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if not _skipped_name(name))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name
