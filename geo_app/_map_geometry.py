"""Geometry for the browser: simplified along shared borders, in WGS84, rounded.

The buurt geometries CBS publishes carry far more detail than a choropleth
needs. :func:`prepare_geometry` simplifies them as a *coverage* (``GEOS``'s
coverage simplification through ``GeoSeries.simplify_coverage``), so that a
border shared by two buurten is simplified once and both sides keep the same
vertices: no slivers or gaps appear between neighbours. The tolerance is in
metres (EPSG:28992). The result is reprojected to EPSG:4326 and rounded to
``precision`` decimals (5 decimals ≈ 1 m), and each geometry's GeoJSON text is
kept, so that switching indicator only restyles and never re-serialises
geometry. The app caches the result once per gemeente and level.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from cbs_ingest.errors import InputError

__all__ = ["RD_CRS", "prepare_geometry", "DEFAULT_TOLERANCE_M", "DEFAULT_PRECISION"]

#: Dutch national grid (Rijksdriehoekstelsel), metres.
RD_CRS = "EPSG:28992"
#: Default simplification tolerance, metres.
DEFAULT_TOLERANCE_M = 10.0
#: Default number of decimals of longitude/latitude (5 ≈ 1 m).
DEFAULT_PRECISION = 5

_KEEP = ("code", "name")


def prepare_geometry(
    frame: gpd.GeoDataFrame,
    *,
    tolerance: float = DEFAULT_TOLERANCE_M,
    precision: int = DEFAULT_PRECISION,
) -> gpd.GeoDataFrame:
    """Simplify area geometry for the browser, keeping shared borders.

    Parameters
    ----------
    frame
        Areas with at least ``code``, ``name`` and a geometry with a CRS
        (an area frame in EPSG:28992, or any projected/geographic CRS).
    tolerance
        Simplification tolerance in metres (applied in EPSG:28992); 0 keeps
        every vertex.
    precision
        Decimals of the output longitude/latitude.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame with the input's index and columns ``code``, ``name``,
        ``geometry_json`` (the GeoJSON text of each geometry, empty for a
        missing geometry) and ``geometry`` in EPSG:4326. The input is not changed.

    Raises
    ------
    InputError
        When a column or the CRS is missing, or the tolerance is negative.
    """
    missing = [c for c in _KEEP if c not in frame.columns]
    if missing:
        raise InputError(
            f"prepare_geometry needs columns {', '.join(missing)}.",
            nl=f"De kaart mist de kolom(men) {', '.join(missing)}.",
        )
    if frame.crs is None:
        raise InputError(
            "prepare_geometry needs a frame with a CRS.",
            nl="De gebiedsgrenzen hebben geen coördinatenstelsel.",
        )
    if tolerance < 0:
        raise InputError(
            f"Tolerance must be zero or positive, got {tolerance}.",
            nl="De vereenvoudiging moet nul of positief zijn.",
        )
    geoms = frame.geometry.to_crs(RD_CRS)
    present = ~(geoms.isna() | geoms.is_empty).to_numpy()
    values = geoms.to_numpy().copy()
    if tolerance > 0 and present.any():
        simplified = gpd.GeoSeries(values[present], crs=RD_CRS).simplify_coverage(tolerance)
        values[present] = simplified.to_numpy()
    out = gpd.GeoSeries(values, index=frame.index, crs=RD_CRS).to_crs("EPSG:4326")
    rounded = shapely.transform(out.to_numpy(), lambda xy: np.round(xy, precision))
    text = np.full(len(rounded), "", dtype=object)
    if present.any():
        text[present] = shapely.to_geojson(rounded[present])
    result = gpd.GeoDataFrame(
        {
            "code": frame["code"].astype(str).to_numpy(),
            "name": frame["name"].fillna("").astype(str).to_numpy(),
            "geometry_json": text,
        },
        geometry=rounded,
        index=frame.index,
        crs="EPSG:4326",
    )
    result.attrs = {"tolerance_m": float(tolerance), "precision": int(precision)}
    return result
