"""RAG retrieval over this repository's docs/: a collection of the pages, searched by meaning.

    HF_HUB_OFFLINE=1 .venv/bin/python examples/rag_over_docs.py ["your question"]

Builds (or reopens) a collection in a temporary folder with the default model, adds every page of docs/
(chunked with the model's tokenizer, each chunk remembering its character offsets), and prints the
passages a language model would get as context for the question.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import embedsdk

DOCS = Path(__file__).resolve().parent.parent / "docs"
QUESTION = "how does the cache decide what is a hit?"


def main() -> None:
    question = sys.argv[1] if len(sys.argv) > 1 else QUESTION
    with tempfile.TemporaryDirectory() as folder:
        docs = embedsdk.Collection(Path(folder) / "docs", provider="minilm", chunk_tokens=128)
        pages = sorted(DOCS.glob("*.md"))
        docs.add(
            [page.read_text(encoding="utf-8") for page in pages],
            ids=[page.name for page in pages],
            metadata=[{"page": page.name} for page in pages],
            progress=False,
        )
        print(f"{len(docs)} pages, {docs.info()['chunks']} chunks; question: {question}\n")
        hits = docs.search(question, k=3)
        for hit in hits:
            snippet = " ".join(hit.text.split())[:160]
            print(f"{hit.score:.3f}  {hit.id} [{hit.start}:{hit.end}]  {snippet}")
        context = "\n\n".join(hit.text for hit in hits)
        print(f"\ncontext for the prompt: {len(context)} characters from {len(hits)} pages")
        docs.close()


if __name__ == "__main__":
    main()
