"""The embedded backend of the dataset store: one SQLite file.

The file holds the catalogue (``current``), every stored version (``versions``,
with the protected values as Parquet blobs and their SHA-256) and the audit log
(``audit``; triggers refuse any UPDATE or DELETE). WAL mode lets app processes
read while one writes; each change is one ``BEGIN IMMEDIATE`` transaction, so
it is stored whole or not at all. See :mod:`cbs_ingest.datasets` for the interface.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import io
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from cbs_ingest.datasets import AUDIT_ACTIONS, DatasetVersion, NewDataset, StoredDataset
from cbs_ingest.errors import DatasetConflictError, DatasetError

__all__ = ["SqliteDatasetStore"]

_SCHEMA = 1
#: The columns of a version without its values, in the order of :class:`DatasetVersion`.
_META_COLUMNS = (  # noqa: SIM905
    "id gemeente year name version level file_name file_sha256 rows areas columns pairs "
    "threshold suppression uploaded_by role created_at payload_sha256"
).split()
_AUDIT_COLUMNS = "at who role action gemeente year dataset version detail".split()  # noqa: SIM905
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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buffer, index=False)
    return buffer.getvalue()


def _broken(path: Path, exc: Exception) -> DatasetError:
    return DatasetError(
        f"The dataset store {path.name} is unreadable ({exc}); nothing was changed. "
        "Restore it from a backup or move it aside.",
        nl=f"Het gegevensbestand met eigen datasets ({path.name}) is beschadigd of onleesbaar; "
        "er is niets gewijzigd. Zet een reservekopie terug of vraag de beheerder.",
    )


def _clean_values(values: pd.DataFrame) -> pd.DataFrame:
    need = ["level", "code", "column", "value"]
    missing = [c for c in need if c not in values.columns]
    if missing:
        raise ValueError(f"values lack column(s) {missing}")
    out = values[need].copy()
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype(float)
    return out


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
        return [self._meta(r) for r in rows]

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
            meta = self._meta(row[:-2])
            if names is not None and meta.name not in names:
                continue
            values_blob, log_blob = row[-2], row[-1]
            digest = hashlib.sha256(values_blob + log_blob).hexdigest()
            if digest != meta.payload_sha256:
                raise _broken(self.path, ValueError(f"checksum mismatch in {meta.name}"))
            try:
                values = pd.read_parquet(io.BytesIO(values_blob))
                log = pd.read_parquet(io.BytesIO(log_blob))
            except Exception as exc:  # a damaged blob: pyarrow raises several kinds
                raise _broken(self.path, exc) from None
            out.append(StoredDataset(meta, values, log))
        return out

    def audit_log(self, *, limit: int | None = None) -> pd.DataFrame:
        """See :meth:`cbs_ingest.datasets.DatasetStore.audit_log`."""
        columns = _AUDIT_COLUMNS
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
        values = _clean_values(dataset.values)
        values_blob = _parquet(values)
        log_blob = _parquet(dataset.log)
        reasons = dataset.log["reason"] if "reason" in dataset.log.columns else pd.Series([])
        suppression = {
            "cells": int(len(dataset.log)),
            "primary": int((reasons == "primary").sum()),
            "secondary": int((reasons == "secondary").sum()),
            "threshold": int(dataset.threshold),
        }
        with self._connect(write=True) as con:
            current = self._current(con, dataset.gemeente, dataset.year, dataset.name)
            self._check_expected(dataset, current, replaces)
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
                    int(values.loc[values["level"] == dataset.level, "code"].nunique()),
                    json.dumps(list(dataset.columns)),
                    json.dumps(dict(dataset.pairs)),
                    int(dataset.threshold),
                    json.dumps(suppression),
                    who,
                    role,
                    _now(),
                    values_blob,
                    log_blob,
                    hashlib.sha256(values_blob + log_blob).hexdigest(),
                ),
            )
            con.execute(
                "INSERT OR REPLACE INTO current VALUES (?, ?, ?, ?)",
                (dataset.gemeente, int(dataset.year), dataset.name, cursor.lastrowid),
            )
            self._bump(con)
            action = "replace" if current is not None else "upload"
            detail = (
                f"{dataset.file_name} sha256={dataset.file_sha256[:12]} rows={dataset.rows} "
                f"onderdrukt={suppression['cells']}"
                + (f" vervangt versie {current.version}" if current is not None else "")
            )
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
            stored = con.execute(
                f"SELECT {self._meta_cols('v')}, 1 FROM versions v WHERE v.id = ?",
                (cursor.lastrowid,),
            ).fetchone()
        return self._meta(stored)

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
                raise DatasetError(
                    f"No dataset {name!r} for {gemeente} in {year}; nothing was removed.",
                    nl=f"Er is geen dataset {name!r} voor {gemeente} in {year}; "
                    "er is niets verwijderd.",
                )
            if expected is not None and current.version != expected:
                raise self._conflict(current, verb="verwijderen")
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
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        unknown = set(what) - {"gemeente", "year", "dataset", "version", "detail"}
        if unknown:
            raise ValueError(f"unknown audit field(s) {sorted(unknown)}")
        con.execute(
            "INSERT INTO audit (at, who, role, action, gemeente, year, dataset, version, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _now(),
                str(who),
                str(role),
                action,
                what.get("gemeente"),
                None if what.get("year") is None else int(what["year"]),
                what.get("dataset"),
                what.get("version"),
                str(what.get("detail", "")),
            ),
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
        return ", ".join(f"{alias}.{n}" for n in _META_COLUMNS)

    @staticmethod
    def _meta(row: tuple) -> DatasetVersion:
        meta = dict(zip(_META_COLUMNS, row, strict=False))
        for key in ("columns", "pairs", "suppression"):
            meta[key] = json.loads(meta[key])
        meta["columns"] = tuple(meta["columns"])
        return DatasetVersion(**meta, current=bool(row[len(_META_COLUMNS)]))

    def _current(
        self, con: sqlite3.Connection, gemeente: str, year: int, name: str
    ) -> DatasetVersion | None:
        row = con.execute(
            f"SELECT {self._meta_cols('v')}, 1 FROM current c "
            "JOIN versions v ON v.id = c.version_id "
            "WHERE c.gemeente = ? AND c.year = ? AND c.name = ?",
            (gemeente, int(year), name),
        ).fetchone()
        return None if row is None else self._meta(row)

    def _check_expected(
        self, dataset: NewDataset, current: DatasetVersion | None, replaces: int | None
    ) -> None:
        if current is None and replaces is None:
            return
        if current is not None and replaces is None:
            raise DatasetConflictError(
                f"A dataset {dataset.name!r} for {dataset.gemeente} in {dataset.year} exists "
                f"already (version {current.version}, by {current.uploaded_by}); "
                "replace it explicitly or choose another name. Nothing was written.",
                nl=f"Er bestaat al een dataset {dataset.name!r} voor {dataset.gemeente} in "
                f"{dataset.year} (versie {current.version}, van {current.uploaded_by}). "
                "Kies een andere naam of vervang hem bewust. Er is niets opgeslagen.",
            )
        if current is None or current.version != replaces:
            raise self._conflict(current, verb="vervangen", name=dataset.name)

    @staticmethod
    def _conflict(
        current: DatasetVersion | None, *, verb: str, name: str | None = None
    ) -> DatasetConflictError:
        if current is None:
            return DatasetConflictError(
                f"Dataset {name!r} was removed by someone else in the meantime; nothing was "
                "written.",
                nl=f"De dataset {name!r} is intussen door iemand anders verwijderd. Er is niets "
                "opgeslagen; bevestig opnieuw om hem als nieuwe dataset op te slaan.",
            )
        return DatasetConflictError(
            f"Dataset {current.name!r} was changed in the meantime (now version "
            f"{current.version} by {current.uploaded_by} at {current.created_at}); nothing was "
            "written.",
            nl=f"De dataset {current.name!r} is intussen gewijzigd (nu versie {current.version}, "
            f"van {current.uploaded_by} om {current.created_at}). Er is niets {verb}: bekijk "
            "de nieuwe versie en probeer het opnieuw.",
        )
