"""OOV policies through the registry, fallbacks, reporting, the space and the cache; fastText subword parity."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import embedsdk
from embedsdk.errors import EmbeddingFailedError, UnknownOOVStrategyError
from embedsdk.testing import registered_plugin


def _embed(files, items, **options):
    return embedsdk.embed(items, provider=f"static/{files['word2vec']}", cache=False, **options)


def test_fasttext_subwords_match_gensim_for_unseen_words(lee_bin):
    from gensim.models.fasttext import load_facebook_vectors

    reference = load_facebook_vectors(str(lee_bin))
    unseen = ["supercalifragilistic", "governmentalism", "xylophonist", "Sydneysiders", "unbelievablyy", "qzx"]
    assert not any(word in reference.key_to_index for word in unseen)
    result = embedsdk.embed(unseen, provider=f"static/{lee_bin}", oov="subword", case_fallback=False)
    expected = np.stack([reference[word] for word in unseen])
    cosines = embedsdk.cosine_similarity(result.vectors, expected).diagonal()
    assert cosines.min() >= 0.9999
    assert result.stats.oov_count == len(unseen)  # subwords give vectors, but the words are still reported OOV


def test_error_names_the_word_and_the_other_items_survive(files, kv):
    with pytest.raises(EmbeddingFailedError, match="'zebra' is not in the vocabulary") as caught:
        _embed(files, ["cat", "the zebra", "dog"], oov="error")
    result = caught.value.result
    assert result.ok.tolist() == [True, False, True]
    np.testing.assert_allclose(result.vectors[[0, 2]], kv[["cat", "dog"]], rtol=1e-6)
    assert result.errors[0].index == 1


def test_zero_mean_and_hash(files, kv):
    zero = _embed(files, ["zebra"], oov="zero").vectors[0]
    assert not zero.any()
    mean = _embed(files, ["zebra"], oov="mean").vectors[0]
    np.testing.assert_allclose(mean, kv.vectors.mean(axis=0), rtol=1e-5, atol=1e-6)
    hashed = _embed(files, ["zebra", "zebra", "okapi"], oov="hash").vectors
    np.testing.assert_array_equal(hashed[0], hashed[1])
    assert abs(float(embedsdk.cosine_similarity(hashed[0], hashed[2])[0, 0])) < 0.9
    norms = np.linalg.norm(kv.vectors, axis=1)
    assert np.linalg.norm(hashed[0]) == pytest.approx(norms.mean(), rel=1e-4)


def test_hash_vectors_are_the_same_in_another_process(files):
    here = _embed(files, ["zebra"], oov="hash").vectors[0]
    code = (
        "import embedsdk, sys; "
        f"v = embedsdk.embed(['zebra'], provider='static/{files['word2vec']}', oov='hash', cache=False).vectors[0]; "
        "sys.stdout.write(' '.join(repr(float(x)) for x in v))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    there = np.array([float(x) for x in out.stdout.split()], dtype=np.float32)
    np.testing.assert_array_equal(here, there)


def test_unk_uses_the_tables_own_row_or_says_it_has_none(files, kv, lee_bin):
    np.testing.assert_allclose(_embed(files, ["zebra"], oov="unk").vectors[0], kv["<unk>"], rtol=1e-6)
    with pytest.raises(EmbeddingFailedError, match="no UNK row"):
        embedsdk.embed(["qqqq"], provider=f"static/{lee_bin}", oov="unk", cache=False)


def test_ignore_drops_the_word_and_an_all_oov_text_follows_the_fallback(files, kv):
    kept = _embed(files, ["the zebra cat"], oov="ignore").vectors[0]
    np.testing.assert_allclose(kept, kv[["the", "cat"]].mean(axis=0), rtol=1e-5)
    with pytest.raises(EmbeddingFailedError, match="oov_fallback='error' gives no vector"):
        _embed(files, ["zebra okapi"], oov="ignore")
    fallback = _embed(files, ["zebra okapi", "cat"], oov="ignore", oov_fallback="zero")
    assert not fallback.vectors[0].any()
    mean = _embed(files, ["zebra okapi"], oov="ignore", oov_fallback="mean").vectors[0]
    np.testing.assert_allclose(mean, kv.vectors.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_plain_vectors_get_subwords_from_known_ngrams(files, kv):
    # "cats" is unknown; its 3-gram "cat" is a word of the table.
    vector = _embed(files, ["cats"], oov="subword").vectors[0]
    np.testing.assert_allclose(vector, kv["cat"], rtol=1e-6)


def test_case_and_punctuation_fallbacks_can_each_be_turned_off(files, kv):
    np.testing.assert_allclose(_embed(files, ["CAT"], oov="error").vectors[0], kv["cat"], rtol=1e-6)
    np.testing.assert_allclose(_embed(files, ["Paris!"], tokenizer="whitespace").vectors[0], kv["paris"], rtol=1e-6)
    with pytest.raises(EmbeddingFailedError, match="'CAT' is not in the vocabulary"):
        _embed(files, ["CAT"], oov="error", case_fallback=False)
    with pytest.raises(EmbeddingFailedError, match="'paris!' is not in the vocabulary"):
        _embed(files, ["paris!"], tokenizer="whitespace", punctuation_fallback=False)
    # An item that is itself a vocabulary entry is one word, even with punctuation in it.
    np.testing.assert_allclose(_embed(files, ["New-York"]).vectors[0], kv["New-York"], rtol=1e-6)


def test_texts_are_mean_pooled_words(files, kv):
    result = _embed(files, ["The cat, the dog."], lowercase=True)
    np.testing.assert_allclose(result.vectors[0], kv[["the", "cat", "the", "dog"]].mean(axis=0), rtol=1e-5)


def test_results_report_oov_words_per_item_and_the_rate(files):
    result = embedsdk.embed(["the cat", "zebra and okapi", "dog"], provider=f"static/{files['word2vec']}", oov="zero")
    assert result.oov == [[], ["zebra", "okapi"], []]
    assert (result.stats.words, result.stats.oov_count) == (6, 2)
    assert result.stats.oov_rate == pytest.approx(2 / 6)
    again = embedsdk.embed(["the cat", "zebra and okapi", "dog"], provider=f"static/{files['word2vec']}", oov="zero")
    assert again.stats.cache_hits == 3
    assert again.oov == result.oov and again.stats.oov_count == 2  # the cache does not hide OOV words


def test_the_strategy_is_part_of_the_space_and_the_cache_key(files):
    zero = embedsdk.embed(["zebra"], provider=f"static/{files['word2vec']}", oov="zero")
    hashed = embedsdk.embed(["zebra"], provider=f"static/{files['word2vec']}", oov="hash")
    assert zero.space.extra["oov"] == "zero" and hashed.space.extra["oov"] == "hash"
    assert zero.space.fingerprint() != hashed.space.fingerprint()
    assert hashed.stats.cache_hits == 0
    assert hashed.vectors[0].any() and not zero.vectors[0].any()


def test_an_unknown_strategy_lists_close_names(files):
    with pytest.raises(UnknownOOVStrategyError, match="did you mean 'hash'"):
        _embed(files, ["cat"], oov="hsh")


class ReversedWord:
    @embedsdk.hookimpl
    def register_oov_strategies(self, register):
        def reversed_word(word, vectors):
            """The vector of the word spelt backwards, when there is one."""
            row = vectors.row(word[::-1])
            return None if row is None else vectors.vectors[row]

        register("reversed", reversed_word)


def test_a_third_party_strategy_registered_through_the_hook_is_used(files, kv):
    with registered_plugin(ReversedWord()):
        vector = _embed(files, ["tac"], oov="reversed").vectors[0]
    np.testing.assert_allclose(vector, kv["cat"], rtol=1e-6)


def test_sif_weights_words_and_removes_a_component_fitted_once(files, kv, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["the cat and the dog", "paris in france", "he was one of them", "i had a cat"]))
    first = _embed(files, ["the cat", "paris"], pooling="sif", sif_corpus=str(corpus))
    embedder = embedsdk.embedder(f"static/{files['word2vec']}", pooling="sif", sif_corpus=str(corpus))
    component = embedder.sif_component()
    stored = list((tmp_path / "cache" / "static-tables" / "sif").glob("*.npy"))
    assert len(stored) == 1
    np.testing.assert_allclose(np.load(stored[0]), component)
    # Removing the component leaves vectors orthogonal to it.
    assert np.abs(first.vectors @ component).max() < 1e-5
    # The weights: a / (a + p(w)), p from a Zipf law on the rank (the file holds no counts).
    p = 1.0 / np.arange(1, len(kv.index_to_key) + 1)
    p /= p.sum()
    rows = [kv.key_to_index[w] for w in ("the", "cat")]
    weighted = ((1e-3 / (1e-3 + p[rows]))[:, None] * kv.vectors[rows]).mean(axis=0)
    expected = weighted - (weighted @ component) * component
    np.testing.assert_allclose(first.vectors[0], expected, rtol=1e-4, atol=1e-6)
    assert first.space.pooling == "sif" and first.space.extra["sif_component"]


def test_sif_without_a_corpus_says_what_to_pass(files):
    with pytest.raises(embedsdk.InvalidOptionError, match="sif_corpus"):
        _embed(files, ["cat"], pooling="sif")


def test_glove_has_no_unk_row_and_says_so():
    with pytest.raises(EmbeddingFailedError, match="no UNK row"):
        embedsdk.embed(["qwzxv"], provider="glove", oov="unk", cache=False)
