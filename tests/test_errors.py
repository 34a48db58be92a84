"""The error tree: the drawing in the docstring is the real hierarchy, and errors carry what callers need."""

from __future__ import annotations

import builtins
import re

import numpy as np
import pytest

import embedsdk
from embedsdk import errors
from embedsdk.errors import (
    EmbeddingFailedError,
    EmptyItemError,
    InvalidInputError,
    ItemFailure,
    ItemRejectedError,
    ModelNotFoundError,
    RateLimitedError,
    UnknownProviderError,
)
from embedsdk.result import Embeddings
from embedsdk.space import EmbeddingSpace


def drawn_tree() -> list[tuple[str, str | None, list[str]]]:
    """(class, parent, extra builtin bases) for each line of the tree in the module docstring."""
    drawing = errors.__doc__.split("```")[1]
    entries = []
    parents: dict[int, str] = {}
    for line in drawing.strip("\n").splitlines():
        match = re.match(r"^([\s│├└─]*)(\w+)(?: \(([\w, ]+)\))?", line)
        assert match, line
        depth = len(match.group(1)) // 4
        name = match.group(2)
        extra = [base.strip() for base in match.group(3).split(",")] if match.group(3) else []
        parents[depth] = name
        entries.append((name, parents.get(depth - 1) if depth else None, extra))
    return entries


def test_the_drawn_tree_is_the_class_hierarchy():
    entries = drawn_tree()
    assert entries[0][0] == "EmbedSDKError"
    for name, parent, extra in entries:
        cls = getattr(errors, name)
        if parent is not None:
            # The public parent: private helper classes in between (the unknown-name errors') are skipped.
            public = {base if not base.__name__.startswith("_") else base.__bases__[0] for base in cls.__bases__}
            assert getattr(errors, parent) in public, f"{name} should derive from {parent}"
        for base in extra:
            assert issubclass(cls, getattr(builtins, base)), f"{name} should be a {base}"


def test_every_error_class_is_drawn():
    drawn = {name for name, _, _ in drawn_tree()}
    classes = {
        name
        for name in errors.__all__
        if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), Exception)
    }
    assert classes == drawn


def test_each_error_class_has_one_public_name():
    classes = [getattr(errors, name) for name in errors.__all__ if isinstance(getattr(errors, name), type)]
    assert len(classes) == len(set(classes))
    assert all(cls.__name__ in errors.__all__ for cls in classes)


def test_the_per_item_record_is_not_an_exception():
    assert not issubclass(errors.ItemFailure, BaseException)
    assert "Error" not in errors.ItemFailure.__name__


def test_errors_all_is_sorted_and_exported_at_the_top():
    assert errors.__all__ == sorted(errors.__all__)
    for name in errors.__all__:
        assert getattr(embedsdk, name) is getattr(errors, name)


def test_unknown_provider_error_is_a_key_error_that_prints_plainly():
    error = UnknownProviderError("fake/tset", ["fake/test", "fake/tests"])
    assert isinstance(error, KeyError)
    assert isinstance(error, ValueError)
    assert error.provider == "fake/tset"
    assert error.suggestions == ["fake/test", "fake/tests"]
    assert str(error) == (
        "unknown provider 'fake/tset'; did you mean 'fake/test', 'fake/tests'? "
        "(run `embedsdk providers` to list them all)"
    )
    with pytest.raises(KeyError):
        raise error


def test_unknown_index_error_without_suggestions_lists_what_exists():
    error = errors.UnknownIndexError("zzz", [], available=["b", "a"])
    assert isinstance(error, KeyError)
    assert isinstance(error, errors.ConfigurationError)
    assert str(error) == "unknown index backend 'zzz'; registered: a, b"


def test_model_not_found_error_prints_plainly():
    error = ModelNotFoundError("no weights under /models/x: looked for model.safetensors")
    assert isinstance(error, FileNotFoundError)
    assert str(error) == "no weights under /models/x: looked for model.safetensors"


def test_invalid_input_error_keeps_every_item():
    items = [ItemFailure(2, "item 2 is empty", EmptyItemError), ItemFailure(5, "item 5 is empty", EmptyItemError)]
    error = InvalidInputError("two bad items", items)
    assert error.errors == items
    assert error.index == 2
    assert InvalidInputError("not about one item").index is None


def test_rate_limited_error_keeps_retry_after():
    assert RateLimitedError("slow down", retry_after=2.5).retry_after == 2.5
    assert RateLimitedError("slow down").retry_after is None


def test_embedding_failed_error_carries_the_result():
    space = EmbeddingSpace(provider="p/m", model="m", dim=2)
    item_errors = [ItemFailure(1, "item 1: rejected", ItemRejectedError)]
    result = Embeddings(np.array([[1, 0], [np.nan, np.nan]], dtype=np.float32), space, errors=item_errors)
    error = EmbeddingFailedError("1 of 2 items failed", result)
    assert error.result is result
    assert error.errors == item_errors
    assert isinstance(error, embedsdk.ProviderError)


def test_item_error_equality_and_repr():
    cause = ValueError("x")
    first = ItemFailure(3, "item 3 is None", InvalidInputError, cause)
    assert first == ItemFailure(3, "item 3 is None")
    assert first != ItemFailure(4, "item 3 is None")
    assert first != (3, "item 3 is None")
    assert len({first, ItemFailure(3, "item 3 is None")}) == 1
    assert repr(first) == "ItemFailure(index=3, message='item 3 is None')"
    assert (first.kind, first.cause) == (InvalidInputError, cause)
