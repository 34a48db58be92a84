"""ViT-B-32 itself, with random weights (no CLIP weights exist offline here): saved to a checkpoint, loaded
back through the provider, and compared with open_clip's own encode_text / encode_image on that file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import embedsdk


@pytest.fixture(scope="module")
def vitb32_checkpoint(tmp_path_factory):
    import open_clip
    from safetensors.torch import save_file

    torch.manual_seed(32)
    model = open_clip.create_model("ViT-B-32", pretrained=None)
    path = tmp_path_factory.mktemp("vitb32") / "vitb32.safetensors"
    save_file({key: value.contiguous() for key, value in model.state_dict().items()}, str(path))
    return path


@pytest.mark.slow
def test_vitb32_parity_with_open_clip(vitb32_checkpoint, images, picture):
    import open_clip

    texts = ["a photo of a cat", "a dog on a beach", "a diagram"]
    items = [texts[0], images["a.png"], texts[1], images["b.jpg"], picture(9, (300, 200)), texts[2]]
    result = embedsdk.embed(
        items, provider=f"clip/ViT-B-32:{vitb32_checkpoint}", batch_size=4, precision="fp32", cache=False
    )
    assert result.vectors.shape == (6, 512) and result.space.dim == 512

    model, _, transform = open_clip.create_model_and_transforms("ViT-B-32", pretrained=str(vitb32_checkpoint))
    model.eval()
    pil = [Image.open(images["a.png"]), Image.open(images["b.jpg"]), Image.fromarray(picture(9, (300, 200)))]
    with torch.no_grad():
        text = model.encode_text(open_clip.get_tokenizer("ViT-B-32")(texts), normalize=True).numpy()
        image = model.encode_image(torch.stack([transform(im) for im in pil]), normalize=True).numpy()
    expected = np.stack([text[0], image[0], text[1], image[1], image[2], text[2]])
    cosine = (result.vectors * expected).sum(axis=1)
    assert cosine.min() >= 0.9999, cosine

    again = embedsdk.embed(
        items, provider=f"clip/ViT-B-32:{vitb32_checkpoint}", batch_size=6, precision="fp32", cache=False
    )
    np.testing.assert_allclose(again.vectors, result.vectors, atol=1e-5)
