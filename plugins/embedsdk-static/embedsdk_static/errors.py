"""The plugin's one error for vector files that cannot be trusted."""

from __future__ import annotations

from pathlib import Path

from embedsdk.errors import EmbedSDKError

__all__ = ["VectorFileError"]


class VectorFileError(EmbedSDKError, ValueError):
    """A vector file is empty, truncated, corrupt, not UTF-8, or disagrees with its own header.

    Attributes:
        path: The file.
        line: The 1-based line the problem is on (for binary files: the entry's line, header = line 1), or
            None when the problem is not on one line.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")
