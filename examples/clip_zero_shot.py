"""Zero-shot labelling with CLIP: which of a few labels fits each image best, with no training.

    python examples/clip_zero_shot.py [IMAGE...] [--labels circle square triangle] [--checkpoint FILE]

Without images it draws a circle, a square and a triangle. CLIP weights do not ship with pip: when they are
not on this machine, the script prints embedsdk's error (what it looked for, how to pass a file) and carries
on with a tiny random-weight CLIP, so every call still runs; its labels are then meaningless.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

import embedsdk


def draw_shapes(folder: Path) -> list[Path]:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    shapes = {
        "circle.png": lambda d: d.ellipse((60, 60, 260, 260), fill="black"),
        "square.png": lambda d: d.rectangle((60, 60, 260, 260), fill="black"),
        "triangle.png": lambda d: d.polygon([(160, 40), (280, 260), (40, 260)], fill="black"),
    }
    paths = []
    for name, draw in shapes.items():
        image = Image.new("RGB", (320, 320), "white")
        draw(ImageDraw.Draw(image))
        image.save(folder / name)
        paths.append(folder / name)
    return paths


def tiny_random_clip(folder: Path) -> str:
    """A tiny CLIP with random weights, saved to a checkpoint: a stand-in that runs every call."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    config = {
        "embed_dim": 64,
        "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
    }
    (folder / "demo-tiny-clip.json").write_text(json.dumps(config))
    open_clip.add_model_config(folder)
    torch.manual_seed(0)
    logging.disable(logging.WARNING)  # open_clip warns that the model is random: that is the point here
    model = open_clip.create_model("demo-tiny-clip")
    logging.disable(logging.NOTSET)
    path = folder / "demo-tiny-clip.safetensors"
    save_file({key: value.contiguous() for key, value in model.state_dict().items()}, str(path))
    return f"clip/demo-tiny-clip:{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("images", nargs="*", type=Path)
    parser.add_argument("--labels", nargs="+", default=["circle", "square", "triangle"])
    parser.add_argument("--provider", default="clip")
    parser.add_argument("--checkpoint", help="a local CLIP checkpoint (.safetensors, .pt, .bin)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="clip-zero-shot-"))
    images = args.images or draw_shapes(work / "shapes")

    provider, options = args.provider, ({"checkpoint": args.checkpoint} if args.checkpoint else {})
    try:
        _ = embedsdk.embedder(provider, **options).space  # finds the weights (or says where it looked)
    except embedsdk.ModelNotFoundError as missing:
        print(f"{missing}\n\n-> no CLIP weights here: running on a tiny random-weight CLIP (meaningless labels)\n")
        provider, options = tiny_random_clip(work), {}

    # Each label becomes "a drawing of a <label>" (two templates, averaged); each image gets a softmax over
    # the labels of the model's logit scale times the cosines, as CLIP does it.
    result = embedsdk.zero_shot(
        images, args.labels, provider=provider, template=["a drawing of a {}", "a photo of a {}"], **options
    )
    print(f"logit scale {result.logit_scale:.1f}; probabilities per image:\n")
    print(f"{'image':<16}" + "".join(f"{label:>10}" for label in result.labels) + "   best")
    for path, row, best in zip(images, result.probs, result.best):
        print(f"{Path(path).name:<16}" + "".join(f"{p:>10.3f}" for p in row) + f"   {best}")


if __name__ == "__main__":
    main()
