"""Words in context: the same word gets a different vector in each sentence it is read in.

`embedsdk.embed_words` runs the transformer over the whole sentence and averages the subword pieces of
each word asked for, so "bank" beside a river and "bank" with a loan come out apart. Here a few labelled
sentences per sense tell which sense a new sentence uses.

    HF_HUB_OFFLINE=1 python examples/words_in_context.py
"""

import numpy as np

import embedsdk

examples = {
    "river": [
        "We sat on the grassy bank of the river and watched the water.",
        "The fisherman walked along the muddy river bank.",
    ],
    "money": [
        "She deposited her salary at the bank this morning.",
        "He withdrew cash from his bank account.",
    ],
}


def bank_vector(sentence: str) -> np.ndarray:
    # One row per word asked for; labels say which word each row is (as it is written in the sentence).
    words = embedsdk.embed_words(sentence, ["bank"])
    assert words.labels == ["bank"]
    return words.vectors[0]


# The mean vector of "bank" in each sense's sentences.
senses = {sense: np.mean([bank_vector(s) for s in sentences], axis=0) for sense, sentences in examples.items()}

for sentence in [
    "Reeds grew thick on the bank of the stream.",
    "The bank approved the loan and raised interest rates.",
]:
    scores = {
        sense: float(embedsdk.cosine_similarity(bank_vector(sentence), center)[0, 0])
        for sense, center in senses.items()
    }
    guess = max(scores, key=scores.get)
    shown = ", ".join(f"{sense} {score:.3f}" for sense, score in scores.items())
    print(f"{guess:<5}  ({shown})  {sentence}")

# Every word of a sentence at once (words=None), or character spans for multi-word terms.
all_words = embedsdk.embed_words("New York banks open early")
print("\nwords:", all_words.labels, all_words.shape)
span = embedsdk.embed_words("New York banks open early", [(0, 8)])
print("span:", span.labels, "space pooling:", span.space.pooling, "normalized:", span.space.normalized)
