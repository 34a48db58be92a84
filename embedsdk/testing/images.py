"""Image files for testing image providers, including huge ones written without ever holding their pixels.

- `giant_jpeg`: a valid baseline JPEG of a flat gray picture at any size. Its headers come from a tiny
  JPEG Pillow writes (4:4:4, standard Huffman tables) with the frame size patched; its scan data is the
  same 14-bit MCU repeated (Y: DC difference 0 = ``00`` then end-of-block ``1010``; Cb and Cr: ``00`` then
  ``00``). A 20,000 x 20,000 picture is about 11 MB on disk and decodes to mid-gray (128, 128, 128).
- `giant_png`: a PNG whose header claims any size, with only its first rows present: enough for a
  decoder's size checks, which must refuse it before decoding a pixel.
- `truncated_copy`: the first part of a file, as a broken download leaves it.

Pillow is imported on use (``pip install 'embedsdk[images]'``).
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

__all__ = ["giant_jpeg", "giant_png", "truncated_copy"]


def giant_jpeg(path: Path, width: int, height: int) -> Path:
    """Write a flat gray ``width`` x ``height`` JPEG to ``path`` in constant memory.

    Args:
        path: Where to write it.
        width: A multiple of 32 (whole MCUs, four per 7-byte pattern).
        height: A multiple of 8.
    """
    from PIL import Image

    if width % 32 or height % 8:
        raise ValueError(f"width must be a multiple of 32 and height of 8, not {width}x{height}")
    small = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 128, 128)).save(small, "JPEG", quality=90, subsampling=0, optimize=False)
    data = small.getvalue()
    sos = data.index(b"\xff\xda")
    header = bytearray(data[:sos])
    frame = data.index(b"\xff\xc0")
    struct.pack_into(">HH", header, frame + 5, height, width)
    scan_header = data[sos : sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]]
    # Four MCUs of "00101000000000" are 56 bits, 7 bytes, none of them 0xFF: no byte stuffing is needed.
    pattern = int("00101000000000" * 4, 2).to_bytes(7, "big")
    block = pattern * 4096
    with path.open("wb") as out:
        out.write(bytes(header))
        out.write(scan_header)
        left = (width // 8) * (height // 8) // 4
        while left:
            take = min(left, 4096)
            out.write(block if take == 4096 else pattern * take)
            left -= take
        out.write(b"\xff\xd9")
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def giant_png(path: Path, width: int, height: int) -> Path:
    """Write a PNG whose header says ``width`` x ``height`` (RGB, 8 bits); only its first rows are there."""
    rows = (b"\x00" + b"\x80" * (width * 3)) * 4
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(_chunk(b"IDAT", zlib.compress(rows)))
        out.write(_chunk(b"IEND", b""))
    return path


def truncated_copy(source: Path, target: Path, keep: float = 0.5) -> Path:
    """Write the first ``keep`` fraction of ``source`` to ``target``."""
    data = source.read_bytes()
    target.write_bytes(data[: max(1, int(len(data) * keep))])
    return target
