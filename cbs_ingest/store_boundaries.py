"""Area boundaries of other years in the area store, keyed by year, level and gemeente.

The KWB areas of a year (:meth:`Store.get_areas`) already carry their geometry, keyed
by year and gemeente. Harmonising a series needs the boundaries of years whose KWB was
never ingested; those are fetched from PDOK (:mod:`cbs_ingest.boundaries_load`) and kept
here, geometry only, in the same database as the rest of the store:

- ``boundaries`` (PostgreSQL: ``stapelkaart_boundaries``): one row per year, level,
  gemeente and area code, with the geometry as WKB (EPSG:28992);
- ``boundaries_held``: per year, level and gemeente, where the boundaries came from and
  when (a gemeente fetched without areas is held as empty).

A put replaces its gemeenten of one year and level in one transaction. A store written
before these tables simply has none (reads say so; the first put creates them).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import shapely

from cbs_ingest.errors import StoreError

__all__ = ["BoundaryTables", "LocalBoundaryTables", "PostgresBoundaryTables"]


def _absent(year: int, level: str, what: str) -> StoreError:
    return StoreError(
        f"The area store holds no {level} boundaries of {year} for {what}.",
        nl=f"De gebiedsopslag bevat geen grenzen ({level}) van {year} voor {what}.",
    )


class BoundaryTables:
    """Boundary methods of a store backend (mixed into both stores).

    Uses the backend's ``_connect(write=...)``, ``_t(name)`` and ``_mark`` as
    :class:`cbs_ingest.store_series.SeriesTables` does.
    """

    _blob = "BLOB"

    def _boundary_schema(self) -> builtins.list[str]:
        t = self._t  # type: ignore[attr-defined]
        return [
            f"CREATE TABLE IF NOT EXISTS {t('boundaries')} (year INTEGER NOT NULL, "
            "level TEXT NOT NULL, gemeentecode TEXT NOT NULL, code TEXT NOT NULL, name TEXT, "
            f"geometry {self._blob} NOT NULL, PRIMARY KEY (year, level, code))",
            f"CREATE INDEX IF NOT EXISTS {t('boundaries_key')} "
            f"ON {t('boundaries')} (year, level, gemeentecode)",
            f"CREATE TABLE IF NOT EXISTS {t('boundaries_held')} (year INTEGER NOT NULL, "
            "level TEXT NOT NULL, gemeentecode TEXT NOT NULL, source TEXT NOT NULL, "
            "retrieved_at TEXT NOT NULL, PRIMARY KEY (year, level, gemeentecode))",
        ]

    def _has_boundaries(self, con: Any) -> bool:
        raise NotImplementedError  # pragma: no cover - provided by the backend

    def put_boundaries(
        self,
        frame: gpd.GeoDataFrame,
        *,
        year: int,
        level: str,
        gemeenten: Sequence[str],
        provenance: Mapping[str, Any],
    ) -> None:
        """Store the boundaries of ``gemeenten`` in one year and level, replacing them.

        Parameters
        ----------
        frame
            ``code``, ``name``, ``gemeentecode``, ``geometry`` (EPSG:28992).
        gemeenten
            Every gemeente fetched, also those without areas.
        provenance
            ``source`` (e.g. the PDOK collection) and ``retrieved_at`` (ISO 8601).

        Raises
        ------
        StoreError
            The store is not writable or damaged; nothing changed.
        ValueError
            Rows of a gemeente not in ``gemeenten``, or a CRS other than EPSG:28992.
        """
        if len(frame) and (frame.crs is None or frame.crs.to_epsg() != 28992):
            raise ValueError(f"Boundaries must be in EPSG:28992, not {frame.crs}.")
        stray = set(frame["gemeentecode"]) - set(gemeenten)
        if stray:
            raise ValueError(f"boundaries of gemeenten not put: {sorted(stray)[:3]}")
        rows = [
            (int(year), level, str(gm), str(code), name if isinstance(name, str) else None)
            + (shapely.to_wkb(geom),)
            for code, name, gm, geom in zip(
                frame["code"], frame["name"], frame["gemeentecode"], frame.geometry, strict=True
            )
        ]
        t, m = self._t, self._mark  # type: ignore[attr-defined]
        held = [
            (int(year), level, code, str(provenance["source"]), str(provenance["retrieved_at"]))
            for code in gemeenten
        ]
        with self._connect(write=True) as con:  # type: ignore[attr-defined]
            for statement in self._boundary_schema():
                con.execute(statement)
            for table in ("boundaries", "boundaries_held"):
                con.executemany(
                    f"DELETE FROM {t(table)} WHERE year = {m} AND level = {m} "
                    f"AND gemeentecode = {m}",
                    [(int(year), level, code) for code in gemeenten],
                )
            if rows:
                con.executemany(
                    f"INSERT INTO {t('boundaries')} (year, level, gemeentecode, code, name, "
                    f"geometry) VALUES ({', '.join([m] * 6)})",
                    rows,
                )
            con.executemany(
                f"INSERT INTO {t('boundaries_held')} (year, level, gemeentecode, source, "
                f"retrieved_at) VALUES ({', '.join([m] * 5)})",
                held,
            )

    def boundaries_held(self, year: int, level: str) -> set[str]:
        """The gemeenten whose boundaries of ``year`` and ``level`` are stored."""
        t, m = self._t, self._mark  # type: ignore[attr-defined]
        with self._connect(write=False) as con:  # type: ignore[attr-defined]
            if con is None or not self._has_boundaries(con):
                return set()
            found = con.execute(
                f"SELECT gemeentecode FROM {t('boundaries_held')} WHERE year = {m} AND level = {m}",
                (int(year), level),
            ).fetchall()
        return {str(r[0]) for r in found}

    def get_boundaries(self, year: int, level: str, gemeenten: Sequence[str]) -> gpd.GeoDataFrame:
        """Read the stored boundaries of ``gemeenten`` in one year and level.

        Raises
        ------
        StoreError
            A gemeente's boundaries of that year and level are not stored.
        """
        absent = sorted(set(gemeenten) - self.boundaries_held(year, level))
        if absent:
            raise _absent(year, level, ", ".join(absent))
        t, m = self._t, self._mark  # type: ignore[attr-defined]
        codes = sorted(set(gemeenten))
        query = (
            f"SELECT code, name, gemeentecode, geometry FROM {t('boundaries')} "
            f"WHERE year = {m} AND level = {m} AND gemeentecode IN ({', '.join([m] * len(codes))})"
            " ORDER BY code"
        )
        with self._connect(write=False) as con:  # type: ignore[attr-defined]
            found = con.execute(query, [int(year), level, *codes]).fetchall()
        return gpd.GeoDataFrame(
            {
                "code": [r[0] for r in found],
                "name": [r[1] for r in found],
                "gemeentecode": [r[2] for r in found],
            },
            geometry=shapely.from_wkb([bytes(r[3]) for r in found]),
            crs=28992,
        )


class LocalBoundaryTables(BoundaryTables):
    """Boundary tables in the embedded store's SQLite catalogue."""

    def _has_boundaries(self, con: Any) -> bool:
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='boundaries_held'"
        )
        return found.fetchone() is not None


class PostgresBoundaryTables(BoundaryTables):
    """Boundary tables in PostgreSQL (``stapelkaart_`` prefix)."""

    _blob = "bytea"

    def _has_boundaries(self, con: Any) -> bool:
        con.execute("SELECT to_regclass('stapelkaart_boundaries_held') IS NOT NULL")
        return bool(con.fetchone()[0])
