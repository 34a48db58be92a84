from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.train import mlm, triplet

from .conftest import TRAINING_TEXT

TRIPLETS = [(TRAINING_TEXT[i], TRAINING_TEXT[i + 1], TRAINING_TEXT[(i + 2) % 8]) for i in range(0, 8, 2)]


def test_triplet_on_a_sentence_transformers_folder(tiny_st: Path, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    folder = triplet(
        f"hf/{tiny_st}", TRIPLETS * 3, margin=0.5, distance="cosine", batch_size=4, lr=1e-3, holdout=0.34,
        output=tmp_path / "t", progress=False,
    )  # fmt: skip
    report = folder.report
    assert (report.objective, report.examples, report.held_out, report.metric) == ("triplet", 8, 4, "ndcg@10")
    assert report.before is not None and report.after is not None
    ours = embedsdk.embed(TRAINING_TEXT, provider=f"hf/{folder}", precision="fp32").vectors
    theirs = SentenceTransformer(str(folder), device="cpu").encode(TRAINING_TEXT)
    assert float((ours * theirs).sum(axis=1).min()) > 0.9999


def test_bad_triplets(tiny_bert: Path) -> None:
    with pytest.raises(InvalidOptionError, match="unknown distance 'dot'"):
        triplet(f"hf/{tiny_bert}", TRIPLETS, distance="dot")
    with pytest.raises(InvalidInputError, match=r"triplet 1: .* is not \(anchor, positive, negative\)"):
        triplet(f"hf/{tiny_bert}", [TRIPLETS[0], ("a", "b")])
    with pytest.raises(InvalidInputError, match="no training triplets"):
        triplet(f"hf/{tiny_bert}", [])


def test_mlm_trains_the_encoder_and_lowers_the_held_out_loss(tiny_bert: Path, tmp_path: Path) -> None:
    folder = mlm(
        f"hf/{tiny_bert}", TRAINING_TEXT * 4, epochs=3, batch_size=8, lr=2e-3, holdout=0.25, output=tmp_path / "m",
        progress=False,
    )  # fmt: skip
    report = folder.report
    assert report.metric == "masked_lm_loss" and report.held_out == 8
    assert report.after < report.before, report  # held-out texts repeat the training ones: the loss must fall
    assert (folder / "modules.json").is_file()
    tuned = embedsdk.embed(TRAINING_TEXT, provider=f"hf/{folder}")
    base = embedsdk.embed(TRAINING_TEXT, provider=f"hf/{tiny_bert}")
    assert tuned.shape == base.shape and not np.allclose(tuned.vectors, base.vectors)


def test_bad_mlm_input(tiny_bert: Path) -> None:
    with pytest.raises(InvalidInputError, match="corpus text 1 is empty"):
        mlm(f"hf/{tiny_bert}", ["fine", " "])
    with pytest.raises(InvalidOptionError, match="mask_probability"):
        mlm(f"hf/{tiny_bert}", TRAINING_TEXT, mask_probability=1.5)


def test_an_existing_folder_that_is_not_a_model_is_never_replaced(tiny_bert: Path, tmp_path: Path) -> None:
    keep = tmp_path / "my-files"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(InvalidOptionError, match="exists and is not a model folder"):
        triplet(f"hf/{tiny_bert}", TRIPLETS, holdout=0, output=keep, progress=False)
    assert (keep / "notes.txt").read_text(encoding="utf-8") == "precious"
