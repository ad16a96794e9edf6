"""The area store in PostgreSQL with PostGIS, chosen by ``STAPELKAART_DATABASE_URL``.

For several app processes or machines sharing one store. The same interface
and semantics as the embedded store (:mod:`cbs_ingest.store_local`):

- ``stapelkaart_ingests``: one row per ingest (table, CBS host, geometry
  source, retrieval time, provenance, notes, the indicator columns);
- ``stapelkaart_area_rows``: the areas of each ingest, one row per buurt, wijk
  or gemeente, with the indicator values and a PostGIS geometry (EPSG:28992);
- ``stapelkaart_areas``: one row per gemeente-year naming the ingest holding it;
- ``stapelkaart_complete_years``: the years a whole-country ingest is held for.

A put is one transaction (the commit point); writers are serialised with an
advisory lock, and a read runs in one repeatable-read snapshot. Ingests no
gemeente refers to any more are deleted with their rows in the same transaction.
"""

from __future__ import annotations

import builtins
import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS, LEVELS
from cbs_ingest.errors import StoreError
from cbs_ingest.join import JoinReport
from cbs_ingest.pg import reason, redacted, transaction
from cbs_ingest.store import AreaPart, AreaRecord, StoredAreas, describe, split_put
from cbs_ingest.store_boundaries import PostgresBoundaryTables
from cbs_ingest.store_series import PostgresSeriesTables

__all__ = ["PostgresStore", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
_LOCK = 0x5354_4B41  # advisory lock id of the store's writers ("STKA")
_INDICATORS = [c.name for c in CANONICAL_COLUMNS]

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE IF NOT EXISTS stapelkaart_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS stapelkaart_ingests (
    id bigserial PRIMARY KEY,
    year integer NOT NULL,
    table_id text NOT NULL,
    cbs_url text NOT NULL,
    geometry_source text NOT NULL,
    geometry_key jsonb NOT NULL,
    retrieved_at text NOT NULL,
    whole_country boolean NOT NULL,
    provenance jsonb NOT NULL,
    notes jsonb NOT NULL,
    columns jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS stapelkaart_area_rows (
    ingest_id bigint NOT NULL REFERENCES stapelkaart_ingests(id) ON DELETE CASCADE,
    gemeentecode text NOT NULL,
    level text NOT NULL,
    code text NOT NULL,
    name text,
    gemeentenaam text,
    wijkcode text,
    year integer NOT NULL,
    vals double precision[] NOT NULL,
    geom geometry(Geometry, 28992) NOT NULL
);
CREATE INDEX IF NOT EXISTS stapelkaart_area_rows_gemeente
    ON stapelkaart_area_rows (ingest_id, gemeentecode);
CREATE TABLE IF NOT EXISTS stapelkaart_areas (
    year integer NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    ingest_id bigint NOT NULL REFERENCES stapelkaart_ingests(id),
    rows jsonb NOT NULL,
    report jsonb NOT NULL,
    missing jsonb,
    PRIMARY KEY (year, code)
);
CREATE TABLE IF NOT EXISTS stapelkaart_complete_years (year integer PRIMARY KEY);
"""

_SELECT = """
SELECT a.year, a.code, a.name, a.rows, a.report, a.missing, i.id, i.table_id, i.cbs_url,
       i.geometry_source, i.geometry_key, i.retrieved_at, i.whole_country, i.provenance, i.notes
FROM stapelkaart_areas a JOIN stapelkaart_ingests i ON a.ingest_id = i.id
"""


def _unusable(url: str, exc: BaseException | str) -> StoreError:
    where = redacted(url)
    return StoreError(
        f"The area store database at {where} cannot be used ({reason(url, exc)}). Nothing was "
        "changed; check STAPELKAART_DATABASE_URL, or unset it to use the store in the data "
        "directory.",
        nl=f"De database van de gebiedsopslag ({where}) is niet bruikbaar. Er is niets "
        f"veranderd; controleer STAPELKAART_DATABASE_URL of haal die weg om de opslag in de "
        f"datamap te gebruiken.",
    )


class PostgresStore(PostgresSeriesTables, PostgresBoundaryTables):
    """The area store in a PostgreSQL database with PostGIS (see the module docstring).

    Parameters
    ----------
    url
        A libpq connection URL or string, e.g. ``postgresql://user@host/db``.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = redacted(url)
        self.notes: builtins.list[str] = []
        self._exists = False  # whether the schema exists, as of the current transaction

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[Any]:
        """A cursor inside one transaction (writers hold the advisory lock)."""
        with transaction(
            self.url, write=write, lock=_LOCK, unusable=lambda exc: _unusable(self.url, exc)
        ) as cur:
            self._check_schema(cur, write=write)
            yield cur

    def _check_schema(self, cur: Any, *, write: bool) -> None:
        cur.execute("SELECT to_regclass('stapelkaart_meta') IS NOT NULL")
        self._exists = bool(cur.fetchone()[0])
        if not self._exists:
            if not write:
                return  # an empty database reads as an empty store
            cur.execute(_SCHEMA)
            cur.execute(
                "INSERT INTO stapelkaart_meta VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),)
            )
        cur.execute("SELECT value FROM stapelkaart_meta WHERE key = 'schema_version'")
        row = cur.fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            raise _unusable(self.url, f"store schema version {row and row[0]}, expected 1")
        self._exists = True

    def _empty(self, cur: Any) -> bool:
        return not self._exists

    # --- reading -------------------------------------------------------------------

    @staticmethod
    def _record(row: tuple) -> AreaRecord:
        return AreaRecord(
            year=int(row[0]),
            code=row[1],
            name=row[2],
            table_id=row[7],
            cbs_url=row[8],
            retrieved_at=datetime.fromisoformat(row[11]),
            geometry_source=row[9],
            geometry_key=dict(row[10]),
            rows=dict(row[3]),
            whole_country=bool(row[12]),
        )

    def _rows(
        self, cur: Any, year: int | None, codes: Sequence[str] | None
    ) -> builtins.list[tuple]:
        if self._empty(cur):
            return []
        query = _SELECT
        params: builtins.list[Any] = []
        if year is not None:
            query += " WHERE a.year = %s"
            params.append(int(year))
            if codes is not None:
                query += " AND a.code = ANY(%s)"
                params.append(list(codes))
        cur.execute(query + " ORDER BY a.year DESC, a.code", params)
        return cur.fetchall()

    def records(self, year: int, gemeenten: Sequence[str] | None = None) -> dict[str, AreaRecord]:
        """The records of gemeenten of a year that are stored."""
        with self._connect(write=False) as cur:
            return {r[1]: self._record(r) for r in self._rows(cur, year, gemeenten)}

    def list(self) -> builtins.list[AreaRecord]:
        """Every stored gemeente-year, newest year first, then by code."""
        with self._connect(write=False) as cur:
            return [self._record(r) for r in self._rows(cur, None, None)]

    def complete_years(self) -> set[int]:
        """Years for which a whole-country ingest is held in full."""
        with self._connect(write=False) as cur:
            if self._empty(cur):
                return set()
            cur.execute("SELECT year FROM stapelkaart_complete_years")
            return {int(r[0]) for r in cur.fetchall()}

    def damaged(self) -> builtins.list[str]:
        """Nothing to check beyond the database's own integrity: always empty."""
        return []

    def get_areas(self, year: int, gemeenten: Sequence[str] | None) -> StoredAreas:
        """Read gemeenten of a year (``None``: every gemeente stored for it), in one snapshot.

        Raises
        ------
        StoreError
            A gemeente is not stored, or the database cannot be used.
        """
        year = int(year)
        with self._connect(write=False) as cur:
            chosen = self._rows(cur, year, gemeenten)
            wanted = {r[1] for r in chosen} if gemeenten is None else set(gemeenten)
            absent = sorted(wanted - {r[1] for r in chosen})
            if absent or not chosen:
                what = ", ".join(absent) if absent else "any gemeente"
                nl = f"{', '.join(absent)} niet" if absent else "geen gemeenten"
                raise StoreError(
                    f"The area store does not hold {what} for {year}; ingest it first "
                    f"(stapelkaart ingest --year {year} ...).",
                    nl=f"De gebiedsopslag bevat {nl} voor {year}; haal de gegevens eerst op.",
                )
            cur.execute(
                "SELECT r.code, r.name, r.level, r.gemeentecode, r.gemeentenaam, r.wijkcode,"
                " r.year, r.vals, ST_AsBinary(r.geom), i.columns"
                " FROM stapelkaart_area_rows r"
                " JOIN stapelkaart_areas a ON a.ingest_id = r.ingest_id AND a.code = r.gemeentecode"
                " JOIN stapelkaart_ingests i ON i.id = r.ingest_id"
                " WHERE a.year = %s AND a.code = ANY(%s)",
                (year, sorted(r[1] for r in chosen)),
            )
            rows = cur.fetchall()
            complete = gemeenten is None and bool(
                cur.execute(
                    "SELECT 1 FROM stapelkaart_complete_years WHERE year = %s", (year,)
                ).fetchone()
            )
        frames = _frames(rows)
        held = [
            (
                self._record(r),
                AreaPart(
                    code=r[1],
                    name=r[2],
                    rows=dict(r[3]),
                    report=JoinReport.from_dict(r[4]),
                    missing=None if r[5] is None else dict(r[5]),
                ),
                dict(r[13]),
                list(r[14]),
            )
            for r in chosen
        ]
        return describe(frames, held, whole_country=complete)

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
        """Store the gemeenten in ``frames`` (and ``codes``), replacing them in one transaction."""
        from psycopg.types.json import Jsonb

        year = int(provenance["year"])
        parts = split_put(frames, report, codes, missing_by_gemeente)
        kept = {k: v for k, v in provenance.items() if k not in ("missing", "gemeenten")}
        kept = json.loads(json.dumps(kept, default=str))
        with self._connect(write=True) as cur:
            cur.execute(
                "INSERT INTO stapelkaart_ingests (year, table_id, cbs_url, geometry_source,"
                " geometry_key, retrieved_at, whole_country, provenance, notes, columns)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    year, str(provenance.get("table_id")), str(provenance.get("cbs_url", "")),
                    str(provenance.get("geometry_source", "")),
                    Jsonb(json.loads(json.dumps(dict(geometry_key), default=str))),
                    str(provenance["retrieved_at"]), bool(whole_country), Jsonb(kept),
                    Jsonb(list(notes)), Jsonb(_INDICATORS),
                ),
            )  # fmt: skip
            ingest_id = cur.fetchone()[0]
            with cur.copy(
                "COPY stapelkaart_area_rows (ingest_id, gemeentecode, level, code, name,"
                " gemeentenaam, wijkcode, year, vals, geom) FROM STDIN"
            ) as copy:
                for level in LEVELS:
                    for row in _records(frames[level]):
                        copy.write_row((ingest_id, *row))
            for part in parts:
                cur.execute(
                    "INSERT INTO stapelkaart_areas (year, code, name, ingest_id, rows, report,"
                    " missing) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (year, code) DO UPDATE SET name = EXCLUDED.name,"
                    " ingest_id = EXCLUDED.ingest_id, rows = EXCLUDED.rows,"
                    " report = EXCLUDED.report, missing = EXCLUDED.missing",
                    (
                        year, part.code, part.name, ingest_id, Jsonb(part.rows),
                        Jsonb(part.report.to_dict()),
                        None if part.missing is None else Jsonb(part.missing),
                    ),
                )  # fmt: skip
            if whole_country:  # the year becomes this country: gemeenten it lacks go
                cur.execute(
                    "DELETE FROM stapelkaart_areas WHERE year = %s AND ingest_id != %s",
                    (year, ingest_id),
                )
                cur.execute(
                    "INSERT INTO stapelkaart_complete_years VALUES (%s) ON CONFLICT DO NOTHING",
                    (year,),
                )
            _delete_orphans(cur)

    def remove(self, year: int, gemeenten: Sequence[str] | None = None) -> int:
        """Remove a year, or some gemeenten of it; returns the gemeenten removed."""
        with self._connect(write=True) as cur:
            if gemeenten is None:
                cur.execute("DELETE FROM stapelkaart_areas WHERE year = %s", (int(year),))
            else:
                cur.execute(
                    "DELETE FROM stapelkaart_areas WHERE year = %s AND code = ANY(%s)",
                    (int(year), list(gemeenten)),
                )
            removed = cur.rowcount
            if removed:
                cur.execute("DELETE FROM stapelkaart_complete_years WHERE year = %s", (int(year),))
            _delete_orphans(cur)
        return int(removed)


def _delete_orphans(cur: Any) -> None:
    cur.execute(
        "DELETE FROM stapelkaart_ingests WHERE id NOT IN (SELECT ingest_id FROM stapelkaart_areas)"
    )


def _records(frame: gpd.GeoDataFrame) -> Iterator[tuple]:
    """Rows of a level for COPY: key columns, indicator values, geometry as EWKB hex."""
    values = frame[_INDICATORS].to_numpy(dtype=float)
    geoms = shapely.set_srid(frame.geometry.to_numpy(), 28992)
    wkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
    for i, row in enumerate(frame[list(FRAME_KEYS)].itertuples(index=False, name=None)):
        code, name, level, gemeentecode, gemeentenaam, wijkcode, year = row
        yield (
            gemeentecode, level, code, _text(name), _text(gemeentenaam), _text(wijkcode),
            int(year), values[i].tolist(), wkb[i],
        )  # fmt: skip


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _frames(rows: list[tuple]) -> dict[str, gpd.GeoDataFrame]:
    """Area frames (the area frame schema, sorted by code) from ``get_areas`` rows."""
    keys = pd.DataFrame(
        [r[:7] for r in rows],
        columns=["code", "name", "level", "gemeentecode", "gemeentenaam", "wijkcode", "year"],
    )
    keys["year"] = keys["year"].astype("int64")
    values = pd.DataFrame(
        [dict(zip(r[9], r[7], strict=True)) for r in rows], columns=_INDICATORS, dtype=float
    )
    geometry = shapely.from_wkb([bytes(r[8]) for r in rows]) if rows else []
    combined = gpd.GeoDataFrame(
        pd.concat([keys[list(FRAME_KEYS)], values], axis=1), geometry=geometry, crs=28992
    )
    combined = combined.astype({"wijkcode": "object"})
    combined["wijkcode"] = combined["wijkcode"].where(combined["wijkcode"].notna(), None)
    return {
        level: combined[combined["level"] == level]
        .sort_values("code", kind="stable")
        .reset_index(drop=True)
        for level in LEVELS
    }
