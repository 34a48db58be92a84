"""Random-weight open_clip models saved to temp checkpoints, so the real loading code runs offline.

- ``tiny_arch``: a tiny CLIP architecture registered with open_clip (``open_clip.add_model_config``):
  32x32 images, 2-layer towers, 32-d vectors. Fast enough for every default test.
- ``tiny_checkpoint``: its random weights (seeded) saved as safetensors; ``tiny_pt``: the same weights
  saved with ``torch.save(state_dict)``.
- ``tiny_reference``: open_clip's own model and transform, loaded from ``tiny_checkpoint`` by open_clip's
  code: the parity oracle.
- ``images``: small image files of several kinds written to a temp folder; ``picture`` makes pixels.
"""

from __future__ import annotations

import json
import os
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
