"""Checking items before anything is sent: each bad item gets an `ItemError` naming its index and the fix."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from embedsdk.errors import (
    EmbedSDKError,
    EmptyItemError,
    InvalidInputError,
    InvalidItemTypeError,
    ItemError,
)

__all__ = ["as_item_list", "check_item", "check_items", "raise_for_item_errors"]

_SHOWN = 5


def as_item_list(items: Any) -> list[Any]:
    """The call's items as a list: one string is one item, any other iterable is many.

    Raises:
        InvalidItemTypeError: ``items`` is None or not iterable.
    """
    if isinstance(items, str):
        return [items]
    if items is None:
        raise InvalidItemTypeError("items is None; pass a list of items (or one string)")
    if isinstance(items, np.ndarray) and items.dtype.kind in "US":
        return [str(item) for item in items.ravel()]
    if isinstance(items, (bytes, bytearray)) or not isinstance(items, Iterable):
        raise InvalidItemTypeError(
            f"items must be a list of items (or one string), not {type(items).__name__}; wrap one item in a list"
        )
    return list(items)


def _is_image_like(item: Any) -> bool:
    return isinstance(item, (bytes, bytearray, os.PathLike, np.ndarray)) or all(
        hasattr(item, name) for name in ("mode", "size", "tobytes")
    )


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _describe(item: Any) -> str:
    shown = repr(item)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def check_item(index: int, item: Any, modalities: frozenset[str], provider: str) -> ItemError | None:
    """Why ``item`` cannot go to a provider embedding ``modalities``, or None when it can."""
    if isinstance(item, str):
        if "text" not in modalities:
            return ItemError(
                index,
                f"item {index} is text but {provider} embeds {', '.join(sorted(modalities))}; "
                f"pass a pathlib.Path for a file",
                InvalidItemTypeError,
            )
        if not item.strip():
            what = "an empty string" if not item else "only whitespace"
            return ItemError(
                index, f"item {index} is {what}: there is nothing to embed; drop it or give it text", EmptyItemError
            )
        return None
    if "image" in modalities and _is_image_like(item):
        return None
    if item is None:
        return ItemError(
            index, f"item {index} is None; {provider} needs text (str): drop it or replace it", InvalidItemTypeError
        )
    if isinstance(item, (bytes, bytearray)) and "text" in modalities:
        return ItemError(
            index,
            f"item {index} is bytes, not text; decode it first (item.decode('utf-8'))",
            InvalidItemTypeError,
        )
    kinds = " or ".join(sorted(modalities))
    return ItemError(
        index,
        f"item {index} is {_article(type(item).__name__)} {type(item).__name__} ({_describe(item)}), which "
        f"{provider} cannot embed as {kinds}; "
        f"pass str(item) if you meant its text",
        InvalidItemTypeError,
    )


def check_items(items: Sequence[Any], modalities: frozenset[str], provider: str) -> list[ItemError]:
    """Every bad item of the call, in input order."""
    errors = []
    for index, item in enumerate(items):
        error = check_item(index, item, modalities, provider)
        if error is not None:
            errors.append(error)
    return errors


def raise_for_item_errors(errors: Sequence[ItemError]) -> None:
    """Raise one error listing the bad items (the first few in full); does nothing when there are none.

    The error's class is the items' common kind (`EmptyItemError`...), else `InvalidInputError`.
    """
    if not errors:
        return
    kinds = {error.kind for error in errors}
    kind: type[EmbedSDKError] = InvalidInputError
    if len(kinds) == 1:
        only = kinds.pop()
        if only is not None and issubclass(only, InvalidInputError):
            kind = only
    message = "; ".join(error.message for error in errors[:_SHOWN])
    if len(errors) > _SHOWN:
        rest = [error.index for error in errors[_SHOWN:]]
        message += f"; and {len(rest)} more bad items at indexes {rest[:20]}{'...' if len(rest) > 20 else ''}"
    message += " (on_error='collect' embeds the others and reports these in result.errors)"
    raise kind(message, errors)
