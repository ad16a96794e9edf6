"""CBS-layout GeoPackages and a local PDOK OGC API Features server, for tests.

:func:`cbs_layers` and :func:`write_geopackage` write the real 2024 geometries (EPSG:4326
GeoJSON) as CBS publishes the Wijk- en buurtkaart: one GeoPackage, layers
``gemeenten``, ``wijken`` and ``buurten``, EPSG:28992, attributes ``buurtcode``,
``buurtnaam``, ``wijkcode``, ``wijknaam``, ``gemeentecode``, ``gemeentenaam``
and ``water`` (``JA``/``NEE``). :class:`FakePdokServer` serves the same frames
as PDOK's ``/cbs/wijken-en-buurten-<year>/ogc/v1/collections/<layer>/items``
with ``limit``/``offset`` paging, ``next`` links, a ``gemeentecode`` filter and
the ``crs`` parameter.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import geopandas as gpd
import pandas as pd

RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"


def cbs_layers(raw: Path) -> dict[str, gpd.GeoDataFrame]:
    """The real 2024 geometry in ``raw`` in CBS's layer layout (EPSG:28992)."""
    folder = raw / "nprz-app"
    gm_stats = pd.read_parquet(folder / "gemeente_2024_stats.parquet")
    wk_stats = pd.read_parquet(folder / "wijk_2024_stats.parquet")
    bu_stats = pd.read_parquet(folder / "buurt_2024_stats_rijnmond_excl_rotterdam.parquet")
    gm = gpd.read_file("/vsigzip/" + str(folder / "gemeente_2024.geojson.gz"))
    wk = gpd.read_file("/vsigzip/" + str(folder / "wijk_2024.geojson.gz"))
    bu = gpd.read_file("/vsigzip/" + str(folder / "buurt_2024_rijnmond_excl_rotterdam.geojson.gz"))

    # The gemeente features come in the same order as the stats rows (land and water parts).
    assert list(gm["gemeentecode"]) == list(gm_stats["gemeentecode"])
    gemeenten = gpd.GeoDataFrame(
        {
            "gemeentecode": gm["gemeentecode"],
            "gemeentenaam": gm_stats["gemeentenaam"].to_numpy(),
            "water": gm_stats["water"].to_numpy(),
        },
        geometry=gm.geometry.to_numpy(),
        crs=4326,
    )
    names = wk_stats.set_index("wijkcode")
    wijken = gpd.GeoDataFrame(
        {
            "wijkcode": wk["wijkcode"],
            "wijknaam": wk["wijkcode"].map(names["wijknaam"]),
            "gemeentecode": wk["wijkcode"].map(names["gemeentecode"]),
            "gemeentenaam": wk["wijkcode"].map(names["gemeentenaam"]),
            "water": wk["wijkcode"].map(names["water"]),
        },
        geometry=wk.geometry.to_numpy(),
        crs=4326,
    )
    bnames = bu_stats.set_index("buurtcode")
    buurten = gpd.GeoDataFrame(
        {
            "buurtcode": bu["buurtcode"],
            "buurtnaam": bu["buurtcode"].map(bnames["buurtnaam"]),
            "wijkcode": bu["buurtcode"].map(bnames["wijkcode"]),
            "gemeentecode": bu["buurtcode"].map(bnames["gemeentecode"]),
            "gemeentenaam": bu["buurtcode"].map(bnames["gemeentenaam"]),
            "water": bu["buurtcode"].map(bnames["water"]),
        },
        geometry=bu.geometry.to_numpy(),
        crs=4326,
    )
    return {
        "gemeenten": gemeenten.to_crs(28992),
        "wijken": wijken.to_crs(28992),
        "buurten": buurten.to_crs(28992),
    }


def write_geopackage(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write layers into one GeoPackage (CBS's format)."""
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG")
    return path


class _Handler(BaseHTTPRequestHandler):
    layers: dict[str, gpd.GeoDataFrame]
    state: dict[str, Any]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(
        self, status: int, doc: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        self.state["log"].append(self.path)
        failures = self.state.get("fail", 0)
        if failures:
            self.state["fail"] = failures - 1
            return self._send(503, {"code": "unavailable"})
        segments = parts.path.strip("/").split("/")
        # cbs/wijken-en-buurten-2024/ogc/v1/collections/<layer>/items
        years = self.state.get("by_year") or {self.state["year"]: self.layers}
        collections = {f"wijken-en-buurten-{y}": layers for y, layers in years.items()}
        if len(segments) != 7 or segments[0] != "cbs" or segments[1] not in collections:
            return self._send(404, {"code": "NotFound"})
        layers = collections[segments[1]]
        if segments[5] not in layers:
            return self._send(404, {"code": "NotFound"})
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        frame = layers[segments[5]]
        if "gemeentecode" in query:
            frame = frame[frame["gemeentecode"] == query["gemeentecode"]]
        limit = min(int(query.get("limit", 10)), self.state["max_limit"])
        offset = int(query.get("offset", 0))
        page = frame.iloc[offset : offset + limit]
        rd = query.get("crs") == RD_URI
        out = page if rd else page.to_crs(4326)
        doc = json.loads(out.to_json(drop_id=True))
        doc["numberReturned"] = len(page)
        doc["links"] = []
        if offset + limit < len(frame):
            nxt = dict(query, offset=offset + limit)
            base = f"{self.state['url']}{parts.path}"
            doc["links"].append({"rel": "next", "href": base + "?" + urlencode(nxt)})
        crs = RD_URI if rd else "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        return self._send(200, doc, {"Content-Crs": f"<{crs}>"})


class FakePdokServer:
    """Serve CBS layers as PDOK's OGC API Features on 127.0.0.1 (ephemeral port)."""

    def __init__(
        self,
        layers: dict[str, gpd.GeoDataFrame],
        *,
        year: int = 2024,
        by_year: dict[int, dict[str, gpd.GeoDataFrame]] | None = None,
    ) -> None:
        """``layers`` for ``year``, or ``by_year`` to serve several years' collections."""
        self.state: dict[str, Any] = {
            "log": [],
            "fail": 0,
            "year": year,
            "max_limit": 1000,
            "by_year": by_year,
        }
        handler = type("Handler", (_Handler,), {"layers": layers, "state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.state["url"] = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakePdokServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def drechtsteden_layers(raw: Path) -> dict[str, gpd.GeoDataFrame]:
    """CBS layers from the full-resolution 2023 Drechtsteden buurten (with a water buurt).

    Wijken and gemeenten are the buurten dissolved by code, land and water kept
    apart as CBS does (``water`` is ``JA`` when every part is water).
    """
    path = raw / "voorzieningenmonitor-drechtsteden" / "buurten_2023_drechtsteden.geojson.gz"
    buurten = gpd.read_file("/vsigzip/" + str(path)).to_crs(28992)
    buurten = buurten[
        ["buurtcode", "buurtnaam", "wijkcode", "gemeentecode", "gemeentenaam", "water", "geometry"]
    ]
    wijken = buurten.dissolve(by=["wijkcode", "water"], as_index=False)
    wijken["wijknaam"] = wijken["wijkcode"]
    wijken = wijken[["wijkcode", "wijknaam", "gemeentecode", "gemeentenaam", "water", "geometry"]]
    gemeenten = buurten.dissolve(by=["gemeentecode", "water"], as_index=False)
    gemeenten = gemeenten[["gemeentecode", "gemeentenaam", "water", "geometry"]]
    return {"gemeenten": gemeenten, "wijken": wijken, "buurten": buurten}
