"""A loopback wire server that speaks OpenAI ``/v1/embeddings`` and Cohere v2 ``/v2/embed``, with faults.

Hosted providers are tested against it through their official clients: the client, its serialization, its
error classes and its HTTP stack are all real, only the service is local. It runs FastAPI on uvicorn in a
thread, bound to 127.0.0.1 on a free port, and never reaches the internet. fastapi and uvicorn are imported
when a server is built, not with `embedsdk.testing`.

Vectors are deterministic: each text's vector is derived from a sha256 of the text, so a run with faults can
be compared row for row with a run without. On command it injects faults, either queued for the next requests
(`WireServer.inject`) or at random at a given rate (`WireServer.fault_rate`), and it enforces requests and
tokens per minute with token buckets, answering 429 with ``Retry-After`` when a request does not fit::

    from embedsdk.testing.wire import WireServer

    with WireServer(rpm=600, tpm=200_000) as server:
        server.inject("429", "500", "drop")        # the next three requests fail, in this order
        embedsdk.embed(texts, provider="openai/text-embedding-3-small",
                       base_url=server.openai_url, api_key="sk-test")
        server.stats.requests, server.stats.by_status   # what the service saw

Fault kinds (`FAULTS`): ``429`` (rate limited, with ``Retry-After``), ``500``, ``503``, ``slow`` (answers
after `WireServer.slow_seconds`, past a short client timeout), ``drop`` (the connection closes in the middle
of the body). Items containing one of `WireServer.poison` (or longer than `WireServer.max_tokens_per_input`
when not truncated) get a 400 naming the input, as the services do.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import math
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from starlette.responses import Response

__all__ = ["FAULTS", "TokenBucket", "WireServer", "WireStats", "approximate_tokens", "wire_vector"]

FAULTS: tuple[str, ...] = ("429", "500", "503", "slow", "drop")

OPENAI_DIMS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
COHERE_DIMS: dict[str, int] = {
    "embed-english-v3.0": 1024,
    "embed-multilingual-v3.0": 1024,
    "embed-english-light-v3.0": 384,
    "embed-multilingual-light-v3.0": 384,
    "embed-v4.0": 1536,
}


def approximate_tokens(text: str) -> int:
    """About four UTF-8 bytes a token, at least one: the server's count when it is given no tokenizer."""
    return max(1, math.ceil(len(text.encode("utf-8")) / 4))


def wire_vector(text: str, dim: int, *, model: str = "", input_type: str | None = None) -> np.ndarray:
    """The unit float32 vector the server gives ``text``: a function of model, input type and text only."""
    seed = hashlib.sha256(f"{model}\0{input_type or ''}\0{text}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(seed[:8], "little"))
    vector = rng.standard_normal(dim).astype(np.float32)
    unit: np.ndarray = vector / np.float32(np.linalg.norm(vector))
    return unit


class TokenBucket:
    """A bucket of a minute's units refilled at ``per_minute / 60`` a second, the way per-minute limits work.

    The server's own limiter (thread-safe; the clock is injectable for tests). It starts full, as a fresh
    minute of a real service, or empty (``full=False``), as when another client has just spent the budget.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, *, full: bool = True) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = float(per_minute) if full else 0.0
        self.clock = clock
        self.stamp = clock()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, amount: float) -> float:
        """Seconds until ``amount`` fits (0: it fits now); takes nothing."""
        with self.lock:
            self._refill()
            return max(0.0, (amount - self.level) / self.rate)

    def take(self, amount: float) -> None:
        """Take ``amount`` (the level may go below zero; later requests wait for it)."""
        with self.lock:
            self._refill()
            self.level -= amount

    def remaining(self) -> int:
        """Whole units left now."""
        with self.lock:
            self._refill()
            return int(self.level)


@dataclass
class WireStats:
    """What the server saw.

    Attributes:
        requests: Every request received.
        by_status: Answers by HTTP status; an injected fault is counted in ``faults`` instead (a ``slow`` one
            is answered 200 too late, a ``drop`` is never answered), except injected 429, 500 and 503.
        faults: Injected faults by kind.
        items: Inputs embedded (in 200 answers, late ones included).
        tokens: Input tokens embedded.
        texts: The inputs embedded, in the order answered (only with ``record_texts``).
    """

    requests: int = 0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)
    faults: collections.Counter[str] = field(default_factory=collections.Counter)
    items: int = 0
    tokens: int = 0
    texts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _Fault(Exception):
    def __init__(self, kind: str) -> None:
        self.kind = kind


class WireServer:
    """OpenAI and Cohere embedding endpoints on 127.0.0.1, with deterministic vectors and injected faults.

    Args:
        rpm: Requests per minute it accepts (None: no limit); over it, 429 with ``Retry-After``.
        tpm: Input tokens per minute it accepts (None: no limit).
        start_full: Whether the per-minute budgets start full (a burst of a minute's worth is allowed at
            once) or empty (only the steady rate, from the first second).
        count_tokens: Tokens of one input (default `approximate_tokens`); pass the provider's tokenizer so
            the server counts as the service does.
        max_tokens_per_input: Inputs longer than this get a 400 (or are truncated when the request asks).
        poison: Inputs containing one of these strings get a 400 naming their index.
        fault_rate: Probability that a request gets a random fault of `fault_kinds` (seeded by ``seed``).
        fault_kinds: The kinds random faults are drawn from (default: all of `FAULTS`).
        slow_seconds: How long a ``slow`` fault holds the answer.
        retry_after: Seconds sent in ``Retry-After`` by an injected 429.
        default_dim: Dimension of models not in the server's table.
        record_texts: Keep every embedded text in ``stats.texts`` (to check exactly-once delivery).
        api_keys: Keys it accepts (``Authorization: Bearer <key>``); others get a 401. None accepts any.
        seed: Seed of the random faults.
    """

    def __init__(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        start_full: bool = True,
        count_tokens: Callable[[str], int] = approximate_tokens,
        max_tokens_per_input: int | None = None,
        poison: Sequence[str] = ("POISON",),
        fault_rate: float = 0.0,
        fault_kinds: Sequence[str] = FAULTS,
        slow_seconds: float = 1.0,
        retry_after: float = 0.05,
        default_dim: int = 64,
        record_texts: bool = False,
        api_keys: Sequence[str] | None = None,
        seed: int = 0,
    ) -> None:
        unknown = sorted(set(fault_kinds) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {list(FAULTS)}")
        self.rpm = TokenBucket(rpm, full=start_full) if rpm else None
        self.tpm = TokenBucket(tpm, full=start_full) if tpm else None
        self.count_tokens = count_tokens
        self.max_tokens_per_input = max_tokens_per_input
        self.poison = tuple(poison)
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.default_dim = default_dim
        self.record_texts = record_texts
        self.stats = WireStats()
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        self._queued: collections.deque[str] = collections.deque()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- running ----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the Cohere base URL (the client adds ``/v2/embed``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: the OpenAI base URL (the client adds ``/embeddings``)."""
        return f"{self.url}/v1"

    def start(self) -> WireServer:
        """Bind a free loopback port and serve in a daemon thread; returns when the server accepts."""
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app(), log_level="critical", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the wire server did not start within 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> WireServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults -----------------------------------------------------------------------------------------

    def inject(self, *kinds: str) -> None:
        """Queue faults for the next requests, one each, in order (before any random fault)."""
        unknown = sorted(set(kinds) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {list(FAULTS)}")
        with self._lock:
            self._queued.extend(kinds)

    def reset_stats(self) -> None:
        """Forget what was counted so far."""
        self.stats = WireStats()

    def _next_fault(self) -> str | None:
        with self._lock:
            if self._queued:
                return self._queued.popleft()
            if self.fault_rate and self._random.random() < self.fault_rate:
                return self._random.choice(self.fault_kinds)
        return None

    # -- the app ----------------------------------------------------------------------------------------

    def _app(self) -> Any:
        from fastapi import FastAPI, Request
        from fastapi.responses import JSONResponse

        app = FastAPI()

        async def handle(request: Request, kind: str) -> Response:
            body = await request.json()  # read first, as a service does: an unread body stalls the connection
            with self.stats.lock:
                self.stats.requests += 1
            if self.api_keys is not None:
                scheme, _, key = request.headers.get("authorization", "").partition(" ")
                if scheme.lower() != "bearer" or key not in self.api_keys:
                    return self._error(kind, 401, "invalid api key")
            fault = self._next_fault()
            if fault is not None:
                with self.stats.lock:
                    self.stats.faults[fault] += 1
            late = fault == "slow"
            if late:
                await asyncio.sleep(self.slow_seconds)
                fault = None
            if fault == "drop":
                return _dropped_response()
            if fault == "429":
                return self._error(kind, 429, "injected rate limit", {"retry-after": f"{self.retry_after:g}"})
            if fault in ("500", "503"):
                return self._error(kind, int(fault), f"injected {fault}")
            answer = self._embed_openai(body) if kind == "openai" else self._embed_cohere(body)
            status, payload, headers = answer
            if status != 200:
                return self._error(kind, status, payload, headers)
            if not late:  # a late answer is counted as its fault: the client has given up on it
                with self.stats.lock:
                    self.stats.by_status[200] += 1
            return JSONResponse(payload, headers=headers)

        async def openai_embeddings(request: Request) -> Response:
            return await handle(request, "openai")

        async def cohere_embed(request: Request) -> Response:
            return await handle(request, "cohere")

        # Plain Starlette routes: the handlers read the raw JSON body, as a real service does, rather than
        # have FastAPI validate it into a model (and a string annotation would confuse its injection).
        app.add_route("/v1/embeddings", openai_embeddings, methods=["POST"])
        app.add_route("/v2/embed", cohere_embed, methods=["POST"])

        return app

    def _error(self, kind: str, status: int, message: Any, headers: Mapping[str, str] | None = None) -> Response:
        from fastapi.responses import JSONResponse

        with self.stats.lock:
            self.stats.by_status[status] += 1
        if kind == "openai":
            error_type = {400: "invalid_request_error", 401: "invalid_request_error", 429: "requests"}
            body: dict[str, Any] = {
                "error": {
                    "message": message,
                    "type": error_type.get(status, "server_error"),
                    "param": "input" if status == 400 else None,
                    "code": "rate_limit_exceeded" if status == 429 else None,
                }
            }
        else:
            body = {"message": message}
        return JSONResponse(body, status_code=status, headers=dict(headers or {}))

    def _limit(self, tokens: int) -> tuple[int, Any, dict[str, str]] | None:
        """A 429 answer when this request is over the per-minute limits, else None (and the units are taken)."""
        buckets = [("requests", self.rpm, 1), ("tokens", self.tpm, tokens)]
        refused = [(what, bucket.wait(amount)) for what, bucket, amount in buckets if bucket is not None]
        refused = [(what, wait) for what, wait in refused if wait > 0]
        if not refused:
            for _, bucket, amount in buckets:
                if bucket is not None:
                    bucket.take(amount)
            return None
        what, wait = max(refused, key=lambda pair: pair[1])
        message = f"Rate limit reached on {what} per min; please try again in {wait:.3f}s"
        return 429, message, {"retry-after": f"{max(wait, 0.001):.3f}", **self._limit_headers()}

    def _limit_headers(self) -> dict[str, str]:
        headers = {}
        if self.rpm is not None:
            headers["x-ratelimit-limit-requests"] = str(int(self.rpm.capacity))
            headers["x-ratelimit-remaining-requests"] = str(self.rpm.remaining())
        if self.tpm is not None:
            headers["x-ratelimit-limit-tokens"] = str(int(self.tpm.capacity))
            headers["x-ratelimit-remaining-tokens"] = str(self.tpm.remaining())
        return headers

    def _check_inputs(self, texts: Sequence[Any], counts: Sequence[int], truncating: bool) -> str | None:
        for index, (text, count) in enumerate(zip(texts, counts)):
            if not isinstance(text, str) or not text:
                return f"input[{index}] must be a non-empty string"
            if any(marker in text for marker in self.poison):
                return f"input[{index}] was refused by the content filter"
            limit = self.max_tokens_per_input
            if limit is not None and count > limit and not truncating:
                return f"input[{index}] is {count} tokens, over this model's limit of {limit}"
        return None

    def _record(self, texts: Sequence[str], tokens: int) -> None:
        with self.stats.lock:
            self.stats.items += len(texts)
            self.stats.tokens += tokens
            if self.record_texts:
                self.stats.texts.extend(texts)

    def _embed_openai(self, body: Mapping[str, Any]) -> tuple[int, Any, dict[str, str]]:
        model = str(body.get("model", ""))
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else list(raw or [])
        if not texts:
            return 400, "'input' must be a non-empty string or array of strings", {}
        if len(texts) > 2048:
            return 400, f"'input' holds {len(texts)} items; at most 2048", {}
        counts = [self.count_tokens(t) if isinstance(t, str) else 0 for t in texts]
        problem = self._check_inputs(texts, counts, truncating=False)
        if problem:
            return 400, problem, {}
        dimensions = body.get("dimensions")
        full = OPENAI_DIMS.get(model, self.default_dim)
        if dimensions is not None:
            if model == "text-embedding-ada-002":
                return 400, "This model does not support specifying dimensions.", {}
            if not isinstance(dimensions, int) or not 1 <= dimensions <= full:
                return 400, f"dimensions must be between 1 and {full}", {}
        refused = self._limit(sum(counts))
        if refused:
            return refused
        data = []
        for index, text in enumerate(texts):
            vector = wire_vector(text, full, model=model)
            if dimensions is not None:
                vector = vector[:dimensions] / np.float32(np.linalg.norm(vector[:dimensions]))
            if body.get("encoding_format") == "base64":
                encoded: Any = base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
            else:
                encoded = vector.tolist()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        self._record(texts, sum(counts))
        usage = {"prompt_tokens": sum(counts), "total_tokens": sum(counts)}
        payload = {"object": "list", "data": data, "model": model, "usage": usage}
        return 200, payload, self._limit_headers()

    def _embed_cohere(self, body: Mapping[str, Any]) -> tuple[int, Any, dict[str, str]]:
        model = str(body.get("model", ""))
        texts = list(body.get("texts") or [])
        input_type = body.get("input_type")
        if not texts:
            return 400, "texts must be a non-empty list", {}
        if len(texts) > 96:
            return 400, f"invalid request: total number of texts must be at most 96 - received {len(texts)}", {}
        if input_type not in ("search_document", "search_query", "classification", "clustering", "image"):
            return 400, f"invalid request: input_type {input_type!r} is not valid", {}
        truncate = body.get("truncate") or "END"
        types = list(body.get("embedding_types") or ["float"])
        counts = [self.count_tokens(t) if isinstance(t, str) else 0 for t in texts]
        problem = self._check_inputs(texts, counts, truncating=truncate != "NONE")
        if problem:
            return 400, f"invalid request: {problem}", {}
        refused = self._limit(sum(counts))
        if refused:
            return refused
        dim = COHERE_DIMS.get(model, self.default_dim)
        limit = self.max_tokens_per_input
        seen = []
        for text, count in zip(texts, counts):
            if limit is not None and count > limit:
                # Characters stand in for tokens here: what matters is that the kept end changes the vector.
                text = text[:limit] if truncate == "END" else text[-limit:]
            seen.append(text)
        floats = np.stack([wire_vector(t, dim, model=model, input_type=input_type) for t in seen])
        embeddings: dict[str, Any] = {}
        for kind in types:
            embeddings[kind] = _cohere_encode(floats, kind)
        self._record(texts, sum(counts))
        payload = {
            "id": hashlib.sha1(repr(texts).encode()).hexdigest(),
            "embeddings": embeddings,
            "texts": texts,
            "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": sum(counts)}},
            "response_type": "embeddings_by_type",
        }
        return 200, payload, self._limit_headers()


def _cohere_encode(floats: np.ndarray, kind: str) -> Any:
    """Cohere's encodings of float vectors: int8/uint8 scaled, binary/ubinary one bit a dimension, packed."""
    if kind == "float":
        return floats.tolist()
    if kind in ("int8", "uint8"):
        scaled = np.clip(np.round(floats * 127 / np.abs(floats).max(axis=1, keepdims=True)), -128, 127)
        return (scaled if kind == "int8" else scaled + 128).astype(np.int64).tolist()
    if kind in ("binary", "ubinary"):
        packed = np.packbits(floats > 0, axis=1).astype(np.int64)
        return (packed - 128 if kind == "binary" else packed).tolist()
    raise ValueError(f"unknown embedding type {kind!r}")


def _dropped_response() -> Response:
    from starlette.responses import Response

    class DroppedResponse(Response):
        """Starts a response promising a body, sends part of it, then fails: the connection closes mid-body."""

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            start = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]}
            await send(start)
            await send({"type": "http.response.body", "body": b'{"object": "list", "da', "more_body": True})
            raise ConnectionResetError("the wire server dropped the connection on purpose")

    return DroppedResponse()
