"""The pipeline of one call: items, long-input policies, the planner, retries, progress, and the job itself."""

from __future__ import annotations

from embedsdk.pipeline.job import EmbedJob
from embedsdk.pipeline.long_inputs import LONG_POLICIES, ApproximateTokenizer
from embedsdk.pipeline.planner import plan_batches

__all__ = ["LONG_POLICIES", "ApproximateTokenizer", "EmbedJob", "plan_batches"]
