"""Bad and unusual images: each has a defined outcome (converted, or an error naming its index), and one
bad image never loses the others of its batch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from embedsdk_clip.images import ImageDecodeError, load_image
from PIL import Image

import embedsdk


@pytest.fixture()
def provider(tiny_checkpoint):
    return f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"


def test_bad_images_fail_alone_naming_their_index(provider, images, tmp_path, giant, picture):
    truncated = tmp_path / "truncated.jpg"
    Image.fromarray(picture(5, (400, 300))).save(truncated, "JPEG")
    truncated.write_bytes(truncated.read_bytes()[:1500])
    huge_png = giant.png(tmp_path / "huge.png", 20000, 20000)
    items = [
        images["a.png"],  # 0
        b"\x89PNG\r\n\x1a\n but then nonsense",  # 1: corrupt bytes
        "a dog on a beach",  # 2
        truncated,  # 3: a truncated file
        images["b.jpg"],  # 4
        huge_png,  # 5: 20,000 x 20,000, not JPEG: refused before decoding
        np.zeros((8, 8, 2), dtype=np.uint8),  # 6: not an image shape
        picture(3),  # 7
    ]
    result = embedsdk.embed(items, provider=provider, on_error="collect", cache=False)
    failed = {error.index: error.message for error in result.errors}
    assert sorted(failed) == [1, 3, 5, 6]
    assert "item 1" in failed[1] and "not an image Pillow can read" in failed[1]
    assert "item 3" in failed[3] and "truncated" in failed[3] and "truncated.jpg" in failed[3]
    assert "item 5" in failed[5] and "too large" in failed[5]
    assert "item 6" in failed[6] and "(8, 8, 2)" in failed[6]
    good = [0, 2, 4, 7]
    alone = embedsdk.embed([items[n] for n in good], provider=provider, cache=False)
    np.testing.assert_allclose(result.vectors[good], alone.vectors, atol=1e-5)
    assert np.isnan(result.vectors[[1, 3, 5, 6]]).all()

    with pytest.raises(embedsdk.errors.EmbeddingFailedError, match="4 of 8 items failed") as caught:
        embedsdk.embed(items, provider=provider, cache=False)
    np.testing.assert_allclose(caught.value.result.vectors[good], alone.vectors, atol=1e-5)


def test_a_20000_square_jpeg_is_embedded_at_reduced_scale(provider, tmp_path, giant):
    path = giant.jpeg(tmp_path / "huge.jpg", 20000, 20000)
    result = embedsdk.embed([path, "gray"], provider=provider, cache=False)
    assert np.isfinite(result.vectors).all()
    flat = np.full((64, 64, 3), 128, dtype=np.uint8)  # the giant is a flat gray picture
    small = embedsdk.embed([flat], provider=provider, cache=False)
    assert float(result.vectors[0] @ small.vectors[0]) > 0.9999


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_20000_square_jpeg_never_holds_its_full_pixels(tmp_path, giant):
    path = giant.jpeg(tmp_path / "huge.jpg", 20000, 20000)
    # A fresh process that imports only Pillow and the decoder: its peak RSS is the decoder's. VmHWM, not
    # getrusage: ru_maxrss carries the parent's peak (this torch-laden pytest) across exec.
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from embedsdk_clip.images import load_image
        image = load_image(Path({str(path)!r}))
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(image.size, image.mode, int(status["VmHWM"].split()[0]) // 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    size, mode, peak_mb = " ".join(out[:2]), out[2], int(out[3])
    assert size == "(5000, 5000)" and mode == "RGB"
    assert peak_mb < 300, f"decoding took {peak_mb} MB; the full picture would be 1,200 MB"


def test_modes_are_converted_to_rgb(tmp_path, picture):
    rgb = picture(1)
    cmyk_tiff = tmp_path / "cmyk.tif"
    Image.fromarray(rgb).convert("CMYK").save(cmyk_tiff)
    np.testing.assert_array_equal(np.asarray(load_image(cmyk_tiff)), rgb)

    cmyk_jpeg = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(cmyk_jpeg, quality=95)
    assert Image.open(cmyk_jpeg).mode == "CMYK"
    assert np.abs(np.asarray(load_image(cmyk_jpeg), dtype=int) - rgb).mean() < 6

    gray = rgb[:, :, 0]
    sixteen = tmp_path / "gray16.png"
    Image.fromarray(gray.astype(np.uint16) * 257).save(sixteen)
    assert Image.open(sixteen).mode.startswith("I")
    np.testing.assert_array_equal(np.asarray(load_image(sixteen)), np.stack([gray] * 3, axis=2))

    palette = tmp_path / "palette.png"
    quantized = Image.fromarray(rgb).quantize(16)
    quantized.save(palette)
    assert Image.open(palette).mode == "P"
    np.testing.assert_array_equal(np.asarray(load_image(palette)), np.asarray(quantized.convert("RGB")))

    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, dtype=np.uint8)])
    rgba_path = tmp_path / "rgba.png"
    Image.fromarray(rgba).save(rgba_path)
    np.testing.assert_array_equal(np.asarray(load_image(rgba_path)), rgb)  # alpha dropped, as open_clip does
    np.testing.assert_array_equal(np.asarray(load_image(rgba)), rgb)

    one_bit = Image.fromarray(gray > 128)
    np.testing.assert_array_equal(np.asarray(load_image(one_bit))[:, :, 0], np.where(gray > 128, 255, 0))


def test_unusual_images_embed(provider, tmp_path, picture):
    one = tmp_path / "one.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(one)
    palette = tmp_path / "p.gif"
    Image.fromarray(picture(2)).convert("P").save(palette)
    items = [one, palette, picture(4)[:, :, :1], picture(4).astype(np.float32) / 255, Image.fromarray(picture(6))]
    result = embedsdk.embed(items, provider=provider, cache=False)
    assert np.isfinite(result.vectors).all() and result.vectors.shape == (5, 32)


def test_exif_orientation_is_applied(tmp_path, picture):
    rgb = picture(8, (48, 32))
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate it 90 degrees clockwise
    Image.fromarray(rgb).save(path, quality=95, exif=exif)
    assert load_image(path).size == (32, 48)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (b"", "empty"),
        (np.zeros((4, 4), dtype=np.int64), "uint8"),
        (np.zeros((0, 4, 3), dtype=np.uint8), "no pixels"),
        ("cat.jpg", "pathlib.Path"),
    ],
)
def test_decode_errors_say_what_to_do(item, message):
    with pytest.raises(ImageDecodeError, match=message):
        load_image(item)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageDecodeError, match="is a folder"):
        load_image(tmp_path)
