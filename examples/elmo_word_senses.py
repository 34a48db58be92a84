"""Word senses with ELMo: "bank" by a river and "bank" with money get different vectors.

ELMo reads the whole sentence with a bidirectional LSTM language model, so each word's vector depends on
its context. Layer 0 is the character CNN alone (the same vector for "bank" everywhere); layers 1 and 2
are the BiLSTM's (context-dependent); ``layer="average"`` is the mean of the three.

    python examples/elmo_word_senses.py

It uses the ELMo weights of the ``elmo`` alias (``EMBEDSDK_ELMO_PATH``, else ``~/.cache/embedsdk/elmo``)
when there are some (see docs/elmo.md for where to get them). Without weights it builds a TINY
RANDOM-WEIGHT model on the fly, in the ELMoForManyLangs format, so the script runs anywhere: then the
mechanics are real (layer 0 is context-free, layers 1 and 2 are not) but the senses it guesses are not,
because random weights carry no meaning.
"""

import tempfile
from pathlib import Path

import numpy as np
from embedsdk_elmo import WordTokenizer, default_location, locate_elmo
from embedsdk_elmo.testing import write_random_manylangs

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
new_sentences = [
    "Reeds grew thick on the bank of the stream.",
    "The bank approved the loan and raised interest rates.",
]

try:
    files = locate_elmo(default_location())
    provider = "elmo"
    print(f"Using the ELMo weights in {files.folder}\n")
except embedsdk.errors.ModelNotFoundError:
    folder = Path(tempfile.mkdtemp()) / "tiny-elmo"
    texts = [*examples["river"], *examples["money"], *new_sentences]
    write_random_manylangs(folder, sorted({w for text in texts for w in WordTokenizer().words(text)}), seed=0)
    provider = f"elmo/{folder}"
    print(
        "No ELMo weights found (set EMBEDSDK_ELMO_PATH, see docs/elmo.md): using a TINY RANDOM model built in\n"
        f"{folder}. The mechanics below are real; the sense guesses are not (random weights mean nothing).\n"
    )


def bank(sentence: str, layer: object) -> np.ndarray:
    # One row per word asked for; `labels` holds each word as written in the sentence.
    result = embedsdk.embed_words(sentence, ["bank"], provider=provider, layer=layer)
    return result.vectors[0]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


river, money = examples["river"][0], examples["money"][0]
for layer in (0, 1, 2, "average"):
    across = cosine(bank(river, layer), bank(money, layer))
    print(f"layer {layer!s:<7}  cos(bank by the river, bank with money) = {across:.3f}")

# Nearest sense: the mean "bank" vector of each sense's sentences, from the top BiLSTM layer.
senses = {sense: np.mean([bank(s, 2) for s in sentences], axis=0) for sense, sentences in examples.items()}
print()
for sentence in new_sentences:
    scores = {sense: cosine(bank(sentence, 2), center) for sense, center in senses.items()}
    guess = max(scores, key=lambda sense: scores[sense])
    print(f"{guess:<5}  ({', '.join(f'{s} {v:.3f}' for s, v in scores.items())})  {sentence}")

# Sentence vectors: the mean over words of the chosen layer.
vectors = embedsdk.embed([river, money], provider=provider, layer="average")
print(
    f"\nsentence vectors: {vectors.shape}, space layer={vectors.space.extra['layer']}, pooling={vectors.space.pooling}"
)
