"""Area frames for the benchmarks, built from the real data in ``../shared/data``.

Not a benchmark itself (the runner skips modules whose name starts with ``_``).

* :func:`national_wijken`: the 3,393 real KWB 2024 wijken with their real values.
* :func:`split_wijken`: a synthetic buurt layer of about 14,000 areas: every
  national wijk polygon cut into 4 or 5 strips across its longer side. Each
  part gets the wijk's rates (percentages, per-1,000 figures, income) with a
  little noise and a random share of its counts, so the values stay realistic
  and the parts still tile the wijk exactly (real shared borders).
* :func:`georef_buurten`: the 14,566 approximate national buurt polygons of
  ``raw/woonikveilig-geo-buurt`` with values derived from their wijk in the
  same way (CBS publishes no national buurt file with these columns here).

All frames follow the area-frame schema (``cbs_ingest.columns.FRAME_KEYS`` +
canonical columns), EPSG:28992.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
GEOREF_BUURT = RAW / "woonikveilig-geo-buurt" / "buurt_2024_national_georef.geojson.gz"
for _path in (str(ROOT), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS  # noqa: E402

__all__ = [
    "RAW",
    "available",
    "national_wijken",
    "split_wijken",
    "georef_buurten",
    "first_areas",
    "median",
]

_SPLIT_UNITS = ("count", "ha")


def available() -> bool:
    """Whether ``../shared/data/raw`` is present."""
    return RAW.is_dir()


def median(values: list[float]) -> float:
    """Median of a non-empty list."""
    return float(np.median(np.asarray(values, dtype=float)))


def national_wijken() -> gpd.GeoDataFrame:
    """The 3,393 real KWB 2024 wijken (EPSG:28992) with their real values."""
    from _real import area_frame

    return area_frame(RAW, "wijk")


def _derive_values(
    wijken: gpd.GeoDataFrame, parent: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Values of child areas from their parent wijk (positions ``parent``)."""
    n = len(parent)
    counts = np.bincount(parent, minlength=len(wijken)).astype(float)
    # Random shares that sum to 1 within each wijk.
    weight = rng.gamma(4.0, 1.0, n)
    share = weight / np.bincount(parent, weights=weight, minlength=len(wijken))[parent]
    share = np.where(counts[parent] > 0, share, 0.0)
    out = {}
    for column in CANONICAL_COLUMNS:
        base = wijken[column.name].to_numpy(dtype=float)[parent]
        if column.unit in _SPLIT_UNITS:
            out[column.name] = np.round(base * share)
        else:
            noisy = base * rng.lognormal(0.0, 0.15, n)
            out[column.name] = np.clip(noisy, 0, 100) if column.unit == "percent" else noisy
    return pd.DataFrame(out)


def _frame(
    wijken: gpd.GeoDataFrame, parent: np.ndarray, codes: list[str], geoms, seed: int
) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    keys = pd.DataFrame(
        {
            "code": codes,
            "name": [f"Deel {c[-4:]}" for c in codes],
            "level": "buurt",
            "gemeentecode": wijken["gemeentecode"].to_numpy()[parent],
            "gemeentenaam": wijken["gemeentenaam"].to_numpy()[parent],
            "wijkcode": wijken["code"].to_numpy()[parent],
            "year": 2024,
        }
    )
    frame = pd.concat([keys, _derive_values(wijken, parent, rng)], axis=1)
    columns = list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS]
    out = gpd.GeoDataFrame(frame[columns], geometry=np.asarray(geoms), crs=28992)
    order = np.lexsort((out["code"].to_numpy(), out["gemeentecode"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def split_wijken(wijken: gpd.GeoDataFrame, target: int = 14_000, seed: int = 0) -> gpd.GeoDataFrame:
    """Cut every wijk into 4 or 5 strips so that the layer has about ``target`` areas.

    The largest wijken get 5 parts. Strips run across the longer side of the
    wijk's bounding box; a strip that misses the polygon (possible for odd
    shapes) is dropped, so the count can be a little below ``target``.
    """
    n = len(wijken)
    geoms = wijken.geometry.to_numpy()
    base = max(target // n, 1)
    parts = np.full(n, base)
    extra = min(max(target - base * n, 0), n)
    parts[np.argsort(-shapely.area(geoms), kind="stable")[:extra]] += 1
    parent = np.repeat(np.arange(n), parts)
    index = np.concatenate([np.arange(k) for k in parts])
    bounds = shapely.bounds(geoms)[parent]
    x0, y0, x1, y1 = bounds.T
    frac0, frac1 = index / parts[parent], (index + 1) / parts[parent]
    wide = (x1 - x0) >= (y1 - y0)
    pad = 1.0  # metres: the outer strips reach past the bounding box
    bx0 = np.where(wide, x0 + frac0 * (x1 - x0), x0 - pad)
    bx1 = np.where(wide, x0 + frac1 * (x1 - x0), x1 + pad)
    by0 = np.where(wide, y0 - pad, y0 + frac0 * (y1 - y0))
    by1 = np.where(wide, y1 + pad, y0 + frac1 * (y1 - y0))
    bx0 = np.where(wide & (index == 0), bx0 - pad, bx0)
    bx1 = np.where(wide & (index == parts[parent] - 1), bx1 + pad, bx1)
    by0 = np.where(~wide & (index == 0), by0 - pad, by0)
    by1 = np.where(~wide & (index == parts[parent] - 1), by1 + pad, by1)
    pieces = shapely.intersection(geoms[parent], shapely.box(bx0, by0, bx1, by1))
    pieces = shapely.make_valid(pieces)
    pieces = shapely.get_parts(pieces, return_index=True)
    polys, owner = pieces
    keep_poly = shapely.get_type_id(polys) == 3  # polygons only (drop slivers of lines)
    polys, owner = polys[keep_poly], owner[keep_poly]
    merged = (
        gpd.GeoSeries(polys).groupby(owner).agg(lambda s: shapely.union_all(s.to_numpy()))
        if len(polys)
        else gpd.GeoSeries([])
    )
    kept = merged.index.to_numpy()
    geometry = merged.to_numpy()
    area = shapely.area(geometry)
    ok = area > 1.0
    kept, geometry = kept[ok], geometry[ok]
    wijk_codes = wijken["code"].to_numpy()[parent[kept]]
    codes = [f"BU{w[2:8]}{i:02d}" for w, i in zip(wijk_codes, index[kept], strict=True)]
    return _frame(wijken, parent[kept], codes, geometry, seed)


def georef_buurten(wijken: gpd.GeoDataFrame, seed: int = 0) -> gpd.GeoDataFrame:
    """The 14,566 approximate national buurt polygons with values from their wijk."""
    import pyogrio

    geo = pyogrio.read_dataframe(f"/vsigzip/{GEOREF_BUURT}", columns=["buurtcode", "wijkcode"])
    geo = geo.to_crs(28992)
    position = pd.Series(np.arange(len(wijken)), index=wijken["code"].to_numpy())
    parent = position.reindex(geo["wijkcode"].to_numpy())
    ok = parent.notna().to_numpy()
    geo = geo[ok]
    geometry = shapely.make_valid(geo.geometry.to_numpy())
    frame = _frame(
        wijken, parent[ok].to_numpy(dtype=int), geo["buurtcode"].tolist(), geometry, seed
    )
    return frame


def first_areas(frame: gpd.GeoDataFrame, n: int) -> gpd.GeoDataFrame:
    """The first ``n`` areas in gemeente order: whole neighbouring regions, not a sample."""
    return frame.iloc[: min(n, len(frame))].reset_index(drop=True)
