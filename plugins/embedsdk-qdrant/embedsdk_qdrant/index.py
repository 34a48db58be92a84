"""`QdrantIndex`: vectors in a Qdrant collection, embedded in the process or on a Qdrant server.

A `embedsdk.retrieval.slots.SlotIndex`: ids, metadata, space checks, validation and the folder format are shared
with the other backends. The Qdrant collection mirrors the index: points are slot numbers, payloads are the
metadata, vectors are unit length and the distance is ``DOT``, so scores are cosine similarities.

- **Where**: ``location=":memory:"`` (default, embedded), ``path="folder"`` (embedded, persisted by
  qdrant-client), or ``url="http://host:6333"`` (a server; ``api_key`` is kept out of saved files, reprs and
  errors). The same code runs against all three: the server is the path once a collection outgrows one
  machine. The collection (``collection=``, default ``"embedsdk"``) is recreated on first use.
- **Filters** are native: equality, membership and numeric ranges become a Qdrant ``Filter``
  (`to_qdrant_filter`), exclusions a ``must_not`` on point ids. Conditions Qdrant cannot express (equality
  with a float, a list or None) fall back to a ``has_id`` list of the allowed points.
- **Deletion** is native (points are deleted). **Saving** writes the shared snapshot only (vectors, ids,
  metadata); a load upserts the live vectors into a fresh collection, so a saved index moves between
  embedded mode and a server unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from embedsdk.errors import ConfigurationError, MissingDependencyError
from embedsdk.retrieval.checks import Condition
from embedsdk.retrieval.slots import SearchRequest, SlotIndex

__all__ = ["QdrantIndex", "QdrantOptions", "to_qdrant_filter"]

_BATCH = 256


def _models() -> Any:
    # Imported on first use: qdrant-client pulls in grpc and httpx, which registering the backend must not.
    try:
        from qdrant_client import models
    except ImportError as exc:
        raise MissingDependencyError("the qdrant backend needs qdrant-client: pip install qdrant-client") from exc
    return models


class QdrantOptions(BaseModel):
    """Options of `QdrantIndex`.

    Attributes:
        location: ``":memory:"`` for an embedded in-memory collection (default when neither path nor url).
        path: A folder for an embedded collection that qdrant-client persists itself.
        url: A Qdrant server, ``http://host:6333``.
        api_key: The server's API key (never saved, logged or shown).
        collection: The Qdrant collection's name.
        hnsw_ef: Candidates Qdrant keeps while searching (None: its default).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: str | None = None
    path: str | None = None
    url: str | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True)
    collection: str = Field(default="embedsdk", min_length=1)
    hnsw_ef: int | None = Field(default=None, gt=0)


def _native_condition(condition: Condition, models: Any) -> Any | None:
    """One condition as a Qdrant condition, or None when Qdrant cannot match it exactly."""
    if condition.op == "range":
        bounds = {op[1:]: value for op, value in condition.value.items()}
        return models.FieldCondition(key=condition.key, range=models.Range(**bounds))
    values = (condition.value,) if condition.op == "eq" else condition.value
    if not values or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        if len(values) == 1 and isinstance(values[0], bool):
            return models.FieldCondition(key=condition.key, match=models.MatchValue(value=values[0]))
        return None
    if len(values) == 1:
        return models.FieldCondition(key=condition.key, match=models.MatchValue(value=values[0]))
    return models.FieldCondition(key=condition.key, match=models.MatchAny(any=list(values)))


def to_qdrant_filter(conditions: list[Condition], excluded: np.ndarray) -> tuple[Any | None, bool]:
    """A Qdrant ``Filter`` for checked conditions and excluded point ids.

    Returns:
        The filter (None when there is nothing to filter) and whether every condition was expressed
        natively (False: the caller must restrict the points some other way).
    """
    models = _models()
    must, complete = [], True
    for condition in conditions:
        native = _native_condition(condition, models)
        if native is None:
            complete = False
        else:
            must.append(native)
    must_not = [models.HasIdCondition(has_id=excluded.tolist())] if len(excluded) else []
    if not must and not must_not:
        return None, complete
    return models.Filter(must=must or None, must_not=must_not or None), complete


class QdrantIndex(SlotIndex):
    """An index whose vectors live in a Qdrant collection (options: `QdrantOptions`)."""

    Options = QdrantOptions
    options: QdrantOptions
    format = "embedsdk.qdrant"
    _client: Any = None
    _created = False

    def _connect(self) -> Any:
        if self._client is None:
            try:
                from qdrant_client import QdrantClient
            except ImportError as exc:
                raise MissingDependencyError(
                    "the qdrant backend needs qdrant-client: pip install qdrant-client"
                ) from exc
            opts = self.options
            if sum(x is not None for x in (opts.location, opts.path, opts.url)) > 1:
                raise ConfigurationError("qdrant: give at most one of location=, path= and url=")
            if opts.url is not None:
                key = opts.api_key.get_secret_value() if opts.api_key else None
                self._client = QdrantClient(url=opts.url, api_key=key)
            elif opts.path is not None:
                self._client = QdrantClient(path=opts.path)
            else:
                self._client = QdrantClient(location=opts.location or ":memory:")
        return self._client

    def _collection(self) -> Any:
        client = self._connect()
        if not self._created:
            models = _models()
            name = self.options.collection
            if client.collection_exists(name):
                client.delete_collection(name)
            assert self._dim is not None
            client.create_collection(
                name, vectors_config=models.VectorParams(size=self._dim, distance=models.Distance.DOT)
            )
            self._created = True
        return client

    def _native_reset(self) -> None:
        # The collection is (re)created by the next add; an index rebuilt after compaction starts empty.
        self._created = False

    def _native_add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        models = _models()
        client = self._collection()
        live = [n for n, slot in enumerate(slots.tolist()) if self._ids[slot] is not None]
        for start in range(0, len(live), _BATCH):
            rows = live[start : start + _BATCH]
            client.upsert(
                self.options.collection,
                points=models.Batch(
                    ids=[int(slots[n]) for n in rows],
                    vectors=vectors[rows].tolist(),
                    payloads=[dict(self._metadata[int(slots[n])] or {}) for n in rows],
                ),
            )

    def _native_remove(self, slots: np.ndarray) -> None:
        if self._created and len(slots):
            self._connect().delete(
                self.options.collection, points_selector=_models().PointIdsList(points=slots.tolist())
            )

    def _native_search(self, request: SearchRequest) -> tuple[np.ndarray, np.ndarray]:
        models = _models()
        client = self._collection()
        query_filter, complete = to_qdrant_filter(request.conditions, request.excluded)
        if not complete:
            assert request.allowed is not None
            allowed = models.HasIdCondition(has_id=np.nonzero(request.allowed)[0].tolist())
            query_filter = models.Filter(must=[allowed])
        params = models.SearchParams(hnsw_ef=self.options.hnsw_ef) if self.options.hnsw_ef else None
        requests = [
            models.QueryRequest(query=q.tolist(), limit=request.k, filter=query_filter, params=params)
            for q in request.queries
        ]
        responses = client.query_batch_points(self.options.collection, requests=requests)
        scores = np.full((len(requests), request.k), -np.inf, dtype=np.float32)
        slots = np.full((len(requests), request.k), -1, dtype=np.int64)
        for row, response in enumerate(responses):
            for col, point in enumerate(response.points[: request.k]):
                scores[row, col], slots[row, col] = point.score, int(point.id)
        return scores, slots

    def close(self) -> None:
        """Close the Qdrant client (an embedded path-mode collection is unlocked)."""
        if self._client is not None:
            self._client.close()
            self._client, self._created = None, False
