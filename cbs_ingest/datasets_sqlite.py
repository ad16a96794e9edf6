"""The embedded backend of the dataset store: one SQLite file.

The file holds the catalogue (``current``), every stored version (``versions``,
with the protected values as Parquet blobs and their SHA-256) and the audit log
(``audit``; triggers refuse any UPDATE or DELETE). WAL mode lets app processes
read while one writes; each change is one ``BEGIN IMMEDIATE`` transaction, so
it is stored whole or not at all. See :mod:`cbs_ingest.datasets` for the interface.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from cbs_ingest.datasets import DatasetVersion, NewDataset, StoredDataset
from cbs_ingest.datasets_common import (
    AUDIT_COLUMNS,
    META_COLUMNS,
    add_detail,
    audit_row,
    check_expected,
    conflict,
    meta_from_row,
    not_found,
    now,
    payload,
    stored_dataset,
)
from cbs_ingest.errors import DatasetError

__all__ = ["SqliteDatasetStore"]

_SCHEMA = 1
_BUSY_MS = 15_000

_DDL = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
""",
    """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gemeente TEXT NOT NULL, year INTEGER NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
    level TEXT NOT NULL, file_name TEXT NOT NULL, file_sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL, areas INTEGER NOT NULL, columns TEXT NOT NULL, pairs TEXT NOT NULL,
    threshold INTEGER NOT NULL, suppression TEXT NOT NULL,
    uploaded_by TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL,
    values_parquet BLOB NOT NULL, log_parquet BLOB NOT NULL, payload_sha256 TEXT NOT NULL,
    UNIQUE (gemeente, year, name, version)
)
""",
    """
CREATE TABLE IF NOT EXISTS current (
    gemeente TEXT NOT NULL, year INTEGER NOT NULL, name TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    PRIMARY KEY (gemeente, year, name)
)
""",
    """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL,
    role TEXT NOT NULL, action TEXT NOT NULL, gemeente TEXT, year INTEGER, dataset TEXT,
    version INTEGER, detail TEXT NOT NULL DEFAULT ''
)
""",
    """
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
""",
    """
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
""",
    """
CREATE TRIGGER IF NOT EXISTS versions_no_update BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'stored versions are never changed'); END
""",
)


def _broken(path: Path, exc: Exception) -> DatasetError:
    return DatasetError(
        f"The dataset store {path.name} is unreadable ({exc}); nothing was changed. "
        "Restore it from a backup or move it aside.",
        nl=f"Het gegevensbestand met eigen datasets ({path.name}) is beschadigd of onleesbaar; "
        "er is niets gewijzigd. Zet een reservekopie terug of vraag de beheerder.",
    )


class SqliteDatasetStore:
    """The embedded backend: one SQLite file (catalogue, versions and audit log).

    Parameters
    ----------
    path
        The store file; created with its folder on the first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # -- connection -------------------------------------------------------------------
    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if not write and not self.path.exists():
            yield None  # type: ignore[misc]  # nothing stored yet
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _broken(self.path, exc) from None
        try:
            try:
                con.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
                if write:
                    con.execute("PRAGMA journal_mode = WAL")
                    con.execute("BEGIN IMMEDIATE")
                    for statement in _DDL:
                        con.execute(statement)
                    con.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('schema', ?), ('generation', '0')",
                        (str(_SCHEMA),),
                    )
                else:
                    con.execute("BEGIN")
                    con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as exc:
                con.rollback() if con.in_transaction else None
                raise _broken(self.path, exc) from None
            try:
                yield con
            except sqlite3.DatabaseError as exc:
                con.rollback()
                raise _broken(self.path, exc) from None
            except BaseException:
                con.rollback()
                raise
            else:
                con.commit() if write else con.rollback()
        finally:
            con.close()

    def _has_tables(self, con: sqlite3.Connection | None) -> bool:
        if con is None:
            return False
        row = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'current'").fetchone()
        return row is not None

    # -- reads ------------------------------------------------------------------------
    def generation(self) -> int:
        """See :meth:`cbs_ingest.datasets.DatasetStore.generation`."""
        with self._connect(write=False) as con:
            if not self._has_tables(con):
                return 0
            row = con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            return int(row[0]) if row else 0

    def list(
        self,
        *,
        gemeente: str | None = None,
        year: int | None = None,
        all_versions: bool = False,
    ) -> list[DatasetVersion]:
        """See :meth:`cbs_ingest.datasets.DatasetStore.list`."""
        with self._connect(write=False) as con:
            if not self._has_tables(con):
                return []
            where, args = self._where(gemeente, year)
            join = "LEFT JOIN" if all_versions else "JOIN"
            rows = con.execute(
                f"SELECT {self._meta_cols('v')}, c.version_id IS NOT NULL FROM versions v "
                f"{join} current c ON c.version_id = v.id{where} "
                "ORDER BY v.gemeente, v.year, v.name, v.version",
                args,
            ).fetchall()
        return [meta_from_row(r) for r in rows]

    def latest(
        self, gemeente: str, year: int, *, allowed: Iterable[str] | None
    ) -> builtins.list[StoredDataset]:
        """See :meth:`cbs_ingest.datasets.DatasetStore.latest`."""
        names = None if allowed is None else set(allowed)
        with self._connect(write=False) as con:
            if not self._has_tables(con):
                return []
            rows = con.execute(
                f"SELECT {self._meta_cols('v')}, 1, v.values_parquet, v.log_parquet "
                "FROM current c JOIN versions v ON v.id = c.version_id "
                "WHERE c.gemeente = ? AND c.year = ? ORDER BY v.name",
                (gemeente, int(year)),
            ).fetchall()
        out = []
        for row in rows:
            meta = meta_from_row(row[:-2])
            if names is not None and meta.name not in names:
                continue
            broken = lambda exc: _broken(self.path, exc)  # noqa: E731
            out.append(stored_dataset(meta, row[-2], row[-1], broken=broken))
        return out

    def audit_log(self, *, limit: int | None = None) -> pd.DataFrame:
        """See :meth:`cbs_ingest.datasets.DatasetStore.audit_log`."""
        columns = AUDIT_COLUMNS
        with self._connect(write=False) as con:
            if not self._has_tables(con):
                return pd.DataFrame(columns=columns)
            sql = f"SELECT {', '.join(columns)} FROM audit ORDER BY id DESC"
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            frame = pd.DataFrame(con.execute(sql).fetchall(), columns=columns)
        return frame.astype({"year": "Int64", "version": "Int64"})

    # -- writes -----------------------------------------------------------------------
    def add(
        self, dataset: NewDataset, *, replaces: int | None, who: str, role: str
    ) -> DatasetVersion:
        """See :meth:`cbs_ingest.datasets.DatasetStore.add`."""
        stored = payload(dataset)
        with self._connect(write=True) as con:
            current = self._current(con, dataset.gemeente, dataset.year, dataset.name)
            check_expected(dataset, current, replaces)
            row = con.execute(
                "SELECT coalesce(max(version), 0) FROM versions "
                "WHERE gemeente = ? AND year = ? AND name = ?",
                (dataset.gemeente, int(dataset.year), dataset.name),
            ).fetchone()
            number = int(row[0]) + 1
            cursor = con.execute(
                "INSERT INTO versions (gemeente, year, name, version, level, file_name, "
                "file_sha256, rows, areas, columns, pairs, threshold, suppression, uploaded_by, "
                "role, created_at, values_parquet, log_parquet, payload_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dataset.gemeente,
                    int(dataset.year),
                    dataset.name,
                    number,
                    dataset.level,
                    dataset.file_name,
                    dataset.file_sha256,
                    int(dataset.rows),
                    stored.areas,
                    stored.columns_json,
                    stored.pairs_json,
                    int(dataset.threshold),
                    stored.suppression_json,
                    who,
                    role,
                    now(),
                    stored.values_blob,
                    stored.log_blob,
                    stored.sha256,
                ),
            )
            con.execute(
                "INSERT OR REPLACE INTO current VALUES (?, ?, ?, ?)",
                (dataset.gemeente, int(dataset.year), dataset.name, cursor.lastrowid),
            )
            self._bump(con)
            action = "replace" if current is not None else "upload"
            detail = add_detail(dataset, stored, current)
            self._audit(
                con,
                action,
                who=who,
                role=role,
                gemeente=dataset.gemeente,
                year=dataset.year,
                dataset=dataset.name,
                version=number,
                detail=detail,
            )
            row = con.execute(
                f"SELECT {self._meta_cols('v')}, 1 FROM versions v WHERE v.id = ?",
                (cursor.lastrowid,),
            ).fetchone()
        return meta_from_row(row)

    def remove(
        self,
        name: str,
        *,
        gemeente: str,
        year: int,
        who: str,
        role: str,
        expected: int | None = None,
    ) -> DatasetVersion:
        """See :meth:`cbs_ingest.datasets.DatasetStore.remove`."""
        with self._connect(write=True) as con:
            current = self._current(con, gemeente, year, name)
            if current is None:
                raise not_found(name, gemeente, year)
            if expected is not None and current.version != expected:
                raise conflict(current, verb="verwijderen")
            con.execute(
                "DELETE FROM current WHERE gemeente = ? AND year = ? AND name = ?",
                (gemeente, int(year), name),
            )
            self._bump(con)
            self._audit(
                con,
                "remove",
                who=who,
                role=role,
                gemeente=gemeente,
                year=year,
                dataset=name,
                version=current.version,
                detail=f"versie {current.version} verwijderd voor iedereen",
            )
        return current

    def audit(self, action: str, *, who: str, role: str, **what: Any) -> None:
        """See :meth:`cbs_ingest.datasets.DatasetStore.audit`."""
        with self._connect(write=True) as con:
            self._audit(con, action, who=who, role=role, **what)

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _audit(con: sqlite3.Connection, action: str, *, who: str, role: str, **what: Any) -> None:
        con.execute(
            "INSERT INTO audit (at, who, role, action, gemeente, year, dataset, version, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            audit_row(action, who=who, role=role, **what),
        )

    @staticmethod
    def _bump(con: sqlite3.Connection) -> None:
        con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    @staticmethod
    def _where(gemeente: str | None, year: int | None) -> tuple[str, builtins.list[Any]]:
        clauses: builtins.list[str] = []
        args: builtins.list[Any] = []
        if gemeente is not None:
            clauses.append("v.gemeente = ?")
            args.append(gemeente)
        if year is not None:
            clauses.append("v.year = ?")
            args.append(int(year))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    @staticmethod
    def _meta_cols(alias: str) -> str:
        return ", ".join(f"{alias}.{n}" for n in META_COLUMNS)

    def _current(
        self, con: sqlite3.Connection, gemeente: str, year: int, name: str
    ) -> DatasetVersion | None:
        row = con.execute(
            f"SELECT {self._meta_cols('v')}, 1 FROM current c "
            "JOIN versions v ON v.id = c.version_id "
            "WHERE c.gemeente = ? AND c.year = ? AND c.name = ?",
            (gemeente, int(year), name),
        ).fetchone()
        return None if row is None else meta_from_row(row)
