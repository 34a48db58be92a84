from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import embedsdk
import embedsdk.eval
from embedsdk.errors import InvalidInputError
from embedsdk.eval import document_similarity
from embedsdk.testing import FakeEmbedder

DOCS = ["cats purr and sleep", "cats sleep all day", "dogs bark at night", "markets fell sharply", "stocks rose"]


def test_a_matrix_that_follows_the_cosines_correlates_fully(fake: FakeEmbedder, tmp_path: Path) -> None:
    vectors = embedsdk.embed(DOCS, "fake/test", role="document")
    human = vectors.similarity() * 2 + 1  # a linear function of the cosines
    result = document_similarity("fake/test", DOCS, human)
    assert result.pearson == pytest.approx(1.0, abs=1e-5) and result.spearman == pytest.approx(1.0)
    assert result.examples == 5 and fake.roles == ["document"]
    (tmp_path / "docs.cor").write_text("\n".join(DOCS) + "\n", encoding="utf-8")
    np.savetxt(tmp_path / "similarities.txt", human)
    from_files = document_similarity("fake/test", tmp_path / "docs.cor", tmp_path / "similarities.txt")
    assert from_files.pearson == pytest.approx(result.pearson, abs=1e-6)


def test_bad_document_similarity_input(fake: FakeEmbedder) -> None:
    with pytest.raises(InvalidInputError, match="5 documents need a 5 x 5 matrix"):
        document_similarity("fake/test", DOCS, np.eye(4))
    human = np.ones((5, 5))
    human[1, 3] = np.nan
    with pytest.raises(InvalidInputError, match="non-finite score at row 1, column 3"):
        document_similarity("fake/test", DOCS, human)
    with pytest.raises(InvalidInputError, match="at least 3 documents"):
        document_similarity("fake/test", DOCS[:2], np.eye(2))


def test_lee_corpus_from_gensim_test_data(fake: FakeEmbedder) -> None:
    docs, human = embedsdk.eval.lee_corpus()
    assert len(docs) == 50 and human.shape == (50, 50)
    assert np.allclose(np.diag(human), 1.0) and (human >= 0).all() and (human <= 1).all()
    result = document_similarity("fake/test", docs, human)
    assert result.examples == 50 and -1 <= result.pearson <= 1
