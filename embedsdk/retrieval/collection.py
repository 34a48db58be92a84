"""`Collection`: what a RAG backend calls. Documents in, chunks embedded and indexed, best passages out.

    docs = embedsdk.Collection("notes", provider="minilm")     # a name (under the data folder) or a path
    docs.add(texts, ids=["a", "b"], metadata=[{"lang": "en"}, {"lang": "fr"}])
    hits = docs.search("how do I resume a failed run?", k=5, filter={"lang": "en"})
    hits[0].id, hits[0].score, hits[0].text, hits[0].metadata

One folder holds it all: ``docstore.sqlite`` (texts, metadata, chunk provenance, settings; see
`embedsdk.retrieval.docstore`) and the vector index (``index/``, any registered backend, ``flat`` by
default).

- **add** chunks each text with the provider's tokenizer (overlapping, with character offsets), skips
  documents whose content is already stored (sha256), embeds the chunks with ``role="document"`` through the
  cache and the planner, and stores everything in one SQLite transaction. The index is saved before that
  transaction commits, and reconciled with SQLite when the collection opens, so a crash leaves the old
  state or the new one.
- **search** embeds the query with ``role="query"`` and returns one hit per document (its best chunk) unless
  ``group=False``.
- **Reopening** uses the stored provider; another provider whose space differs raises `SpaceMismatchError`
  naming both. `migrate` re-embeds everything into a new space; the old index stays in use until the swap.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedsdk import runtime, settings
from embedsdk.api import embed, embedder
from embedsdk.errors import (
    ConfigurationError,
    InvalidInputError,
    InvalidOptionError,
    SpaceMismatchError,
    UnknownIdError,
)
from embedsdk.retrieval.checks import check_k, describe_space
from embedsdk.retrieval.chunking import chunk_text
from embedsdk.retrieval.docstore import DocStore
from embedsdk.retrieval.protocols import Hit
from embedsdk.retrieval.registry import create_index
from embedsdk.space import EmbeddingSpace, normalize_rows

__all__ = ["Collection", "CollectionHit", "collection_folder"]

DOC_KEY = "_doc"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def collection_folder(path_or_name: str | os.PathLike[str]) -> Path:
    """The folder of a collection: a plain name lives under ``EMBEDSDK_COLLECTIONS_DIR``, anything else is a path."""
    text = os.fspath(path_or_name)
    if isinstance(path_or_name, str) and _NAME.match(text) and not Path(text).exists():
        return settings.collections_dir() / text
    return Path(text).expanduser()


class CollectionHit(Hit):
    """One search result of a collection.

    Attributes:
        id: The document's id.
        score: Cosine similarity of its best chunk to the query.
        text: That chunk's text.
        metadata: The document's metadata.
        chunk: The chunk's position in the document (0 for the first).
        start: The chunk's first character in the document.
        end: Just past the chunk's last character.
    """

    text: str
    chunk: int = 0
    start: int = 0
    end: int = 0


class Collection:
    """Documents, their chunks and vectors, in one folder (see the module docstring).

    Args:
        path_or_name: A folder, or a plain name for a folder under `embedsdk.settings.collections_dir`.
        provider: The embedding provider. None: the stored one when reopening, else the default provider.
        index: The index backend (``flat`` by default; any registered name).
        chunk_tokens: Most tokens per chunk (default: the provider's limit, at most 256).
        chunk_overlap: Tokens shared by consecutive chunks of a document (default: a quarter of a chunk, at
            most 32).
        **index_options: Options of the index backend (``quantize="int8"`` for ``flat``...), used when the
            collection is created.

    Raises:
        SpaceMismatchError: reopening with a provider of another space (naming both).
        CorruptFileError: the folder's database or index is damaged.
    """

    def __init__(
        self,
        path_or_name: str | os.PathLike[str],
        provider: str | None = None,
        index: str | None = None,
        *,
        chunk_tokens: int | None = None,
        chunk_overlap: int | None = None,
        **index_options: Any,
    ) -> None:
        self.path = collection_folder(path_or_name)
        self.path.mkdir(parents=True, exist_ok=True)
        self._store = DocStore(self.path / "docstore.sqlite")
        stored_provider = self._store.setting("provider")
        if stored_provider is None:
            self._create(provider, index or "flat", chunk_tokens, chunk_overlap, index_options)
        else:
            self._reopen(provider, index)
        self._index = self._open_index()
        self._reconcile()

    # -- opening ------------------------------------------------------------------------------------------

    def _create(
        self, provider: str | None, index: str, chunk_tokens: int | None, overlap: int | None, options: dict[str, Any]
    ) -> None:
        model = embedder(provider)
        space: EmbeddingSpace = model.space
        limit = model.limits.max_tokens_per_item or space.max_tokens or 256
        tokens = chunk_tokens or min(256, limit)
        overlap = min(32, tokens // 4) if overlap is None else overlap
        if tokens < 8 or not 0 <= overlap < tokens // 2:
            raise InvalidOptionError(
                f"chunk_tokens={tokens} and chunk_overlap={overlap}: chunks need at least 8 tokens, and the overlap "
                f"must be under half a chunk"
            )
        runtime.current().registries.indexes.get(index)  # an unknown backend fails here, before anything is stored
        with self._store.transaction():
            self._store.set_setting("provider", provider or settings.default_provider())
            self._store.set_setting("space", space.model_dump())
            self._store.set_setting("index", index)
            self._store.set_setting("index_options", options)
            self._store.set_setting("index_dir", "index")
            self._store.set_setting("chunk_tokens", tokens)
            self._store.set_setting("chunk_overlap", overlap)

    def _reopen(self, provider: str | None, index: str | None) -> None:
        stored = EmbeddingSpace(**self._store.setting("space"))
        if provider is not None and provider != self._store.setting("provider"):
            other: EmbeddingSpace = embedder(provider).space
            diffs = stored.mismatches(other)
            if diffs:
                raise SpaceMismatchError(
                    f"collection {self.path} holds vectors of {describe_space(stored)}; provider {provider!r} gives "
                    f"{describe_space(other)}; they differ in {', '.join(diffs)}. Open it without provider= (it "
                    f"uses {self._store.setting('provider')!r}), or call migrate({provider!r}) to re-embed it"
                )
        if index is not None and index != self._store.setting("index"):
            raise InvalidOptionError(
                f"collection {self.path} uses the {self._store.setting('index')!r} index, not {index!r}; open it "
                f"without index="
            )

    def _index_folder(self) -> Path:
        return self.path / str(self._store.setting("index_dir"))

    def _open_index(self) -> Any:
        name = str(self._store.setting("index"))
        folder = self._index_folder()
        if folder.exists():
            factory = runtime.current().registries.indexes.get(name).factory
            loader = getattr(factory, "load", None)
            if loader is None:
                raise ConfigurationError(f"index backend {name!r} cannot load a saved index (its factory has no load)")
            return loader(folder)
        return create_index(name, space=self.space, **(self._store.setting("index_options") or {}))

    def _reconcile(self) -> None:
        """Make the index hold exactly the stored chunks (after a crash between the two writes)."""
        stored = {str(i) for i in self._store.chunk_ids()}
        held = set(getattr(self._index, "ids", []))
        extra, missing = sorted(held - stored), sorted(stored - held, key=int)
        if extra:
            self._index.remove(extra)
        if missing:
            self._embed_into(self._index, [int(i) for i in missing], self.provider, progress=None)
        if extra or missing:
            self._index.save(self._index_folder())

    # -- properties ---------------------------------------------------------------------------------------

    @property
    def provider(self) -> str:
        """The provider the collection embeds with."""
        return str(self._store.setting("provider"))

    @property
    def space(self) -> EmbeddingSpace:
        """The embedding space of its vectors."""
        return EmbeddingSpace(**self._store.setting("space"))

    @property
    def index(self) -> Any:
        """The vector index (ids are chunk ids); ``index.search(vector, k, exclude=...)`` works on it directly."""
        return self._index

    def __len__(self) -> int:
        return self._store.count()

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._store.document(doc_id) is not None

    def __repr__(self) -> str:
        return f"Collection({str(self.path)!r}, provider={self.provider!r}, documents={len(self)})"

    def chunk_ids(self, ids: Sequence[str]) -> list[str]:
        """The index ids of these documents' chunks (what ``collection.index`` holds), in document order."""
        return [str(i) for i in self._store.chunk_ids([str(i) for i in ids])]

    def info(self) -> dict[str, Any]:
        """What the collection holds: folder, provider, space, index, documents, chunks."""
        return {
            "path": str(self.path),
            "provider": self.provider,
            "space": describe_space(self.space),
            "index": self._store.setting("index"),
            "index_options": self._store.setting("index_options"),
            "documents": len(self),
            "chunks": len(self._store.chunk_ids()),
            "chunk_tokens": self._store.setting("chunk_tokens"),
            "chunk_overlap": self._store.setting("chunk_overlap"),
        }

    def close(self) -> None:
        """Close the database (and the index's connections, for backends that hold any)."""
        closer = getattr(self._index, "close", None)
        if callable(closer):
            closer()
        self._store.close()

    # -- adding -------------------------------------------------------------------------------------------

    def add(
        self,
        docs: Sequence[str] | str,
        ids: Sequence[str] | None = None,
        metadata: Sequence[Mapping[str, Any]] | None = None,
        *,
        progress: bool | None = True,
    ) -> list[str]:
        """Add documents: chunk, dedupe, embed (``role="document"``) and store them in one transaction.

        Args:
            docs: Texts (or one text).
            ids: Their ids (default: a hash of each text). An id already stored is replaced.
            metadata: One dict per document (JSON values), used by ``search(filter=...)``.
            progress: Show a progress bar while embedding.

        Returns:
            The id of each document, in input order (documents whose content was already stored, under
            another id, give that id and are not stored twice).

        Raises:
            InvalidInputError: a text that is not a non-empty string, ids or metadata of the wrong length, a
                repeated id, or metadata that is not a JSON object.
        """
        texts = [docs] if isinstance(docs, str) else list(docs)
        names, entries = self._check_docs(texts, ids, metadata)
        hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        known = self._store.ids_with_hashes(hashes)
        result: list[str] = list(names)
        todo: list[tuple[str, str, dict[str, Any], str]] = []
        seen: dict[str, str] = {}
        for n, (name, text, entry, digest) in enumerate(zip(names, texts, entries, hashes)):
            current = self._store.document(name)
            if current is not None and current[0] == digest and current[2] == entry:
                continue
            twin = seen.get(digest) or (known.get(digest) if known.get(digest) != name else None)
            if twin is not None and current is None:
                result[n] = twin
                continue
            seen.setdefault(digest, name)
            todo.append((name, text, entry, digest))
        if not todo:
            return result
        tokenizer = embedder(self.provider).tokenizer
        count = tokenizer.count if tokenizer is not None else None
        size, overlap = int(self._store.setting("chunk_tokens")), int(self._store.setting("chunk_overlap"))
        pieces = [chunk_text(text, count, size, overlap) for _, text, _, _ in todo]
        chunk_texts = [c.text for doc in pieces for c in doc]
        vectors = (
            embed(chunk_texts, self.provider, role="document", on_long="truncate", progress=progress)
            if chunk_texts
            else None
        )
        replaced = [str(i) for i in self._store.chunk_ids([name for name, _, _, _ in todo])]
        try:
            with self._store.transaction():
                new_ids, new_meta = [], []
                for (name, text, entry, digest), chunks in zip(todo, pieces):
                    self._store.insert_document(name, digest, text, entry)
                    for seq, chunk in enumerate(chunks):
                        chunk_hash = hashlib.sha256(chunk.text.encode("utf-8")).hexdigest()
                        new_ids.append(str(self._store.insert_chunk(name, seq, chunk.start, chunk.end, chunk_hash)))
                        new_meta.append({**entry, DOC_KEY: name})
                if replaced:
                    self._index.remove(replaced)
                if new_ids:
                    assert vectors is not None
                    self._index.add(new_ids, vectors, new_meta)
                # The index is saved before SQLite commits: a crash in between leaves extra vectors, which the
                # next open removes (SQLite is the source of truth).
                self._index.save(self._index_folder())
        except BaseException:
            self._index = self._open_index()
            self._reconcile()
            raise
        return result

    def _check_docs(
        self, texts: list[Any], ids: Sequence[str] | None, metadata: Sequence[Mapping[str, Any]] | None
    ) -> tuple[list[str], list[dict[str, Any]]]:
        bad = [n for n, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
        if bad:
            raise InvalidInputError(f"documents {bad[:10]} are not non-empty strings; pass text for each document")
        if ids is None:
            names = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:16] for t in texts]
        else:
            if isinstance(ids, str) or len(ids) != len(texts):
                raise InvalidInputError(f"pass one id per document ({len(texts)} documents)")
            names = [str(i) for i in ids]
            if len(set(names)) != len(names):
                raise InvalidInputError("ids repeat within one add(); give each document its own id")
        if metadata is None:
            entries: list[dict[str, Any]] = [{} for _ in texts]
        else:
            if len(metadata) != len(texts) or not all(isinstance(m, Mapping) for m in metadata):
                raise InvalidInputError(f"pass one metadata dict per document ({len(texts)} documents)")
            entries = [dict(m) for m in metadata]
            clash = [n for n, m in enumerate(entries) if DOC_KEY in m]
            if clash:
                raise InvalidInputError(f"metadata of documents {clash[:10]} uses the reserved key {DOC_KEY!r}")
        return names, entries

    def _embed_into(self, index: Any, chunk_ids: list[int], provider: str, progress: bool | None) -> None:
        for begin in range(0, len(chunk_ids), 4096):
            part = chunk_ids[begin : begin + 4096]
            found = self._store.chunks(part)
            texts = [found[i][4] for i in part]
            meta = []
            for i in part:
                document = self._store.document(found[i][0])
                assert document is not None
                meta.append({**document[2], DOC_KEY: found[i][0]})
            vectors = embed(texts, provider, role="document", on_long="truncate", progress=progress)
            index.add([str(i) for i in part], vectors, meta)

    # -- searching ----------------------------------------------------------------------------------------

    def search(
        self, query: str, k: int = 10, filter: Mapping[str, Any] | None = None, *, group: bool = True
    ) -> list[CollectionHit]:
        """The documents (best chunk each) most similar to ``query``, best first.

        Args:
            query: The question or text to look for (embedded with ``role="query"``).
            k: How many hits.
            filter: Conditions on document metadata (equality, lists, ``$gte``...; see
                `embedsdk.retrieval.checks`).
            group: True gives one hit per document (its best chunk); False one hit per chunk.

        Raises:
            InvalidOptionError: a bad ``k`` or filter (an unknown key names the keys there are).
        """
        vector = embed([query], self.provider, role="query").vectors
        return self._search(vector, k, filter, group, exclude=())

    def similar_to(
        self, id: str, k: int = 10, exclude: Sequence[str] = (), filter: Mapping[str, Any] | None = None
    ) -> list[CollectionHit]:
        """Documents most like document ``id`` (the mean of its chunk vectors), never ``id`` nor ``exclude``.

        The recommender of the embedding article: "more like this", with what the user has already seen
        in ``exclude``.

        Raises:
            UnknownIdError: ``id`` is not in the collection.
        """
        own = [str(i) for i in self._store.chunk_ids([id])]
        if not own:
            raise UnknownIdError([id], "the collection")
        if hasattr(self._index, "vector"):
            rows = [self._index.vector(i) for i in own]
        else:  # ExactIndex: rows in the order of its ids
            position = {chunk: n for n, chunk in enumerate(self._index.ids)}
            rows = [self._index.vectors[position[i]] for i in own]
        vector = normalize_rows(np.mean(rows, axis=0, keepdims=True))
        skipped = own + [str(i) for i in self._store.chunk_ids(list(exclude))]
        return self._search(vector, k, filter, True, exclude=skipped)

    def _search(
        self, vector: Any, k: int, filter: Mapping[str, Any] | None, group: bool, exclude: Sequence[str]
    ) -> list[CollectionHit]:
        k = check_k(k)
        total = len(self._index)
        fetch = k if not group else min(max(4 * k, 20), max(total, 1))
        skipped = set(exclude)
        # Backends built on SlotIndex take exclude= natively; others (ExactIndex) over-fetch and drop.
        native = "exclude" in inspect.signature(self._index.search).parameters
        while True:
            if native and skipped:
                hits = self._index.search(vector, k=fetch, filter=filter, exclude=list(skipped))[0]
            else:
                wanted = min(fetch + len(skipped), max(total, 1))
                hits = [h for h in self._index.search(vector, k=wanted, filter=filter)[0] if h.id not in skipped]
            best: dict[str, Hit] = {}
            for hit in hits:
                key = hit.metadata.get(DOC_KEY, hit.id) if group else hit.id
                if key not in best:
                    best[key] = hit
            if not group or len(best) >= k or fetch >= total:
                break
            fetch = min(fetch * 4, total)
        chosen = list(best.values())[:k]
        found = self._store.chunks([int(h.id) for h in chosen])
        results = []
        for hit in chosen:
            doc_id, seq, start, end, text = found[int(hit.id)]
            document = self._store.document(doc_id)
            assert document is not None
            results.append(
                CollectionHit(
                    id=doc_id, score=hit.score, text=text, metadata=document[2], chunk=seq, start=start, end=end
                )
            )
        return results

    # -- removing and migrating ---------------------------------------------------------------------------

    def delete(self, ids: Sequence[str]) -> None:
        """Delete documents and their chunks.

        Raises:
            UnknownIdError: an id is not stored (nothing is deleted then).
        """
        names = [ids] if isinstance(ids, str) else [str(i) for i in ids]
        missing = self._store.missing(names)
        if missing:
            raise UnknownIdError(missing, "the collection")
        chunk_ids = [str(i) for i in self._store.chunk_ids(names)]
        # SQLite first: a crash before the index is saved leaves extra vectors, removed on the next open.
        with self._store.transaction():
            self._store.delete_documents(names)
        if chunk_ids:
            self._index.remove(chunk_ids)
        self._index.save(self._index_folder())

    def migrate(self, provider: str, *, progress: bool | None = True) -> None:
        """Re-embed every chunk with ``provider`` into a new index, then switch to it.

        Until the switch, searches keep using the old index and space; a crash during the migration leaves
        the collection on the old provider.
        """
        model = embedder(provider)
        space: EmbeddingSpace = model.space
        name = str(self._store.setting("index"))
        fresh = create_index(name, space=space, **(self._store.setting("index_options") or {}))
        self._embed_into(fresh, self._store.chunk_ids(), provider, progress)
        old_folder = self._index_folder()
        new_dir = f"index-{os.urandom(4).hex()}"
        fresh.save(self.path / new_dir)
        with self._store.transaction():
            self._store.set_setting("provider", provider)
            self._store.set_setting("space", space.model_dump())
            self._store.set_setting("index_dir", new_dir)
        self._index = fresh
        shutil.rmtree(old_folder, ignore_errors=True)
