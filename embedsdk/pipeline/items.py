r"""Items: turning a call's input into a list, checking each item, and hashing its content for the cache.

Each bad item gets an `ItemFailure` naming its index and the fix. The rule for text: it must hold at least
one visible character. Empty strings, whitespace, and text made only of invisible characters (control
characters such as ``"\x00"``, format characters such as the zero-width space ``"\u200b"``) carry nothing to
embed and are refused as `EmptyItemError`; text that is not valid Unicode (a lone surrogate, as
``"\ud800"`` or undecodable bytes read with ``surrogateescape``) is refused as `InvalidInputError`.

Images (for providers whose modalities include ``"image"``): a `pathlib.Path` (any ``os.PathLike``; a ``str``
is always text), encoded bytes, a PIL image, or a numpy array (H, W), (H, W, 1), (H, W, 3), (H, W, 4) of
uint8 (or float in 0..1). `load_image` decodes one of them to RGB under one policy, shared by every image
provider:

- Orientation: the EXIF orientation tag is applied, so a photo is embedded the way viewers show it.
- Modes: CMYK, YCbCr, LAB, palette (``P``), grayscale, 1-bit are converted to RGB; alpha (RGBA, LA, PA) is
  dropped, as open_clip's and Hugging Face's CLIP preprocessing do; 16- and 32-bit integer images are scaled
  to 8 bits (not clipped, which would turn them white); float images are read as 0..1.
- Size: a 1x1 image is fine. A JPEG over ``max_pixels`` is decoded at reduced scale (1/2, 1/4 or 1/8, by
  libjpeg's DCT scaling, Pillow's ``draft``), so a 20,000 x 20,000 JPEG costs about 75 MB of pixels, not
  1.2 GB. Other formats cannot be decoded at reduced scale: over ``max_pixels`` they are refused before a
  pixel is decoded (the decompression-bomb policy; Pillow's own global limit is left untouched).
- Broken files: unreadable or corrupt bytes, a truncated file, a missing path or a folder raise
  `InvalidInputError` with the reason; providers turn it into a per-item failure.

The cache key of an image is its decoded pixels (plus `DECODE_POLICY`; the provider's preprocessing is in
its space), not its path or its bytes: a file edited in place is embedded again, and the same picture as a
path, bytes, a PIL image or an array is one entry. Pillow is imported on first use (``pip install
'embedsdk[images]'``).
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import warnings
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
    MissingDependencyError,
)

__all__ = [
    "DECODE_POLICY",
    "DEFAULT_MAX_PIXELS",
    "as_item_list",
    "check_item",
    "check_items",
    "is_image_item",
    "item_digest",
    "load_image",
    "raise_for_item_errors",
]

# Categories that draw nothing: controls, format characters (zero-width space, joiners, BOM), separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})

_SHOWN = 5

# 64 Mpx is 192 MB of RGB pixels: larger than any camera photo, small enough to decode one at a time.
DEFAULT_MAX_PIXELS = 64_000_000
# Part of every image's cache key: a change in how pixels are decoded must never reuse old entries.
DECODE_POLICY = "exif-transpose;rgb-drop-alpha;16bit-scaled;jpeg-draft-over-max-pixels;v1"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ORIENTATION = 0x0112


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


def is_image_item(item: Any) -> bool:
    """True for the item kinds an image provider takes: paths, bytes, numpy arrays and PIL images."""
    return isinstance(item, (bytes, bytearray, memoryview, os.PathLike, np.ndarray)) or all(
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
    if "image" in modalities and is_image_item(item):
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


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingDependencyError("decoding images needs Pillow: pip install 'embedsdk[images]'") from exc
    return Image


def _from_array(array: np.ndarray) -> Any:
    image_module = _pil()
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidInputError(
            f"a numpy image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) (height, width, channels), "
            f"not {array.shape}; transpose a CHW array with array.transpose(1, 2, 0)"
        )
    if 0 in array.shape[:2]:
        raise InvalidInputError(f"a numpy image of shape {array.shape} has no pixels")
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.bool_:
        pixels = array.astype(np.uint8) * 255
    elif array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise InvalidInputError("a float numpy image holds NaN or infinite values")
        pixels = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    else:
        raise InvalidInputError(
            f"a numpy image must be uint8 (0..255) or float (0..1), not {array.dtype}; "
            f"convert it with array.astype(np.uint8)"
        )
    return image_module.fromarray(np.ascontiguousarray(pixels))


def _to_rgb(image: Any) -> Any:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I") or mode == "F":
        # 16/32-bit: scale to 8 bits from the type's range (convert("L") would clip at 255: all white).
        array = np.asarray(image)
        if mode == "F":
            top = 1.0 if float(array.max(initial=0.0)) <= 1.0 else 255.0
            scaled = np.clip(array / top, 0.0, 1.0) * 255.0
        else:
            top = 65535.0 if int(array.max(initial=0)) > 255 or "16" in mode or mode == "I" else 255.0
            scaled = np.clip(array.astype(np.float64) / top, 0.0, 1.0) * 255.0
        return _pil().fromarray((scaled + 0.5).astype(np.uint8)).convert("RGB")
    if mode == "P":
        image = image.convert("RGBA")  # honours the palette's transparency without Pillow's warning
    return image.convert("RGB")


def _describe_source(item: Any) -> str:
    return f"file {os.fspath(item)!s}" if isinstance(item, os.PathLike) else "bytes"


def _open_encoded(item: Any, max_pixels: int) -> Any:
    """Open (not decode) an encoded image from a path or bytes, JPEG drafts applied."""
    image_module = _pil()
    if isinstance(item, os.PathLike):
        path = Path(os.fspath(item))
        if not path.exists():
            raise InvalidInputError(f"{path} does not exist; check the path")
        if path.is_dir():
            raise InvalidInputError(f"{path} is a folder, not an image file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    else:
        data = bytes(item)
    if not data:
        raise InvalidInputError(f"{_describe_source(item)} is empty (0 bytes)")
    stream = io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", image_module.DecompressionBombWarning)
            image = image_module.open(stream)
    except image_module.DecompressionBombError:
        # Pillow refuses images over twice its global limit at open. JPEG can be decoded at reduced scale,
        # so open it with the JPEG plugin directly (no check) and draft below; anything else is refused.
        if not data.startswith(_JPEG_MAGIC):
            raise InvalidInputError(
                f"{_describe_source(item)} is too large to decode (over Pillow's decompression-bomb limit); "
                f"downscale it first, or save it as JPEG, which is decoded at reduced scale"
            ) from None
        from PIL import JpegImagePlugin

        stream.seek(0)
        image = JpegImagePlugin.JpegImageFile(stream)
    except Exception as exc:  # UnidentifiedImageError, SyntaxError from a plugin, struct errors...
        raise InvalidInputError(
            f"{_describe_source(item)} is not an image Pillow can read ({type(exc).__name__}: {exc}); "
            f"pass PNG, JPEG, WebP, GIF, BMP or TIFF data"
        ) from exc
    width, height = image.size
    if width * height > max_pixels:
        if image.format == "JPEG":
            scale = 1
            while scale < 8 and (width // scale) * (height // scale) > max_pixels:
                scale *= 2
            image.draft(image.mode if image.mode in ("RGB", "L") else None, (width // scale, height // scale))
        if image.size[0] * image.size[1] > max_pixels:
            raise InvalidInputError(
                f"{_describe_source(item)} is {width}x{height} {image.format or ''} "
                f"({width * height / 1e6:.0f} Mpx), over the limit of {max_pixels / 1e6:.0f} Mpx per image; "
                f"downscale it first, or raise the provider's max_image_pixels option"
            )
    return image


def load_image(item: Any, max_pixels: int = DEFAULT_MAX_PIXELS) -> Any:
    """Decode one image item into an RGB PIL image (the policy is in the module docstring).

    Args:
        item: A path (``os.PathLike``), encoded bytes, a PIL image or a numpy HWC array.
        max_pixels: Largest image decoded at full size; larger JPEGs are decoded at reduced scale and
            other larger images are refused.

    Returns:
        A loaded PIL image in mode ``RGB``; the caller's own PIL image is never modified.

    Raises:
        InvalidInputError: the item cannot be decoded; the message names the reason and the fix.
    """
    if isinstance(item, str):
        raise InvalidInputError("a str is text, not an image; pass pathlib.Path(path) for an image file")
    if isinstance(item, np.ndarray):
        return _to_rgb(_from_array(item))
    if isinstance(item, (bytes, bytearray, memoryview, os.PathLike)):
        image = _open_encoded(item, max_pixels)
        try:
            image.load()
        except Exception as exc:  # a truncated file ends here: Pillow reads lazily
            raise InvalidInputError(
                f"{_describe_source(item)} could not be decoded ({type(exc).__name__}: {exc}); "
                f"the file is truncated or corrupt: re-export or re-download it"
            ) from exc
    elif is_image_item(item):
        image = item
        width, height = image.size
        if width * height == 0:
            raise InvalidInputError(f"a {width}x{height} PIL image has no pixels")
    else:
        raise InvalidInputError(
            f"{type(item).__name__} is not an image; pass a pathlib.Path, bytes, a PIL image or a numpy array"
        )
    from PIL import ImageOps

    try:
        if image.getexif().get(_ORIENTATION, 1) != 1:  # only then: exif_transpose copies every image
            image = ImageOps.exif_transpose(image)
        return _to_rgb(image)
    except Exception as exc:
        raise InvalidInputError(f"the image could not be converted to RGB ({type(exc).__name__}: {exc})") from exc


def _pixel_digest(item: Any) -> bytes | None:
    """sha256 of the item's decoded RGB pixels under `DECODE_POLICY`; None when it does not decode."""
    try:
        image = load_image(item)
    except (InvalidInputError, MissingDependencyError):
        return None  # the provider decodes it too, and reports the problem for this item alone
    h = hashlib.sha256(f"image\0{DECODE_POLICY}\0{image.size}\0".encode())
    h.update(image.tobytes())
    return h.digest()


def item_digest(item: Any, *, pixels: bool = True) -> bytes:
    """A sha256 of the item's content, prefixed by its kind so text "x" and bytes b"x" never collide.

    Images are hashed by their decoded pixels (see the module docstring); an image that does not decode
    falls back to its bytes (a path that cannot be read, to its name: it never reaches the cache).

    Args:
        item: The item.
        pixels: Hash images by their decoded pixels (a cache key); False hashes their bytes (file content,
            array or PIL buffer) without decoding, which is enough to find repeats within one call.

    Raises:
        InvalidItemTypeError: the item has no content embedsdk knows how to hash.
    """
    h = hashlib.sha256()
    if isinstance(item, str):
        h.update(b"text\0" + item.encode("utf-8", "surrogatepass"))
        return h.digest()
    if pixels and is_image_item(item):
        # One image at a time, decoded and dropped: keys follow pixels while memory stays bounded.
        decoded = _pixel_digest(item)
        if decoded is not None:
            return decoded
    if isinstance(item, (bytes, bytearray, memoryview)):
        h.update(b"bytes\0" + bytes(item))
    elif isinstance(item, os.PathLike):
        try:
            h.update(b"file\0" + Path(item).read_bytes())
        except OSError as exc:  # missing or unreadable: the provider names the problem for this item
            h.update(f"unreadable\0{os.fspath(item)}\0{type(exc).__name__}".encode())
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
