"""What follows a failed request: retries for rate limits and transient failures, bounded, and the final word."""

from __future__ import annotations

import pytest

import embedsdk
from embedsdk.errors import ItemRejectedError, ProviderError, RateLimitedError, TransientError
from embedsdk.pipeline.retry import backoff_delay, decide
from embedsdk.testing import FakeEmbedder


def test_transient_errors_are_retried_with_growing_jittered_delays() -> None:
    delays = [decide(TransientError("503"), 4, attempt, 5).delay for attempt in range(5)]
    assert all(decide(TransientError("503"), 4, attempt, 5).action == "retry" for attempt in range(5))
    for attempt, delay in enumerate(delays):
        assert 0.25 * 2**attempt <= delay <= 0.5 * 2**attempt


def test_rate_limits_honour_retry_after() -> None:
    assert decide(RateLimitedError("429", retry_after=3.5), 1, 0, 5).delay == 3.5
    assert 0.25 <= backoff_delay(0) <= 0.5


@pytest.mark.parametrize("error", [TransientError("HTTP 503"), RateLimitedError("HTTP 429", retry_after=1.0)])
def test_when_retries_run_out_the_error_says_what_was_tried(error: ProviderError) -> None:
    decision = decide(error, 8, 3, 3)
    assert decision.action == "raise"
    assert isinstance(decision.final, type(error))
    message = str(decision.final)
    assert str(error) in message and "4 attempts" in message and "EMBEDSDK_MAX_RETRIES=3" in message
    assert "backoff" in message


def test_other_errors_are_not_retried() -> None:
    assert decide(ItemRejectedError("400"), 2, 0, 5).action == "split"
    assert decide(ItemRejectedError("400"), 1, 0, 5).action == "fail"
    assert decide(ProviderError("boom"), 1, 0, 5).action == "raise"


class FlakyEmbedder(FakeEmbedder):
    """Fails with a transient error the first ``failures`` times."""

    failures = 2

    def embed_batch(self, items, role=None):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise TransientError("HTTP 503 from the fake")
        return super().embed_batch(items, role)


def test_the_job_retries_transient_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("embedsdk.pipeline.job.time.sleep", lambda seconds: None)
    model = FlakyEmbedder("fake/flaky")
    result = embedsdk.embed(["a", "b"], provider=model, cache=False)
    assert result.shape[0] == 2 and model.failures == 0


def test_the_job_gives_up_with_the_final_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("embedsdk.pipeline.job.time.sleep", lambda seconds: None)
    monkeypatch.setenv("EMBEDSDK_MAX_RETRIES", "1")
    model = FlakyEmbedder("fake/flaky")
    model.failures = 5
    with pytest.raises(TransientError, match=r"HTTP 503 from the fake.*gave up after 2 attempts") as caught:
        embedsdk.embed(["a"], provider=model, cache=False)
    assert isinstance(caught.value.__cause__, TransientError)
