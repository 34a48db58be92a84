"""Pooling token vectors into one vector, the way sentence-transformers does (so results match it)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from embedsdk.errors import ConfigurationError

__all__ = ["pool", "pool_spans"]


def _mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (tokens * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)


def pool(tokens: torch.Tensor, attention_mask: torch.Tensor, modes: Sequence[str]) -> torch.Tensor:
    """Pool ``tokens`` (batch, seq, hidden) into (batch, hidden * len(modes)), concatenating modes in order.

    Args:
        tokens: Last hidden states.
        attention_mask: 1 for real tokens, 0 for padding (right-padded).
        modes: ``cls``, ``mean``, ``max``, ``mean_sqrt_len``, ``weightedmean``, ``lasttoken``.
    """
    mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
    parts = []
    for mode in modes:
        if mode == "cls":
            parts.append(tokens[:, 0])
        elif mode == "mean":
            parts.append(_mean(tokens, mask))
        elif mode == "max":
            parts.append(tokens.masked_fill(mask == 0, -1e9).max(1).values)
        elif mode == "mean_sqrt_len":
            parts.append((tokens * mask).sum(1) / torch.sqrt(torch.clamp(mask.sum(1), min=1e-9)))
        elif mode == "weightedmean":
            weights = torch.arange(1, tokens.shape[1] + 1, device=tokens.device, dtype=tokens.dtype)
            weighted = mask * weights.view(1, -1, 1)
            parts.append((tokens * weighted).sum(1) / torch.clamp(weighted.sum(1), min=1e-9))
        elif mode == "lasttoken":
            last = attention_mask.sum(1).long() - 1
            parts.append(tokens[torch.arange(tokens.shape[0], device=tokens.device), last.clamp(min=0)])
        else:
            raise ConfigurationError(
                f"unknown pooling {mode!r} in the model folder; use one of cls, mean, max, mean_sqrt_len, "
                f"weightedmean, lasttoken"
            )
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)


def pool_spans(tokens: torch.Tensor, spans: Sequence[Sequence[int]]) -> torch.Tensor:
    """Mean of the token vectors at each span's positions: one row per span (a word's subword pieces)."""
    return torch.stack([tokens[list(positions)].mean(0) for positions in spans])
