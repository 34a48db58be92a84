"""Hosted providers under a rate limit: sustained token throughput as a share of the service's TPM.

The loopback wire server (`embedsdk.testing.wire`) enforces 600 requests and 200,000 tokens a minute and
answers 429 past them, as OpenAI does. `embed` and `aembed` (openai/text-embedding-3-small, on the official
client), and the baseline, the official client alone with its own retries (``max_retries=20``, which honour
``Retry-After``), run in alternating rounds, each for ``--seconds`` (default 130) against a fresh server
whose budgets start empty (so no first-minute burst inflates the average, and the client must learn the
service's state from its ``x-ratelimit-*`` headers), on unique texts of about 100 tokens, in batches of 100.
Throughput is the server's count of embedded tokens per minute after the first ``--warmup`` seconds (default
5: imports and first connections), printed as a percentage of the TPM limit and as a ratio to the baseline.
Targets: at least 95 % of the TPM sustained, zero 429s surfaced to the caller, zero items lost.

Run: ``python benchmarks/hosted.py`` (about 7 minutes; ``--seconds 40`` for a quick look).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import embedsdk_openai.plugin
import numpy as np
from embedsdk_openai.tokenizer import TiktokenTokenizer

import embedsdk
from embedsdk.testing import isolated_plugins
from embedsdk.testing.wire import WireServer

RPM = 600
TPM = 200_000
PROVIDER = "openai/text-embedding-3-small"
MODES = ("embed", "aembed", "openai-client")
WARMUP = 5.0  # seconds left out of "sustained": start-up (imports, the first connections)
WORDS = (
    "river bank money loan cat mat feline rug python language vector search index query document model token "
    "cache batch limit minute request service answer retry backoff jitter planner embedding space cosine"
).split()


@dataclass
class Round:
    """What one mode did in one round."""

    mode: str
    seconds: float = 0.0
    items: int = 0
    lost: int = 0
    surfaced: list[str] = field(default_factory=list)
    samples: list[tuple[float, int]] = field(default_factory=list)
    server_429: int = 0


def texts_from(start: int, count: int) -> list[str]:
    """Unique texts of about 100 tokens each."""
    rng = np.random.default_rng(start)
    return [f"text {start + n}: " + " ".join(rng.choice(WORDS, size=96)) for n in range(count)]


def sample_tokens(server: WireServer, stop: threading.Event, samples: list[tuple[float, int]]) -> None:
    """Record the tokens the server has embedded, four times a second."""
    while not stop.is_set():
        samples.append((time.monotonic(), server.stats.tokens))
        stop.wait(0.25)


def rate_between(samples: list[tuple[float, int]], start: float, end: float) -> float:
    """Tokens a minute between two moments of the samples."""
    inside = [(t, tokens) for t, tokens in samples if start <= t <= end]
    if len(inside) < 2:
        return 0.0
    (t0, k0), (t1, k1) = inside[0], inside[-1]
    return (k1 - k0) / (t1 - t0) * 60.0


def run_round(mode: str, seconds: float, first_text: int) -> Round:
    """One mode against a fresh server (a full bucket, as a new minute of a real service) for ``seconds``."""
    tokenizer = TiktokenTokenizer()
    result = Round(mode)
    stop = threading.Event()
    # The budgets start empty: no first-minute burst to flatter the average, and the limiter has to learn the
    # service's state from its headers (as when another process has just spent the key's budget).
    count = lambda text: tokenizer.count([text])[0]  # noqa: E731
    with WireServer(rpm=RPM, tpm=TPM, start_full=False, count_tokens=count) as server:
        sampler = threading.Thread(target=sample_tokens, args=(server, stop, result.samples), daemon=True)
        options = {"base_url": server.openai_url, "api_key": "sk-benchmark", "batch_size": 100, "cache": False}
        call: Callable[[list[str]], np.ndarray]
        if mode == "embed":
            call = lambda chunk: embedsdk.embed(chunk, provider=PROVIDER, **options).vectors  # noqa: E731
        elif mode == "aembed":
            call = lambda chunk: asyncio.run(embedsdk.aembed(chunk, provider=PROVIDER, **options)).vectors  # noqa: E731
        else:
            call = official_client(server.openai_url)
        start = time.monotonic()
        sampler.start()
        next_text = first_text
        while time.monotonic() - start < seconds:
            chunk = texts_from(next_text, 400)
            next_text += len(chunk)
            try:
                vectors = call(chunk)
            except Exception as exc:  # whatever reaches the caller is what is counted
                result.surfaced.append(f"{type(exc).__name__}: {exc}")
                result.lost += len(chunk)
                continue
            result.items += len(chunk)
            result.lost += int(np.isnan(vectors).any(axis=1).sum())
        result.seconds = time.monotonic() - start
        stop.set()
        sampler.join()
        result.samples.append((time.monotonic(), server.stats.tokens))
        result.server_429 = server.stats.by_status[429]
    return result


def official_client(base_url: str) -> Callable[[list[str]], np.ndarray]:
    """The baseline: the official client alone, batches of 100, relying on its own retries of 429s."""
    import openai

    client = openai.OpenAI(api_key="sk-benchmark", base_url=base_url, max_retries=20)

    def call(chunk: list[str]) -> np.ndarray:
        rows = []
        for start in range(0, len(chunk), 100):
            answer = client.embeddings.create(input=chunk[start : start + 100], model=PROVIDER.split("/", 1)[1])
            rows.extend(row.embedding for row in answer.data)
        return np.asarray(rows, dtype=np.float32)

    return call


def report(rounds: list[Round], warmup: float) -> None:
    """Print each round and the per-mode summary against the TPM."""
    print(
        f"{'mode':<14} {'secs':>6} {'items':>7} {'overall %TPM':>13} {'sustained %TPM':>15} {'429 at server':>14} "
        f"{'429 surfaced':>13} {'lost':>5}"
    )
    for r in rounds:
        t0 = r.samples[0][0]
        overall = rate_between(r.samples, t0, r.samples[-1][0])
        sustained = rate_between(r.samples, t0 + warmup, r.samples[-1][0])
        surfaced_429 = sum("RateLimited" in message for message in r.surfaced)
        print(
            f"{r.mode:<14} {r.seconds:6.1f} {r.items:7d} {overall / TPM * 100:12.1f}% {sustained / TPM * 100:14.1f}% "
            f"{r.server_429:14d} {surfaced_429:13d} {r.lost:5d}"
        )
        for message in r.surfaced[:3]:
            print(f"    surfaced: {message[:160]}")


def main() -> None:
    """Alternate embed and aembed rounds and print their throughput against the 200,000 TPM limit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=130.0, help="length of each round (default 130)")
    parser.add_argument("--warmup", type=float, default=WARMUP, help="seconds left out of 'sustained' (default 5)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="what to run (default: all)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of each mode, alternating (default 1)")
    args = parser.parse_args()
    print(
        f"wire server: {RPM} RPM, {TPM:,} TPM; {PROVIDER}, batches of 100 texts of ~100 tokens; "
        f"sustained = after the first {args.warmup:.0f} s"
    )
    rounds = []
    with tempfile.TemporaryDirectory() as cache, isolated_plugins(embedsdk_openai.plugin):
        import os

        os.environ["EMBEDSDK_CACHE_DIR"] = cache
        for n in range(args.rounds):
            for mode in args.modes:
                rounds.append(run_round(mode, args.seconds, first_text=len(rounds) * 1_000_000 + n))
                report(rounds[-1:], args.warmup)
    print("\nall rounds:")
    report(rounds, args.warmup)
    sustained = {mode: [] for mode in MODES}
    for r in rounds:
        sustained[r.mode].append(rate_between(r.samples, r.samples[0][0] + args.warmup, r.samples[-1][0]))
    baseline = float(np.mean(sustained["openai-client"])) if sustained["openai-client"] else float("nan")
    for mode in ("embed", "aembed"):
        if not sustained[mode]:
            continue
        mean = float(np.mean(sustained[mode]))
        print(f"{mode}: {mean / TPM * 100:.1f}% of the TPM sustained, {mean / baseline:.2f}x the official client alone")


if __name__ == "__main__":
    main()
