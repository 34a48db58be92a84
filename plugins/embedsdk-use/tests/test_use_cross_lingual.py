"""Translations land together: the property that makes USE-multilingual worth having, checked on real weights."""

from __future__ import annotations

import itertools

import numpy as np

import embedsdk


def test_translations_are_closer_than_other_sentences_of_the_same_language(corpus):
    languages = ("en", "fr", "de", "es", "it", "ja")
    texts = [row[lang] for row in corpus.parallel for lang in languages]
    vectors = embedsdk.embed(texts, provider="muse").vectors.reshape(len(corpus.parallel), len(languages), 512)
    failures = []
    for a, b in itertools.permutations(range(len(languages)), 2):
        for n in range(len(corpus.parallel)):
            translation = float(vectors[n, a] @ vectors[n, b])
            # The closest other sentence in language a, seen from sentence n in language a.
            others = [float(vectors[n, a] @ vectors[m, a]) for m in range(len(corpus.parallel)) if m != n]
            if translation <= max(others):
                failures.append(f"{languages[a]}->{languages[b]} #{n}: {translation:.3f} <= {max(others):.3f}")
    assert not failures, failures


def test_cross_lingual_search_finds_the_translation(corpus):
    documents = [row["ja"] for row in corpus.parallel]
    queries = [row["en"] for row in corpus.parallel]
    index = embedsdk.ExactIndex()
    index.add([f"ja{n}" for n in range(len(documents))], embedsdk.embed(documents, provider="muse"))
    hits = index.search(embedsdk.embed(queries, provider="muse"), k=1)
    assert [h[0].id for h in hits] == [f"ja{n}" for n in range(len(queries))]
    scores = np.array([h[0].score for h in hits])
    assert scores.min() > 0.5
