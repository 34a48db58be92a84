"""A recommender in a few lines: "more like this", without what the reader has already seen.

    HF_HUB_OFFLINE=1 .venv/bin/python examples/recommend.py

Books are described in a sentence each; the collection embeds them with the default model. A reader's
next books are the nearest neighbours of what they liked (`similar_to`), minus what they have read
(`exclude=`); a profile vector (the mean of several liked books) works the same way on the index.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import embedsdk

BOOKS = {
    "Dune": "A desert planet, giant sandworms and a spice that every empire in space fights over.",
    "Foundation": "A mathematician predicts the fall of a galactic empire and plans a way to shorten the dark age.",
    "Hyperion": "Pilgrims cross a far planet to meet a deadly creature, each telling their story in space.",
    "Neuromancer": "A washed-up hacker is hired for one last job inside a global computer network.",
    "Pride and Prejudice": "A witty young woman and a proud gentleman misjudge each other in Regency England.",
    "Emma": "A matchmaking young woman in an English village meddles in her friends' love lives.",
    "Jane Eyre": "An orphaned governess falls in love with her brooding employer at a lonely English manor.",
    "The Hobbit": "A home-loving hobbit joins dwarves on a quest to take back their mountain from a dragon.",
    "The Name of the Wind": "A gifted young man recounts how he became a legendary wizard and musician.",
    "A Brief History of Time": "A physicist explains black holes, the big bang and the nature of time.",
    "Cosmos": "A tour of the universe, from the origin of life to the stars, and our place among them.",
}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        shelf = embedsdk.Collection(Path(folder) / "books", provider="minilm")
        shelf.add(list(BOOKS.values()), ids=list(BOOKS), progress=False)

        read = ["Dune", "Foundation"]
        print(f"read: {', '.join(read)}")
        print("more like Dune, not yet read:")
        for hit in shelf.similar_to("Dune", k=3, exclude=read):
            print(f"  {hit.score:.3f}  {hit.id}")

        # A profile from several liked books, searched on the index itself (its ids are chunk ids).
        liked = ["Pride and Prejudice", "Jane Eyre"]
        liked_chunks = shelf.chunk_ids(liked)
        profile = np.mean([shelf.index.vector(chunk) for chunk in liked_chunks], axis=0)
        hits = shelf.index.search(profile, k=2, exclude=liked_chunks)[0]
        print(f"liked {', '.join(liked)}; next: {', '.join(hit.metadata['_doc'] for hit in hits)}")
        shelf.close()


if __name__ == "__main__":
    main()
