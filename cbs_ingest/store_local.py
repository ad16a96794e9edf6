"""The embedded area store: GeoParquet files plus a SQLite catalogue.

Layout in ``<data dir>/store``:

- ``catalogue.sqlite``: one row per ingest (file, SHA-256, size, table, CBS
  host, geometry source, retrieval time, provenance) and one row per
  gemeente-year naming the ingest that holds it;
- ``<year>/areas-<sha16>.parquet``: the areas of one ingest (all levels),
  sorted by gemeente, in small row groups so one gemeente is read without the
  rest of the file.

A write goes to a temporary file, is moved into place with :func:`os.replace`,
and becomes visible only when the catalogue transaction commits (the commit
point). Files no ingest refers to any more are deleted after the commit; a
killed write leaves only an unreferenced file, tidied later. Readers verify
each file's size and checksum, as the old cache did.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from cbs_ingest.columns import LEVELS
from cbs_ingest.errors import StoreError
from cbs_ingest.join import JoinReport
from cbs_ingest.store import AreaPart, AreaRecord, StoredAreas, describe, split_put
from cbs_ingest.store_boundaries import LocalBoundaryTables
from cbs_ingest.store_files import file_ok, read_areas, remove_leftovers, write_areas
from cbs_ingest.store_series import LocalSeriesTables

__all__ = ["LocalStore", "STORE_VERSION"]

STORE_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ingests (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    table_id TEXT NOT NULL,
    cbs_url TEXT NOT NULL,
    geometry_source TEXT NOT NULL,
    geometry_key TEXT NOT NULL,
    retrieved_at TEXT NOT NULL,
    whole_country INTEGER NOT NULL,
    provenance TEXT NOT NULL,
    notes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS areas (
    year INTEGER NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    ingest_id INTEGER NOT NULL REFERENCES ingests(id),
    rows TEXT NOT NULL,
    report TEXT NOT NULL,
    missing TEXT,
    PRIMARY KEY (year, code)
);
CREATE TABLE IF NOT EXISTS complete_years (year INTEGER PRIMARY KEY);
"""

_SELECT = """
SELECT a.year, a.code, a.name, a.rows, a.report, a.missing, i.id, i.file, i.sha256, i.size,
       i.table_id, i.cbs_url, i.geometry_source, i.geometry_key, i.retrieved_at,
       i.whole_country, i.provenance, i.notes
FROM areas a JOIN ingests i ON a.ingest_id = i.id
"""


def _damaged(what: str, exc: BaseException | str) -> StoreError:
    return StoreError(
        f"The area store is damaged: {what} ({exc}). Nothing was changed; remove the damaged "
        f"part with 'stapelkaart data remove' or move the store folder aside, then ingest again.",
        nl=f"De gebiedsopslag is beschadigd: {what}. Er is niets veranderd; verwijder het "
        f"beschadigde deel met 'stapelkaart data remove' of zet de opslagmap opzij en haal de "
        f"gegevens opnieuw op.",
    )


class LocalStore(LocalSeriesTables, LocalBoundaryTables):
    """The embedded store in ``<data directory>/store`` (see the module docstring).

    Parameters
    ----------
    data_directory
        The data directory; the store is its ``store`` folder.
    """

    def __init__(self, data_directory: Path) -> None:
        self.root = Path(data_directory) / "store"
        self.catalogue = self.root / "catalogue.sqlite"
        self.location = str(self.root)
        self.notes: builtins.list[str] = []

    # --- catalogue ---------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection inside one transaction; ``None`` when reading an absent store."""
        if not write and not self.catalogue.exists():
            yield None
            return
        try:
            if write:
                self.root.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.catalogue, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise self._unwritable(exc) from exc
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            self._check_schema(con, write=write)
            yield con
            con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
            raise _damaged(f"catalogue {self.catalogue.name} cannot be read", exc) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def _check_schema(self, con: sqlite3.Connection, *, write: bool) -> None:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version == 0 and not tables:
            if write:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute(f"PRAGMA user_version = {STORE_VERSION}")
            return
        if version != STORE_VERSION or not {"ingests", "areas", "complete_years"} <= tables:
            raise _damaged(
                f"catalogue {self.catalogue.name} has version {version} and tables "
                f"{sorted(tables)}",
                f"expected version {STORE_VERSION}",
            )

    def _unwritable(self, exc: BaseException) -> StoreError:
        reason = getattr(exc, "strerror", None) or exc
        return StoreError(
            f"Could not write the area store in {self.root} ({reason}).",
            nl=f"De gebiedsopslag in {self.root} kon niet geschreven worden.",
        )

    # --- reading -------------------------------------------------------------------

    @staticmethod
    def _record(row: sqlite3.Row | tuple) -> AreaRecord:
        return AreaRecord(
            year=int(row[0]),
            code=row[1],
            name=row[2],
            table_id=row[10],
            cbs_url=row[11],
            retrieved_at=datetime.fromisoformat(row[14]),
            geometry_source=row[12],
            geometry_key=json.loads(row[13]),
            rows=json.loads(row[3]),
            whole_country=bool(row[15]),
        )

    def _rows(self, year: int | None, codes: Sequence[str] | None) -> builtins.list[tuple]:
        query = _SELECT
        params: builtins.list[Any] = []
        if year is not None:
            query += " WHERE a.year = ?"
            params.append(int(year))
            if codes is not None:
                query += f" AND a.code IN ({','.join('?' * len(codes))})"
                params.extend(codes)
        with self._connect(write=False) as con:
            if con is None:
                return []
            return con.execute(query + " ORDER BY a.year DESC, a.code", params).fetchall()

    def records(self, year: int, gemeenten: Sequence[str] | None = None) -> dict[str, AreaRecord]:
        """The catalogue records of gemeenten of a year that are stored (no file is read)."""
        return {r[1]: self._record(r) for r in self._rows(year, gemeenten)}

    def list(self) -> builtins.list[AreaRecord]:
        """Every stored gemeente-year, newest year first, then by code."""
        return [self._record(r) for r in self._rows(None, None)]

    def complete_years(self) -> set[int]:
        """Years for which a whole-country ingest is held in full."""
        with self._connect(write=False) as con:
            if con is None:
                return set()
            return {int(r[0]) for r in con.execute("SELECT year FROM complete_years")}

    def get_areas(self, year: int, gemeenten: Sequence[str] | None) -> StoredAreas:
        """Read gemeenten of a year (``None``: every gemeente stored for it).

        Raises
        ------
        StoreError
            A gemeente is not stored, or a file is missing or fails its checksum.
        """
        complete = int(year) in self.complete_years()
        for attempt in range(1, 4):  # a writer may delete a replaced file between the reads
            rows = self._rows(year, gemeenten)
            try:
                return self._assemble(int(year), rows, gemeenten, complete)
            except StoreError:
                if attempt == 3 or self._rows(year, gemeenten) == rows:
                    raise
        raise AssertionError("unreachable")

    def _assemble(
        self, year: int, rows: builtins.list[tuple], gemeenten: Sequence[str] | None, complete: bool
    ) -> StoredAreas:
        wanted = {r[1] for r in rows} if gemeenten is None else set(gemeenten)
        chosen = [r for r in rows if r[1] in wanted]
        absent = sorted(wanted - {r[1] for r in chosen})
        if absent or not chosen:
            what = ", ".join(absent) if absent else "any gemeente"
            nl = f"{', '.join(absent)} niet" if absent else "geen gemeenten"
            raise StoreError(
                f"The area store does not hold {what} for {year}; ingest it first "
                f"(stapelkaart ingest --year {year} ...).",
                nl=f"De gebiedsopslag bevat {nl} voor {year}; haal de gegevens eerst op.",
            )
        by_file: dict[str, list[tuple]] = {}
        for row in chosen:
            by_file.setdefault(row[7], []).append(row)
        parts = []
        for name, group in by_file.items():
            # A file may still hold rows of gemeenten another ingest replaced: always filter.
            codes = sorted(r[1] for r in group)
            sha, size = group[0][8], int(group[0][9])
            parts.append(read_areas(self.root / name, sha, size, codes, damaged=_damaged))
        combined = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        combined = combined.astype({"wijkcode": "object"})  # files hold only wanted rows
        combined["wijkcode"] = combined["wijkcode"].where(combined["wijkcode"].notna(), None)
        frames = {}
        for level in LEVELS:
            part = combined[combined["level"] == level]
            frames[level] = part.sort_values("code", kind="stable").reset_index(drop=True)
        held = [
            (
                self._record(r),
                AreaPart(
                    code=r[1],
                    name=r[2],
                    rows=json.loads(r[3]),
                    report=JoinReport.from_dict(json.loads(r[4])),
                    missing=None if r[5] is None else json.loads(r[5]),
                ),
                json.loads(r[16]),
                json.loads(r[17]),
            )
            for r in chosen
        ]
        return describe(frames, held, whole_country=complete and gemeenten is None)

    # --- writing -------------------------------------------------------------------

    def put_areas(
        self,
        frames: Mapping[str, gpd.GeoDataFrame],
        *,
        provenance: Mapping[str, Any],
        report: JoinReport,
        geometry_key: Mapping[str, Any],
        whole_country: bool,
        codes: Sequence[str] = (),
        notes: Sequence[str] = (),
        missing_by_gemeente: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
    ) -> None:
        """Store the gemeenten in ``frames`` (and ``codes``), replacing them atomically.

        Every gemeente with a row in a frame or a code in the join report is
        stored (with zero rows when it has none); earlier copies of them are
        replaced in one catalogue transaction.

        Raises
        ------
        StoreError
            The store is not writable or its catalogue is damaged; nothing changed.
        """
        year = int(provenance["year"])
        parts = split_put(frames, report, codes, missing_by_gemeente)
        path, digest, size = write_areas(self.root / str(year), frames, unwritable=self._unwritable)
        written = (f"{year}/{path.name}", digest, size)
        try:
            with self._connect(write=True) as con:
                assert con is not None  # a write connection always exists
                replaced = self._commit(
                    con, year, written, parts, provenance, geometry_key, whole_country, notes
                )
        except BaseException:
            self._drop_unreferenced([written[0]])
            raise
        self._drop_unreferenced(replaced)
        self._tidy(year)

    def _commit(
        self, con, year, written, parts, provenance, geometry_key, whole_country, notes
    ) -> builtins.list[str]:
        """Catalogue rows of one put; returns the files no ingest refers to any more."""
        name, digest, size = written
        kept = {k: v for k, v in provenance.items() if k not in ("missing", "gemeenten")}
        cursor = con.execute(
            "INSERT INTO ingests (year, file, sha256, size, table_id, cbs_url, geometry_source,"
            " geometry_key, retrieved_at, whole_country, provenance, notes)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                year, name, digest, size, str(provenance.get("table_id")),
                str(provenance.get("cbs_url", "")), str(provenance.get("geometry_source", "")),
                json.dumps(dict(geometry_key), sort_keys=True, default=str),
                str(provenance["retrieved_at"]), int(bool(whole_country)),
                json.dumps(kept, default=str), json.dumps(list(notes)),
            ),
        )  # fmt: skip
        ingest_id = cursor.lastrowid
        for part in parts:
            con.execute(
                "INSERT OR REPLACE INTO areas (year, code, name, ingest_id, rows, report, missing)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    year, part.code, part.name, ingest_id, json.dumps(part.rows),
                    json.dumps(part.report.to_dict()),
                    None if part.missing is None else json.dumps(part.missing),
                ),
            )  # fmt: skip
        if whole_country:  # the year becomes this country: gemeenten it lacks go
            con.execute("DELETE FROM areas WHERE year = ? AND ingest_id != ?", (year, ingest_id))
            con.execute("INSERT OR IGNORE INTO complete_years (year) VALUES (?)", (year,))
        return _delete_orphans(con)

    def remove(self, year: int, gemeenten: Sequence[str] | None = None) -> int:
        """Remove a year, or some gemeenten of it; returns the gemeenten removed.

        Removing a gemeente of a whole-country year makes that year incomplete.
        """
        with self._connect(write=True) as con:
            assert con is not None  # a write connection always exists
            if gemeenten is None:
                removed = con.execute("DELETE FROM areas WHERE year = ?", (int(year),)).rowcount
            else:
                marks = ",".join("?" * len(gemeenten))
                removed = con.execute(
                    f"DELETE FROM areas WHERE year = ? AND code IN ({marks})",
                    (int(year), *gemeenten),
                ).rowcount
            if removed:
                con.execute("DELETE FROM complete_years WHERE year = ?", (int(year),))
            replaced = _delete_orphans(con)
        self._drop_unreferenced(replaced)
        self._tidy(int(year))
        return int(removed)

    def damaged(self) -> builtins.list[str]:
        """Files the catalogue names that are missing or fail their checksum."""
        with self._connect(write=False) as con:
            if con is None:
                return []
            files = con.execute("SELECT DISTINCT file, sha256, size FROM ingests").fetchall()
        return [name for name, sha, size in files if not file_ok(self.root / name, sha, size)]

    # --- tidying -------------------------------------------------------------------

    def _referenced(self) -> set[str]:
        with self._connect(write=False) as con:
            if con is None:
                return set()
            return {r[0] for r in con.execute("SELECT file FROM ingests")}

    def _drop_unreferenced(self, names: Sequence[str]) -> None:
        with contextlib.suppress(StoreError):
            referenced = self._referenced()
            for name in names:
                if name not in referenced:
                    with contextlib.suppress(OSError):
                        (self.root / name).unlink()

    def _tidy(self, year: int) -> None:
        """Delete leftovers of killed writes in a year's folder (see ``remove_leftovers``)."""
        with contextlib.suppress(StoreError):
            remove_leftovers(self.root / str(year), self._referenced())


def _delete_orphans(con: sqlite3.Connection) -> list[str]:
    """Delete ingests no gemeente refers to; returns their files."""
    orphan = "FROM ingests WHERE id NOT IN (SELECT ingest_id FROM areas)"
    files = [r[0] for r in con.execute(f"SELECT file {orphan}")]
    con.execute(f"DELETE {orphan}")
    return files
