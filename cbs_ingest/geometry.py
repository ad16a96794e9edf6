"""Wijk- en buurtkaart geometry: from a CBS GeoPackage or from PDOK.

Both readers return, per level, a GeoDataFrame in EPSG:28992 with the columns
``code, name, gemeentecode, gemeentenaam, wijkcode, water, geometry``.
:func:`clean_geometry` then drops water-only areas (reporting their codes),
merges the parts of an area into one feature and makes every geometry valid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from cbs_ingest import _http
from cbs_ingest.columns import LEVELS
from cbs_ingest.errors import InputError, SourceChangedError

__all__ = [
    "LAYERS",
    "check_geopackage",
    "read_geopackage",
    "fetch_pdok",
    "clean_geometry",
    "pdok_collection_url",
]

Progress = Callable[[float, str], None]

#: GeoPackage layer / PDOK collection per level, as CBS names them.
LAYERS: dict[str, str] = {"buurt": "buurten", "wijk": "wijken", "gemeente": "gemeenten"}

_FIELDS: dict[str, dict[str, str]] = {
    "buurt": {
        "buurtcode": "code",
        "buurtnaam": "name",
        "wijkcode": "wijkcode",
        "gemeentecode": "gemeentecode",
        "gemeentenaam": "gemeentenaam",
        "water": "water",
    },
    "wijk": {
        "wijkcode": "code",
        "wijknaam": "name",
        "gemeentecode": "gemeentecode",
        "gemeentenaam": "gemeentenaam",
        "water": "water",
    },
    "gemeente": {
        "gemeentecode": "code",
        "gemeentenaam": "name",
        "water": "water",
    },
}
_OUT = ["code", "name", "gemeentecode", "gemeentenaam", "wijkcode", "water", "geometry"]
_PDOK_PAGE = 1000
_RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


def check_geopackage(path: str | Path) -> Path:
    """Check that ``path`` is a GeoPackage in CBS's layout, before any download.

    Raises
    ------
    InputError
        The file is missing, unreadable, or lacks a layer or attribute.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"Geometry file {path} does not exist.",
            nl=f"Geometriebestand {path} bestaat niet.",
        )
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except Exception:  # pyogrio raises its own DataSourceError types
        raise InputError(
            f"Geometry file {path} is not a readable GeoPackage.",
            nl=f"Geometriebestand {path} is geen leesbare GeoPackage.",
        ) from None
    lacking = [layer for layer in LAYERS.values() if layer not in layers]
    if lacking:
        raise InputError(
            f"GeoPackage {path.name} lacks the layer(s) {', '.join(lacking)} of CBS's "
            f"Wijk- en buurtkaart; it has: {', '.join(sorted(layers)) or 'no layers'}.",
            nl=f"GeoPackage {path.name} mist de laag/lagen {', '.join(lacking)} van de CBS "
            f"Wijk- en buurtkaart; aanwezig: {', '.join(sorted(layers)) or 'geen lagen'}.",
        )
    _layer_columns(path)
    return path


def _layer_columns(path: Path) -> dict[str, list[str]]:
    out = {}
    for level, layer in LAYERS.items():
        fields = {str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]}
        lacking = [f for f in _FIELDS[level] if f not in fields and f != "water"]
        if lacking:
            raise InputError(
                f"Layer {layer} of {path.name} lacks the attribute(s) {', '.join(lacking)}.",
                nl=f"Laag {layer} van {path.name} mist de kolom(men) {', '.join(lacking)}.",
            )
        out[level] = [f for f in _FIELDS[level] if f in fields]
    return out


def _clean_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _standardise(frame: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    fields = _FIELDS[level]
    frame = frame.rename(columns=fields)
    for column in ("code", "name", "gemeentecode", "gemeentenaam", "wijkcode"):
        if column not in frame.columns:
            frame[column] = None
        frame[column] = frame[column].astype(object).map(_clean_text)
    frame["code"] = frame["code"].str.upper()
    if level == "gemeente":
        frame["gemeentecode"] = frame["code"]
        frame["gemeentenaam"] = frame["name"]
    if level == "wijk":
        frame["wijkcode"] = frame["code"]
    water = frame["water"] if "water" in frame.columns else pd.Series("NEE", index=frame.index)
    frame["water"] = water.map(
        lambda v: str(v).strip().upper() in ("JA", "TRUE", "1", "YES")
    ).astype(bool)  # an empty layer would otherwise give an object column
    if frame.crs is None:
        frame = frame.set_crs(28992)
    elif frame.crs.to_epsg() != 28992:
        frame = frame.to_crs(28992)
    return gpd.GeoDataFrame(frame[_OUT], geometry="geometry", crs=28992)


def _where(codes: Sequence[str] | None) -> str | None:
    if not codes:
        return None
    quoted = ", ".join(f"'{c}'" for c in codes)
    return f"gemeentecode IN ({quoted})"


def read_geopackage(
    path: str | Path,
    municipalities: Sequence[str] | None,
    *,
    progress: Progress | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read the buurten, wijken and gemeenten of some gemeenten from a CBS GeoPackage.

    Only the rows of the requested gemeenten are read (``where=`` on
    ``gemeentecode``), and only the attributes Stapelkaart uses (``columns=``).
    """
    path = Path(path)
    try:
        columns = _layer_columns(path)
    except InputError:
        raise
    except Exception:
        check_geopackage(path)  # raises the clear InputError
        raise
    codes = sorted(set(municipalities)) if municipalities else None
    out: dict[str, gpd.GeoDataFrame] = {}
    for i, level in enumerate(LEVELS):
        layer = LAYERS[level]
        _report(progress, 0.5 + 0.1 * i, f"Geometrie lezen: {layer}")
        frame = pyogrio.read_dataframe(
            path, layer=layer, columns=columns[level], where=_where(codes)
        )
        out[level] = _standardise(frame, level)
    return out


def pdok_collection_url(year: int, level: str) -> str:
    """Items URL of a CBS wijken-en-buurten collection on PDOK (OGC API Features)."""
    base = _http.pdok_base_url()
    return f"{base}/cbs/wijken-en-buurten-{int(year)}/ogc/v1/collections/{LAYERS[level]}/items"


def _next_link(document: dict[str, Any]) -> str | None:
    for link in document.get("links", []) or []:
        if link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None


def _fetch_collection(
    year: int, level: str, code: str | None, progress: Progress | None
) -> gpd.GeoDataFrame:
    url: str | None = pdok_collection_url(year, level)
    params: dict[str, Any] | None = {"f": "json", "limit": _PDOK_PAGE, "crs": _RD_URI}
    if code:
        params["gemeentecode"] = code
    features: list[dict[str, Any]] = []
    crs = 28992
    for _page in range(10_000):  # bounded: 10 million features at most
        if url is None:
            break

        def on_retry(attempt: int, reason: str) -> None:
            _report(progress, 0.55, f"PDOK: {reason}, nieuwe poging {attempt + 1} (retry)")

        document, headers = _http.pdok_get(url, params=params, on_retry=on_retry)
        if document.get("type") != "FeatureCollection" or "features" not in document:
            raise SourceChangedError(
                f"PDOK answered {url} with something other than a FeatureCollection.",
                nl="PDOK gaf geen FeatureCollection terug.",
            )
        content_crs = headers.get("Content-Crs", headers.get("content-crs", ""))
        if content_crs and "28992" not in content_crs:
            crs = 4326
        features.extend(document["features"])
        url, params = _next_link(document), None
    columns = [c for c in _FIELDS[level] if c != "water"]
    if not features:
        empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=crs)
        return _standardise(empty, level)
    frame = gpd.GeoDataFrame.from_features(features, crs=crs)
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise SourceChangedError(
            f"PDOK collection {LAYERS[level]} lacks the attribute(s) {', '.join(lacking)}.",
            nl=f"PDOK-collectie {LAYERS[level]} mist de kolom(men) {', '.join(lacking)}.",
        )
    if "water" in frame.columns:
        columns.append("water")
    return _standardise(frame[columns + ["geometry"]], level)


def fetch_pdok(
    year: int,
    municipalities: Sequence[str] | None,
    *,
    progress: Progress | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Fetch buurten, wijken and gemeenten from PDOK's OGC API Features, page by page."""
    codes: list[str | None] = sorted(set(municipalities)) if municipalities else [None]
    out: dict[str, gpd.GeoDataFrame] = {}
    for i, level in enumerate(LEVELS):
        _report(progress, 0.5 + 0.1 * i, f"Geometrie ophalen bij PDOK: {LAYERS[level]}")
        parts = [_fetch_collection(year, level, code, progress) for code in codes]
        out[level] = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=28992)
    return out


def _polygonal(geometry: Any) -> Any:
    if geometry is None or geometry.is_empty:
        return geometry
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def clean_geometry(
    frames: dict[str, gpd.GeoDataFrame],
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, list[str]]]:
    """Drop water-only areas, merge the parts of each area and make geometries valid.

    Returns
    -------
    tuple
        ``(frames, water_only)``: one row per code with land geometry, and per
        level the codes whose every feature is water.
    """
    cleaned: dict[str, gpd.GeoDataFrame] = {}
    water_only: dict[str, list[str]] = {}
    for level, frame in frames.items():
        frame = frame[frame["code"].notna() & frame.geometry.notna()]
        water = frame["water"].astype(bool).to_numpy()
        land = frame.loc[~water]
        water_only[level] = sorted(set(frame.loc[water, "code"]) - set(land["code"]))
        if land["code"].duplicated().any():
            attrs = land.drop(columns="geometry").groupby("code", sort=False).first()
            geoms = land.groupby("code", sort=False)["geometry"].agg(
                lambda s: shapely.union_all(s.to_numpy())
            )
            land = gpd.GeoDataFrame(
                attrs.reset_index(), geometry=geoms.loc[attrs.index].to_numpy(), crs=28992
            )
        land = land.reset_index(drop=True)
        land["geometry"] = [_polygonal(g) for g in land.geometry]
        land = land[~land.geometry.is_empty]
        cleaned[level] = gpd.GeoDataFrame(land[_OUT].reset_index(drop=True), crs=28992)
    return cleaned, water_only
