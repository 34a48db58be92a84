from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import embedsdk
import embedsdk.eval
from embedsdk.errors import InvalidInputError, InvalidOptionError
from embedsdk.testing import fake_provider
from embedsdk.train import TrainedModel, contrastive

from .conftest import TRAINING_TEXT

# Paraphrase-like pairs: sentence 2k and 2k+1 of the training text say the same thing in other words.
PAIRS = [(TRAINING_TEXT[i], TRAINING_TEXT[i + 1]) for i in range(0, 8, 2)]


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


def test_mnrl_saves_a_folder_that_embeds_in_a_new_space_and_loads_in_sentence_transformers(
    tiny_bert: Path, tmp_path: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    folder = contrastive(
        f"hf/{tiny_bert}", PAIRS * 3, epochs=2, batch_size=4, lr=1e-3, output=tmp_path / "tuned", progress=False
    )
    assert isinstance(folder, TrainedModel) and isinstance(folder, Path) and folder == tmp_path / "tuned"
    assert (folder / "modules.json").is_file() and (folder / "1_Pooling" / "config.json").is_file()
    assert "Fine-tuned with embedsdk.train" in (folder / "README.md").read_text(encoding="utf-8")
    report = folder.report
    assert (report.objective, report.examples, report.held_out, report.steps) == ("mnrl", 11, 1, 6)
    assert len(report.losses) == 2 and all(np.isfinite(report.losses))

    tuned = embedsdk.embed(TRAINING_TEXT, provider=f"hf/{folder}")
    base = embedsdk.embed(TRAINING_TEXT, provider=f"hf/{tiny_bert}")
    assert tuned.space.revision != base.space.revision
    assert min_cosine(tuned.vectors, base.vectors) < 0.99  # the weights moved
    reference = SentenceTransformer(str(folder), device="cpu").encode(TRAINING_TEXT)
    assert min_cosine(tuned.vectors, reference) > 0.9999


def test_same_seed_same_weights_other_seed_other_weights(tiny_bert: Path, tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        folder = contrastive(
            f"hf/{tiny_bert}", PAIRS * 2, batch_size=4, lr=1e-3, seed=seed, holdout=0, output=tmp_path / name,
            progress=False,
        )  # fmt: skip
        runs[name] = embedsdk.embed(TRAINING_TEXT, provider=f"hf/{folder}", cache=False).vectors
    np.testing.assert_array_equal(runs["a"], runs["b"])
    assert not np.allclose(runs["a"], runs["c"])


@pytest.mark.slow
def test_fine_tuning_pays_off_on_the_pairs_it_learns(tiny_bert: Path, tmp_path: Path) -> None:
    queries = {f"q{i}": a for i, (a, _) in enumerate(PAIRS)}
    corpus = {f"d{i}": b for i, (_, b) in enumerate(PAIRS)}
    qrels = {f"q{i}": {f"d{i}": 1} for i in range(len(PAIRS))}
    before = embedsdk.eval.retrieval(f"hf/{tiny_bert}", queries, corpus, qrels)
    folder = contrastive(
        f"hf/{tiny_bert}", PAIRS * 8, epochs=3, batch_size=4, lr=2e-3, holdout=0, output=tmp_path / "t",
        progress=False,
    )  # fmt: skip
    after = embedsdk.eval.retrieval(f"hf/{folder}", queries, corpus, qrels)
    assert after.mrr_at_10 == 1.0 and after.mrr_at_10 > before.mrr_at_10, (before, after)


def test_cosine_regression_on_a_sentence_transformers_folder_with_a_dense_layer(tiny_st: Path, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    scored = [(a, b, 0.9) for a, b in PAIRS] + [(PAIRS[i][0], PAIRS[i - 1][1], 0.1) for i in range(4)]
    folder = contrastive(
        f"hf/{tiny_st}", scored * 2, loss="cosine", batch_size=4, lr=1e-3, holdout=0.5, output=tmp_path / "st",
        progress=False,
        eval_pairs=[(a, b, 5 * s) for a, b, s in scored],
    )  # fmt: skip
    assert folder.report.metric == "spearman" and folder.report.before is not None
    assert set(folder.report.extra["sts spearman (eval_pairs)"]) == {"before", "after"}
    base_dense = SentenceTransformer(str(tiny_st), device="cpu")[2].linear.weight.detach().numpy()
    tuned = SentenceTransformer(str(folder), device="cpu")
    assert not np.allclose(tuned[2].linear.weight.detach().numpy(), base_dense)  # the Dense layer trained too
    ours = embedsdk.embed(TRAINING_TEXT, provider=f"hf/{folder}", precision="fp32").vectors
    assert ours.shape == (8, 16) and min_cosine(ours, tuned.encode(TRAINING_TEXT)) > 0.9999


def test_contrastive_margin_loss_on_labelled_pairs(tiny_bert: Path, tmp_path: Path) -> None:
    labelled = [(a, b, 1) for a, b in PAIRS] + [(PAIRS[i][0], PAIRS[i - 1][1], 0) for i in range(4)]
    folder = contrastive(
        f"hf/{tiny_bert}", labelled, loss="contrastive", margin=0.8, batch_size=4, lr=1e-3, holdout=0,
        output=tmp_path / "c", progress=False,
    )  # fmt: skip
    assert folder.report.objective == "contrastive" and folder.report.steps == 2


@pytest.mark.parametrize(
    ("pairs", "options", "error", "message"),
    [
        ([], {}, InvalidInputError, "no training pairs"),
        ([("a", "b")], {"loss": "triplet"}, InvalidOptionError, "unknown loss 'triplet'"),
        ([("a", "b", 1)], {}, InvalidOptionError, "without labels"),
        ([("a", "b"), ("c", "d")], {"loss": "contrastive", "labels": [1]}, InvalidInputError, "2 pairs but 1 labels"),
        ([("a", "b", 0.5)], {"loss": "contrastive"}, InvalidInputError, "pair 0 has 0.5"),
        ([("a", "b", 4.0)], {"loss": "cosine"}, InvalidInputError, "divide STS scores of 0-5 by 5"),
        ([("a", "b")], {"loss": "cosine"}, InvalidInputError, "needs a label for every pair"),
        ([("a", "")], {}, InvalidInputError, "pair 0: both sides must be non-empty texts"),
    ],
)
def test_bad_training_input(pairs: list, options: dict, error: type, message: str, tiny_bert: Path) -> None:
    with pytest.raises(error, match=message):
        contrastive(f"hf/{tiny_bert}", pairs, progress=False, **options)


def test_only_hf_providers_train() -> None:
    with fake_provider("fake/test"), pytest.raises(InvalidOptionError, match="training works on hf/ providers"):
        contrastive("fake/test", PAIRS, progress=False)
