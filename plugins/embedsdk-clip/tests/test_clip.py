"""The clip provider through the public API, on a tiny random-weight open_clip model saved to a checkpoint
and loaded back through the provider's own loading code; open_clip (loading the same file) is the oracle."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import embedsdk_clip.plugin
import numpy as np
import pytest
import torch
from PIL import Image

import embedsdk
import embedsdk.testing
from embedsdk.errors import ConfigurationError, InputTooLongError, InvalidOptionError, ModelNotFoundError

TEXTS = ["a photo of a cat", "a dog on a beach", "x", "an astronaut riding a horse on the moon"]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def reference_text(reference, texts):
    model, _, tokenizer = reference
    with torch.no_grad():
        return model.encode_text(tokenizer(texts), normalize=True).numpy()


def reference_images(reference, pil_images):
    model, transform, _ = reference
    with torch.no_grad():
        return model.encode_image(torch.stack([transform(im) for im in pil_images]), normalize=True).numpy()


def test_text_and_image_parity_with_open_clip(tiny_checkpoint, tiny_reference, images):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    paths = list(images.values())
    result = embedsdk.embed([*TEXTS, *paths], provider=provider, precision="fp32", cache=False)
    assert result.vectors.shape == (len(TEXTS) + len(paths), 32)
    assert cosines(result.vectors[: len(TEXTS)], reference_text(tiny_reference, TEXTS)).min() >= 0.9999
    expected = reference_images(tiny_reference, [Image.open(p) for p in paths])
    assert cosines(result.vectors[len(TEXTS) :], expected).min() >= 0.9999
    np.testing.assert_allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
    assert result.space.normalized and result.space.dim == 32 and result.space.max_tokens == 77


def test_torch_save_checkpoint_loads_with_weights_only(tiny_pt, tiny_checkpoint):
    from_pt = embedsdk.embed(TEXTS, provider=f"clip/embedsdk-tiny-clip:{tiny_pt}", precision="fp32", cache=False)
    from_safetensors = embedsdk.embed(
        TEXTS, provider=f"clip/embedsdk-tiny-clip:{tiny_checkpoint}", precision="fp32", cache=False
    )
    np.testing.assert_allclose(from_pt.vectors, from_safetensors.vectors, atol=1e-6)


def test_every_image_kind_gives_the_same_vector(tiny_checkpoint, images):
    path = images["a.png"]
    pil = Image.open(path)
    items = [path, pil, path.read_bytes(), np.asarray(pil), str(path)]
    result = embedsdk.embed(items, provider=f"clip/embedsdk-tiny-clip:{tiny_checkpoint}", precision="fp32", cache=False)
    for n in range(1, 4):
        np.testing.assert_allclose(result.vectors[n], result.vectors[0], atol=1e-6)
    # A str is text, even when it is a path: it embeds as the words of the path.
    assert cosines(result.vectors[4:], result.vectors[:1])[0] < 0.999


def test_mixed_input_keeps_order_and_matches_single_calls(tiny_checkpoint, images, picture):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    items = [TEXTS[0], images["a.png"], TEXTS[1], picture(7), images["b.jpg"], TEXTS[3]]
    mixed = embedsdk.embed(items, provider=provider, precision="fp32", cache=False)
    for n, item in enumerate(items):
        alone = embedsdk.embed([item], provider=provider, precision="fp32", cache=False)
        np.testing.assert_allclose(mixed.vectors[n], alone.vectors[0], atol=1e-5)


@pytest.mark.parametrize("batch_size", [1, 5])
def test_vectors_do_not_depend_on_batch_size(tiny_checkpoint, images, batch_size, picture):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    items = [*TEXTS, *images.values(), *(picture(n) for n in range(10, 14))]
    whole = embedsdk.embed(items, provider=provider, cache=False, batch_size=64, precision="fp32")
    cut = embedsdk.embed(items, provider=provider, cache=False, batch_size=batch_size, precision="fp32")
    assert cut.stats.batches == -(-len(items) // batch_size)
    np.testing.assert_allclose(cut.vectors, whole.vectors, atol=1e-5)


def test_deterministic_across_embedders(tiny_checkpoint, images):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    items = [*TEXTS, *images.values()]
    first = embedsdk.embed(items, provider=provider, cache=False).vectors
    with embedsdk.testing.isolated_runtime(embedsdk_clip.plugin):  # a fresh runtime builds a fresh model
        assert embedsdk.embedder(provider)._loaded is None
        second = embedsdk.embed(items, provider=provider, cache=False).vectors
    assert np.array_equal(first, second)


def test_cache_serves_images_and_texts(tiny_checkpoint, images):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    items = [TEXTS[0], images["a.png"], images["b.jpg"]]
    first = embedsdk.embed(items, provider=provider)
    again = embedsdk.embed(items, provider=provider)
    assert first.stats.embedded == 3 and again.stats.cache_hits == 3 and again.stats.embedded == 0
    np.testing.assert_array_equal(first.vectors, again.vectors)


def test_a_file_edited_in_place_is_embedded_again(tiny_checkpoint, images, picture):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    path = images["a.png"]
    before = embedsdk.embed([path], provider=provider)
    Image.fromarray(picture(99)).save(path)
    after = embedsdk.embed([path], provider=provider)
    assert after.stats.cache_hits == 0 and after.stats.embedded == 1
    assert cosines(before.vectors, after.vectors)[0] < 0.9999


def test_long_text_follows_on_long_with_clip_token_counts(tiny_checkpoint):
    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    long_text = " ".join(["photograph"] * 100)
    with pytest.raises(InputTooLongError, match="item 1"):
        embedsdk.embed(["short", long_text], provider=provider, precision="fp32", cache=False)
    truncated = embedsdk.embed(
        ["short", long_text], provider=provider, on_long="truncate", precision="fp32", cache=False
    )
    assert truncated.stats.truncated == 1
    emb = embedsdk.embedder(provider)
    assert emb.tokenizer.count([long_text]) == [102]
    cut = emb.tokenizer.truncate(long_text, 77)
    assert emb.tokenizer.count([cut]) == [77] and long_text.startswith(cut)
    pieces = emb.tokenizer.split(long_text, 77, overlap=5)
    assert all(count <= 77 for count in emb.tokenizer.count(pieces)) and len(pieces) == 2
    # What the planner counted is what the model reads: the truncated text equals open_clip's own cut.
    np.testing.assert_allclose(
        truncated.vectors[1],
        embedsdk.embed([cut], provider=provider, precision="fp32", cache=False).vectors[0],
        atol=1e-5,
    )
    chunked = embedsdk.embed([long_text * 3], provider=provider, on_long="chunk", precision="fp32", cache=False)
    assert chunked.stats.chunked == 1 and np.isfinite(chunked.vectors).all()


def test_providers_lists_clip_with_its_modalities():
    found = {p.id: p for p in embedsdk.providers()}
    assert found["clip/ViT-B-32:openai"].modalities == frozenset({"text", "image"})
    assert "clip" in found["clip/ViT-B-32:openai"].aliases
    assert found["clip/*"].modalities == frozenset({"text", "image"})


def test_clip_alias_offline_names_the_checkpoint_and_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    with pytest.raises(ModelNotFoundError) as caught:
        embedsdk.embed(["a cat"], provider="clip")
    message = str(caught.value)
    assert "timm/vit_base_patch32_clip_224.openai" in message and "open_clip_model.safetensors" in message
    assert "HF_HUB_OFFLINE=1" in message
    assert "clip/ViT-B-32:/path/to/file.safetensors" in message and "checkpoint=" in message


def test_checkpoint_option_keeps_the_provider_name(tiny_checkpoint, tiny_reference, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    result = embedsdk.embed(
        TEXTS, provider="clip/embedsdk-tiny-clip:/unused.pt", checkpoint=str(tiny_checkpoint), precision="fp32"
    )
    assert result.space.provider == "clip/embedsdk-tiny-clip:/unused.pt"
    assert cosines(result.vectors, reference_text(tiny_reference, TEXTS)).min() >= 0.9999


def test_missing_and_unsafe_checkpoints_are_named(tiny_arch, tiny_checkpoint, tmp_path):
    missing = tmp_path / "nowhere.safetensors"
    with pytest.raises(ModelNotFoundError, match=r"nowhere\.safetensors does not exist"):
        embedsdk.embed(["x"], provider=f"clip/{tiny_arch}:{missing}")

    class Sneaky:
        def __reduce__(self):
            return (print, ("this pickle runs code",))

    unsafe = tmp_path / "unsafe.pt"
    unsafe.write_bytes(pickle.dumps({"visual.proj": Sneaky()}, protocol=2))
    with pytest.raises(ConfigurationError, match=r"unsafe\.pt could not be read safely"):
        embedsdk.embed(["x"], provider=f"clip/{tiny_arch}:{unsafe}")

    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ConfigurationError, match=r"garbage\.safetensors could not be read safely"):
        embedsdk.embed(["x"], provider=f"clip/{tiny_arch}:{garbage}")

    with pytest.raises(ConfigurationError, match="does not fit architecture embedsdk-tiny-clip-16"):
        embedsdk.embed(["x"], provider=f"clip/embedsdk-tiny-clip-16:{tiny_checkpoint}")


def test_unknown_architecture_and_tag_are_named(tiny_checkpoint):
    with pytest.raises(InvalidOptionError, match="did you mean ViT-B-32"):
        embedsdk.embed(["x"], provider=f"clip/ViT-B-23:{tiny_checkpoint}")
    with pytest.raises(InvalidOptionError, match=r"neither a pretrained tag of ViT-B-32 \(openai, "):
        embedsdk.embed(["x"], provider="clip/ViT-B-32:opneai")
    with pytest.raises(InvalidOptionError, match="unknown option 'batchsize'"):
        embedsdk.embed(["x"], provider=f"clip/embedsdk-tiny-clip:{tiny_checkpoint}", batchsize=3)


def test_construction_is_cheap_and_loads_on_first_use(tiny_checkpoint):
    emb = embedsdk.embedder(f"clip/embedsdk-tiny-clip:{tiny_checkpoint}")
    assert emb._loaded is None
    emb.embed(["a cat"], cache=False)
    assert emb._loaded is not None
    assert emb.logit_scale == pytest.approx(1 / 0.07, rel=1e-4)  # open_clip's initial temperature


def test_png_bytes_of_a_photo(tiny_checkpoint, tiny_reference, picture):
    buffer = io.BytesIO()
    Image.fromarray(picture(3)).save(buffer, "PNG")
    result = embedsdk.embed(
        [buffer.getvalue()], provider=f"clip/embedsdk-tiny-clip:{tiny_checkpoint}", precision="fp32", cache=False
    )
    expected = reference_images(tiny_reference, [Image.open(io.BytesIO(buffer.getvalue()))])
    assert cosines(result.vectors, expected)[0] >= 0.9999


def test_parse_ids():
    from embedsdk_clip import parse_clip_id

    assert parse_clip_id("clip/ViT-B-32:openai") == ("ViT-B-32", "openai")
    assert parse_clip_id("clip/ViT-B-32:/models/vitb32.pt") == ("ViT-B-32", "/models/vitb32.pt")
    assert parse_clip_id("clip/ViT-B-32") == ("ViT-B-32", None)
    assert parse_clip_id("clip/hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K") == (
        "hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        None,
    )
    assert Path("x")  # keep Path imported for readers of this file: image items are pathlib.Path


def test_zero_shot_matches_open_clip_softmax(tiny_checkpoint, tiny_reference, images):
    model, transform, tokenizer = tiny_reference
    labels = ["cat", "dog", "beach", "diagram"]
    paths = list(images.values())
    result = embedsdk.zero_shot(
        paths, labels, provider=f"clip/embedsdk-tiny-clip:{tiny_checkpoint}", precision="fp32", cache=False
    )
    with torch.no_grad():
        text = model.encode_text(tokenizer([f"a photo of a {label}" for label in labels]), normalize=True)
        image = model.encode_image(torch.stack([transform(Image.open(p)) for p in paths]), normalize=True)
        expected = (model.logit_scale.exp() * image @ text.T).softmax(dim=-1).numpy()
    np.testing.assert_allclose(result.probs, expected, atol=1e-5)
    assert result.best == [labels[n] for n in expected.argmax(axis=1)]
    assert result.logit_scale == pytest.approx(float(model.logit_scale.detach().exp()), rel=1e-6)


def test_cli_searches_a_folder_of_images_by_text_and_by_image(tiny_checkpoint, images, capsys):
    from embedsdk.cli import main

    provider = f"clip/embedsdk-tiny-clip:{tiny_checkpoint}"
    folder = images["a.png"].parent
    assert main(["search", str(folder), "a dog on a beach", "--provider", provider, "-k", "4"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 4 and "searched 4 images" in captured.err
    scores = [float(line.split()[0]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert main(["search", "--provider", provider, str(folder), "--image", str(images["c.png"]), "-k", "1"]) == 0
    best = capsys.readouterr().out.split()
    assert best[1].endswith("c.png") and float(best[0]) == pytest.approx(1.0, abs=1e-5)


def test_hf_hub_repo_from_the_hugging_face_cache_offline(tiny_checkpoint, tiny_reference, monkeypatch, tmp_path):
    """``clip/hf-hub:<org>/<repo>`` reads the repo's open_clip_config.json and weights from the HF cache."""
    import json
    import shutil

    import open_clip

    cache = tmp_path / "hub"
    snapshot = cache / "models--someone--tiny-clip" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (cache / "models--someone--tiny-clip" / "refs").mkdir()
    (cache / "models--someone--tiny-clip" / "refs" / "main").write_text("0" * 40)
    config = {"model_cfg": open_clip.get_model_config("embedsdk-tiny-clip"), "preprocess_cfg": {}}
    (snapshot / "open_clip_config.json").write_text(json.dumps(config))
    shutil.copy(tiny_checkpoint, snapshot / "open_clip_model.safetensors")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    result = embedsdk.embed(
        TEXTS, provider="clip/hf-hub:someone/tiny-clip", cache_dir=str(cache), precision="fp32", cache=False
    )
    assert result.space.model == "hf-hub:someone/tiny-clip:hf-hub:someone/tiny-clip"
    assert cosines(result.vectors, reference_text(tiny_reference, TEXTS)).min() >= 0.9999
    with pytest.raises(ModelNotFoundError, match=r"hf-hub:someone/other.*open_clip_config\.json.*HF_HUB_OFFLINE"):
        embedsdk.embed(["x"], provider="clip/hf-hub:someone/other", cache_dir=str(cache))
