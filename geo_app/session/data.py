"""Cached access to data, analysis and indicator metadata for the app.

The app calls only these functions for data. Loading is cached per
(year, gemeente); the analysis (:mod:`geo_app.session.analysis`) per (year,
gemeente, level, own data, settings), so changing the map layer or the class
scheme only restyles the map.

Loading goes through ``cbs_ingest.load`` (the demo gemeente GM9999 needs no
network), indicators through ``layers``, the analysis through
``models.run_analysis``; nothing statistical happens here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from cbs_ingest import cached_datasets
from cbs_ingest import load as ingest_load
from cbs_ingest.columns import table_id
from cbs_ingest.demo import DEMO_GEMEENTE_CODE, DEMO_GEMEENTE_NAME
from cbs_ingest.errors import StapelkaartError
from geo_app.mapview import prepare_geometry
from layers import INDICATORS, compute_indicators
from layers.reference import reference_values

__all__ = [
    "Dataset",
    "IndicatorInfo",
    "Loaded",
    "datasets",
    "fetch",
    "indicators",
    "load",
    "geometry",
    "references",
    "national_years",
    "national_values",
    "national_areas",
    "reference_frame",
    "sources",
]

_DEMO_YEAR = 2024


@dataclass(frozen=True)
class Dataset:
    """One gemeente-year the app can show.

    ``request`` is the list of gemeenten of the cached ingest request holding it
    (``None``: the whole country), so loading it hits that cache entry.
    """

    code: str
    name: str
    year: int
    retrieved: str | None = None
    request: tuple[str, ...] | None = (DEMO_GEMEENTE_CODE,)

    @property
    def demo(self) -> bool:
        """Whether this is the fictitious demo gemeente."""
        return self.code == DEMO_GEMEENTE_CODE


@dataclass
class Loaded:
    """Frames of one gemeente-year and where they came from."""

    frames: dict[str, gpd.GeoDataFrame]
    year: int
    code: str
    provenance: Any = None
    stale: bool = False
    cache_age: timedelta | None = None

    @property
    def demo(self) -> bool:
        """Whether this is the fictitious demo gemeente."""
        return self.code == DEMO_GEMEENTE_CODE


@dataclass(frozen=True)
class IndicatorInfo:
    """What the app needs to know about an indicator to show it."""

    key: str
    label: str
    unit: str = ""
    direction: int = 1
    short: str = ""
    definition: str = ""


def _cached_entries() -> list[Dataset]:
    out: list[Dataset] = []
    for entry in cached_datasets():
        at = entry.retrieved_at
        retrieved = at.strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime) else at
        request = None if entry.whole_country else tuple(sorted(entry.gemeenten))
        out.extend(
            Dataset(str(code), str(name or code), int(entry.year), retrieved, request)
            for code, name in entry.gemeenten.items()
        )
    return out


@st.cache_data(ttl=60, show_spinner=False)
def datasets() -> list[Dataset]:
    """Every gemeente-year available without network, the demo gemeente last.

    Returns
    -------
    list of Dataset
        Cached CBS data (newest copy of each gemeente-year), then the demo.
    """
    try:
        found = _cached_entries()
    except StapelkaartError:  # a broken cache must not stop the app from opening on the demo
        found = []
    unique: dict[tuple[str, int], Dataset] = {}
    for entry in found:  # newest first: keep the first
        if entry.code != DEMO_GEMEENTE_CODE:
            unique.setdefault((entry.code, entry.year), entry)
    ordered = sorted(unique.values(), key=lambda d: (d.name, -d.year))
    return [*ordered, Dataset(DEMO_GEMEENTE_CODE, DEMO_GEMEENTE_NAME, _DEMO_YEAR)]


def _only(frames: Mapping[str, gpd.GeoDataFrame], code: str) -> dict[str, gpd.GeoDataFrame]:
    out = {}
    for level, frame in frames.items():
        keep = frame["gemeentecode"] == code if "gemeentecode" in frame else slice(None)
        out[level] = frame.loc[keep].reset_index(drop=True)
    return out


def _ingest(
    year: int,
    code: str,
    request: tuple[str, ...] | None,
    progress: Callable[[float, str], None] | None,
) -> Loaded:
    result = ingest_load(year, None if request is None else list(request), progress=progress)
    frames = dict(result.frames)
    if request != (code,):
        frames = _only(frames, code)
    return Loaded(
        frames=frames,
        year=year,
        code=code,
        provenance=result.provenance,
        stale=bool(result.stale),
        cache_age=result.cache_age,
    )


@st.cache_resource(ttl=3600, max_entries=8, show_spinner=False)
def load(year: int, code: str, request: tuple[str, ...] | None = ()) -> Loaded:
    """Load one gemeente-year from the local cache (or the demo).

    ``request`` names the cached ingest holding it (``Dataset.request``): the
    gemeenten of that ingest, ``None`` for a whole-country ingest, or empty for
    just this gemeente. The result is shared between sessions: treat it as read-only.
    """
    return _ingest(int(year), code, request if request != () else (code,), None)


def fetch(year: int, code: str, progress: Callable[[float, str], None]) -> Loaded:
    """Fetch a gemeente-year from CBS with progress feedback, then refresh the lists."""
    loaded = _ingest(int(year), code, (code,), progress)
    datasets.clear()
    return loaded


def indicators(columns: pd.Index | list[str], extra: tuple[Any, ...] = ()) -> list[IndicatorInfo]:
    """The indicators that are columns of a frame, in registry order, then ``extra``.

    ``extra`` are indicators of the municipality's own data (``layers.municipal``).
    """
    present = set(columns)
    return [
        IndicatorInfo(
            ind.key, ind.label_nl, ind.unit, ind.direction, ind.short_nl, ind.definition_nl
        )
        for ind in [*INDICATORS.values(), *(e for e in extra if e.key not in INDICATORS)]
        if ind.key in present
    ]


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def geometry(year: int, code: str, level: str, request: tuple[str, ...] | None) -> Any:
    """Browser-ready geometry of one level (``mapview.prepare_geometry``), cached."""
    return prepare_geometry(load(year, code, request).frames[level])


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def references(year: int, code: str, request: tuple[str, ...] | None) -> dict[str, float] | None:
    """The gemeente's own indicator values (the reference beside each area)."""
    frame = load(year, code, request).frames.get("gemeente")
    if frame is None or frame.empty:
        return None
    values = compute_indicators(frame.iloc[:1])
    return {k: float(v) for k, v in values.iloc[0].items()}


@st.cache_data(ttl=60, show_spinner=False)
def national_years() -> list[int]:
    """Years for which a whole-country ingest is cached (newest first)."""
    try:
        found = {int(e.year) for e in cached_datasets() if e.whole_country}
    except StapelkaartError:
        found = set()
    return sorted(found, reverse=True)


@st.cache_resource(ttl=3600, max_entries=2, show_spinner=False)
def _national_frames(year: int) -> dict[str, gpd.GeoDataFrame]:
    return dict(ingest_load(int(year), None).frames)


@st.cache_resource(ttl=3600, max_entries=4, show_spinner=False)
def national_values(year: int) -> dict[str, float] | None:
    """National indicator values of a year; None without a whole-country ingest.

    All gemeenten of a cached whole-country ingest pooled with
    :func:`layers.reference.reference_values`.
    """
    if int(year) not in national_years():
        return None
    try:
        frame = _national_frames(int(year)).get("gemeente")
    except StapelkaartError:
        return None
    if frame is None or frame.empty:
        return None
    return reference_values(frame)


def national_areas(year: int) -> int:
    """Number of gemeenten behind :func:`national_values` (0 without a whole-country ingest)."""
    if int(year) not in national_years():
        return 0
    return len(_national_frames(int(year)).get("gemeente", ()))


def reference_frame(
    year: int, code: str, level: str, scope: str, members: tuple[str, ...]
) -> gpd.GeoDataFrame | None:
    """Areas an area is compared with, for the scopes ``selection`` and ``national``.

    ``selection``: the areas of the gemeente itself and of ``members`` (other cached
    gemeenten of the same year); ``national``: every area of the level in a cached
    whole-country ingest. ``None`` for scope ``gemeente``.
    """
    if scope == "national":
        return _national_frames(int(year))[level]
    if scope != "selection":
        return None
    by_code = {d.code: d for d in datasets() if d.year == int(year)}
    frames = []
    for member in dict.fromkeys((code, *members)):
        entry = by_code.get(member)
        if entry is not None:
            frames.append(load(entry.year, entry.code, entry.request).frames[level])
    return pd.concat(frames, ignore_index=True)


def sources(loaded: Loaded) -> dict[str, str]:
    """Plain-text source lines of a loaded gemeente-year, for exports and the about tab."""
    prov = loaded.provenance or {}
    if loaded.demo:
        return {
            "bron": "Fictieve voorbeelddata (Stapelkaart demo, geen CBS-cijfers)",
            "jaar": str(loaded.year),
        }
    retrieved = str(prov.get("retrieved_at") or "onbekend")
    return {
        "bron": "CBS Kerncijfers Wijken en Buurten; CBS/Kadaster Wijk- en buurtkaart (CC BY 4.0)",
        "tabel": str(prov.get("table_id") or table_id(loaded.year)),
        "jaar": str(loaded.year),
        "opgehaald": retrieved[:16].replace("T", " "),
    }
