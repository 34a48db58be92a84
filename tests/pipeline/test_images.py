"""Image items in the core: decoding under one policy (`load_image`) and cache keys made of decoded pixels."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from embedsdk.errors import InvalidInputError
from embedsdk.pipeline.items import check_item, is_image_item, item_digest, load_image
from embedsdk.testing.images import giant_jpeg, giant_png, truncated_copy

Image = pytest.importorskip("PIL.Image", reason="image decoding needs the images extra: pip install 'embedsdk[images]'")


def picture(seed: int, size: tuple[int, int] = (48, 40)) -> np.ndarray:
    """A random RGB picture (HWC uint8), upscaled from 6x8 so it compresses like a photo."""
    small = np.random.default_rng(seed).integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BILINEAR))


def test_one_picture_has_one_key_whatever_form_it_comes_in(tmp_path):
    rgb = picture(1)
    path = tmp_path / "a.png"
    Image.fromarray(rgb).save(path)
    other_encoding = io.BytesIO()
    Image.fromarray(rgb).save(other_encoding, "PNG", compress_level=1)
    forms = [path, path.read_bytes(), other_encoding.getvalue(), rgb, Image.fromarray(rgb), Image.open(path)]
    assert len({item_digest(form) for form in forms}) == 1
    assert item_digest(picture(2)) != item_digest(rgb)
    assert item_digest(str(path)) != item_digest(path)  # a str is text: its words, not the file


def test_a_file_edited_in_place_gets_a_new_key(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(picture(1)).save(path)
    before = item_digest(path)
    Image.fromarray(picture(3)).save(path)
    assert item_digest(path) != before


def test_items_that_do_not_decode_still_get_a_key(tmp_path):
    # The provider reports the problem for that item alone; the key only has to exist and differ.
    keys = {item_digest(tmp_path / "missing.png"), item_digest(b"not an image"), item_digest(b"other bytes")}
    assert len(keys) == 3


def test_image_items_pass_the_checks_only_for_image_providers(tmp_path):
    both = frozenset({"text", "image"})
    for item in (tmp_path / "a.png", b"\x89PNG", picture(0), Image.fromarray(picture(0)), memoryview(b"x")):
        assert is_image_item(item)
        assert check_item(0, item, both, "clip/x") is None
    assert "cannot embed" in check_item(3, picture(0), frozenset({"text"}), "hf/x").message


def test_modes_are_converted_to_rgb(tmp_path):
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
    np.testing.assert_array_equal(np.asarray(load_image(rgba_path)), rgb)  # alpha dropped, as CLIP does
    np.testing.assert_array_equal(np.asarray(load_image(rgba)), rgb)

    one_bit = Image.fromarray(gray > 128)
    np.testing.assert_array_equal(np.asarray(load_image(one_bit))[:, :, 0], np.where(gray > 128, 255, 0))
    np.testing.assert_array_equal(np.asarray(load_image(gray[:, :, None])), np.stack([gray] * 3, axis=2))
    floats = load_image(rgb.astype(np.float32) / 255)
    assert np.abs(np.asarray(floats, dtype=int) - rgb).max() <= 1


def test_a_1x1_image_decodes(tmp_path):
    path = tmp_path / "one.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(path)
    assert load_image(path).getpixel((0, 0)) == (200, 10, 10)


def test_exif_orientation_is_applied(tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate it 90 degrees clockwise
    Image.fromarray(picture(8, (48, 32))).save(path, quality=95, exif=exif)
    assert load_image(path).size == (32, 48)


def test_broken_files_say_what_is_wrong(tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.fromarray(picture(5, (400, 300))).save(photo, quality=90)
    with pytest.raises(InvalidInputError, match=r"truncated\.jpg could not be decoded .*truncated or corrupt"):
        load_image(truncated_copy(photo, tmp_path / "truncated.jpg", keep=0.3))
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(InvalidInputError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(InvalidInputError, match="not an image Pillow can read"):
        load_image(b"\x89PNG\r\n\x1a\n and then nonsense")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (b"", "empty"),
        (np.zeros((4, 4), dtype=np.int64), "uint8"),
        (np.zeros((8, 8, 2), dtype=np.uint8), r"\(8, 8, 2\)"),
        (np.zeros((0, 4, 3), dtype=np.uint8), "no pixels"),
        ("cat.jpg", "pathlib.Path"),
        (3.5, "not an image"),
    ],
)
def test_items_that_are_not_images_say_what_to_pass(item, message):
    with pytest.raises(InvalidInputError, match=message):
        load_image(item)


def test_a_huge_png_is_refused_before_decoding(tmp_path):
    path = giant_png(tmp_path / "huge.png", 20000, 20000)
    with pytest.raises(InvalidInputError, match="too large to decode"):
        load_image(path)
    between = giant_png(tmp_path / "big.png", 9000, 9000)  # over our 64 Mpx, under Pillow's bomb limit
    with pytest.raises(InvalidInputError, match=r"9000x9000 PNG \(81 Mpx\), over the limit of 64 Mpx"):
        load_image(between)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_20000_square_jpeg_decodes_at_reduced_scale_in_bounded_memory(tmp_path):
    path = giant_jpeg(tmp_path / "huge.jpg", 20000, 20000)
    # A fresh process importing only the core and Pillow, so its peak RSS is the decoder's. VmHWM, not
    # getrusage: ru_maxrss carries a parent's peak across exec.
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from embedsdk.pipeline.items import load_image
        image = load_image(Path({str(path)!r}))
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(image.size[0], image.size[1], image.getpixel((17, 17)), int(status["VmHWM"].split()[0]) // 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert (int(out[0]), int(out[1])) == (5000, 5000)  # 1/4 scale: the largest within 64 Mpx
    assert " ".join(out[2:5]) == "(128, 128, 128)"
    assert int(out[5]) < 300, f"decoding took {out[5]} MB; the full picture is 1,200 MB"


def test_without_pixels_the_digest_reads_bytes_only(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(picture(1)).save(path)
    assert item_digest(path, pixels=False) != item_digest(path)  # bytes, not pixels: no decoding
    truncated = truncated_copy(path, tmp_path / "t.png", keep=0.5)
    assert item_digest(truncated, pixels=False) != item_digest(path, pixels=False)
