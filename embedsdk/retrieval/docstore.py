"""`DocStore`: a collection's SQLite file of documents, chunks (with provenance) and settings.

Tables:

- ``documents(id, hash, text, metadata)``: the texts as added, their sha256 and JSON metadata.
- ``chunks(id, doc_id, seq, start, end, hash)``: each chunk's document, position and character offsets; the
  chunk's integer ``id`` is its id in the collection's vector index.
- ``settings(key, value)``: provider, space, index backend and chunking, as JSON.

Every change runs in one transaction (`DocStore.transaction`), so a crash leaves the old state or the new
one. SQLite is the collection's source of truth; the vector index is reconciled with it on open.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from embedsdk.errors import CorruptFileError

__all__ = ["SCHEMA_VERSION", "DocStore"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, hash TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(hash);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""


class DocStore:
    """The SQLite side of a collection (see the module docstring).

    Args:
        path: The SQLite file (created when absent).

    Raises:
        CorruptFileError: the file is not a SQLite database of this layout, or of a newer schema.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise CorruptFileError(path, f"is not a readable collection database ({exc})") from None
        version = self.setting("schema")
        if version is None:
            with self.transaction():
                self.set_setting("schema", SCHEMA_VERSION)
        elif not isinstance(version, int) or version > SCHEMA_VERSION:
            raise CorruptFileError(
                path, f"has schema version {version!r}; this embedsdk reads up to {SCHEMA_VERSION}: upgrade embedsdk"
            )

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: committed when the block ends, rolled back when it raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def setting(self, key: str) -> Any:
        """A stored setting (JSON-decoded), or None."""
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            raise CorruptFileError(self.path, f"setting {key!r} is not valid JSON") from None

    def set_setting(self, key: str, value: Any) -> None:
        """Store a setting (inside a `transaction`)."""
        self._db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def count(self) -> int:
        """Number of documents."""
        return int(self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def document(self, doc_id: str) -> tuple[str, str, dict[str, Any]] | None:
        """(hash, text, metadata) of a document, or None."""
        row = self._db.execute("SELECT hash, text, metadata FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        try:
            metadata = json.loads(row[2])
        except ValueError:
            raise CorruptFileError(self.path, f"the metadata of document {doc_id!r} is not valid JSON") from None
        return row[0], row[1], metadata

    def ids_with_hashes(self, hashes: Sequence[str]) -> dict[str, str]:
        """Existing document hash -> id, for these hashes."""
        found: dict[str, str] = {}
        for start in range(0, len(hashes), 500):
            part = list(hashes[start : start + 500])
            marks = ",".join("?" * len(part))
            for doc_hash, doc_id in self._db.execute(f"SELECT hash, id FROM documents WHERE hash IN ({marks})", part):
                found.setdefault(doc_hash, doc_id)
        return found

    def insert_document(self, doc_id: str, doc_hash: str, text: str, metadata: dict[str, Any]) -> None:
        """Add or replace a document (inside a `transaction`; its old chunks go with it)."""
        self._db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        self._db.execute(
            "INSERT INTO documents(id, hash, text, metadata) VALUES (?, ?, ?, ?)",
            (doc_id, doc_hash, text, json.dumps(metadata)),
        )

    def insert_chunk(self, doc_id: str, seq: int, start: int, end: int, chunk_hash: str) -> int:
        """Add a chunk (inside a `transaction`); returns its id."""
        cursor = self._db.execute(
            'INSERT INTO chunks(doc_id, seq, start, "end", hash) VALUES (?, ?, ?, ?, ?)',
            (doc_id, seq, start, end, chunk_hash),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def chunk_ids(self, doc_ids: Sequence[str] | None = None) -> list[int]:
        """Chunk ids of these documents (all chunks when None)."""
        if doc_ids is None:
            return [row[0] for row in self._db.execute("SELECT id FROM chunks ORDER BY id")]
        found: list[int] = []
        for start in range(0, len(doc_ids), 500):
            part = list(doc_ids[start : start + 500])
            marks = ",".join("?" * len(part))
            found.extend(row[0] for row in self._db.execute(f"SELECT id FROM chunks WHERE doc_id IN ({marks})", part))
        return found

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, int, int, int, str]]:
        """Chunk id -> (doc_id, seq, start, end, chunk text) for these chunks."""
        found: dict[int, tuple[str, int, int, int, str]] = {}
        for begin in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[begin : begin + 500])
            marks = ",".join("?" * len(part))
            query = (
                f'SELECT c.id, c.doc_id, c.seq, c.start, c."end", substr(d.text, c.start + 1, c."end" - c.start) '
                f"FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({marks})"
            )
            for chunk_id, doc_id, seq, start, end, text in self._db.execute(query, part):
                found[chunk_id] = (doc_id, seq, start, end, text)
        return found

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Delete documents and their chunks (inside a `transaction`)."""
        self._db.executemany("DELETE FROM documents WHERE id = ?", [(i,) for i in doc_ids])

    def missing(self, doc_ids: Sequence[str]) -> list[str]:
        """The ids among these that are not stored."""
        return [i for i in doc_ids if self.document(i) is None]
