"""The plugin's one error for vector files that cannot be trusted: a `CorruptFileError` that names the line."""

from __future__ import annotations

from pathlib import Path

from embedsdk.errors import CorruptFileError

__all__ = ["VectorFileError"]


class VectorFileError(CorruptFileError):
    """A vector file is empty, truncated, corrupt, not UTF-8, or disagrees with its own header.

    Attributes:
        path: The file.
        line: The 1-based line the problem is on (for binary files: the entry's line, header = line 1), or
            None when the problem is not on one line.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str) -> None:
        self.line = line
        super().__init__(path, f"line {line}: {problem}" if line is not None else problem)
