"""Bad and unusual images through the clip provider: each has a defined outcome (converted, or an error
naming its index), and one bad image never loses the others of its batch. The decoding policy itself is
tested in the core (tests/pipeline/test_images.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import embedsdk
from embedsdk.testing.images import giant_jpeg, giant_png, truncated_copy


@pytest.fixture()
def provider(tiny_checkpoint):
    return f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"


def test_bad_images_fail_alone_naming_their_index(provider, images, tmp_path, picture):
    photo = tmp_path / "photo.jpg"
    Image.fromarray(picture(5, (400, 300))).save(photo, "JPEG")
    truncated = truncated_copy(photo, tmp_path / "truncated.jpg", keep=0.3)
    huge_png = giant_png(tmp_path / "huge.png", 20000, 20000)
    items = [
        images["a.png"],  # 0
        b"\x89PNG\r\n\x1a\n but then nonsense",  # 1: corrupt bytes
        "a dog on a beach",  # 2
        truncated,  # 3: a truncated file
        images["b.jpg"],  # 4
        huge_png,  # 5: 20,000 x 20,000, not JPEG: refused before decoding
        np.zeros((8, 8, 2), dtype=np.uint8),  # 6: not an image shape
        picture(3),  # 7
        tmp_path / "missing.jpg",  # 8: a path that does not exist
    ]
    result = embedsdk.embed(items, provider=provider, on_error="collect", precision="fp32", cache=False)
    failed = {error.index: error.message for error in result.errors}
    assert sorted(failed) == [1, 3, 5, 6, 8]
    assert "item 1" in failed[1] and "not an image Pillow can read" in failed[1]
    assert "item 3" in failed[3] and "truncated" in failed[3] and "truncated.jpg" in failed[3]
    assert "item 5" in failed[5] and "too large" in failed[5]
    assert "item 6" in failed[6] and "(8, 8, 2)" in failed[6]
    assert "item 8" in failed[8] and "missing.jpg does not exist" in failed[8]
    good = [0, 2, 4, 7]
    alone = embedsdk.embed([items[n] for n in good], provider=provider, precision="fp32", cache=False)
    np.testing.assert_allclose(result.vectors[good], alone.vectors, atol=1e-5)
    assert np.isnan(result.vectors[[1, 3, 5, 6, 8]]).all()

    with pytest.raises(embedsdk.errors.EmbeddingFailedError, match="5 of 9 items failed") as caught:
        embedsdk.embed(items, provider=provider, precision="fp32", cache=False)
    np.testing.assert_allclose(caught.value.result.vectors[good], alone.vectors, atol=1e-5)


def test_a_20000_square_jpeg_is_embedded_at_reduced_scale(provider, tmp_path):
    path = giant_jpeg(tmp_path / "huge.jpg", 20000, 20000)
    result = embedsdk.embed([path, "gray"], provider=provider, precision="fp32", cache=False)
    assert np.isfinite(result.vectors).all()
    flat = np.full((64, 64, 3), 128, dtype=np.uint8)  # the giant is a flat gray picture
    small = embedsdk.embed([flat], provider=provider, precision="fp32", cache=False)
    assert float(result.vectors[0] @ small.vectors[0]) > 0.9999


def test_unusual_images_embed(provider, tmp_path, picture):
    one = tmp_path / "one.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(one)
    palette = tmp_path / "p.gif"
    Image.fromarray(picture(2)).convert("P").save(palette)
    items = [one, palette, picture(4)[:, :, :1], picture(4).astype(np.float32) / 255, Image.fromarray(picture(6))]
    result = embedsdk.embed(items, provider=provider, precision="fp32", cache=False)
    assert np.isfinite(result.vectors).all() and result.vectors.shape == (5, 32)
