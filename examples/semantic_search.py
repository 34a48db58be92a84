"""Semantic search over a few documents with `ExactIndex`, documents and queries embedded with their role.

HF_HUB_OFFLINE=1 python examples/semantic_search.py
"""

import tempfile

import embedsdk

documents = {
    "tea": "Green tea is brewed with water below boiling, around 80 degrees Celsius, for two minutes.",
    "bread": "Sourdough bread rises slowly because wild yeast ferments the dough overnight.",
    "python": "Python lists grow as you append to them; a tuple cannot be changed once created.",
    "git": "git rebase replays your commits on top of another branch, rewriting their history.",
    "cats": "Cats sleep for twelve to sixteen hours a day and are most active at dawn and dusk.",
    "bikes": "Check the tyre pressure of a road bike before every ride; it loses air within days.",
}
metadata = [
    {"topic": "food"},
    {"topic": "food"},
    {"topic": "code"},
    {"topic": "code"},
    {"topic": "animals"},
    {"topic": "sport"},
]

# Documents and queries get their role: it is part of the space and of the cache key, and providers
# whose models use prompts (a "query: " prefix, say) apply them. all-MiniLM-L6-v2 has none.
doc_vectors = embedsdk.embed(list(documents.values()), role="document")

# The index takes the space of the first Embeddings it is given and refuses vectors of another one.
index = embedsdk.ExactIndex()
index.add(list(documents), doc_vectors, metadata)
print(index)

queries = ["how hot should the water be for tea?", "undo changes to my commit history", "when are cats awake?"]
query_vectors = embedsdk.embed(queries, role="query")

# One list of hits per query, best first; a score is the cosine similarity.
for query, hits in zip(queries, index.search(query_vectors, k=2)):
    print(f"\n{query}")
    for hit in hits:
        print(f"  {hit.score:.3f}  {hit.id:<7} {documents[hit.id]}")

# Metadata filters keep only matching entries; a list value matches any of its elements.
hits = index.search(query_vectors[0], k=3, filter={"topic": ["code", "sport"]})[0]
print("\nfiltered to code and sport:", [hit.id for hit in hits])

# Save to a folder (vectors.npy + index.json) and load it back.
with tempfile.TemporaryDirectory() as folder:
    index.save(folder)
    loaded = embedsdk.ExactIndex.load(folder)
    print("reloaded:", loaded, "top hit:", loaded.search(query_vectors, k=1)[0][0].id)

# Queries from another space are refused with the field that differs.
try:
    index.search(embedsdk.embed(queries, pooling="cls"))
except embedsdk.SpaceMismatchError as exc:
    print("\nrefused:", exc)
