"""Real GloVe 6B 50d through ``provider="glove"``: the word tools and the published evaluation figures."""

from __future__ import annotations

import numpy as np
import pytest

import embedsdk
import embedsdk.eval
from embedsdk.errors import InvalidInputError, InvalidOptionError


def test_king_minus_man_plus_woman_is_queen():
    answer = embedsdk.analogy("man", "king", "woman", provider="glove")
    assert answer[0] == "queen"
    assert answer[0].word == "queen" and 0 < answer[0].score <= 1
    cosmul = embedsdk.analogy("man", "king", "woman", provider="glove", method="3cosmul", k=3)
    assert cosmul[0] == "queen" and len(cosmul) == 3


def test_analogy_excludes_its_inputs_and_matches_gensim():
    from gensim.models import KeyedVectors

    table = embedsdk.embedder("glove").word_vectors
    top = 30_000
    reference = KeyedVectors(50)
    reference.add_vectors(list(table.words[:top]), np.asarray(table.vectors[:top]))
    ours = embedsdk.analogy("france", "paris", "germany", provider="glove", k=5, restrict_vocab=top)
    theirs = reference.most_similar(positive=["paris", "germany"], negative=["france"], topn=5)
    assert [n.word for n in ours] == [w for w, _ in theirs]
    # Our score is 3CosAdd's own objective, cos(x,b) - cos(x,a) + cos(x,c) = x.(b - a + c); gensim reports the
    # cosine with (b - a + c) normalized: the same ranking, scores a constant factor apart.
    unit = table.unit
    rows = [table.row(w) for w in ("france", "paris", "germany")]
    scale = float(np.linalg.norm(unit[rows[1]] - unit[rows[0]] + unit[rows[2]]))
    np.testing.assert_allclose([n.score / scale for n in ours], [s for _, s in theirs], rtol=1e-4)
    assert not {"france", "paris", "germany"} & {n.word for n in ours}


def test_most_similar_for_a_word_and_a_vector():
    neighbours = embedsdk.most_similar("cat", k=5, provider="glove")
    assert neighbours[0] == "dog" and "cat" not in neighbours
    vector = embedsdk.embed(["cat"], provider="glove").vectors[0]
    by_vector = embedsdk.most_similar(vector, k=1, provider="glove")
    assert by_vector[0] == "cat" and by_vector[0].score == pytest.approx(1.0, abs=1e-5)
    assert all(
        n.word in embedsdk.embedder("glove").word_vectors.words[:1000]
        for n in embedsdk.most_similar("cat", k=5, provider="glove", restrict_vocab=1000)
    )


def test_word_tools_say_what_is_wrong():
    with pytest.raises(InvalidInputError, match="'qwzxv' is not in the provider's vocabulary"):
        embedsdk.most_similar("qwzxv", provider="glove")
    with pytest.raises(InvalidOptionError, match="method='cos'"):
        embedsdk.analogy("man", "king", "woman", provider="glove", method="cos")


def test_wordsim353_spearman_is_the_published_figure():
    result = embedsdk.eval.word_similarity("glove", "wordsim353")
    assert result.spearman == pytest.approx(0.50, abs=0.02)
    assert result.coverage == 1.0 and result.oov_pairs == []
    simlex = embedsdk.eval.word_similarity("glove", "simlex999")
    assert 0.2 < simlex.spearman < 0.35


def test_word_similarity_lists_oov_pairs(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("# w1\tw2\tscore\ncat\tdog\t8\ncar\tautomobile\t9\nqwzxv\tcat\t1\nking\tcabbage\t0.5\n")
    result = embedsdk.eval.word_similarity("glove", path)
    assert result.oov_pairs == [("qwzxv", "cat")]
    assert result.coverage == pytest.approx(0.75)


def test_analogy_accuracy_per_section_on_a_small_set(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text(
        ": capitals\nathens greece berlin germany\nathens greece paris france\nathens greece qwzxv nowhere\n"
        ": gender\nman woman king queen\nboy girl brother sister\n"
    )
    result = embedsdk.eval.analogy("glove", path, restrict_vocab=None)
    assert result.coverage == pytest.approx(4 / 5)
    assert set(result.sections) == {"capitals", "gender"}
    assert result.accuracy == result.correct / 4
    assert result.correct >= 3


@pytest.mark.slow
def test_google_analogy_accuracy_is_the_published_figure():
    result = embedsdk.eval.analogy("glove", "google", restrict_vocab=100_000)
    assert result.accuracy == pytest.approx(0.47, abs=0.02)
    assert result.coverage > 0.98
    assert len(result.sections) == 14


def test_an_explicit_vocabulary_is_embedded_by_the_provider():
    candidates = ["dog", "carburetor", "cat", "parliament"]
    neighbours = embedsdk.most_similar("cat", k=2, provider="glove", vocabulary=candidates)
    assert neighbours[0] == "dog" and len(neighbours) == 2
    assert "cat" not in neighbours
    answer = embedsdk.analogy(
        "man", "king", "woman", provider="glove", vocabulary=["man", "king", "woman", "queen", "car"]
    )
    assert answer[0] == "queen"
