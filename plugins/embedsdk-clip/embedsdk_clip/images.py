"""Turning one image-like item into an RGB PIL image, with a defined outcome for every bad image.

Accepted items: a `pathlib.Path` (any ``os.PathLike``) to a file, encoded bytes (PNG, JPEG, ... anything
Pillow reads), a PIL image, or a numpy array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) of uint8.
A ``str`` is never a path here: embedsdk treats strings as text.

What happens to unusual images (the policy, in one place):

- Orientation: the EXIF orientation tag is applied, so a photo is embedded the way viewers show it.
- Modes: CMYK, YCbCr, LAB, palette (``P``), grayscale, 1-bit are converted to RGB; alpha (RGBA, LA, PA) is
  dropped as open_clip's own preprocessing does; 16-bit and 32-bit integer images are scaled to 8 bits
  (not clipped, which would turn them white); float images are read as 0..1.
- Size: a 1x1 image is fine (the preprocessing resizes it). A JPEG larger than ``max_pixels`` is decoded at
  a reduced scale (1/2, 1/4 or 1/8, by libjpeg's DCT scaling, Pillow's ``draft``), so a 20,000 x 20,000
  JPEG costs about 19 MB of pixels, not 1.2 GB. Other formats cannot be decoded at reduced scale: over
  ``max_pixels`` they are refused before a single pixel is decoded (the decompression-bomb policy; Pillow's
  own global limit is left untouched).
- Broken files: unreadable or corrupt bytes, a truncated file, a missing path or a folder raise
  `ImageDecodeError` with the reason; callers turn it into a per-item error.

Pillow is imported on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk.errors import InvalidInputError

__all__ = ["DEFAULT_MAX_PIXELS", "DECODE_POLICY", "ImageDecodeError", "is_image_item", "load_image"]

# 64 Mpx is 192 MB of RGB pixels: larger than any camera photo, small enough to decode one per worker.
DEFAULT_MAX_PIXELS = 64_000_000
# Part of the embedding space: a change in how pixels are decoded must never reuse old cache entries.
DECODE_POLICY = "exif-transpose;rgb-drop-alpha;16bit-scaled;jpeg-draft-over-max-pixels;v1"

_JPEG_MAGIC = b"\xff\xd8\xff"
_ORIENTATION = 0x0112


class ImageDecodeError(InvalidInputError):
    """An image item cannot be decoded; the message says why and what to do."""


def is_image_item(item: Any) -> bool:
    """True for the item kinds `load_image` accepts (paths, bytes, numpy arrays, PIL images)."""
    return isinstance(item, (bytes, bytearray, memoryview, os.PathLike, np.ndarray)) or all(
        hasattr(item, name) for name in ("mode", "size", "tobytes")
    )


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow comes with the plugin
        from embedsdk.errors import MissingDependencyError

        raise MissingDependencyError("decoding images needs Pillow: pip install pillow") from exc
    return Image


def _from_array(array: np.ndarray) -> Any:
    image_module = _pil()
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageDecodeError(
            f"a numpy image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) (height, width, channels), "
            f"not {array.shape}; transpose a CHW array with array.transpose(1, 2, 0)"
        )
    if 0 in array.shape[:2]:
        raise ImageDecodeError(f"a numpy image of shape {array.shape} has no pixels")
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.bool_:
        pixels = array.astype(np.uint8) * 255
    elif array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ImageDecodeError("a float numpy image holds NaN or infinite values")
        pixels = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    else:
        raise ImageDecodeError(
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
            raise ImageDecodeError(f"{path} does not exist; check the path")
        if path.is_dir():
            raise ImageDecodeError(f"{path} is a folder, not an image file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImageDecodeError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    else:
        data = bytes(item)
    if not data:
        raise ImageDecodeError(f"{_describe_source(item)} is empty (0 bytes)")
    stream = io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", image_module.DecompressionBombWarning)
            image = image_module.open(stream)
    except image_module.DecompressionBombError:
        # Pillow refuses images over twice its global limit at open. JPEG can be decoded at reduced scale,
        # so open it with the JPEG plugin directly (no check) and draft below; anything else is refused.
        if not data.startswith(_JPEG_MAGIC):
            raise ImageDecodeError(
                f"{_describe_source(item)} is too large to decode (over Pillow's decompression-bomb limit); "
                f"downscale it first, or save it as JPEG, which is decoded at reduced scale"
            ) from None
        from PIL import JpegImagePlugin

        stream.seek(0)
        image = JpegImagePlugin.JpegImageFile(stream)
    except Exception as exc:  # UnidentifiedImageError, SyntaxError from a plugin, struct errors...
        raise ImageDecodeError(
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
            raise ImageDecodeError(
                f"{_describe_source(item)} is {width}x{height} {image.format or ''} "
                f"({width * height / 1e6:.0f} Mpx), over the limit of {max_pixels / 1e6:.0f} Mpx per image; "
                f"downscale it first, or raise the provider's max_image_pixels option"
            )
    return image


def load_image(item: Any, max_pixels: int = DEFAULT_MAX_PIXELS) -> Any:
    """Decode one image-like item into an RGB PIL image (see the module docstring for the policy).

    Args:
        item: A path (``os.PathLike``), encoded bytes, a PIL image or a numpy HWC array.
        max_pixels: Largest image decoded at full size; larger JPEGs are decoded at reduced scale and
            other larger images are refused.

    Returns:
        A loaded PIL image in mode ``RGB``; the caller's own PIL image is never modified.

    Raises:
        ImageDecodeError: the item cannot be decoded; the message names the reason and the fix.
    """
    if isinstance(item, str):
        raise ImageDecodeError("a str is text, not an image; pass pathlib.Path(path) for an image file")
    if isinstance(item, np.ndarray):
        return _to_rgb(_from_array(item))
    if isinstance(item, (bytes, bytearray, memoryview, os.PathLike)):
        image = _open_encoded(item, max_pixels)
        try:
            image.load()
        except Exception as exc:  # a truncated file ends here: Pillow reads lazily
            raise ImageDecodeError(
                f"{_describe_source(item)} could not be decoded ({type(exc).__name__}: {exc}); "
                f"the file is truncated or corrupt: re-export or re-download it"
            ) from exc
    elif is_image_item(item):
        image = item
        width, height = image.size
        if width * height == 0:
            raise ImageDecodeError(f"a {width}x{height} PIL image has no pixels")
    else:
        raise ImageDecodeError(
            f"{type(item).__name__} is not an image; pass a pathlib.Path, bytes, a PIL image or a numpy array"
        )
    from PIL import ImageOps

    try:
        if image.getexif().get(_ORIENTATION, 1) != 1:  # only then: exif_transpose copies every image
            image = ImageOps.exif_transpose(image)
        return _to_rgb(image)
    except Exception as exc:
        raise ImageDecodeError(f"the image could not be converted to RGB ({type(exc).__name__}: {exc})") from exc
