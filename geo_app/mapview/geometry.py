"""Geometry for the browser: simplified along shared borders, in WGS84, rounded.

The buurt geometries CBS publishes carry far more detail than a choropleth
needs. :func:`prepare_geometry` simplifies them as a *coverage* (``GEOS``'s
coverage simplification through ``GeoSeries.simplify_coverage``), so that a
border shared by two buurten is simplified once and both sides keep the same
vertices: no slivers or gaps appear between neighbours. The tolerance is in
metres (EPSG:28992). The result is reprojected to EPSG:4326 and rounded to
``precision`` decimals (5 decimals ≈ 1 m), and each geometry's compact text
(encoded polylines, see :mod:`geo_app.mapview.encoding`) is kept, so that
switching indicator only restyles and never re-serialises geometry. The app
caches the result once per gemeente and level.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import shapely
import shapely.errors

from cbs_ingest.errors import InputError
from geo_app.mapview.encoding import encode_geometries

__all__ = ["RD_CRS", "prepare_geometry", "DEFAULT_TOLERANCE_M", "DEFAULT_PRECISION"]

#: Dutch national grid (Rijksdriehoekstelsel), metres.
RD_CRS = "EPSG:28992"
#: Default simplification tolerance, metres.
DEFAULT_TOLERANCE_M = 10.0
#: Default number of decimals of longitude/latitude (5 ≈ 1 m).
DEFAULT_PRECISION = 5

_KEEP = ("code", "name")
_LOG = logging.getLogger(__name__)


def prepare_geometry(
    frame: gpd.GeoDataFrame,
    *,
    tolerance: float = DEFAULT_TOLERANCE_M,
    precision: int = DEFAULT_PRECISION,
    clean: bool = True,
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
    clean
        When the areas do not form a valid coverage (overlaps, or neighbours
        whose shared borders do not have identical vertices, as in
        pre-simplified files), repair it first with ``shapely.coverage_clean``
        so that shared borders can be simplified once for both sides.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame with the input's index and columns ``code``, ``name``,
        ``geometry_encoded`` (compact text of each geometry for the browser,
        empty for a missing geometry) and ``geometry`` in EPSG:4326. The input
        is not changed.

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
    values = _polygonal(frame.geometry.to_crs(RD_CRS).to_numpy())
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    if present.any():
        values[present] = _simplify(values[present], tolerance=tolerance, clean=clean)
    out = gpd.GeoSeries(values, index=frame.index, crs=RD_CRS).to_crs("EPSG:4326")
    rounded = shapely.transform(out.to_numpy(), lambda xy: np.round(xy, precision))
    text = encode_geometries(rounded, precision=precision)
    result = gpd.GeoDataFrame(
        {
            "code": frame["code"].astype(str).to_numpy(),
            "name": frame["name"].fillna("").astype(str).to_numpy(),
            "geometry_encoded": text,
        },
        geometry=rounded,
        index=frame.index,
        crs="EPSG:4326",
    )
    result.attrs = {"tolerance_m": float(tolerance), "precision": int(precision)}
    return result


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Only the polygons of each geometry (a collection left by ``make_valid``, say)."""
    out = geoms.copy()
    kinds = shapely.get_type_id(out)
    odd = np.flatnonzero((kinds != shapely.GeometryType.POLYGON)
                         & (kinds != shapely.GeometryType.MULTIPOLYGON) & (kinds >= 0))  # fmt: skip
    for i in odd:
        parts = [p for p in shapely.get_parts(out[i]) if isinstance(p, shapely.Polygon)]
        out[i] = shapely.MultiPolygon(parts) if parts else None
    return out


def _simplify(geoms: np.ndarray, *, tolerance: float, clean: bool) -> np.ndarray:
    """Coverage-clean (when needed) and coverage-simplify polygons in metres."""
    try:
        if clean and not shapely.coverage_is_valid(geoms):
            geoms = shapely.coverage_clean(geoms)
        if tolerance > 0:
            geoms = shapely.coverage_simplify(geoms, tolerance)
    except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
        # Never lose the map over a topology problem: simplify each area on its own.
        _LOG.warning("coverage simplification failed (%s); simplifying areas one by one", exc)
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return geoms
