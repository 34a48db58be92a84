"""Bad input: every bad item is an embedsdk error naming its index and the fix, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import (
    EmbedSDKError,
    EmptyItemError,
    InvalidInputError,
    InvalidItemTypeError,
    ItemFailure,
)
from embedsdk.pipeline.items import as_item_list, check_item, check_items, raise_for_item_errors
from embedsdk.testing import FakeEmbedder

TEXT = frozenset({"text"})


# -- through embed ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "kind", "fix"),
    [
        (None, InvalidItemTypeError, "drop it or replace it"),
        (42, InvalidItemTypeError, "str(item)"),
        (3.5, InvalidItemTypeError, "str(item)"),
        (b"bytes", InvalidItemTypeError, "decode"),
        ({"text": "x"}, InvalidItemTypeError, "str(item)"),
        ("", EmptyItemError, "drop it or give it text"),
        ("   \n\t", EmptyItemError, "drop it or give it text"),
    ],
    ids=["none", "int", "float", "bytes", "dict", "empty", "whitespace"],
)
def test_a_bad_item_is_an_error_naming_its_index_and_the_fix(fake, bad, kind, fix):
    with pytest.raises(kind) as caught:
        embedsdk.embed(["fine", "also fine", bad], provider="fake/test")
    error = caught.value
    assert isinstance(error, EmbedSDKError)
    assert isinstance(error, InvalidInputError)
    assert isinstance(error, ValueError)
    assert error.index == 2
    assert "item 2" in str(error)
    assert fix in str(error)
    assert [e.index for e in error.errors] == [2]
    assert fake.calls == []  # nothing is sent before the input is known to be good


def test_type_errors_are_also_type_errors(fake):
    with pytest.raises(TypeError):
        embedsdk.embed([None], provider="fake/test")


def test_every_bad_item_is_reported(fake):
    with pytest.raises(InvalidInputError) as caught:
        embedsdk.embed([None, "ok", "", 7], provider="fake/test")
    error = caught.value
    assert type(error) is InvalidInputError  # mixed kinds: the common base
    assert [e.index for e in error.errors] == [0, 2, 3]
    assert [e.kind for e in error.errors] == [InvalidItemTypeError, EmptyItemError, InvalidItemTypeError]
    for index in (0, 2, 3):
        assert f"item {index}" in str(error)
    assert "on_error='collect'" in str(error)


def test_an_empty_list_gives_an_empty_result(fake):
    result = embedsdk.embed([], provider="fake/test")
    assert result.shape == (0, 16)
    assert len(result) == 0
    assert np.asarray(result).shape == (0, 16)
    assert result.errors == []
    assert fake.calls == []


def test_collect_embeds_the_good_items_and_reports_the_bad(fake):
    items = ["red apple", None, "green pear", "", 5, b"x", "  "]
    result = embedsdk.embed(items, provider="fake/test", on_error="collect")
    assert [e.index for e in result.errors] == [1, 3, 4, 5, 6]
    assert result.ok.tolist() == [True, False, True, False, False, False, False]
    assert np.isnan(result.vectors[~result.ok]).all()
    expected = FakeEmbedder("fake/test").embed_batch(["red apple", "green pear"])
    np.testing.assert_allclose(result.vectors[result.ok], expected, atol=1e-6)
    assert [item for call in fake.calls for item in call] == ["red apple", "green pear"]
    assert "failed=5" in repr(result)


@pytest.mark.parametrize("items", [None, 5, b"abc", object()], ids=["none", "int", "bytes", "object"])
def test_items_that_are_not_a_list_are_refused(fake, items):
    with pytest.raises(InvalidItemTypeError, match="list"):
        embedsdk.embed(items, provider="fake/test")


def test_any_iterable_of_items_works(fake):
    from_generator = embedsdk.embed((word for word in ["a", "b"]), provider="fake/test")
    from_tuple = embedsdk.embed(("a", "b"), provider="fake/test")
    from_array = embedsdk.embed(np.array(["a", "b"]), provider="fake/test")
    np.testing.assert_array_equal(from_generator.vectors, from_tuple.vectors)
    np.testing.assert_array_equal(from_generator.vectors, from_array.vectors)


# -- the module's functions -------------------------------------------------------------------------------


def test_as_item_list():
    assert as_item_list("one text") == ["one text"]
    assert as_item_list(["a", "b"]) == ["a", "b"]
    assert as_item_list(np.array([["a", "b"], ["c", "d"]])) == ["a", "b", "c", "d"]
    assert as_item_list(iter(["x"])) == ["x"]
    for bad in (None, 3, b"x", bytearray(b"x")):
        with pytest.raises(InvalidItemTypeError):
            as_item_list(bad)


def test_check_item_accepts_text_for_text_providers():
    assert check_item(0, "hello", TEXT, "p/m") is None
    assert check_item(0, Path("a.png"), TEXT, "p/m") is not None


def test_check_item_accepts_images_only_for_image_providers():
    images = frozenset({"image"})
    assert check_item(0, Path("a.png"), images, "p/m") is None
    assert check_item(0, np.zeros((2, 2, 3)), images, "p/m") is None
    assert check_item(0, b"\x89PNG", images, "p/m") is None
    error = check_item(3, "a caption", images, "clip/img")
    assert error is not None
    assert error.kind is InvalidItemTypeError
    assert "item 3 is text" in error.message
    assert "pathlib.Path" in error.message


def test_check_item_describes_long_values_briefly():
    error = check_item(0, list(range(100)), TEXT, "p/m")
    assert error is not None
    assert "list" in error.message
    assert "..." in error.message
    assert len(error.message) < 200


def test_check_items_lists_bad_items_in_order():
    errors = check_items(["a", None, "b", ""], TEXT, "p/m")
    assert [e.index for e in errors] == [1, 3]


def test_raise_for_item_errors_uses_the_common_kind_and_shows_the_first_few():
    raise_for_item_errors([])  # nothing to raise
    errors = [ItemFailure(n, f"item {n} is empty", EmptyItemError) for n in range(30)]
    with pytest.raises(EmptyItemError) as caught:
        raise_for_item_errors(errors)
    message = str(caught.value)
    assert "item 4 is empty" in message
    assert "item 5 is empty" not in message
    assert "25 more bad items" in message
    assert caught.value.errors == errors


def test_raise_for_item_errors_falls_back_to_the_base_class():
    with pytest.raises(InvalidInputError) as caught:
        raise_for_item_errors([ItemFailure(0, "x", None)])
    assert type(caught.value) is InvalidInputError


# -- what hostile input used to break ------------------------------------------------------------------------


def test_a_lone_surrogate_is_a_per_item_error_not_a_type_error(fake):
    with pytest.raises(InvalidInputError, match="item 0 is not valid Unicode text") as caught:
        embedsdk.embed(["\ud800"], provider="fake/test")
    assert type(caught.value) is InvalidInputError
    result = embedsdk.embed(["fine text", "bad \udcff text"], provider="fake/test", on_error="collect")
    assert [e.index for e in result.errors] == [1]
    assert "lone surrogate" in result.errors[0].message
    assert result.ok.tolist() == [True, False]


@pytest.mark.parametrize("text", ["\u200b", "\x00", "\u200b\u200d\ufeff", " \t\n", ""])
def test_text_with_nothing_visible_is_refused_like_the_empty_string(fake, text):
    with pytest.raises(EmptyItemError, match=r"item 0 is .*there is nothing to embed"):
        embedsdk.embed([text], provider="fake/test")


def test_text_with_one_visible_character_among_invisible_ones_is_kept(fake):
    assert embedsdk.embed(["\u200bx\u200b"], provider="fake/test").ok.all()


def test_a_numpy_array_of_bytes_is_refused_item_by_item(fake):
    with pytest.raises(InvalidItemTypeError, match="item 0 is bytes, not text; decode it first"):
        embedsdk.embed(np.array([b"abc"]), provider="fake/test")
    assert as_item_list(np.array(["a", "b"])) == ["a", "b"]


@pytest.mark.parametrize("items", [{"a": 1, "b": 2}, {"a", "b"}, frozenset({"a"})])
def test_a_dict_or_a_set_of_items_is_refused(fake, items):
    with pytest.raises(InvalidItemTypeError, match="pass a list"):
        embedsdk.embed(items, provider="fake/test")
