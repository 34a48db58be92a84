"""``embedsdk search`` over a folder of images, with a toy provider that embeds colour words and images into
one space (an image is its mean colour), so the expected ranking is known."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import embedsdk
from embedsdk.cli import main
from embedsdk.cli.search import iter_image_files
from embedsdk.pipeline.items import load_image
from embedsdk.testing import isolated_runtime

Image = pytest.importorskip("PIL.Image", reason="image items need the images extra: pip install 'embedsdk[images]'")

COLOURS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0)}


class ColourEmbedder(embedsdk.BaseEmbedder):
    modalities = frozenset({"text", "image"})
    calls: ClassVar[list[int]] = []

    @property
    def space(self) -> embedsdk.EmbeddingSpace:
        return embedsdk.EmbeddingSpace(provider=self.provider_id, model="colours", revision="1", dim=3, normalized=True)

    def embed_batch(self, items: Sequence[Any], role: str | None = None) -> np.ndarray:
        ColourEmbedder.calls.append(len(items))
        rows = []
        for item in items:
            if isinstance(item, str):
                row = np.sum([COLOURS.get(word, (0.1, 0.1, 0.1)) for word in item.split()], axis=0)
            else:
                try:
                    row = np.asarray(load_image(item), dtype=np.float64).reshape(-1, 3).mean(axis=0) + 1.0
                except embedsdk.InvalidInputError as exc:
                    raise embedsdk.errors.ItemRejectedError(str(exc)) from exc
            rows.append(row / np.linalg.norm(row))
        return np.asarray(rows, dtype=np.float32)


class Plugin:
    @embedsdk.hookimpl
    def register_embedders(self, register: Any) -> None:
        register("colours/*", ColourEmbedder, modalities=("text", "image"))


@pytest.fixture
def photos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "photos"
    (folder / "trip").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    for name, rgb in [("red.jpg", (250, 5, 5)), ("trip/blue.PNG", (5, 5, 250)), ("green.webp", (5, 250, 5))]:
        Image.new("RGB", (16, 16), rgb).save(folder / name)
    Image.new("RGB", (16, 16), (250, 5, 5)).save(folder / ".hidden" / "red-too.png")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff broken")
    ColourEmbedder.calls = []
    with isolated_runtime(Plugin()):
        yield folder


def hits(out: str) -> list[tuple[float, str]]:
    return [(float(line.split()[0]), Path(line.split(maxsplit=1)[1]).name) for line in out.splitlines()]


def test_text_query_ranks_the_images(photos: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", str(photos), "blue", "--provider", "colours/x"]) == 0
    captured = capsys.readouterr()
    ranked = hits(captured.out)
    assert ranked[0][1] == "blue.PNG" and {name for _, name in ranked[1:]} == {"green.webp", "red.jpg"}
    assert ranked[0][0] > ranked[1][0]  # red and green are equally far from blue
    assert "searched 3 images" in captured.err and "skipped 1" in captured.err
    assert "broken.jpg" in captured.err  # named on stderr, the others still searched


def test_image_query(photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "query.png"
    Image.new("RGB", (8, 8), (240, 20, 20)).save(query)
    assert main(["search", "--provider", "colours/x", str(photos), "--image", str(query), "-k", "2"]) == 0
    assert [name for _, name in hits(capsys.readouterr().out)] == ["red.jpg", "green.webp"]


def test_the_cache_spares_a_second_search(photos: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", str(photos), "red", "-p", "colours/x"]) == 0
    first = sum(ColourEmbedder.calls)
    assert main(["search", str(photos), "green", "-p", "colours/x"]) == 0
    assert sum(ColourEmbedder.calls) - first <= 2  # the query, and the broken file tried again
    second = capsys.readouterr().out.splitlines()[-3:]
    assert hits("\n".join(second))[0][1] == "green.webp"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["red", "--image", "{photos}/red.jpg"], "one of them"),
        (["--image", "{photos}/nowhere.jpg"], "no such file"),
    ],
)
def test_bad_requests_exit_2(photos: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    argv = [part.replace("{photos}", str(photos)) for part in argv]
    assert main(["search", str(photos), *argv, "-p", "colours/x"]) == 2
    assert message in capsys.readouterr().err


def test_an_empty_folder_says_which_extensions(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["search", str(empty), "red", "-p", "colours/x"]) == 2
    assert ".jpg" in capsys.readouterr().err


def test_image_files_by_extension(photos: Path) -> None:
    names = [path.relative_to(photos).as_posix() for path in iter_image_files(photos)]
    assert names == ["broken.jpg", "green.webp", "red.jpg", "trip/blue.PNG"]
    assert iter_image_files(photos / "red.jpg") == [photos / "red.jpg"]


def test_no_query_and_no_image_is_a_usage_error(photos: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", str(photos), "-p", "colours/x"])
    assert exit_info.value.code == 2
    assert "QUERY (or --image FILE)" in capsys.readouterr().err
