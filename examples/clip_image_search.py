"""Image search over a folder with CLIP: embed every image once (cached), then search by words or by an image.

    python examples/clip_image_search.py [PHOTOS] [QUERY] [--provider clip] [--checkpoint FILE]

Without PHOTOS it draws a few pictures (a red circle, a blue square...) into a temp folder. CLIP weights do
not ship with pip: when they are not on this machine, the script prints embedsdk's error (what it looked for,
how to pass a file) and carries on with a tiny random-weight CLIP, so every call below still runs; its
rankings are then meaningless. With real weights (online, or --checkpoint) the red circle wins "a red circle".
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

import embedsdk

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"}


def draw_pictures(folder: Path) -> Path:
    """Write a few simple pictures: a shape of a colour on white."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for name, colour, shape in [
        ("red-circle.png", "red", "ellipse"),
        ("blue-square.jpg", "blue", "rectangle"),
        ("green-circle.png", "green", "ellipse"),
        ("yellow-square.png", "gold", "rectangle"),
    ]:
        image = Image.new("RGB", (320, 240), "white")
        getattr(ImageDraw.Draw(image), shape)((80, 40, 240, 200), fill=colour)
        image.save(folder / name)
    return folder


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
    parser.add_argument("photos", nargs="?", help="a folder of images (default: a few drawn here)")
    parser.add_argument("query", nargs="?", default="a red circle")
    parser.add_argument("--provider", default="clip")
    parser.add_argument("--checkpoint", help="a local CLIP checkpoint (.safetensors, .pt, .bin)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="clip-search-"))
    photos = Path(args.photos) if args.photos else draw_pictures(work / "photos")

    provider, options = args.provider, ({"checkpoint": args.checkpoint} if args.checkpoint else {})
    try:
        _ = embedsdk.embedder(provider, **options).space  # finds the weights (or says where it looked)
    except embedsdk.ModelNotFoundError as missing:
        print(f"{missing}\n\n-> no CLIP weights here: running on a tiny random-weight CLIP (meaningless ranks)\n")
        provider, options = tiny_random_clip(work), {}

    files = sorted(p for p in photos.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    # Decoded batch by batch inside the provider, cached by their pixels: a second run embeds nothing.
    images = embedsdk.embed(files, provider=provider, progress=True, on_error="collect", **options)
    for error in images.errors:
        print("skipped:", error.message)
    kept = [n for n, ok in enumerate(images.ok) if ok]
    index = embedsdk.ExactIndex()
    index.add([str(files[n].relative_to(photos)) for n in kept], images.vectors[kept])
    print(f"{len(kept)} images from {photos}, {images.space.dim}-d, provider {images.space.provider}")

    # A text query and an image query land in the same space as the images.
    for query in [args.query, files[kept[0]]]:
        shown = query if isinstance(query, str) else f"the image {query.name}"
        vector = embedsdk.embed([query], provider=provider, **options)
        print(f"\nbest matches for {shown}:")
        for hit in index.search(vector, k=3)[0]:
            print(f"  {hit.score:.4f}  {hit.id}")


if __name__ == "__main__":
    main()
