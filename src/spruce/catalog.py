"""The catalog: indexes and import jobs, in one SQLite file in the data dir.

SQLite in WAL mode with ``synchronous=FULL`` so a committed row survives a crash. One connection, guarded by a
lock: catalog writes are rare and tiny, and the HTTP edge calls us from a thread pool.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from spruce.errors import AlreadyExists, NotFound

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Cancelled"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS indexes (
    name TEXT PRIMARY KEY,
    dimension INTEGER,
    metric TEXT NOT NULL,
    vector_type TEXT NOT NULL,
    cloud TEXT NOT NULL,
    region TEXT NOT NULL,
    deletion_protection TEXT NOT NULL,
    tags TEXT NOT NULL,
    schema_fields TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS imports (
    index_name TEXT NOT NULL,
    id INTEGER NOT NULL,
    uri TEXT NOT NULL,
    integration_id TEXT,
    error_mode TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    percent_complete REAL NOT NULL DEFAULT 0,
    records_imported INTEGER NOT NULL DEFAULT 0,
    records_skipped INTEGER NOT NULL DEFAULT 0,
    total_rows INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (index_name, id)
);
CREATE TABLE IF NOT EXISTS import_counters (
    index_name TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
-- The first skipped records of each import, in the order they were met. (file, row) is the key so a resumed
-- import that re-reads rows after its last checkpoint does not report them twice.
CREATE TABLE IF NOT EXISTS import_skipped (
    index_name TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    file TEXT NOT NULL,
    row INTEGER NOT NULL,
    record_id TEXT,
    reason TEXT NOT NULL,
    PRIMARY KEY (index_name, import_id, file, row)
);
"""


def utc_now() -> str:
    """ISO-8601 with an explicit offset, as Pinecone returns timestamps."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(slots=True)
class IndexRecord:
    name: str
    dimension: int | None
    metric: str
    vector_type: str
    cloud: str = "aws"
    region: str = "us-east-1"
    deletion_protection: str = "disabled"
    tags: dict[str, str] = field(default_factory=dict)
    # The 2026-07 schema fields (vector fields and declared metadata fields), echoed back unchanged.
    schema_fields: dict[str, Any] = field(default_factory=dict)
    created_at: str = field(default_factory=utc_now)


@dataclass(slots=True)
class ImportJob:
    index_name: str
    id: str
    uri: str
    integration_id: str | None
    error_mode: str
    status: str
    created_at: str
    finished_at: str | None = None
    percent_complete: float = 0.0
    records_imported: int = 0
    records_skipped: int = 0
    total_rows: int = 0
    error: str | None = None
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """One row an import refused: where it was, its id when readable, and why."""

    file: str  # as the user knows it: the import uri followed by the path below it
    row: int  # 0-based row number within the file
    id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ImportTotals:
    """Jobs of one index in one status, and what they imported and skipped (for /metrics)."""

    index_name: str
    status: str
    jobs: int
    records_imported: int
    records_skipped: int


_INDEX_COLUMNS = [f.name for f in fields(IndexRecord)]
_JSON_INDEX_COLUMNS = ("tags", "schema_fields")
_IMPORT_COLUMNS = [f.name for f in fields(ImportJob)]
_IMPORT_UPDATABLE = frozenset(_IMPORT_COLUMNS) - {"index_name", "id", "uri", "created_at"}


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- indexes ----------------------------------------------------------------------------------------------

    def create_index(self, index: IndexRecord) -> None:
        values = [getattr(index, c) for c in _INDEX_COLUMNS]
        for column in _JSON_INDEX_COLUMNS:
            values[_INDEX_COLUMNS.index(column)] = msgspec.json.encode(getattr(index, column)).decode()
        try:
            with self._lock:
                self._db.execute(
                    f"INSERT INTO indexes ({','.join(_INDEX_COLUMNS)}) VALUES ({','.join('?' * len(values))})",
                    values,
                )
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"Resource {index.name} already exists") from None

    @staticmethod
    def _index_from_row(row: tuple[Any, ...]) -> IndexRecord:
        index = IndexRecord(*row)
        for column in _JSON_INDEX_COLUMNS:
            setattr(index, column, msgspec.json.decode(getattr(index, column)))
        return index

    def get_index(self, name: str) -> IndexRecord:
        rows = self._rows(f"SELECT {','.join(_INDEX_COLUMNS)} FROM indexes WHERE name = ?", (name,))
        if not rows:
            raise NotFound(f"Resource {name} not found")
        return self._index_from_row(rows[0])

    def list_indexes(self) -> list[IndexRecord]:
        rows = self._rows(f"SELECT {','.join(_INDEX_COLUMNS)} FROM indexes ORDER BY created_at, name")
        return [self._index_from_row(r) for r in rows]

    def update_index(self, index: IndexRecord) -> None:
        """Stores the mutable parts of an index (deletion protection, tags, metadata fields)."""
        with self._lock:
            self._db.execute(
                "UPDATE indexes SET deletion_protection = ?, tags = ?, schema_fields = ? WHERE name = ?",
                (index.deletion_protection, msgspec.json.encode(index.tags).decode(),
                 msgspec.json.encode(index.schema_fields).decode(), index.name),
            )

    def delete_index(self, name: str) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM indexes WHERE name = ?", (name,))
            self._db.execute("DELETE FROM imports WHERE index_name = ?", (name,))
            self._db.execute("DELETE FROM import_counters WHERE index_name = ?", (name,))
            self._db.execute("DELETE FROM import_skipped WHERE index_name = ?", (name,))
            self._db.execute("COMMIT")

    # -- import jobs ------------------------------------------------------------------------------------------

    def create_import(self, index_name: str, uri: str, integration_id: str | None, error_mode: str) -> ImportJob:
        """Stores a Pending job with the next id of this index ("1", "2", …)."""
        created = utc_now()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT last_id FROM import_counters WHERE index_name = ?",
                                   (index_name,)).fetchone()
            next_id = (row[0] if row else 0) + 1
            self._db.execute(
                "INSERT INTO import_counters (index_name, last_id) VALUES (?, ?) "
                "ON CONFLICT(index_name) DO UPDATE SET last_id = excluded.last_id",
                (index_name, next_id),
            )
            self._db.execute(
                "INSERT INTO imports (index_name, id, uri, integration_id, error_mode, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'Pending', ?)",
                (index_name, next_id, uri, integration_id, error_mode, created),
            )
            self._db.execute("COMMIT")
        return ImportJob(index_name, str(next_id), uri, integration_id, error_mode, "Pending", created)

    @staticmethod
    def _job_from_row(row: tuple[Any, ...]) -> ImportJob:
        job = ImportJob(*row)
        job.id = str(job.id)
        job.cancel_requested = bool(job.cancel_requested)
        return job

    def get_import(self, index_name: str, import_id: str) -> ImportJob:
        if not import_id.isdigit():
            raise NotFound(f"Import {import_id} not found")
        rows = self._rows(f"SELECT {','.join(_IMPORT_COLUMNS)} FROM imports WHERE index_name = ? AND id = ?",
                          (index_name, int(import_id)))
        if not rows:
            raise NotFound(f"Import {import_id} not found")
        return self._job_from_row(rows[0])

    def list_imports(self, index_name: str, limit: int, after: str | None = None) -> list[ImportJob]:
        """Jobs in id order, starting after id ``after``."""
        start = int(after) if after and after.isdigit() else 0
        rows = self._rows(
            f"SELECT {','.join(_IMPORT_COLUMNS)} FROM imports WHERE index_name = ? AND id > ? ORDER BY id LIMIT ?",
            (index_name, start, limit),
        )
        return [self._job_from_row(r) for r in rows]

    def unfinished_imports(self) -> list[ImportJob]:
        """Jobs to resume after a restart, oldest first."""
        rows = self._rows(
            f"SELECT {','.join(_IMPORT_COLUMNS)} FROM imports "
            "WHERE status IN ('Pending', 'InProgress') ORDER BY created_at, id"
        )
        return [self._job_from_row(r) for r in rows]

    def update_import(self, index_name: str, import_id: str, **changes: Any) -> None:
        unknown = set(changes) - _IMPORT_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        assignments = ", ".join(f"{k} = ?" for k in changes)
        with self._lock:
            self._db.execute(f"UPDATE imports SET {assignments} WHERE index_name = ? AND id = ?",
                             (*changes.values(), index_name, int(import_id)))

    def request_cancel(self, index_name: str, import_id: str) -> ImportJob:
        """Marks a running job for cancellation; a Pending one is Cancelled at once. Finished jobs are untouched."""
        job = self.get_import(index_name, import_id)
        if job.finished:
            return job
        with self._lock:
            if job.status == "Pending":
                self._db.execute(
                    "UPDATE imports SET status = 'Cancelled', finished_at = ?, cancel_requested = 1 "
                    "WHERE index_name = ? AND id = ? AND status = 'Pending'",
                    (utc_now(), index_name, int(import_id)),
                )
            self._db.execute("UPDATE imports SET cancel_requested = 1 WHERE index_name = ? AND id = ?",
                             (index_name, int(import_id)))
        return self.get_import(index_name, import_id)

    def import_totals(self) -> list[ImportTotals]:
        rows = self._rows(
            "SELECT index_name, status, COUNT(*), SUM(records_imported), SUM(records_skipped) FROM imports "
            "GROUP BY index_name, status ORDER BY index_name, status"
        )
        return [ImportTotals(*row) for row in rows]

    # -- skipped-record reports -------------------------------------------------------------------------------

    def add_skipped_records(self, index_name: str, import_id: str, records: list[SkippedRecord], limit: int) -> int:
        """Keeps ``records`` until the import's report holds ``limit``; returns how many the report now holds."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                held = self._count_skipped(index_name, import_id)
                for record in records:
                    if held >= limit:
                        break
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO import_skipped (index_name, import_id, file, row, record_id, reason) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (index_name, int(import_id), record.file, record.row, record.id, record.reason),
                    )
                    held += cursor.rowcount
            finally:
                self._db.execute("COMMIT")
        return held

    def _count_skipped(self, index_name: str, import_id: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM import_skipped WHERE index_name = ? AND import_id = ?",
                               (index_name, int(import_id))).fetchone()
        return int(row[0])

    def count_skipped_records(self, index_name: str, import_id: str) -> int:
        with self._lock:
            return self._count_skipped(index_name, import_id)

    def skipped_records(self, index_name: str, import_id: str, limit: int) -> list[SkippedRecord]:
        """The kept skipped records of an import, in the order the import met them."""
        rows = self._rows(
            "SELECT file, row, record_id, reason FROM import_skipped WHERE index_name = ? AND import_id = ? "
            "ORDER BY rowid LIMIT ?",
            (index_name, int(import_id), limit),
        )
        return [SkippedRecord(*row) for row in rows]
