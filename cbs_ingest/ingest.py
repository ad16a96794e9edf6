"""``load()``: one KWB year with geometry, from cache or from CBS and PDOK.

The public entry point of :mod:`cbs_ingest`. A request (year, gemeenten,
geometry source, CBS host) has a hashed cache name; a second request is served
from the cache. When the source fails and a cached copy exists, that copy is
returned with ``stale=True`` and its age, so the app can show a banner.
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

from cbs_ingest import _http, cache
from cbs_ingest.columns import LEVELS, table_id
from cbs_ingest.demo import DEMO_GEMEENTE_CODE, DEMO_GEMEENTE_NAME, make_demo
from cbs_ingest.errors import InputError, SourceUnavailableError
from cbs_ingest.geometry import check_geopackage, clean_geometry, fetch_pdok, read_geopackage
from cbs_ingest.join import JoinReport, join_frames
from cbs_ingest.kwb import MISSING_REASONS, fetch_kwb

__all__ = ["IngestResult", "CachedDataset", "load", "cached_datasets", "MAX_AGE_ENV"]

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
        True when read from the cache.
    cache_age
        Age of the cached copy, or None for a fresh download.
    stale
        True when the cache was served because the source failed.
    stale_reason
        The source's error message when ``stale``.
    cache_path
        The cache manifest of this result (None for the demo).
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


@dataclass(frozen=True)
class CachedDataset:
    """One dataset in the cache, as :func:`cached_datasets` lists it."""

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


def _codes(municipalities: Sequence[str] | str | None) -> list[str] | None:
    if municipalities is None:
        return None
    if isinstance(municipalities, str):
        municipalities = [municipalities]
    codes = []
    for raw in municipalities:
        code = str(raw).strip().upper()
        if code.isdigit() and len(code) <= 4:
            code = "GM" + code.zfill(4)
        if not _CODE.match(code):
            raise InputError(
                f"{raw!r} is not a gemeente code; use GM followed by four digits, e.g. GM0505.",
                nl=f"{raw!r} is geen gemeentecode; gebruik GM en vier cijfers, bijv. GM0505.",
            )
        codes.append(code)
    if not codes:
        raise InputError(
            "No gemeente given; pass at least one code or None for the whole country.",
            nl="Geen gemeente opgegeven.",
        )
    return sorted(set(codes))


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


def _from_entry(
    entry: cache.CacheEntry, *, stale: bool = False, reason: str | None = None
) -> IngestResult:
    frames = cache.read_frames(entry)
    manifest = entry.manifest
    for level, frame in frames.items():
        frame.attrs.update(source="cbs", year=manifest["provenance"]["year"], level=level)
    return IngestResult(
        frames=frames,
        report=JoinReport.from_dict(manifest["report"]),
        provenance=manifest["provenance"],
        from_cache=True,
        cache_age=entry.age,
        stale=stale,
        stale_reason=reason,
        cache_path=entry.manifest_path,
        notes=list(manifest.get("notes", [])),
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
    progress
        Called with a fraction (0..1) and a short Dutch message.
    refresh
        Download again even when the cache has this request.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        Bad code, year without a table, unknown gemeente, unusable GeoPackage.
    SourceUnavailableError
        CBS or PDOK failed after retries and nothing usable is cached.
    CacheError
        The cache could not be written.
    """
    progress = _monotonic(progress)
    codes = _codes(municipalities)
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
    # The cache name covers what is asked (year, gemeenten, CBS host); the
    # geometry source is recorded in the manifest. Without a geometry file any
    # cached copy will do, so the app finds what `stapelkaart ingest
    # --geometry-file` stored; with one, only a copy made from that same file.
    request = {
        "year": year,
        "table_id": tid,
        "municipalities": codes,
        "cbs": _http.cbs_base_url(),
        "version": cache.CACHE_VERSION,
    }
    name = cache.entry_name(request)
    request["geometry"] = _geometry_key(path, year)
    entry, damaged = cache.lookup(name)
    notes = [damaged] if damaged else []
    same_geometry = entry is not None and (
        path is None or entry.manifest["request"].get("geometry") == request["geometry"]
    )
    if entry is not None and same_geometry and not refresh and entry.age <= _max_age():
        _report(progress, 0.5, "Uit de cache laden")
        result = _from_entry(entry)
        _report(progress, 1.0, "Klaar (uit de cache)")
        return result
    if damaged:
        _report(progress, 0.02, "Cache beschadigd; opnieuw ophalen")

    started = time.perf_counter()
    try:
        kwb = fetch_kwb(year, codes, progress=progress)
        if path is not None:
            raw = read_geopackage(path, codes, progress=progress)
        else:
            raw = fetch_pdok(year, codes, progress=progress)
    except SourceUnavailableError as exc:
        if entry is None:
            raise
        days = entry.age.total_seconds() / 86400
        _report(progress, 1.0, f"Bron niet bereikbaar: opgeslagen kopie van {days:.1f} dagen oud")
        return _from_entry(entry, stale=True, reason=exc.message)

    _report(progress, 0.85, "Cijfers en geometrie koppelen")
    geometry, water_only = clean_geometry(raw)
    frames, report = join_frames(kwb.rows, geometry, water_only, year=year)
    if all(report[level].matched == 0 for level in LEVELS):
        source = path.name if path is not None else "PDOK"
        raise InputError(
            f"The geometry from {source} has no areas matching the CBS codes of {tid}.",
            nl=f"De geometrie uit {source} past bij geen enkel gebied uit CBS-tabel {tid}.",
        )
    gemeenten = dict(
        zip(frames["gemeente"]["code"], frames["gemeente"]["name"].fillna(""), strict=True)
    )
    provenance = {
        "source": "CBS Kerncijfers wijken en buurten",
        "table_id": tid,
        "year": year,
        "table_title": kwb.table_info.get("Title"),
        "table_modified": kwb.table_info.get("Modified"),
        "retrieved_at": kwb.retrieved_at.isoformat(),
        "cbs_url": request["cbs"],
        "geometry_source": str(path.resolve()) if path is not None else request["geometry"]["pdok"],
        "municipalities": codes,
        "gemeenten": gemeenten,
        "columns": {c: kwb.keys.get(c) for c in frames["buurt"].columns[7:-1]},
        "missing": {
            column: {MISSING_REASONS.get(k, k): n for k, n in counts.items()}
            for column, counts in kwb.missing.items()
        },
        "absent_columns": kwb.absent,
        "seconds": round(time.perf_counter() - started, 3),
    }
    notes.extend(kwb.notes)
    manifest = {
        "request": request,
        "retrieved_at": kwb.retrieved_at.isoformat(),
        "provenance": provenance,
        "report": report.to_dict(),
        "rows": {level: len(frames[level]) for level in LEVELS},
        "notes": notes,
    }
    _report(progress, 0.92, "Cache schrijven")
    written = cache.write_entry(name, frames, manifest)
    result = _from_entry(written)
    result.from_cache, result.cache_age = False, None
    _report(progress, 1.0, "Klaar")
    return result


def cached_datasets() -> list[CachedDataset]:
    """What the cache holds: year, gemeenten, retrieval time, rows per level; newest first."""
    out = []
    for entry in cache.list_entries():
        manifest = entry.manifest
        provenance = manifest.get("provenance", {})
        out.append(
            CachedDataset(
                year=int(provenance.get("year", manifest["request"]["year"])),
                table_id=str(provenance.get("table_id")),
                gemeenten=dict(provenance.get("gemeenten", {})),
                whole_country=not manifest["request"].get("municipalities"),
                retrieved_at=entry.retrieved_at,
                rows=dict(manifest.get("rows", {})),
                path=entry.manifest_path,
            )
        )
    return out
