"""Cutting documents into overlapping chunks that fit a model, each remembering its character offsets.

`chunk_text` packs consecutive words into chunks of at most ``max_tokens`` tokens, counted with the
provider's own tokenizer (special tokens allowed for), and starts each chunk ``overlap`` tokens before the
previous one ended, so a sentence cut at a boundary is whole in one of the two chunks. A chunk's text is
exactly ``document[start:end]``: offsets point back into the original, whatever the tokenizer normalizes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from embedsdk.errors import InvalidOptionError

__all__ = ["Chunk", "CountTokens", "chunk_text"]

CountTokens = Callable[[Sequence[str]], list[int]]
"""Tokens of each text, as a provider's ``tokenizer.count`` gives them (special tokens included)."""

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    """One chunk of a document.

    Attributes:
        text: ``document[start:end]``.
        start: Offset of its first character in the document.
        end: Offset just past its last character.
    """

    text: str
    start: int
    end: int


def _word_tokens(words: list[str], count_tokens: CountTokens | None) -> tuple[list[int], int]:
    if count_tokens is None:
        return [max(1, math.ceil(len(w.encode("utf-8")) / 4)) for w in words], 0
    special = count_tokens([""])[0]
    return [max(1, n - special) for n in count_tokens(words)], special


def chunk_text(text: str, count_tokens: CountTokens | None, max_tokens: int, overlap: int = 0) -> list[Chunk]:
    """Chunks of ``text`` of at most ``max_tokens`` tokens each, consecutive ones sharing about ``overlap``.

    Args:
        text: The document.
        count_tokens: The provider's token counter; None estimates four UTF-8 bytes a token.
        max_tokens: Token budget of one chunk, special tokens included.
        overlap: Tokens a chunk repeats from the end of the previous one (whole words).

    Raises:
        InvalidOptionError: ``max_tokens`` leaves no room for text, or ``overlap`` is not below it.
    """
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not spans:
        return []
    tokens, special = _word_tokens([text[s:e] for s, e in spans], count_tokens)
    budget = max_tokens - special
    if budget < 1 or not 0 <= overlap < budget:
        raise InvalidOptionError(
            f"chunk size {max_tokens} tokens (with {special} special tokens) and overlap {overlap} leave no room; "
            f"use a larger chunk size or a smaller overlap"
        )
    chunks, first = [], 0
    while first < len(spans):
        last, total = first, 0
        while last < len(spans) and (last == first or total + tokens[last] <= budget):
            total += tokens[last]
            last += 1
        start, end = spans[first][0], spans[last - 1][1]
        chunks.append(Chunk(text[start:end], start, end))
        if last == len(spans):
            break
        back, shared = last, 0
        while back - 1 > first and shared + tokens[back - 1] <= overlap:
            back -= 1
            shared += tokens[back]
        first = back
    return chunks
