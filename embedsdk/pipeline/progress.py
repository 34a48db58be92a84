"""A minimal progress bar on stderr, so the core needs no extra dependency for ``progress=True``."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Callable as ``bar(done, total)``; redraws at most ten times a second and ends its line when done."""

    def __init__(self, label: str = "embedding", stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.started = time.monotonic()
        self._last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        """Show that ``done`` of ``total`` pieces are embedded."""
        now = time.monotonic()
        if done < total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} ({rate:.1f}/s)")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
