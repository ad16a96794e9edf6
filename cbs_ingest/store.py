"""The area store: every gemeente, wijk and buurt ever ingested, per year.

The store is keyed by area, not by request: for each year it holds the rows of
every gemeente (with its wijken and buurten) that was ingested, with their
provenance (CBS table, CBS host, retrieval time, geometry source). Any subset of
a year (one gemeente, a set, the whole country) is served from what is stored.
The CBS host is provenance only, never part of the key.

:class:`Store` is the interface; :func:`open_store` returns the backend chosen by
the environment. The embedded backend (:mod:`cbs_ingest.store_local`) keeps
GeoParquet files and a SQLite catalogue in ``<data dir>/store``.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd
import platformdirs

from cbs_ingest.columns import LEVELS
from cbs_ingest.join import JoinReport, LevelJoin
from cbs_ingest.store_series import SeriesRecord, StoredSeries

__all__ = [
    "DATA_DIR_ENV",
    "DATABASE_URL_ENV",
    "AreaRecord",
    "StoredAreas",
    "Store",
    "data_dir",
    "open_store",
    "gemeente_of",
    "AreaPart",
    "split_put",
    "describe",
    "split_report",
    "merge_reports",
]

DATA_DIR_ENV = "STAPELKAART_DATA_DIR"
DATABASE_URL_ENV = "STAPELKAART_DATABASE_URL"


def data_dir() -> Path:
    """The data directory: ``STAPELKAART_DATA_DIR`` or the platform's user data dir."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("stapelkaart", appauthor=False))


@dataclass(frozen=True)
class AreaRecord:
    """What the store holds for one gemeente in one year.

    Attributes
    ----------
    year, code, name
        The year and the gemeente (``GM0505``) with its name.
    table_id, cbs_url, retrieved_at, geometry_source
        Provenance: the KWB table, the CBS host it came from, when it was
        downloaded (UTC) and where the geometry came from (GeoPackage or PDOK).
    geometry_key
        The geometry source's identity (file, size, time; or PDOK host).
    rows
        Rows per level.
    whole_country
        Whether it was stored by a whole-country ingest.
    """

    year: int
    code: str
    name: str
    table_id: str
    cbs_url: str
    retrieved_at: datetime
    geometry_source: str
    geometry_key: dict[str, Any]
    rows: dict[str, int]
    whole_country: bool = False

    @property
    def age(self) -> timedelta:
        """Time since the download."""
        return datetime.now(UTC) - self.retrieved_at


@dataclass
class StoredAreas:
    """A subset of one year as read from the store.

    Attributes
    ----------
    frames
        ``{"buurt", "wijk", "gemeente"}`` area frames (EPSG:28992), sorted by code.
    records
        One :class:`AreaRecord` per gemeente served.
    report
        The join report of the gemeenten served.
    provenance
        The provenance of the newest ingest involved, with ``gemeenten``,
        ``municipalities``, the oldest ``retrieved_at`` and per-gemeente
        ``areas`` provenance.
    notes
        Notes of the ingests involved.
    """

    frames: dict[str, gpd.GeoDataFrame]
    records: dict[str, AreaRecord]
    report: JoinReport
    provenance: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def oldest(self) -> datetime:
        """Retrieval time of the oldest gemeente served."""
        return min(r.retrieved_at for r in self.records.values())


class Store(Protocol):
    """What every store backend offers.

    All methods raise :class:`~cbs_ingest.errors.StoreError` with an English
    ``message`` and a Dutch ``nl`` when the store is damaged or unusable; a
    failed write changes nothing.
    """

    location: str
    notes: builtins.list[str]

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
        """Store the gemeenten in ``frames`` (and ``codes``), replacing them atomically."""

    def get_areas(self, year: int, gemeenten: Sequence[str] | None) -> StoredAreas:
        """Read gemeenten of a year (``None``: all stored); raises StoreError if absent."""

    def records(self, year: int, gemeenten: Sequence[str] | None = None) -> dict[str, AreaRecord]:
        """The records of gemeenten of a year that are stored (no area is read)."""

    def list(self) -> builtins.list[AreaRecord]:
        """Every stored gemeente-year, newest year first, then by code."""

    def remove(self, year: int, gemeenten: Sequence[str] | None = None) -> int:
        """Remove a year or some of its gemeenten; returns the number removed."""

    def complete_years(self) -> set[int]:
        """Years for which a whole-country ingest is held in full."""

    def damaged(self) -> builtins.list[str]:
        """Stored files that are missing or fail their checksum (none for a database)."""

    def put_series(
        self,
        rows: pd.DataFrame,
        *,
        table_id: str,
        theme: str,
        level: str,
        gemeenten: Sequence[str],
        provenance: Mapping[str, Any],
        whole_country: bool = False,
    ) -> None:
        """Store one series table of gemeenten, replacing them atomically (:mod:`.store_series`)."""

    def get_series(
        self, table_id: str, level: str, gemeenten: Sequence[str] | None
    ) -> StoredSeries:
        """Read one series table of gemeenten (``None``: whole country); StoreError if absent."""

    def series_records(
        self,
        table_id: str | None = None,
        level: str | None = None,
        gemeenten: Sequence[str] | None = None,
    ) -> builtins.list[SeriesRecord]:
        """The stored series records (no value is read)."""

    def series_complete(self) -> set[tuple[str, str]]:
        """``(table_id, level)`` pairs of series held for the whole country."""

    def remove_series(
        self, table_ids: Sequence[str] | None = None, gemeenten: Sequence[str] | None = None
    ) -> builtins.list[SeriesRecord]:
        """Remove series of tables and/or gemeenten atomically; the records removed."""

    def put_boundaries(
        self,
        frame: gpd.GeoDataFrame,
        *,
        year: int,
        level: str,
        gemeenten: Sequence[str],
        provenance: Mapping[str, Any],
    ) -> None:
        """Store boundaries of another year (geometry only; :mod:`.store_boundaries`)."""

    def boundaries_held(self, year: int, level: str) -> set[str]:
        """The gemeenten whose boundaries of that year and level are stored."""

    def get_boundaries(self, year: int, level: str, gemeenten: Sequence[str]) -> gpd.GeoDataFrame:
        """Read stored boundaries of gemeenten; StoreError if one is absent."""


def open_store(*, data_directory: Path | None = None) -> Store:
    """The store chosen by the environment.

    ``STAPELKAART_DATABASE_URL`` selects the PostgreSQL/PostGIS store
    (:mod:`cbs_ingest.store_postgres`); otherwise the embedded store in the data
    directory is used. An old cache
    folder (``<data dir>/kwb``) is migrated into it first (see
    :mod:`cbs_ingest.migrate`); the store's ``notes`` say what happened.

    Raises
    ------
    StoreError
        The catalogue is damaged, or the database cannot be used.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    from cbs_ingest.migrate import migrate_legacy
    from cbs_ingest.store_local import LocalStore

    folder = data_directory or data_dir()
    if url:
        from cbs_ingest.store_postgres import PostgresStore

        store: Store = PostgresStore(url)
    else:
        store = LocalStore(folder)
    store.notes.extend(migrate_legacy(store, folder / "kwb"))
    return store


def gemeente_of(code: str) -> str:
    """The gemeente code of an area code (``BU05050101`` -> ``GM0505``)."""
    return "GM" + str(code)[2:6]


def split_report(
    report: JoinReport, frames: Mapping[str, gpd.GeoDataFrame], codes: Sequence[str]
) -> dict[str, JoinReport]:
    """The join report of each gemeente in ``codes``.

    Code lists are split on the gemeente digits of each code; ``matched`` is
    the gemeente's rows minus those only in the geometry (kept with NaN).
    """
    out: dict[str, JoinReport] = {}
    counts = {level: frames[level]["gemeentecode"].value_counts().to_dict() for level in LEVELS}
    for code in codes:
        levels = {}
        for level in LEVELS:
            j = report[level]
            only_geo = [c for c in j.only_in_geometry if gemeente_of(c) == code]
            levels[level] = LevelJoin(
                level=level,
                matched=int(counts[level].get(code, 0)) - len(only_geo),
                only_in_data=[c for c in j.only_in_data if gemeente_of(c) == code],
                only_in_geometry=only_geo,
                water_only=[c for c in j.water_only if gemeente_of(c) == code],
            )
        out[code] = JoinReport(levels)
    return out


def merge_reports(reports: Sequence[JoinReport]) -> JoinReport:
    """The sum of per-gemeente join reports (code lists sorted)."""
    levels = {}
    for level in LEVELS:
        parts = [r[level] for r in reports]
        levels[level] = LevelJoin(
            level=level,
            matched=sum(p.matched for p in parts),
            only_in_data=sorted(c for p in parts for c in p.only_in_data),
            only_in_geometry=sorted(c for p in parts for c in p.only_in_geometry),
            water_only=sorted(c for p in parts for c in p.water_only),
        )
    return JoinReport(levels)


@dataclass(frozen=True)
class AreaPart:
    """One gemeente of a put, as every backend stores it.

    Attributes
    ----------
    code, name
        The gemeente.
    rows
        Rows per level.
    report
        The gemeente's own join report.
    missing
        Missing-value reasons and counts per column; None when unknown.
    """

    code: str
    name: str
    rows: dict[str, int]
    report: JoinReport
    missing: dict[str, dict[str, int]] | None


def split_put(
    frames: Mapping[str, gpd.GeoDataFrame],
    report: JoinReport,
    codes: Sequence[str],
    missing_by_gemeente: Mapping[str, Mapping[str, Mapping[str, int]]] | None,
) -> list[AreaPart]:
    """Split a put into gemeenten: those in ``codes``, in a frame or in the join report."""
    involved = set(codes)
    for level in LEVELS:
        involved.update(frames[level]["gemeentecode"].dropna())
        j = report[level]
        involved.update(gemeente_of(c) for c in [*j.only_in_data, *j.only_in_geometry])
        involved.update(gemeente_of(c) for c in j.water_only)
    names = dict(zip(frames["gemeente"]["code"], frames["gemeente"]["name"], strict=True))
    for level in ("wijk", "buurt"):
        pairs = zip(frames[level]["gemeentecode"], frames[level]["gemeentenaam"], strict=True)
        for code, name in pairs:
            names.setdefault(code, name)
    ordered = sorted(involved)
    reports = split_report(report, frames, ordered)
    counts = {lvl: frames[lvl]["gemeentecode"].value_counts().to_dict() for lvl in LEVELS}
    return [
        AreaPart(
            code=code,
            name=str(names.get(code) or ""),
            rows={lvl: int(counts[lvl].get(code, 0)) for lvl in LEVELS},
            report=reports[code],
            missing=None
            if missing_by_gemeente is None
            else {k: dict(v) for k, v in missing_by_gemeente.get(code, {}).items()},
        )
        for code in ordered
    ]


def describe(
    frames: dict[str, gpd.GeoDataFrame],
    held: Sequence[tuple[AreaRecord, AreaPart, dict[str, Any], list[str]]],
    *,
    whole_country: bool,
) -> StoredAreas:
    """Assemble what a backend read into :class:`StoredAreas`.

    ``held`` has, per gemeente, its record, its part, its ingest's provenance
    and its ingest's notes. The provenance is that of the newest ingest involved, with the gemeenten
    served, the oldest retrieval time, per-gemeente ``areas`` provenance and the
    summed missing-value counts (left out, with a note, when one is unknown).
    """
    records = {rec.code: rec for rec, _, _, _ in held}
    newest = max(held, key=lambda h: h[0].retrieved_at)
    provenance = dict(newest[2])
    provenance.update(
        year=newest[0].year,
        gemeenten={rec.code: rec.name for rec, _, _, _ in held},
        municipalities=None if whole_country else sorted(records),
        retrieved_at=min(r.retrieved_at for r in records.values()).isoformat(),
        areas={
            code: {
                "table_id": rec.table_id,
                "cbs_url": rec.cbs_url,
                "retrieved_at": rec.retrieved_at.isoformat(),
                "geometry_source": rec.geometry_source,
            }
            for code, rec in records.items()
        },
    )
    notes: list[str] = []
    for *_, ingest_notes in held:
        notes.extend(n for n in ingest_notes if n not in notes)
    if all(part.missing is not None for _, part, _, _ in held):
        missing: dict[str, dict[str, int]] = {}
        for _, part, _, _ in held:
            for column, counts in (part.missing or {}).items():
                into = missing.setdefault(column, {})
                for reason, n in counts.items():
                    into[reason] = into.get(reason, 0) + int(n)
        provenance["missing"] = missing
    else:
        provenance.pop("missing", None)
        notes.append("Missing-value counts are unknown for gemeenten migrated from the old cache.")
    report = merge_reports([part.report for _, part, _, _ in held])
    return StoredAreas(frames, records, report, provenance, notes)
