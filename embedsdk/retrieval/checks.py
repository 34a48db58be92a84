"""The checks every index backend shares: vectors, ``k``, ids, spaces and metadata filters.

The core `flat` index and the plugin backends (faiss, hnswlib, Qdrant) call these, so a bad argument gets the
same error, with the same words, whatever the backend.

Filters are a mapping from metadata key to a condition:

- a plain value: equality (``{"lang": "en"}``);
- a list, tuple or set: membership (``{"lang": ["en", "fr"]}``), the same as ``{"$in": [...]}``;
- a mapping of operators: ``$eq``, ``$in``, and the numeric ranges ``$gt``, ``$gte``, ``$lt``, ``$lte``
  (``{"year": {"$gte": 2000, "$lt": 2010}}``).

All conditions must hold. A key that no stored vector's metadata has is refused (a typo would otherwise
silently match nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError, InvalidOptionError, SpaceMismatchError
from embedsdk.result import Embeddings
from embedsdk.space import EmbeddingSpace

__all__ = [
    "RANGE_OPERATORS",
    "Condition",
    "as_matrix",
    "check_entries",
    "check_k",
    "check_space",
    "describe_space",
    "matches",
    "parse_filter",
]

RANGE_OPERATORS = ("$gt", "$gte", "$lt", "$lte")
_OPERATORS = ("$eq", "$in", *RANGE_OPERATORS)


def as_matrix(vectors: Any, what: str = "vectors") -> tuple[np.ndarray, EmbeddingSpace | None]:
    """``vectors`` as a float32 ``(n, dim)`` matrix, and their space when they are an `Embeddings`.

    Raises:
        InvalidInputError: not numbers, not 1-D or 2-D, or rows with NaN or infinite values (named).
    """
    space = vectors.space if isinstance(vectors, Embeddings) else None
    try:
        matrix = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} must be numbers in an array of shape (n, dim): {exc}") from None
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or (len(matrix) and matrix.shape[1] == 0):
        raise InvalidInputError(f"{what} must be a 2-D array (n, dim) with dim >= 1; got shape {matrix.shape}")
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        bad = np.nonzero(~finite)[0][:10].tolist()
        raise InvalidInputError(f"{what} rows {bad} are not finite (NaN or inf): drop failed items before indexing")
    return matrix, space


def check_k(k: Any) -> int:
    """``k`` as an int, refusing bools, floats, strings, None and numbers below 1.

    Raises:
        InvalidOptionError: ``k`` is not a whole number of 1 or more.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidOptionError(f"k={k!r} must be a whole number of hits, 1 or more (an int such as 10)")
    return int(k)


def describe_space(space: EmbeddingSpace) -> str:
    """A short name for a space in messages: provider, model and dimension."""
    role = f", role={space.role}" if space.role else ""
    return f"{space.provider} ({space.model}, {space.dim}-d{role})"


def check_space(
    mine: EmbeddingSpace | None, dim: int | None, matrix: np.ndarray, theirs: EmbeddingSpace | None, what: str
) -> EmbeddingSpace | None:
    """Check vectors against an index's space and dimension; returns the index's space afterwards.

    The first `Embeddings` added to an index without a space gives it one. Plain arrays only need the
    index's dimension.

    Args:
        mine: The index's space, or None.
        dim: The dimension of the vectors the index holds, or None while it holds none.
        matrix: The incoming vectors.
        theirs: Their space, when they came as an `Embeddings`.
        what: ``"vectors"`` or ``"queries"``, for the message.

    Raises:
        SpaceMismatchError: another space (naming both spaces and each differing field) or another dimension.
    """
    if theirs is not None and mine is not None:
        diffs = mine.mismatches(theirs)
        if diffs:
            detail = "; ".join(f"{name}: {getattr(mine, name)!r} vs {getattr(theirs, name)!r}" for name in diffs)
            raise SpaceMismatchError(
                f"{what} come from {describe_space(theirs)} but this index holds {describe_space(mine)}; they "
                f"differ in {', '.join(diffs)} ({detail}). Embed both sides with the same provider and options, "
                f"or build a new index for the new space"
            )
    elif theirs is not None and dim is not None and theirs.dim != dim:
        raise SpaceMismatchError(
            f"{what} come from {describe_space(theirs)} but this index holds {dim}-d vectors; they differ in dim"
        )
    space = mine if mine is not None else theirs
    expected = space.dim if space is not None else dim
    if expected is not None and matrix.shape[1] != expected:
        held = describe_space(space) if space is not None else f"{expected}-d vectors"
        raise SpaceMismatchError(
            f"{what} are {matrix.shape[1]}-d but this index holds {held}; they differ in dim "
            f"({expected} vs {matrix.shape[1]})"
        )
    return space


def check_entries(
    ids: Sequence[Any], rows: int, metadata: Sequence[Mapping[str, Any]] | None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Ids as strings and one metadata dict per id, checked against the number of vectors.

    Raises:
        InvalidInputError: counts differ, an id repeats within the call, an id is not a str or int, or a
            metadata entry is not a mapping.
    """
    if isinstance(ids, (str, bytes)):
        raise InvalidInputError(f"ids must be a list of strings, not one {type(ids).__name__}; wrap it: [{ids!r}]")
    bad = [n for n, i in enumerate(ids) if isinstance(i, bool) or not isinstance(i, (str, int, np.integer))]
    if bad:
        raise InvalidInputError(f"ids at positions {bad[:10]} are not strings (got {type(ids[bad[0]]).__name__})")
    names = [str(i) for i in ids]
    if metadata is None:
        empty: dict[str, Any] = {}  # one shared empty dict: stored metadata is never changed in place
        entries: list[dict[str, Any]] = [empty] * len(names)
    else:
        if not all(isinstance(m, Mapping) for m in metadata):
            raise InvalidInputError("metadata must be a list of dicts, one per id")
        entries = [dict(m) for m in metadata]
    if not (len(names) == rows == len(entries)):
        raise InvalidInputError(
            f"got {len(names)} ids, {rows} vectors and {len(entries)} metadata entries; pass one of each per vector"
        )
    if len(set(names)) != len(names):
        seen: set[str] = set()
        repeated = sorted({i for i in names if i in seen or seen.add(i)})[:10]  # type: ignore[func-returns-value]
        raise InvalidInputError(f"ids {repeated} repeat within one add(); give each vector its own id")
    return names, entries


@dataclass(frozen=True)
class Condition:
    """One checked filter condition on a metadata key.

    Attributes:
        key: The metadata key.
        op: ``"eq"``, ``"in"`` or ``"range"``.
        value: The value (``eq``), the tuple of values (``in``) or the bounds ``{"$gte": 1, ...}`` (``range``).
    """

    key: str
    op: str
    value: Any

    def test(self, metadata: Mapping[str, Any]) -> bool:
        """True when ``metadata`` satisfies this condition."""
        if self.key not in metadata:
            return False
        found = metadata[self.key]
        if self.op == "eq":
            return bool(found == self.value)
        if self.op == "in":
            return any(found == value for value in self.value)
        if isinstance(found, bool) or not isinstance(found, Real):
            return False
        number = float(found)
        bounds: dict[str, float] = self.value
        return (
            ("$gt" not in bounds or number > bounds["$gt"])
            and ("$gte" not in bounds or number >= bounds["$gte"])
            and ("$lt" not in bounds or number < bounds["$lt"])
            and ("$lte" not in bounds or number <= bounds["$lte"])
        )


def parse_filter(filter: Mapping[str, Any] | None, known_keys: Iterable[str] | None = None) -> list[Condition]:
    """Check a metadata filter and return its conditions (empty for None or ``{}``).

    Args:
        filter: The filter (see the module docstring).
        known_keys: Keys present in the stored metadata; a filter key outside them is refused. None skips
            that check.

    Raises:
        InvalidOptionError: not a mapping, an unknown operator, a non-numeric range bound, or a key no stored
            metadata has (the message lists the keys there are).
    """
    if filter is None:
        return []
    if not isinstance(filter, Mapping):
        raise InvalidOptionError(f"filter must be a dict of metadata key -> value, not {type(filter).__name__}")
    known = None if known_keys is None else set(known_keys)
    conditions = []
    for key, wanted in filter.items():
        if not isinstance(key, str):
            raise InvalidOptionError(f"filter keys are metadata keys (strings), got {key!r}")
        if known is not None and key not in known:
            listed = ", ".join(repr(k) for k in sorted(known)[:20]) or "none"
            raise InvalidOptionError(f"filter key {key!r} is in no stored metadata (keys there: {listed})")
        conditions.extend(_conditions(key, wanted))
    return conditions


def _conditions(key: str, wanted: Any) -> list[Condition]:
    if isinstance(wanted, (list, tuple, set, frozenset)):
        return [Condition(key, "in", tuple(wanted))]
    if not isinstance(wanted, Mapping):
        return [Condition(key, "eq", wanted)]
    unknown = [op for op in wanted if op not in _OPERATORS]
    if unknown or not wanted:
        raise InvalidOptionError(
            f"filter on {key!r}: unknown operator(s) {unknown or '{}'}; use a value, a list, or a dict of "
            f"{', '.join(_OPERATORS)}"
        )
    out = []
    if "$eq" in wanted:
        out.append(Condition(key, "eq", wanted["$eq"]))
    if "$in" in wanted:
        values = wanted["$in"]
        if not isinstance(values, (list, tuple, set, frozenset)):
            raise InvalidOptionError(f"filter on {key!r}: '$in' takes a list of values, got {values!r}")
        out.append(Condition(key, "in", tuple(values)))
    bounds = {op: wanted[op] for op in RANGE_OPERATORS if op in wanted}
    for op, bound in bounds.items():
        if isinstance(bound, bool) or not isinstance(bound, Real) or not np.isfinite(float(bound)):
            raise InvalidOptionError(f"filter on {key!r}: {op} takes a finite number, got {bound!r}")
    if bounds:
        out.append(Condition(key, "range", bounds))
    return out


def matches(conditions: Sequence[Condition]) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate that is True for metadata satisfying every condition."""

    def test(metadata: Mapping[str, Any]) -> bool:
        return all(condition.test(metadata) for condition in conditions)

    return test
