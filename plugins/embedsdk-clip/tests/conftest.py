"""Random-weight open_clip models saved to temp checkpoints, so the real loading code runs offline.

- ``tiny_arch``: a tiny CLIP architecture registered with open_clip (``open_clip.add_model_config``):
  32x32 images, 2-layer towers, 32-d vectors. Fast enough for every default test.
- ``tiny_checkpoint``: its random weights (seeded) saved as safetensors; ``tiny_pt``: the same weights
  saved with ``torch.save(state_dict)``.
- ``tiny_reference``: open_clip's own model and transform, loaded from ``tiny_checkpoint`` by open_clip's
  code: the parity oracle.
- ``images``: small image files of several kinds written to a temp folder; ``picture`` makes pixels.
- ``giant``: writes huge images without ever holding their pixels (`giant_jpeg`, `giant_png`).
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import embedsdk_clip.plugin
import numpy as np
import pytest

import embedsdk
import embedsdk.testing

os.environ["HF_HUB_OFFLINE"] = "1"

TINY = "embedsdk-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EMBEDSDK_PROVIDER", raising=False)
    with embedsdk.testing.isolated_plugins(embedsdk_clip.plugin):
        yield


@pytest.fixture(scope="session")
def tiny_arch(tmp_path_factory) -> str:
    import open_clip

    folder = tmp_path_factory.mktemp("open-clip-configs")
    (folder / f"{TINY}.json").write_text(json.dumps(TINY_CONFIG))
    # The same towers with 16-d vectors: a checkpoint of one does not fit the other.
    (folder / f"{TINY}-16.json").write_text(json.dumps({**TINY_CONFIG, "embed_dim": 16}))
    open_clip.add_model_config(folder)
    return TINY


def save_random_clip(arch: str, folder: Path, seed: int, suffix: str = ".safetensors") -> Path:
    """Build ``arch`` with random weights (``pretrained=None``) and save its state dict."""
    import open_clip
    import torch

    torch.manual_seed(seed)
    model = open_clip.create_model(arch, pretrained=None)
    state = {key: value.contiguous() for key, value in model.state_dict().items()}
    path = folder / f"{arch}-{seed}{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, str(path))
    else:
        torch.save(state, str(path))
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_arch, tmp_path_factory) -> Path:
    return save_random_clip(tiny_arch, tmp_path_factory.mktemp("tiny-clip"), seed=0)


@pytest.fixture(scope="session")
def tiny_pt(tiny_arch, tmp_path_factory) -> Path:
    return save_random_clip(tiny_arch, tmp_path_factory.mktemp("tiny-clip-pt"), seed=0, suffix=".pt")


@pytest.fixture(scope="session")
def tiny_reference(tiny_arch, tiny_checkpoint):
    """open_clip's model, transform and tokenizer for the tiny checkpoint, loaded by open_clip itself."""
    import open_clip

    model, _, transform = open_clip.create_model_and_transforms(tiny_arch, pretrained=str(tiny_checkpoint))
    return model.eval(), transform, open_clip.get_tokenizer(tiny_arch)


def picture(seed: int, size: tuple[int, int] = (48, 40)) -> np.ndarray:
    """A smooth random RGB picture (HWC uint8), different for every seed."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(4, 4, 3)).astype(np.float64)
    rows = np.linspace(0, 3, size[1])[:, None]
    cols = np.linspace(0, 3, size[0])[None, :]
    r0, c0 = np.floor(rows).astype(int).clip(0, 2), np.floor(cols).astype(int).clip(0, 2)
    fr, fc = (rows - r0)[..., None], (cols - c0)[..., None]
    top = small[r0, c0] * (1 - fc) + small[r0, c0 + 1] * fc
    bottom = small[r0 + 1, c0] * (1 - fc) + small[r0 + 1, c0 + 1] * fc
    return (top * (1 - fr) + bottom * fr).round().astype(np.uint8)


@pytest.fixture()
def images(tmp_path) -> dict[str, Path]:
    """PNG and JPEG files of different pictures, named by kind."""
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    files = {}
    for n, (name, fmt) in enumerate([("a.png", "PNG"), ("b.jpg", "JPEG"), ("c.png", "PNG"), ("d.jpeg", "JPEG")]):
        path = folder / name
        Image.fromarray(picture(n)).save(path, fmt)
        files[name] = path
    return files


@pytest.fixture(name="picture")
def picture_fixture():
    return picture


# -- huge images, written without holding their pixels ---------------------------------------------------
# `giant_jpeg` writes a valid baseline JPEG of a flat gray picture at any size: headers from a tiny JPEG
# Pillow writes (4:4:4, standard Huffman tables), the frame size patched, and scan data made of the same
# 14-bit MCU repeated (Y: DC diff 0 = ``00`` + EOB ``1010``; Cb, Cr: DC ``00`` + EOB ``00``). A 20,000 x
# 20,000 picture is about 11 MB on disk. `giant_png` writes a PNG header of any size (and a few rows).
def giant_jpeg(path: Path, width: int, height: int) -> Path:
    from PIL import Image

    assert width % 32 == 0 and height % 8 == 0, "whole MCUs, and 4 MCUs per 7-byte pattern"
    small = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 128, 128)).save(small, "JPEG", quality=90, subsampling=0, optimize=False)
    data = small.getvalue()
    sof = data.index(b"\xff\xc0")
    header = bytearray(data[: data.index(b"\xff\xda")])
    struct.pack_into(">HH", header, sof + 5, height, width)
    sos = data.index(b"\xff\xda")
    sos_length = struct.unpack(">H", data[sos + 2 : sos + 4])[0]
    scan_header = data[sos : sos + 2 + sos_length]
    # 4 MCUs of "00101000000000" are 56 bits = 7 bytes, none of them 0xFF (no byte stuffing needed).
    bits = "00101000000000" * 4
    pattern = int(bits, 2).to_bytes(7, "big")
    mcus = (width // 8) * (height // 8)
    with path.open("wb") as out:
        out.write(bytes(header))
        out.write(scan_header)
        block = pattern * 4096
        left = mcus // 4
        while left:
            take = min(left, 4096)
            out.write(block if take == 4096 else pattern * take)
            left -= take
        out.write(b"\xff\xd9")
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def giant_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header says ``width`` x ``height``; only its first rows are really there."""
    row = b"\x00" + b"\x80" * (width * 3)
    parts = [zlib.compress(row * 4)]
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(_chunk(b"IDAT", b"".join(parts)))
        out.write(_chunk(b"IEND", b""))
    return path


@pytest.fixture()
def giant():
    class Giant:
        jpeg = staticmethod(giant_jpeg)
        png = staticmethod(giant_png)

    return Giant
