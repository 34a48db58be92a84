"""The planner honours a provider's request-body limit (some OpenAI-compatible servers refuse over 2 MB)."""

from __future__ import annotations

from embedsdk import ProviderLimits
from embedsdk.pipeline.planner import plan_batches


def test_batches_stay_under_the_byte_limit() -> None:
    limits = ProviderLimits(max_items_per_request=100, max_bytes_per_request=1000)
    sizes = [300] * 10
    batches = plan_batches([1] * 10, limits, sizes=sizes)
    assert [len(batch) for batch in batches] == [3, 3, 3, 1]
    assert all(sum(sizes[n] for n in batch) <= 1000 for batch in batches)
    assert sorted(n for batch in batches for n in batch) == list(range(10))


def test_a_piece_over_the_byte_limit_goes_alone() -> None:
    limits = ProviderLimits(max_bytes_per_request=1000)
    assert plan_batches([1, 1, 1], limits, sizes=[10, 5000, 10]) == [[0], [1], [2]]


def test_bytes_tokens_and_items_all_bind() -> None:
    limits = ProviderLimits(max_items_per_request=4, max_tokens_per_request=10, max_bytes_per_request=100)
    batches = plan_batches([3, 3, 3, 3, 1, 1, 1, 1, 1], limits, sizes=[10, 10, 10, 10, 60, 60, 1, 1, 1])
    assert batches == [[0, 1, 2], [3, 4], [5, 6, 7, 8]]


def test_without_sizes_or_a_limit_nothing_changes() -> None:
    limits = ProviderLimits(max_items_per_request=2)
    assert plan_batches([1, 1, 1], limits) == plan_batches([1, 1, 1], limits, sizes=[10**9] * 3) == [[0, 1], [2]]
