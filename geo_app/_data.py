"""Cached access to data, analysis and indicator metadata for the app.

The app calls only these functions for data. Loading is cached per
(year, gemeente); the analysis per (year, gemeente, level, own data, settings),
so changing the map layer or the class scheme only restyles the map.

Colleagues' modules (``cbs_ingest.load``, ``models.run_analysis``,
``layers.INDICATORS``) are used when present; when one is not there yet, the
app falls back to the demo data and shows indicators without the analysis.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from cbs_ingest.columns import CANONICAL_COLUMNS, table_id
from cbs_ingest.demo import DEMO_GEMEENTE_CODE, DEMO_GEMEENTE_NAME, make_demo

__all__ = [
    "ANALYSIS_COLUMNS",
    "Dataset",
    "IndicatorInfo",
    "Loaded",
    "analyse",
    "datasets",
    "fetch",
    "indicators",
    "load",
]

#: Columns the analysis adds; the app shows these layers only when present.
ANALYSIS_COLUMNS: tuple[str, ...] = (
    "stacking_score",
    "stacking_percentile",
    "themes_high",
    "stacking_flag",
    "n_indicators",
    "cluster",
    "cluster_label",
    "hotspot",
)

_DEMO_YEAR = 2024
_SKIP_FALLBACK = {"population", "households", "dwellings", "land_area_ha", "population_density"}


@dataclass(frozen=True)
class Dataset:
    """One gemeente-year the app can show."""

    code: str
    name: str
    year: int
    retrieved: str | None = None

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
    sources: dict[str, Any] = field(default_factory=dict)

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
    direction: str = "higher_is_worse"
    theme: str = ""


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def _cached_entries() -> list[Dataset]:
    try:
        from cbs_ingest import cached_datasets  # type: ignore[attr-defined]
    except ImportError:
        return []
    out: list[Dataset] = []
    for entry in cached_datasets():
        year = int(_get(entry, "year"))
        retrieved = _get(entry, "retrieved_at", "retrieved")
        retrieved = (
            retrieved.isoformat(timespec="minutes")
            if isinstance(retrieved, datetime)
            else retrieved
        )
        gemeenten = _get(entry, "gemeenten", "municipalities", "codes", default=())
        names = _get(entry, "names", "gemeentenamen", default=None)
        if isinstance(gemeenten, Mapping):
            pairs = list(gemeenten.items())
        else:
            codes = list(gemeenten)
            if codes and isinstance(codes[0], tuple | list):
                pairs = [(c[0], c[1]) for c in codes]
            elif isinstance(names, Mapping):
                pairs = [(c, names.get(c, c)) for c in codes]
            elif names is not None:
                pairs = list(zip(codes, names, strict=False))
            else:
                pairs = [(c, c) for c in codes]
        out.extend(Dataset(str(c), str(n), year, retrieved) for c, n in pairs)
    return out


@st.cache_data(ttl=60, show_spinner=False)
def datasets() -> list[Dataset]:
    """Every gemeente-year available without network, the demo gemeente last.

    Returns
    -------
    list of Dataset
        Cached CBS data (when the ingest module reports any), then the demo.
    """
    try:
        found = _cached_entries()
    except Exception:  # a broken cache must not stop the app from opening on the demo
        found = []
    found = sorted(
        {d for d in found if d.code != DEMO_GEMEENTE_CODE}, key=lambda d: (d.name, -d.year)
    )
    return [*found, Dataset(DEMO_GEMEENTE_CODE, DEMO_GEMEENTE_NAME, _DEMO_YEAR, None)]


def _ingest_load(year: int, code: str, progress: Callable[[float, str], None] | None) -> Loaded:
    try:
        from cbs_ingest import load as ingest_load  # type: ignore[attr-defined]
    except ImportError:
        ingest_load = None
    if ingest_load is None:
        if code != DEMO_GEMEENTE_CODE:
            from cbs_ingest.errors import SourceUnavailableError

            raise SourceUnavailableError(
                "Fetching CBS data is not available in this version.",
                nl="Gegevens ophalen bij CBS is in deze versie nog niet beschikbaar.",
            )
        if progress:
            progress(1.0, "Stapeldam (fictief)")
        return Loaded(frames=make_demo(year=year), year=year, code=code)
    result = ingest_load(year, [code], progress=progress)
    return Loaded(
        frames=dict(result.frames),
        year=year,
        code=code,
        provenance=getattr(result, "provenance", None),
        stale=bool(getattr(result, "stale", False)),
        cache_age=getattr(result, "cache_age", None),
    )


@st.cache_resource(ttl=3600, max_entries=8, show_spinner=False)
def load(year: int, code: str) -> Loaded:
    """Load (from the local cache or the demo) the frames of one gemeente-year.

    The result is shared between sessions: treat it as read-only.
    """
    return _ingest_load(year, code, None)


def fetch(year: int, code: str, progress: Callable[[float, str], None]) -> Loaded:
    """Fetch a gemeente-year from CBS with progress feedback, then refresh the caches."""
    loaded = _ingest_load(year, code, progress)
    datasets.clear()
    load.clear()
    return loaded


def indicators(columns: pd.Index | list[str]) -> list[IndicatorInfo]:
    """Indicators that can be shown for a frame with these columns.

    Uses ``layers.INDICATORS`` when available, else the canonical KWB columns.
    Only indicators whose column is present are returned.
    """
    present = set(columns)
    try:
        from layers import INDICATORS  # type: ignore[attr-defined]
    except ImportError:
        INDICATORS = None  # noqa: N806
    out: list[IndicatorInfo] = []
    if INDICATORS:
        items = INDICATORS.values() if isinstance(INDICATORS, Mapping) else INDICATORS
        for ind in items:
            key = _get(ind, "key", "name", "column")
            if key in present:
                out.append(
                    IndicatorInfo(
                        key=key,
                        label=str(_get(ind, "label_nl", "label", default=key)),
                        unit=str(_get(ind, "unit", default="")),
                        direction=str(_get(ind, "direction", default="higher_is_worse")),
                        theme=str(_get(ind, "theme", default="")),
                    )
                )
        if out:
            return out
    for col in CANONICAL_COLUMNS:
        if (
            col.name in present
            and col.name not in _SKIP_FALLBACK
            and not col.name.startswith("age_")
        ):
            out.append(IndicatorInfo(col.name, col.label_nl, col.unit))
    return out


def _call_filtered(
    func: Callable[..., Any], frame: gpd.GeoDataFrame, options: Mapping[str, Any]
) -> Any:
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return func(frame, **options)
    return func(frame, **{k: v for k, v in options.items() if k in params})


@st.cache_resource(ttl=3600, max_entries=32, show_spinner=False)
def analyse(
    year: int,
    code: str,
    level: str,
    options: tuple[tuple[str, Any], ...],
    upload_key: str = "",
    _frame: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, Any]:
    """Run the stacking analysis on one level of a gemeente-year.

    Parameters
    ----------
    year, code, level
        Which data.
    options
        Analysis settings as sorted ``(name, value)`` pairs, passed as keyword
        arguments to ``models.run_analysis`` (those it accepts).
    upload_key
        Fingerprint of joined own data ('' for none); part of the cache key.
    _frame
        The frame to analyse when own data was joined (not hashed).

    Returns
    -------
    table : GeoDataFrame
        The input frame with the analysis columns, or without them when the
        analysis module is not available.
    result : object or None
        The full analysis result.
    """
    frame = _frame if _frame is not None else load(year, code).frames[level]
    try:
        from models import run_analysis  # type: ignore[attr-defined]
    except ImportError:
        return frame, None
    result = _call_filtered(run_analysis, frame, dict(options))
    table = result.table
    for column in ("code", "name", "level", "wijkcode", "geometry"):
        if column not in table.columns and column in frame.columns:
            table = table.assign(**{column: frame[column].to_numpy()})
    return table, result


def sources(loaded: Loaded) -> dict[str, str]:
    """Plain-text source lines of a loaded gemeente-year, for exports and the about tab."""
    prov = loaded.provenance
    if loaded.demo:
        return {
            "bron": "Fictieve voorbeelddata (Stapelkaart demo, geen CBS-cijfers)",
            "jaar": str(loaded.year),
        }
    retrieved = _get(prov, "retrieved_at", "retrieved", "timestamp", default="onbekend")
    return {
        "bron": "CBS Kerncijfers Wijken en Buurten; CBS/Kadaster Wijk- en buurtkaart (CC BY 4.0)",
        "tabel": str(_get(prov, "table_id", default=table_id(loaded.year))),
        "jaar": str(loaded.year),
        "opgehaald": str(retrieved),
    }
