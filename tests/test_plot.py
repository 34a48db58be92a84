from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import embedsdk
import embedsdk.plot
from embedsdk.errors import InvalidInputError, InvalidOptionError, MissingDependencyError
from embedsdk.testing import FakeEmbedder

WORDS = ["cat", "dog", "horse", "red", "blue", "green"]
LABELS = ["animal"] * 3 + ["colour"] * 3


def test_map_writes_a_png_of_the_embeddings(fake: FakeEmbedder, tmp_path: Path) -> None:
    import matplotlib.image

    vectors = embedsdk.embed(WORDS, "fake/test")
    out = embedsdk.plot.map(vectors, LABELS, tmp_path / "maps" / "words.png", texts=WORDS, method="pca", dpi=50)
    assert out == tmp_path / "maps" / "words.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(out)
    assert pixels.shape[:2] == (300, 400)  # 8 x 6 inches at 50 dpi
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 10  # points, text and legend drawn


def test_pca_matches_scikit_learn_up_to_sign() -> None:
    from sklearn.decomposition import PCA

    data = np.random.default_rng(0).standard_normal((40, 12))
    ours, method = embedsdk.plot.project(data, "pca")
    theirs = PCA(n_components=2).fit_transform(data)
    assert method == "pca"
    for axis in range(2):
        assert abs(np.corrcoef(ours[:, axis], theirs[:, axis])[0, 1]) == pytest.approx(1.0)


def test_auto_is_pca_without_umap_and_umap_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "umap", None)  # importing umap now fails, as when it is absent
    monkeypatch.setattr(embedsdk.plot, "_has_umap", lambda: False)
    data = np.random.default_rng(1).standard_normal((10, 4))
    assert embedsdk.plot.project(data)[1] == "pca"
    with pytest.raises(MissingDependencyError, match="pip install umap-learn"):
        embedsdk.plot.project(data, "umap")


def test_bad_map_input(tmp_path: Path) -> None:
    data = np.eye(4)
    with pytest.raises(InvalidInputError, match="4 vectors but 3 labels"):
        embedsdk.plot.map(data, ["a", "b", "c"], tmp_path / "x.png")
    with pytest.raises(InvalidInputError, match="4 vectors but 1 texts"):
        embedsdk.plot.map(data, None, tmp_path / "x.png", texts=["a"])
    data[2, 1] = np.nan
    with pytest.raises(InvalidInputError, match="vector 2 has NaN"):
        embedsdk.plot.map(data, None, tmp_path / "x.png")
    with pytest.raises(InvalidOptionError, match="unknown projection 'tsne'"):
        embedsdk.plot.project(np.eye(3), "tsne")
    assert not (tmp_path / "x.png").exists()
