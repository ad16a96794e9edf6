"""Where the real CBS data for tests is, and area-frame-schema GeoDataFrames built from it.

Tests read real CBS files from ``../shared/data/raw`` when it is beside the clone, and
otherwise from the compact fixture ``tests/fixtures/real`` (the same layout and formats,
five gemeenten, more for the social-domain series and the Drechtsteden buurten; built by
``tests/fixtures/build_real_fixture.py``). Setting
``STAPELKAART_TEST_DATA=fixture`` uses the fixture even when ``../shared`` is there.

A test helper only: the ingest branch builds the real pipeline. The parquet files
carry original CBS OData column names; they are matched to canonical names with
:func:`cbs_ingest.columns.match_columns`, like the ingest code does.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS, match_columns

#: The real CBS data shared beside the project root (never copied into the repository).
SHARED_RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"
#: The compact fixture with the same layout, for a clone without ``../shared``.
FIXTURE_RAW = Path(__file__).resolve().parent / "fixtures" / "real"
#: The fixture's extracts of the whole national wijk (and Rijnmond buurt) files.
FIXTURE_WHOLE = FIXTURE_RAW / "whole"


def shared_raw() -> Path | None:
    """``../shared/data/raw`` when it is there and not switched off, else None."""
    if os.environ.get("STAPELKAART_TEST_DATA", "").strip().lower() == "fixture":
        return None
    return SHARED_RAW if SHARED_RAW.is_dir() else None


def real_raw() -> Path:
    """The folder the real-data tests read: ``../shared/data/raw``, else the fixture."""
    return shared_raw() or FIXTURE_RAW


def whole_raw() -> Path:
    """A folder whose stats files have every row of the shared ones (not every column).

    ``../shared/data/raw`` when present, else the fixture's ``whole`` folder: all 3,393
    wijken of the country and the 452 Rijnmond buurten, with the KWB columns
    :func:`stats_frame` reads, and every wijk polygon. For :func:`stats_frame`,
    :func:`attribute_frame` and :func:`area_frame` at wijk level (it has no buurt polygons).
    """
    return shared_raw() or FIXTURE_WHOLE


_FILES = {
    "wijk": (
        "nprz-app/wijk_2024_stats.parquet",
        "nprz-app/wijk_2024.geojson.gz",
        "wijkcode",
        "wijknaam",
    ),
    "buurt": (
        "nprz-app/buurt_2024_stats_rijnmond_excl_rotterdam.parquet",
        "nprz-app/buurt_2024_rijnmond_excl_rotterdam.geojson.gz",
        "buurtcode",
        "buurtnaam",
    ),
}


def stats_frame(raw: Path, level: str) -> pd.DataFrame:
    """Attribute-only area frame (no geometry) for ``level`` from the real files in ``raw``."""
    stats_file, _, code_col, name_col = _FILES[level]
    stats = pd.read_parquet(raw / stats_file)
    mapping = match_columns(stats.columns)
    out = pd.DataFrame(
        {
            "code": stats[code_col].astype(str).str.strip(),
            "name": stats[name_col].astype(str).str.strip(),
            "level": level,
            "gemeentecode": stats["gemeentecode"].astype(str).str.strip(),
            "gemeentenaam": stats["gemeentenaam"].astype(str).str.strip(),
            "wijkcode": stats["wijkcode"].astype(str).str.strip(),
            "year": 2024,
        }
    )
    for column in CANONICAL_COLUMNS:
        if column.name in mapping:
            values = pd.to_numeric(stats[mapping[column.name]], errors="coerce")
            out[column.name] = values.astype(float)
        else:
            out[column.name] = np.nan
    return out


def attribute_frame(raw: Path, level: str) -> gpd.GeoDataFrame:
    """:func:`area_frame`'s rows and columns from the stats file alone, geometry empty.

    For the analyses that read no geometry (no spatial weights): the same figures as
    :func:`area_frame` in the same order (every stats row has a polygon).
    """
    stats = stats_frame(raw, level)
    columns = list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS]
    empty = gpd.GeoSeries([None] * len(stats), index=stats.index, crs=28992)
    return gpd.GeoDataFrame(stats[columns], geometry=empty, crs=28992)


@lru_cache(maxsize=4)
def _area_frame(raw: Path, level: str) -> gpd.GeoDataFrame:
    _, geo_file, code_col, _ = _FILES[level]
    stats = stats_frame(raw, level)
    geo = gpd.read_file(f"/vsigzip/{raw / geo_file}")[[code_col, "geometry"]].to_crs(28992)
    geo[code_col] = geo[code_col].astype(str).str.strip()
    geo = geo.dissolve(by=code_col) if geo[code_col].duplicated().any() else geo.set_index(code_col)
    geo["geometry"] = geo.geometry.make_valid()
    frame = stats.join(geo["geometry"], on="code", how="inner")
    columns = list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS] + ["geometry"]
    return gpd.GeoDataFrame(frame[columns], geometry="geometry", crs=28992).reset_index(drop=True)


def area_frame(raw: Path, level: str, municipalities: list[str] | None = None) -> gpd.GeoDataFrame:
    """Area frame (EPSG:28992) of every wijk or buurt in ``raw``.

    From ``../shared``: "wijk" national, "buurt" Rijnmond excl. Rotterdam; from the
    fixture: the wijken of its five gemeenten and the buurten of its three Rijnmond ones.
    """
    frame = _area_frame(raw, level)
    if municipalities is not None:
        frame = frame[frame["gemeentecode"].isin(municipalities)].reset_index(drop=True)
    return frame.copy()
