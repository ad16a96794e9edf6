"""``load()``: one KWB year with geometry, from the area store or from CBS and PDOK.

The public entry point of :mod:`cbs_ingest`. The area store
(:mod:`cbs_ingest.store`) holds every gemeente ever ingested, per year; a
request for gemeenten the store holds (fresh enough, from the same geometry
file when one is given) is served from it without network, whichever request
stored them. Otherwise only the gemeenten it lacks are fetched and stored.
When the source fails and the store holds every gemeente asked for, the stored
copy is returned with ``stale=True`` and its age, so the app can show a banner.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd

from cbs_ingest import _http
from cbs_ingest.columns import LEVELS, table_id
from cbs_ingest.demo import DEMO_GEMEENTE_CODE, DEMO_GEMEENTE_NAME, make_demo
from cbs_ingest.errors import InputError, SourceUnavailableError, StoreError
from cbs_ingest.geometry import check_geopackage, clean_geometry, fetch_pdok, read_geopackage
from cbs_ingest.join import JoinReport, join_frames
from cbs_ingest.kwb import MISSING_REASONS, fetch_kwb
from cbs_ingest.store import AreaRecord, Store, StoredAreas, open_store

__all__ = [
    "IngestResult",
    "CachedDataset",
    "load",
    "cached_datasets",
    "stored_areas",
    "remove_areas",
    "MAX_AGE_ENV",
    "normalise_codes",
]

Progress = Callable[[float, str], None]

MAX_AGE_ENV = "STAPELKAART_CACHE_MAX_AGE_DAYS"
_DEFAULT_MAX_AGE = timedelta(days=30)
_CODE = re.compile(r"^GM\d{4}$")


@dataclass
class IngestResult:
    """Frames of one KWB year, with where they came from.

    Attributes
    ----------
    frames
        ``{"buurt", "wijk", "gemeente"}`` area frames (EPSG:28992).
    report
        The join report (:class:`~cbs_ingest.join.JoinReport`).
    provenance
        Table id, year, retrieval time, CBS key per canonical column,
        missing-value reasons and counts, geometry source.
    from_cache
        True when everything was read from the area store without a download.
    cache_age
        Age of the oldest stored gemeente served, or None for a fresh download.
    stale
        True when the stored copy was served because the source failed.
    stale_reason
        The source's error message when ``stale``.
    cache_path
        The embedded area store's folder (None for the demo and a database store).
    store_location
        Where the area store is: its folder, or the database URL without password.
    notes
        Things worth telling the user (a filter fallback, a damaged store file).
    """

    frames: dict[str, gpd.GeoDataFrame]
    report: JoinReport
    provenance: dict[str, Any]
    from_cache: bool = False
    cache_age: timedelta | None = None
    stale: bool = False
    stale_reason: str | None = None
    cache_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    store_location: str | None = None


@dataclass(frozen=True)
class CachedDataset:
    """Stored gemeenten of one year, as :func:`cached_datasets` lists them.

    One entry per stored gemeente, plus one ``whole_country`` entry with every
    gemeente for each year a whole-country ingest is held in full.
    """

    year: int
    table_id: str
    gemeenten: dict[str, str]
    whole_country: bool
    retrieved_at: datetime
    rows: dict[str, int]
    path: Path

    @property
    def age(self) -> timedelta:
        """Time since the download."""
        return datetime.now(UTC) - self.retrieved_at


def normalise_codes(municipalities: Sequence[str] | str | None) -> list[str] | None:
    """Gemeente codes normalised (``gm505``, ``505`` -> ``GM0505``), sorted and unique.

    Raises
    ------
    InputError
        A value is not a gemeente code, or the list is empty.
    """
    if municipalities is None:
        return None
    if isinstance(municipalities, str):
        municipalities = [municipalities]
    out = []
    for raw in municipalities:
        code = str(raw).strip().upper()
        if code.isdigit() and len(code) <= 4:
            code = "GM" + code.zfill(4)
        if not _CODE.match(code):
            raise InputError(
                f"{raw!r} is not a gemeente code; use GM followed by four digits, e.g. GM0505.",
                nl=f"{raw!r} is geen gemeentecode; gebruik GM en vier cijfers, bijv. GM0505.",
            )
        out.append(code)
    if not out:
        raise InputError(
            "No gemeente given; pass at least one code or None for the whole country.",
            nl="Geen gemeente opgegeven.",
        )
    return sorted(set(out))


def _max_age() -> timedelta:
    raw = os.environ.get(MAX_AGE_ENV, "").strip()
    try:
        return timedelta(days=float(raw)) if raw else _DEFAULT_MAX_AGE
    except ValueError:
        return _DEFAULT_MAX_AGE


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def _monotonic(progress: Progress | None) -> Progress | None:
    """Wrap a callback so the fraction never goes back (retries report mid-way)."""
    if progress is None:
        return None
    high = 0.0

    def report(fraction: float, message: str) -> None:
        nonlocal high
        high = max(high, min(max(fraction, 0.0), 1.0))
        progress(high, message)

    return report


def _demo(year: int, progress: Progress | None) -> IngestResult:
    _report(progress, 0.5, f"{DEMO_GEMEENTE_NAME}: voorbeelddata genereren")
    frames = make_demo(year=year)
    report = JoinReport.from_dict(
        {lvl: {"level": lvl, "matched": len(frames[lvl])} for lvl in LEVELS}
    )
    provenance = {
        "source": "demo",
        "year": year,
        "table_id": None,
        "retrieved_at": datetime.now(UTC).isoformat(),
        "columns": {},
        "missing": {},
        "gemeenten": {DEMO_GEMEENTE_CODE: DEMO_GEMEENTE_NAME},
    }
    _report(progress, 1.0, "Klaar")
    return IngestResult(frames=frames, report=report, provenance=provenance)


def _from_store(
    store: Store,
    stored: StoredAreas,
    *,
    from_cache: bool,
    notes: list[str],
    stale: bool = False,
    reason: str | None = None,
) -> IngestResult:
    year = int(stored.provenance["year"])
    for level, frame in stored.frames.items():
        frame.attrs.update(source="cbs", year=year, level=level)
    return IngestResult(
        frames=stored.frames,
        report=stored.report,
        provenance=stored.provenance,
        from_cache=from_cache,
        cache_age=datetime.now(UTC) - stored.oldest if from_cache or stale else None,
        stale=stale,
        stale_reason=reason,
        cache_path=None if "://" in store.location else Path(store.location),
        notes=[*notes, *(n for n in stored.notes if n not in notes)],
        store_location=store.location,
    )


def _geometry_key(geometry_file: Path | None, year: int) -> dict[str, Any]:
    if geometry_file is None:
        return {"pdok": _http.pdok_base_url(), "year": year}
    stat = geometry_file.stat()
    return {
        "file": str(geometry_file.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }


def _to_fetch(
    codes: list[str] | None,
    held: dict[str, AreaRecord],
    geometry: dict[str, Any],
    *,
    use_file: bool,
    refresh: bool,
) -> list[str] | None:
    """The gemeenten to download; ``[]`` when the store serves them all."""
    max_age = _max_age()

    def usable(record: AreaRecord) -> bool:
        same = not use_file or record.geometry_key == geometry
        return same and not refresh and record.age <= max_age

    if codes is None:
        return None if not held or not all(usable(r) for r in held.values()) else []
    return [c for c in codes if c not in held or not usable(held[c])]


def load(
    year: int,
    municipalities: Sequence[str] | None = None,
    *,
    geometry_file: str | Path | None = None,
    progress: Progress | None = None,
    refresh: bool = False,
) -> IngestResult:
    """Load one KWB year with its geometry, per buurt, wijk and gemeente.

    Parameters
    ----------
    year
        Reference year (2019-2024).
    municipalities
        Gemeente codes such as ``["GM0505"]``; ``None`` for the whole country.
        ``["GM9999"]`` returns the fictitious demo gemeente without network.
    geometry_file
        A CBS Wijk- en buurtkaart GeoPackage; PDOK is used when omitted.
        Without a file any stored geometry will do; with one, stored
        gemeenten made from another file are read again.
    progress
        Called with a fraction (0..1) and a short Dutch message.
    refresh
        Download again even when the store holds these gemeenten.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        Bad code, year without a table, unknown gemeente, unusable GeoPackage.
    SourceUnavailableError
        CBS or PDOK failed after retries and the store lacks a gemeente asked for.
    StoreError
        The area store is damaged or could not be written (a :class:`CacheError`).
    """
    progress = _monotonic(progress)
    codes = normalise_codes(municipalities)
    if codes == [DEMO_GEMEENTE_CODE]:
        return _demo(int(year), progress)
    if codes and DEMO_GEMEENTE_CODE in codes:
        raise InputError(
            f"{DEMO_GEMEENTE_CODE} is the fictitious demo gemeente; load it on its own.",
            nl=f"{DEMO_GEMEENTE_CODE} is de fictieve voorbeeldgemeente; laad die apart.",
        )
    tid = table_id(year)
    year = int(year)
    path = check_geopackage(geometry_file) if geometry_file is not None else None
    geometry = _geometry_key(path, year)
    store = open_store()
    notes = list(store.notes)
    held = store.records(year, codes)
    if codes is None and year not in store.complete_years():
        held = {}  # the store has gemeenten of this year, not the whole country
    present = bool(held) and (codes is None or len(held) == len(codes))
    wanted = _to_fetch(codes, held, geometry, use_file=path is not None, refresh=refresh)
    damaged = False
    if wanted == []:
        _report(progress, 0.5, "Uit de opslag laden")
        try:
            result = _from_store(store, store.get_areas(year, codes), from_cache=True, notes=notes)
        except StoreError as exc:  # a damaged file: fetch again, never read it
            damaged = True
            notes.append(exc.message)
            wanted = codes
            _report(progress, 0.02, "Opslag beschadigd; opnieuw ophalen")
        else:
            _report(progress, 1.0, "Klaar (uit de opslag)")
            return result

    try:
        _fetch_and_store(store, year, tid, wanted, path, geometry, progress, notes)
    except SourceUnavailableError as exc:
        if damaged:
            raise SourceUnavailableError(
                f"{exc.message} The stored copy cannot be used: {notes[-1]}",
                nl=f"{exc.nl} De opgeslagen kopie is beschadigd en kan niet gebruikt worden.",
            ) from exc
        if not present:
            raise
        stored = store.get_areas(year, codes)
        days = (datetime.now(UTC) - stored.oldest).total_seconds() / 86400
        _report(progress, 1.0, f"Bron niet bereikbaar: opgeslagen kopie van {days:.1f} dagen oud")
        return _from_store(
            store, stored, from_cache=True, notes=notes, stale=True, reason=exc.message
        )
    result = _from_store(store, store.get_areas(year, codes), from_cache=False, notes=notes)
    _report(progress, 1.0, "Klaar")
    return result


def _fetch_and_store(
    store: Store,
    year: int,
    tid: str,
    codes: list[str] | None,
    path: Path | None,
    geometry: dict[str, Any],
    progress: Progress | None,
    notes: list[str],
) -> None:
    """Download gemeenten (``None``: the whole country), join them and store them."""
    started = time.perf_counter()
    kwb = fetch_kwb(year, codes, progress=progress)
    if path is not None:
        raw = read_geopackage(path, codes, progress=progress)
    else:
        raw = fetch_pdok(year, codes, progress=progress)
    _report(progress, 0.85, "Cijfers en geometrie koppelen")
    cleaned, water_only = clean_geometry(raw)
    frames, report = join_frames(kwb.rows, cleaned, water_only, year=year)
    if all(report[level].matched == 0 for level in LEVELS):
        source = path.name if path is not None else "PDOK"
        raise InputError(
            f"The geometry from {source} has no areas matching the CBS codes of {tid}.",
            nl=f"De geometrie uit {source} past bij geen enkel gebied uit CBS-tabel {tid}.",
        )
    provenance = {
        "source": "CBS Kerncijfers wijken en buurten",
        "table_id": tid,
        "year": year,
        "table_title": kwb.table_info.get("Title"),
        "table_modified": kwb.table_info.get("Modified"),
        "retrieved_at": kwb.retrieved_at.isoformat(),
        "cbs_url": _http.cbs_base_url(),
        "geometry_source": str(path.resolve()) if path is not None else geometry["pdok"],
        "columns": {c: kwb.keys.get(c) for c in frames["buurt"].columns[7:-1]},
        "absent_columns": kwb.absent,
        "seconds": round(time.perf_counter() - started, 3),
    }
    reasons = {
        gm: {
            column: {MISSING_REASONS.get(k, k): n for k, n in counts.items()}
            for column, counts in per.items()
        }
        for gm, per in kwb.missing_by_gemeente.items()
    }
    notes.extend(kwb.notes)
    _report(progress, 0.92, "Opslaan")
    store.put_areas(
        frames,
        provenance=provenance,
        report=report,
        geometry_key=geometry,
        whole_country=codes is None,
        codes=codes or (),
        notes=kwb.notes,
        missing_by_gemeente=reasons,
    )


def cached_datasets() -> list[CachedDataset]:
    """What the area store holds, newest first.

    One entry per stored gemeente-year, then one whole-country entry (every
    gemeente of the year) for each year a whole-country ingest is held in full.
    """
    store = open_store()
    records = store.list()
    location = Path(store.location)
    out = [
        CachedDataset(
            year=r.year,
            table_id=r.table_id,
            gemeenten={r.code: r.name},
            whole_country=False,
            retrieved_at=r.retrieved_at,
            rows=dict(r.rows),
            path=location,
        )
        for r in sorted(records, key=lambda r: r.retrieved_at, reverse=True)
    ]
    for year in sorted(store.complete_years(), reverse=True):
        of_year = [r for r in records if r.year == year]
        if not of_year:
            continue
        out.append(
            CachedDataset(
                year=year,
                table_id=of_year[0].table_id,
                gemeenten={r.code: r.name for r in of_year},
                whole_country=True,
                retrieved_at=min(r.retrieved_at for r in of_year),
                rows={lvl: sum(r.rows.get(lvl, 0) for r in of_year) for lvl in LEVELS},
                path=location,
            )
        )
    return out


def stored_areas() -> list[AreaRecord]:
    """Every gemeente-year in the area store with its provenance (newest year first)."""
    return open_store().list()


def remove_areas(year: int, municipalities: Sequence[str] | None = None) -> int:
    """Remove a year, or some gemeenten of it, from the area store.

    Returns
    -------
    int
        The number of gemeente-years removed.
    """
    return open_store().remove(int(year), normalise_codes(municipalities))
