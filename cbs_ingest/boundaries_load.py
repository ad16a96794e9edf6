"""Area boundaries of several years, for harmonising series: store first, then PDOK.

For each year :func:`load_boundaries` takes the boundaries from, in this order:

1. the KWB areas of that year in the area store (ingested with ``stapelkaart ingest``);
2. boundaries of that year kept earlier (:mod:`cbs_ingest.store_boundaries`);
3. PDOK's Wijk- en buurtkaart collection of that year
   (:func:`cbs_ingest.geometry.fetch_pdok`, cleaned like an ingest), which is then kept
   in the store with the year as part of the key.

A year PDOK cannot serve is left out with a note (harmonisation then refuses, with
the reason, what needed it); after the first failure PDOK is not asked again in the
same call, so an offline run stays quick.

The fictitious demo gemeente (``GM9999``) is never fetched nor stored: its boundaries of
every year are generated (:mod:`cbs_ingest.demo_boundaries`), as its series are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import geopandas as gpd

from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.errors import InputError, SourceUnavailableError, StoreError
from cbs_ingest.geometry import clean_geometry, fetch_pdok, pdok_collection_url
from cbs_ingest.store import Store, open_store

__all__ = ["Boundaries", "WHOLE_COUNTRY", "load_boundaries"]

Progress = Callable[[float, str], None]

#: The gemeente key under which a whole-country fetch is held.
WHOLE_COUNTRY = "NL"
_COLUMNS = ["code", "name", "gemeentecode", "geometry"]


@dataclass
class Boundaries:
    """Boundaries per year and level, and where each year came from.

    Attributes
    ----------
    geometries
        ``{year: {level: frame with code, name, gemeentecode, geometry}}`` (EPSG:28992).
    sources
        ``{year: "area store" | "kept boundaries" | "PDOK"}``.
    notes
        What could not be had, in Dutch (they go into ``stapelkaart trends``' metadata).
    """

    geometries: dict[int, dict[str, gpd.GeoDataFrame]] = field(default_factory=dict)
    sources: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _from_areas(store: Store, year: int, codes: list[str] | None, levels: Sequence[str]):
    if codes is None:
        if year not in store.complete_years():
            return None
    elif set(store.records(year, codes)) != set(codes):
        return None
    frames = store.get_areas(year, codes).frames
    return {lv: gpd.GeoDataFrame(frames[lv][_COLUMNS], crs=28992) for lv in levels}


def _from_kept(store: Store, year: int, codes: list[str] | None, levels: Sequence[str]):
    wanted = codes or [WHOLE_COUNTRY]
    if any(not set(wanted) <= store.boundaries_held(year, lv) for lv in levels):
        return None
    out = {}
    for lv in levels:
        if codes is None:
            held = sorted(store.boundaries_held(year, lv) - {WHOLE_COUNTRY})
            out[lv] = store.get_boundaries(year, lv, held)
        else:
            out[lv] = store.get_boundaries(year, lv, codes)
    return out


def load_boundaries(
    years: Iterable[int],
    municipalities: Sequence[str] | None,
    *,
    levels: Sequence[str] = ("gemeente", "wijk"),
    refresh: bool = False,
    store: Store | None = None,
    progress: Progress | None = None,
) -> Boundaries:
    """Boundaries of ``municipalities`` (``None``: the whole country) in each year.

    Parameters
    ----------
    years
        The years wanted.
    municipalities
        Gemeente codes of the boundary year (include merged-away gemeenten for the
        years they existed).
    levels
        Levels wanted (``gemeente``, ``wijk``, ``buurt``).
    refresh
        Fetch from PDOK even when stored.
    store
        Default :func:`cbs_ingest.store.open_store`.

    Returns
    -------
    Boundaries

    Raises
    ------
    InputError
        The demo gemeente asked together with others.
    StoreError
        The store is damaged or not writable.
    """
    codes = sorted(set(municipalities)) if municipalities else None
    if codes is not None and DEMO_GEMEENTE_CODE in {str(c).strip().upper() for c in codes}:
        return _demo(years, codes, levels)
    store = store or open_store()
    out = Boundaries()
    pdok_ok = True
    years = sorted({int(y) for y in years})
    for i, year in enumerate(years):
        found = None
        if not refresh:
            for source, reader in (("area store", _from_areas), ("kept boundaries", _from_kept)):
                try:
                    found = reader(store, year, codes, levels)
                except StoreError:
                    found = None
                if found is not None:
                    out.sources[year] = source
                    break
        if found is None and pdok_ok:
            if progress is not None:
                progress(i / max(len(years), 1), f"Grenzen van {year} ophalen bij PDOK")
            try:
                fetched = fetch_pdok(year, codes)
            except SourceUnavailableError as exc:
                out.notes.append(f"Geen grenzen van {year} van PDOK: {exc.nl.rstrip('.')}.")
                pdok_ok = False
                continue
            cleaned, _ = clean_geometry(fetched)
            found = {lv: gpd.GeoDataFrame(cleaned[lv][_COLUMNS], crs=28992) for lv in levels}
            provenance = {
                "source": pdok_collection_url(year, "gemeente").rsplit("/collections", 1)[0],
                "retrieved_at": datetime.now(UTC).isoformat(),
            }
            for lv, frame in found.items():
                held = codes or [*sorted(set(frame["gemeentecode"])), WHOLE_COUNTRY]
                store.put_boundaries(
                    frame[frame["gemeentecode"].isin(held)],
                    year=year,
                    level=lv,
                    gemeenten=held,
                    provenance=provenance,
                )
            out.sources[year] = "PDOK"
        if found is None:
            out.notes.append(f"Geen grenzen van {year}: PDOK was niet bereikbaar.")
            continue
        out.geometries[year] = found
    return out


def _demo(years: Iterable[int], codes: list[str], levels: Sequence[str]) -> Boundaries:
    """The generated boundaries of the demo gemeente: no network, no store."""
    from cbs_ingest.demo_boundaries import demo_boundaries

    if len(codes) > 1:
        raise InputError(
            f"{DEMO_GEMEENTE_CODE} is the fictitious demo gemeente; load it on its own.",
            nl=f"{DEMO_GEMEENTE_CODE} is de fictieve voorbeeldgemeente; laad die apart.",
        )
    out = Boundaries()
    for year in sorted({int(y) for y in years}):
        out.geometries[year] = demo_boundaries(year, levels=tuple(levels))
        out.sources[year] = "generated (fictitious demo)"
    return out
