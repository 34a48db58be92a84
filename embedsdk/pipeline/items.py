r"""Items: turning a call's input into a list, checking each item, and hashing its content for the cache.

Each bad item gets an `ItemFailure` naming its index and the fix. The rule for text: it must hold at least
one visible character. Empty strings, whitespace, and text made only of invisible characters (control
characters such as ``"\x00"``, format characters such as the zero-width space ``"\u200b"``) carry nothing to
embed and are refused as `EmptyItemError`; text that is not valid Unicode (a lone surrogate, as
``"\ud800"`` or undecodable bytes read with ``surrogateescape``) is refused as `InvalidInputError`.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import (
    EmbedSDKError,
    EmptyItemError,
    InvalidInputError,
    InvalidItemTypeError,
    ItemFailure,
)

__all__ = ["as_item_list", "check_item", "check_items", "item_digest", "raise_for_item_errors"]

# Categories that draw nothing: controls, format characters (zero-width space, joiners, BOM), separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})

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
        # .tolist() keeps each element's type: str for "U" arrays, bytes for "S" ones (refused per item).
        return list(items.ravel().tolist())
    if isinstance(items, Mapping):
        raise InvalidItemTypeError(
            f"items is a {type(items).__name__}; pass a list: list(d.values()) to embed the values, list(d) for "
            f"the keys"
        )
    if isinstance(items, (set, frozenset)):
        raise InvalidItemTypeError(
            f"items is a {type(items).__name__}, which has no order, so results could not follow the input; "
            f"pass a list (sorted(items), say)"
        )
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


def _check_text(index: int, text: str) -> ItemFailure | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return ItemFailure(
            index,
            f"item {index} is not valid Unicode text (a lone surrogate {text[exc.start]!r} at character "
            f"{exc.start}); fix the text, or decode its bytes with errors='replace'",
            InvalidInputError,
        )
    if not text:
        what = "an empty string"
    elif text.isspace():
        what = "only whitespace"
    elif all(unicodedata.category(char) in _INVISIBLE for char in text):
        what = f"only invisible characters ({_describe(text)})"
    else:
        return None
    return ItemFailure(
        index, f"item {index} is {what}: there is nothing to embed; drop it or give it text", EmptyItemError
    )


def check_item(index: int, item: Any, modalities: frozenset[str], provider: str) -> ItemFailure | None:
    """Why ``item`` cannot go to a provider embedding ``modalities``, or None when it can."""
    if isinstance(item, str):
        if "text" not in modalities:
            return ItemFailure(
                index,
                f"item {index} is text but {provider} embeds {', '.join(sorted(modalities))}; "
                f"pass a pathlib.Path for a file",
                InvalidItemTypeError,
            )
        return _check_text(index, item)
    if "image" in modalities and _is_image_like(item):
        return None
    if item is None:
        return ItemFailure(
            index, f"item {index} is None; {provider} needs text (str): drop it or replace it", InvalidItemTypeError
        )
    if isinstance(item, (bytes, bytearray)) and "text" in modalities:
        return ItemFailure(
            index,
            f"item {index} is bytes, not text; decode it first (item.decode('utf-8'))",
            InvalidItemTypeError,
        )
    kinds = " or ".join(sorted(modalities))
    return ItemFailure(
        index,
        f"item {index} is {_article(type(item).__name__)} {type(item).__name__} ({_describe(item)}), which "
        f"{provider} cannot embed as {kinds}; "
        f"pass str(item) if you meant its text",
        InvalidItemTypeError,
    )


def check_items(items: Sequence[Any], modalities: frozenset[str], provider: str) -> list[ItemFailure]:
    """Every bad item of the call, in input order."""
    errors = []
    for index, item in enumerate(items):
        error = check_item(index, item, modalities, provider)
        if error is not None:
            errors.append(error)
    return errors


def raise_for_item_errors(errors: Sequence[ItemFailure]) -> None:
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


def item_digest(item: Any) -> bytes:
    """A sha256 of the item's content, prefixed by its kind so text "x" and bytes b"x" never collide.

    Raises:
        InvalidItemTypeError: the item has no content embedsdk knows how to hash.
    """
    h = hashlib.sha256()
    if isinstance(item, str):
        h.update(b"text\0" + item.encode("utf-8", "surrogatepass"))
    elif isinstance(item, (bytes, bytearray, memoryview)):
        h.update(b"bytes\0" + bytes(item))
    elif isinstance(item, os.PathLike):
        h.update(b"file\0" + Path(item).read_bytes())
    elif isinstance(item, np.ndarray):
        h.update(f"array\0{item.dtype.str}\0{item.shape}\0".encode() + np.ascontiguousarray(item).tobytes())
    elif all(hasattr(item, name) for name in ("mode", "size", "tobytes")):  # a PIL image
        h.update(f"image\0{item.mode}\0{item.size}\0".encode() + item.tobytes())
    else:
        raise InvalidItemTypeError(
            f"cannot hash an item of type {type(item).__name__} for the cache",
            [ItemFailure(-1, type(item).__name__)],
        )
    return h.digest()
