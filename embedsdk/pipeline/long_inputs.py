"""Over-long inputs: the ``on_long`` policies (``error``, ``truncate``, ``chunk``), and pooling chunks back.

`expand_long_items` applies the policy to items over the provider's token limit and yields `Piece` objects
(what is actually sent). `pool_chunks` mean-pools the vectors of a chunked item. `ApproximateTokenizer`
estimates lengths for providers without a tokenizer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from embedsdk.providers.protocols import Tokenizer

__all__ = [
    "LONG_POLICIES",
    "ApproximateTokenizer",
    "LongPolicy",
    "Piece",
    "expand_long_items",
    "pool_chunks",
    "too_long_message",
]

LongPolicy = Literal["error", "truncate", "chunk"]
LONG_POLICIES: tuple[str, ...] = ("error", "truncate", "chunk")


class ApproximateTokenizer:
    """A stand-in when a provider has no tokenizer: about four UTF-8 bytes a token, cut on whitespace.

    Counts are upper-bound estimates, so a text it passes will not exceed a real limit by much; providers
    with hard limits should expose their real tokenizer instead.
    """

    bytes_per_token = 4

    def count(self, texts: Sequence[str]) -> list[int]:
        """Estimated tokens per text."""
        return [max(1, math.ceil(len(t.encode("utf-8")) / self.bytes_per_token)) for t in texts]

    def truncate(self, text: str, max_tokens: int) -> str:
        """The longest whitespace-bounded prefix estimated at ``max_tokens`` or fewer."""
        pieces = self.split(text, max_tokens)
        return pieces[0] if pieces else text

    def split(self, text: str, max_tokens: int, overlap: int = 0) -> list[str]:
        """Pieces of at most ``max_tokens`` tokens, cut between words, sharing about ``overlap`` tokens.

        A word over the limit on its own (a URL, base64, text without spaces) is cut inside, so no piece
        is ever longer than the limit its count promises.
        """
        budget = max_tokens * self.bytes_per_token
        words = _cut_long_words(re.findall(r"\S+\s*", text), budget)
        pieces: list[str] = []
        start = 0
        while start < len(words):
            end, size = start, 0
            while end < len(words) and (end == start or size + len(words[end].encode()) <= budget):
                size += len(words[end].encode())
                end += 1
            pieces.append("".join(words[start:end]).strip())
            if end >= len(words):
                break
            back, kept = end, 0
            while back > start + 1 and kept + len(words[back - 1].encode()) <= overlap * self.bytes_per_token:
                back -= 1
                kept += len(words[back].encode())
            start = back
        return pieces


def _cut_long_words(words: list[str], budget: int) -> list[str]:
    """The words, each one longer than ``budget`` UTF-8 bytes cut into parts of at most ``budget`` bytes."""
    fitted: list[str] = []
    for word in words:
        data, start = word.encode("utf-8"), 0
        while len(data) - start > budget:
            # "ignore" drops a character cut in half at the end; it starts the next part instead.
            head = data[start : start + budget].decode("utf-8", "ignore")
            fitted.append(head)
            start += len(head.encode("utf-8"))
        fitted.append(data[start:].decode("utf-8"))
    return fitted


@dataclass
class Piece:
    """What is sent to the provider for one item, or for one chunk of a chunked item.

    Attributes:
        owner: Position of the item (among the call's unique misses) the piece belongs to.
        content: The text (or other item) to send.
        tokens: Its token count.
    """

    owner: int
    content: Any
    tokens: int


def too_long_message(index: int, tokens: int, provider: str, max_tokens: int) -> str:
    """The message for an item refused by ``on_long="error"``: its index, size, the limit and the fix."""
    return (
        f"item {index} has {tokens} tokens, over {provider}'s limit of {max_tokens}; pass on_long='truncate' "
        f"to cut it to the limit or on_long='chunk' to split, embed and pool it"
    )


def expand_long_items(
    items: Sequence[Any],
    counts: Sequence[int],
    *,
    tokenizer: Tokenizer,
    max_tokens: int | None,
    on_long: str,
    overlap: int,
) -> tuple[list[Piece], list[int], dict[str, int]]:
    """Apply the long-input policy, turning items into the pieces to send.

    Args:
        items: The items to embed (only text is ever cut).
        counts: Tokens of each item (1 for non-text items).
        tokenizer: Cuts text on token boundaries.
        max_tokens: Most tokens of one item, or None for no limit.
        on_long: ``error`` refuses, ``truncate`` cuts to the limit, ``chunk`` splits with ``overlap``.
        overlap: Tokens shared by consecutive chunks.

    Returns:
        The pieces to send (``owner`` is the item's position in ``items``), the positions refused
        (``on_long="error"``), and how many items were truncated and chunked.
    """
    pieces: list[Piece] = []
    refused: list[int] = []
    stats = {"truncated": 0, "chunked": 0}
    for n, (item, tokens) in enumerate(zip(items, counts)):
        if max_tokens is None or tokens <= max_tokens or not isinstance(item, str):
            pieces.append(Piece(n, item, tokens))
        elif on_long == "truncate":
            stats["truncated"] += 1
            pieces.append(Piece(n, tokenizer.truncate(item, max_tokens), max_tokens))
        elif on_long == "chunk":
            stats["chunked"] += 1
            chunks = tokenizer.split(item, max_tokens, overlap)
            for chunk, chunk_tokens in zip(chunks, tokenizer.count(chunks)):
                pieces.append(Piece(n, chunk, min(chunk_tokens, max_tokens)))
        else:
            refused.append(n)
    return pieces, refused, stats


def pool_chunks(vectors: np.ndarray, owners: Sequence[int], n_owners: int) -> np.ndarray:
    """Mean of the vectors of each owner's pieces; an owner with one piece keeps its vector unchanged.

    Args:
        vectors: ``(n_pieces, dim)`` vectors, one per piece.
        owners: The owner of each piece, ``0 <= owner < n_owners``; every owner has at least one piece.
        n_owners: Number of owners.
    """
    owner_index = np.asarray(owners, dtype=np.int64)
    sums = np.zeros((n_owners, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, owner_index, vectors.astype(np.float64))
    counts = np.bincount(owner_index, minlength=n_owners).astype(np.float64)
    pooled: np.ndarray = (sums / counts[:, None]).astype(np.float32)
    return pooled
