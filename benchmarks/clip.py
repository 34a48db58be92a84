"""CLIP ViT-B-32 through embedsdk vs open_clip called directly, and embedsdk's peak memory on many images.

    python benchmarks/clip.py speed [--images 128] [--texts 512] [--rounds 3] [--batch 64] [--precision fp32]
    python benchmarks/clip.py memory [--counts 200 2000] [--arch ViT-B-32 | tiny]

``speed``: ViT-B-32 with random weights (no CLIP weights exist offline; speed does not depend on the values),
saved to a temp safetensors file that both sides load. Both embed the same JPEG files (640x480, each a
different picture) and the same texts, with the same batch size. The open_clip side is what its README
shows: ``Image.open`` + ``preprocess`` per file, ``torch.stack``, ``encode_image(normalize=True)`` under
``torch.no_grad()``; tokenizer + ``encode_text`` for texts. The embedsdk side is one ``embedsdk.embed`` call
through the whole pipeline with the cache off. Rounds alternate (open_clip, embedsdk, ...) so machine noise
hits both alike; prints images/s and texts/s per round, the ratio of medians and the minimum cosine.
embedsdk runs in ``--precision`` (default fp32, like open_clip's own call; the provider's default is ``auto``,
bf16 where the CPU has it, so pass ``--precision auto`` to measure that).

``memory``: for each count, a fresh process embeds that many image paths through ``embedsdk.embed`` (cache
on, in a temp folder) and reports its peak RSS while embedding (VmHWM, reset once the model is loaded),
next to its RSS once the model is loaded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import embedsdk

WORDS = (
    "a photo of a cat dog beach mountain city street car bicycle person child playing under the blue sky "
    "with trees and a river at sunset in the snow on a table near the window diagram of painting red green"
).split()


def write_images(folder: Path, count: int, size: tuple[int, int] = (640, 480)) -> list[Path]:
    """``count`` JPEG files, each a different smooth random picture."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for n in range(count):
        small = Image.fromarray(rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8))
        path = folder / f"img{n:05d}.jpg"
        small.resize(size, Image.Resampling.BICUBIC).save(path, quality=90)
        paths.append(path)
    return paths


def make_texts(count: int) -> list[str]:
    rng = np.random.default_rng(1)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 16)))) for _ in range(count)]


# ``memory --arch tiny``: a small CLIP (64-px images, 2-layer towers), so 2,000 images take a minute here.
TINY = "bench-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def register_tiny(folder: Path) -> None:
    import json

    import open_clip

    (folder / f"{TINY}.json").write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(folder)


def save_vitb32(folder: Path, arch: str = "ViT-B-32") -> Path:
    import open_clip
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = open_clip.create_model(arch, pretrained=None)
    path = folder / f"{arch}-random.safetensors"
    save_file({key: value.contiguous() for key, value in model.state_dict().items()}, str(path))
    return path


def open_clip_images(model: Any, preprocess: Any, paths: list[Path], batch: int) -> np.ndarray:
    import torch
    from PIL import Image

    out = []
    with torch.no_grad():
        for start in range(0, len(paths), batch):
            pixels = torch.stack([preprocess(Image.open(p)) for p in paths[start : start + batch]])
            out.append(model.encode_image(pixels, normalize=True).numpy())
    return np.concatenate(out)


def open_clip_texts(model: Any, tokenizer: Any, texts: list[str], batch: int) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(texts), batch):
            out.append(model.encode_text(tokenizer(texts[start : start + batch]), normalize=True).numpy())
    return np.concatenate(out)


def speed(args: argparse.Namespace) -> None:
    import open_clip
    import torch

    work = Path(tempfile.mkdtemp(prefix="clip-bench-"))
    checkpoint = save_vitb32(work)
    paths = write_images(work / "images", args.images)
    texts = make_texts(args.texts)
    provider = embedsdk.embedder(f"clip/ViT-B-32:{checkpoint}", precision=args.precision, batch_size=args.batch)
    model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=str(checkpoint))
    model.eval()
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    print(
        f"ViT-B-32 (random weights), {len(paths)} JPEG 640x480, {len(texts)} texts, batch {args.batch}, "
        f"device cpu, torch threads {torch.get_num_threads()}, embedsdk precision {args.precision} "
        f"(computes in {provider.precision})"
    )
    # Warm-up on both sides: weights, tokenizer caches, allocator pools.
    open_clip_images(model, preprocess, paths[:8], args.batch)
    open_clip_texts(model, tokenizer, texts[:8], args.batch)
    embedsdk.embed([*texts[:8], *paths[:8]], provider=provider, cache=False)

    rates: dict[str, list[float]] = {"oc_img": [], "es_img": [], "oc_txt": [], "es_txt": []}
    cos_img: list[float] = []
    cos_txt: list[float] = []
    for round_ in range(1, args.rounds + 1):
        start = time.perf_counter()
        reference = open_clip_images(model, preprocess, paths, args.batch)
        rates["oc_img"].append(len(paths) / (time.perf_counter() - start))
        start = time.perf_counter()
        ours = embedsdk.embed(paths, provider=provider, cache=False).vectors
        rates["es_img"].append(len(paths) / (time.perf_counter() - start))
        cos_img.append(float((reference * ours).sum(axis=1).min()))

        start = time.perf_counter()
        reference = open_clip_texts(model, tokenizer, texts, args.batch)
        rates["oc_txt"].append(len(texts) / (time.perf_counter() - start))
        start = time.perf_counter()
        ours = embedsdk.embed(texts, provider=provider, cache=False).vectors
        rates["es_txt"].append(len(texts) / (time.perf_counter() - start))
        cos_txt.append(float((reference * ours).sum(axis=1).min()))
        print(
            f"round {round_}: images/s open_clip {rates['oc_img'][-1]:6.1f} embedsdk {rates['es_img'][-1]:6.1f} "
            f"({rates['es_img'][-1] / rates['oc_img'][-1]:.2f}x)   texts/s open_clip {rates['oc_txt'][-1]:6.1f} "
            f"embedsdk {rates['es_txt'][-1]:6.1f} ({rates['es_txt'][-1] / rates['oc_txt'][-1]:.2f}x)"
        )
    median = {key: statistics.median(values) for key, values in rates.items()}
    print(
        f"median images/s: open_clip {median['oc_img']:.1f}, embedsdk {median['es_img']:.1f}, "
        f"ratio {median['es_img'] / median['oc_img']:.2f}x; min cosine {min(cos_img):.7f}"
    )
    print(
        f"median texts/s:  open_clip {median['oc_txt']:.1f}, embedsdk {median['es_txt']:.1f}, "
        f"ratio {median['es_txt'] / median['oc_txt']:.2f}x; min cosine {min(cos_txt):.7f}"
    )


def _vm(field: str) -> int:
    """A /proc/self/status field in MB (VmRSS now, VmHWM the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(args: argparse.Namespace) -> None:
    paths = sorted(Path(args.folder).glob("*.jpg"))[: args.count]
    if args.arch == TINY:
        register_tiny(Path(args.checkpoint).parent)
    model = embedsdk.embedder(f"clip/{args.arch}:{args.checkpoint}", batch_size=args.batch)
    model.embed([paths[0]], cache=False)  # loads the weights
    # Loading holds the random-init model and the checkpoint at once; reset the peak so it measures embedding.
    Path("/proc/self/clear_refs").write_text("5")
    loaded = _vm("VmRSS")
    start = time.perf_counter()
    result = model.embed(paths, cache=args.cache_dir)
    took = time.perf_counter() - start
    assert result.vectors.shape[0] == len(paths) and not result.errors
    print(f"{len(paths)} {loaded} {_vm('VmHWM')} {took:.1f}")


def memory(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="clip-mem-"))
    arch = TINY if args.arch == "tiny" else args.arch
    if arch == TINY:
        register_tiny(work)
    checkpoint = save_vitb32(work, arch)
    write_images(work / "images", max(args.counts))
    print(f"{arch} (random weights), JPEG 640x480 files, batch {args.batch}, cache on; each count in a fresh process")
    for count in args.counts:
        command = [
            sys.executable,
            __file__,
            "memory-child",
            "--count",
            str(count),
            "--folder",
            str(work / "images"),
            "--checkpoint",
            str(checkpoint),
            "--cache-dir",
            str(work / f"cache-{count}"),
            "--batch",
            str(args.batch),
            "--arch",
            arch,
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
        n, loaded, peak, took = int(out[0]), int(out[1]), int(out[2]), float(out[3])
        print(
            f"{n:5d} image paths: RSS with the model loaded {loaded} MB, peak RSS while embedding {peak} MB "
            f"(+{peak - loaded} MB), {n / took:.1f} images/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--images", type=int, default=128)
    s.add_argument("--texts", type=int, default=512)
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--batch", type=int, default=64)
    s.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"], help="embedsdk's precision")
    m = sub.add_parser("memory")
    m.add_argument("--counts", type=int, nargs="+", default=[200, 2000])
    m.add_argument("--batch", type=int, default=64)
    m.add_argument("--arch", default="ViT-B-32", help="an open_clip architecture, or 'tiny' (fast)")
    c = sub.add_parser("memory-child")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--folder", required=True)
    c.add_argument("--checkpoint", required=True)
    c.add_argument("--cache-dir", required=True)
    c.add_argument("--batch", type=int, default=64)
    c.add_argument("--arch", default="ViT-B-32")
    args = parser.parse_args()
    {"speed": speed, "memory": memory, "memory-child": memory_child}[args.command](args)


if __name__ == "__main__":
    main()
