"""Packing pieces into requests: `plan_batches`, a pure function of token counts and the provider's limits.

For padded (local) models a batch costs ``len(batch) * longest``, so pieces are sorted by length first and
padding stays small; hosted providers keep input order and count the sum of tokens, and, when they declare
``max_bytes_per_request``, the bytes of the JSON-encoded inputs (`request_bytes`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from embedsdk.providers.protocols import ProviderLimits

__all__ = ["plan_batches", "request_bytes"]


def request_bytes(item: Any) -> int:
    """Bytes ``item`` adds to a JSON request body: its encoded string and a separator (0 for non-text)."""
    if not isinstance(item, str):
        return 0
    return len(json.dumps(item, ensure_ascii=False).encode("utf-8")) + 2


def plan_batches(
    token_counts: Sequence[int],
    limits: ProviderLimits,
    *,
    batch_size: int | None = None,
    sizes: Sequence[int] | None = None,
) -> list[list[int]]:
    """Pack positions into batches within the provider's item and token limits.

    Padded providers (local models) get pieces sorted longest first, so each batch holds pieces of
    similar length (little padding) and the largest batch, the one most likely to run out of memory, runs
    first; their token budget counts ``len(batch) * longest``. Other providers keep input order and count
    the sum of tokens. A piece over the token budget on its own goes in a batch of its own.

    Args:
        token_counts: Tokens of each piece.
        limits: The provider's limits.
        batch_size: At most this many pieces per batch (the provider's limit still applies).
        sizes: Bytes of each piece in a request (`request_bytes`); with the provider's
            ``max_bytes_per_request``, no batch goes over it (a piece over it on its own goes alone).

    Returns:
        Batches of positions into ``token_counts``; every position appears exactly once.
    """
    max_items = limits.max_items_per_request
    if batch_size is not None:
        max_items = min(max_items, batch_size)
    budget = limits.max_tokens_per_request
    byte_budget = limits.max_bytes_per_request if sizes is not None else None
    order = list(range(len(token_counts)))
    if limits.padded:
        order.sort(key=lambda n: -token_counts[n])
    batches: list[list[int]] = []
    current: list[int] = []
    cost_of_current = 0
    bytes_of_current = 0
    longest = 0
    for n in order:
        tokens = token_counts[n]
        size = sizes[n] if sizes is not None else 0
        if limits.padded:
            cost = (len(current) + 1) * max(longest, tokens)
        else:
            cost = cost_of_current + tokens
        over_bytes = byte_budget is not None and bytes_of_current + size > byte_budget
        if current and (len(current) >= max_items or (budget is not None and cost > budget) or over_bytes):
            batches.append(current)
            current, cost_of_current, bytes_of_current, longest = [], 0, 0, 0
            cost = tokens
        current.append(n)
        cost_of_current = cost
        bytes_of_current += size
        longest = max(longest, tokens)
    if current:
        batches.append(current)
    return batches
