"""Compact geometry text for the browser: polygon rings as encoded polylines.

Plain GeoJSON spends about 19 characters per vertex (``[4.12346,51.10001],``).
The *encoded polyline* format (as used by Google Maps and OSRM) writes each
ring as the differences between consecutive vertices, in integer units of
``10**-precision`` degrees, five bits per printable character: a few
characters per vertex. The browser decodes it with a dozen lines of
JavaScript (:data:`DECODER_JS`) into ordinary GeoJSON before Leaflet sees it,
so clicks still return normal GeoJSON features.

The encoding here is vectorised with numpy over all vertices of all areas.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

__all__ = ["encode_geometries", "decode_geometry", "DECODER_JS"]

_MAX_CHUNKS = 7  # 35 bits: enough for 2 * 180 * 10**7


def encode_geometries(geoms: np.ndarray, *, precision: int) -> np.ndarray:
    """Encode (multi)polygons as JSON text ``[precision, [[ring, ...], ...]]``.

    Parameters
    ----------
    geoms
        Polygons or MultiPolygons in longitude/latitude (missing or empty allowed).
    precision
        Decimals kept (coordinates are rounded to this).

    Returns
    -------
    numpy.ndarray
        One JSON string per geometry; empty string for a missing or empty one.
        Each polygon is a list of rings (exterior first), each ring an encoded
        polyline of ``lat, lng`` pairs without the closing vertex.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), "", dtype=object)
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    polygon = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    parts, part_of = parts[polygon], part_of[polygon]
    if len(parts) == 0:
        return out
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    sizes = np.bincount(coord_of, minlength=len(rings))
    keep = np.ones(len(coords), dtype=bool)
    keep[np.cumsum(sizes)[sizes > 0] - 1] = False  # drop each ring's closing vertex
    coords, coord_of = coords[keep], coord_of[keep]

    scaled = np.round(coords[:, ::-1] * 10.0**precision).astype(np.int64)  # lat, lng
    deltas = scaled.copy()
    deltas[1:] -= scaled[:-1]
    starts = np.r_[True, coord_of[1:] != coord_of[:-1]] if len(coord_of) else np.zeros(0, bool)
    deltas[starts] = scaled[starts]
    values = deltas.reshape(-1)
    zigzag = (values << 1) ^ (values >> 63)
    counts = 1 + sum((zigzag >= 32**i).astype(np.int64) for i in range(1, _MAX_CHUNKS))
    shifts = 5 * np.arange(_MAX_CHUNKS)
    chunks = (zigzag[:, None] >> shifts) & 31
    position = np.arange(_MAX_CHUNKS)
    chunks = chunks | np.where(position < (counts - 1)[:, None], 0x20, 0)
    chars = (chunks + 63)[position < counts[:, None]].astype(np.uint8)
    text = chars.tobytes().decode("ascii")

    ring_chars = np.bincount(np.repeat(coord_of, 2), weights=counts, minlength=len(rings))
    ends = np.cumsum(ring_chars).astype(np.int64)
    begins = ends - ring_chars.astype(np.int64)
    ring_text = [text[b:e] for b, e in zip(begins, ends, strict=True)]
    ring_ok = sizes - 1 >= 3  # a ring needs three distinct vertices

    polygons: dict[int, list[list[str]]] = {}
    ring_lists: list[list[str]] = [[] for _ in range(len(parts))]
    for r, part in enumerate(ring_of):
        if ring_ok[r]:
            ring_lists[part].append(ring_text[r])
    for part, geom in enumerate(part_of):
        if ring_lists[part]:
            polygons.setdefault(int(geom), []).append(ring_lists[part])
    for geom, rings_of_geom in polygons.items():
        out[geom] = json.dumps([int(precision), rings_of_geom], separators=(",", ":"))
    return out


def _decode_ring(text: str, factor: float) -> list[list[float]]:
    index, lat, lng, points = 0, 0, 0, []
    while index < len(text):
        pair = []
        for _ in range(2):
            result, shift = 0, 0
            while True:
                byte = ord(text[index]) - 63
                index += 1
                result |= (byte & 31) << shift
                shift += 5
                if byte < 32:
                    break
            pair.append(~(result >> 1) if result & 1 else result >> 1)
        lat += pair[0]
        lng += pair[1]
        points.append([lng / factor, lat / factor])
    return [*points, points[0]]


def decode_geometry(encoded: str) -> dict | None:
    """Decode one :func:`encode_geometries` string to a GeoJSON geometry (for tests, tools)."""
    if not encoded:
        return None
    precision, polygons = json.loads(encoded)
    factor = 10.0**precision
    coordinates = [[_decode_ring(ring, factor) for ring in polygon] for polygon in polygons]
    if len(coordinates) == 1:
        return {"type": "Polygon", "coordinates": coordinates[0]}
    return {"type": "MultiPolygon", "coordinates": coordinates}


#: Browser-side decoder; defines ``window.stapelGeometry(encoded)`` → GeoJSON geometry.
DECODER_JS = """
window.stapelGeometry = window.stapelGeometry || (function () {
    var ring = function (text, factor) {
        var index = 0, lat = 0, lng = 0, points = [];
        var next = function () {
            var result = 0, shift = 0, b;
            do { b = text.charCodeAt(index++) - 63; result |= (b & 31) << shift; shift += 5; }
            while (b >= 32);
            return (result & 1) ? ~(result >> 1) : (result >> 1);
        };
        while (index < text.length) {
            lat += next(); lng += next();
            points.push([lng / factor, lat / factor]);
        }
        points.push(points[0]);
        return points;
    };
    return function (encoded) {
        var factor = Math.pow(10, encoded[0]);
        var coords = encoded[1].map(function (p) {
            return p.map(function (r) { return ring(r, factor); });
        });
        return coords.length === 1 ? {type: "Polygon", coordinates: coords[0]}
                                   : {type: "MultiPolygon", coordinates: coords};
    };
})();
"""
