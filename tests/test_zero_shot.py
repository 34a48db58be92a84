"""`embedsdk.zero_shot` on a toy provider that embeds colour words and images into one space, so every
expected probability can be computed by hand: softmax over labels of logit_scale x cosine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import embedsdk
from embedsdk.pipeline.items import load_image
from embedsdk.testing import isolated_runtime

Image = pytest.importorskip("PIL.Image", reason="image items need the images extra: pip install 'embedsdk[images]'")

COLOURS = {"red": [1.0, 0.0, 0.0], "green": [0.0, 1.0, 0.0], "blue": [0.0, 0.0, 1.0]}


class ColourEmbedder(embedsdk.BaseEmbedder):
    """Texts: the sum of the colour words they hold (plus a small constant); images: their mean RGB."""

    modalities = frozenset({"text", "image"})
    logit_scale = 10.0

    @property
    def space(self) -> embedsdk.EmbeddingSpace:
        return embedsdk.EmbeddingSpace(provider=self.provider_id, model="colours", revision="1", dim=3)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        rows = []
        for item in items:
            if isinstance(item, str):
                rows.append(np.sum([COLOURS.get(w, [0.1, 0.1, 0.1]) for w in item.split()], axis=0))
            else:
                try:
                    pixels = np.asarray(load_image(item), dtype=np.float64)
                except embedsdk.InvalidInputError as exc:  # the protocol: a bad item is rejected, alone
                    raise embedsdk.errors.ItemRejectedError(str(exc)) from exc
                rows.append(pixels.reshape(-1, 3).mean(axis=0) + 1e-3)
        return np.asarray(rows, dtype=np.float32)


class TextOnly(ColourEmbedder):
    modalities = frozenset({"text"})


class ColourPlugin:
    @embedsdk.hookimpl
    def register_embedders(self, register: Any) -> None:
        register("colours/*", ColourEmbedder, modalities=("text", "image"))
        register("words/*", TextOnly)


@pytest.fixture(autouse=True)
def _toy(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    with isolated_runtime(ColourPlugin()):
        yield


def solid(rgb: tuple[int, int, int]) -> np.ndarray:
    return np.tile(np.array(rgb, dtype=np.uint8), (8, 8, 1))


def expected_probs(images: list[np.ndarray], labels: list[str], template: str) -> np.ndarray:
    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v)

    embedder = ColourEmbedder("colours/x")
    texts = np.stack([unit(v) for v in embedder.embed_batch([template.replace("{}", x) for x in labels])])
    pictures = np.stack([unit(v) for v in embedder.embed_batch(images)])
    logits = 10.0 * pictures @ texts.T
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def test_probs_are_the_softmax_of_logit_scale_times_cosine(tmp_path):
    images = [solid((250, 10, 10)), solid((10, 10, 240)), solid((20, 200, 30))]
    labels = ["red", "green", "blue"]
    result = embedsdk.zero_shot(images, labels, provider="colours/x", template="a photo of {}")
    assert result.probs.shape == (3, 3) and result.labels == labels
    np.testing.assert_allclose(result.probs, expected_probs(images, labels, "a photo of {}"), atol=1e-5)
    np.testing.assert_allclose(result.probs.sum(axis=1), 1.0, atol=1e-5)
    assert result.best == ["red", "blue", "green"]
    assert result.top(2)[0][0][0] == "red" and len(result.top(2)[0]) == 2
    assert result.logit_scale == 10.0 and result.prompts[0] == ["a photo of red"]
    assert len(result) == 3


def test_image_files_and_one_image(tmp_path):
    path = tmp_path / "red.png"
    Image.fromarray(solid((240, 0, 0))).save(path)
    assert embedsdk.zero_shot(path, ["red", "blue"], provider="colours/x").best == ["red"]
    assert embedsdk.zero_shot([path, solid((0, 0, 200))], ["red", "blue"], provider="colours/x").best == [
        "red",
        "blue",
    ]


def test_several_templates_are_averaged_per_label():
    result = embedsdk.zero_shot(
        [solid((200, 0, 0))], ["red", "blue"], provider="colours/x", template=["a {}", "a {} thing"]
    )
    assert result.prompts == [["a red", "a red thing"], ["a blue", "a blue thing"]]
    assert result.best == ["red"]


def test_failed_images_are_named_and_leave_nan_rows(tmp_path):
    items = [solid((0, 200, 0)), tmp_path / "missing.png"]
    with pytest.raises(embedsdk.EmbedSDKError):
        embedsdk.zero_shot(items, ["green", "red"], provider="colours/x")
    result = embedsdk.zero_shot(items, ["green", "red"], provider="colours/x", on_error="collect")
    assert result.best == ["green", None] and np.isnan(result.probs[1]).all()
    assert [e.index for e in result.errors] == [1]


def test_bad_calls_are_refused_with_the_fix(tmp_path):
    with pytest.raises(embedsdk.InvalidOptionError, match=r"embeds text and images.*provider='clip'"):
        embedsdk.zero_shot([solid((1, 2, 3))], ["red"], provider="words/x")
    with pytest.raises(embedsdk.InvalidOptionError, match="template must hold"):
        embedsdk.zero_shot([solid((1, 2, 3))], ["red"], provider="colours/x", template="a photo")
    with pytest.raises(embedsdk.InvalidOptionError, match="labels must be"):
        embedsdk.zero_shot([solid((1, 2, 3))], [], provider="colours/x")
    with pytest.raises(embedsdk.InvalidInputError, match=r"images \[1\] are str.*pathlib.Path"):
        embedsdk.zero_shot([solid((1, 2, 3)), "cat.jpg"], ["red"], provider="colours/x")
