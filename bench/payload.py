"""Benchmark: map payload and indicator-switch time, against a naive ``GeoDataFrame.explore()``.

Run from the repository root::

    python3 -m bench.payload            # or: python3 bench/payload.py

It reads the real geometries in ``../shared/data/raw`` (never copied into the
repository) and prints, per layer:

* bytes of the folium HTML that Stapelkaart sends (``prepare_geometry`` +
  ``build_map``) and of a naive ``explore()`` of the same full-resolution layer
  with its properties, and their ratio (target: at most 0.25);
* gaps and overlaps between neighbouring areas after simplification, measured
  in EPSG:28992 in m² (target: about 0);
* server time of an indicator switch: ``build_map`` + HTML render (wall clock
  and CPU time of this process, which the load of a shared machine disturbs
  less), and the extra work ``st_folium`` does on the same map (script
  extraction), as the median over five indicators.

Indicator values for the buurt layers are the population columns the files
carry; where a file has none, values are drawn from a seeded generator (this
benchmark times map building, it says nothing about the figures).
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo_app.mapview import build_map, prepare_geometry  # noqa: E402

RAW = ROOT.parent / "shared" / "data" / "raw"
DRECHTSTEDEN = RAW / "voorzieningenmonitor-drechtsteden" / "buurten_2023_drechtsteden.geojson.gz"
NATIONAL_WIJK = RAW / "nprz-app" / "wijk_2024.geojson.gz"
WIJK_STATS = RAW / "nprz-app" / "wijk_2024_stats.parquet"
NATIONAL_BUURT = RAW / "woonikveilig-geo-buurt" / "buurt_2024_national_georef.geojson.gz"


def _read(path: Path) -> gpd.GeoDataFrame:
    with gzip.open(path) as handle:
        return gpd.read_file(handle.read())


def _drechtsteden(gemeente: str) -> gpd.GeoDataFrame:
    frame = _read(DRECHTSTEDEN)
    frame = frame[(frame["gemeentecode"] == gemeente) & (frame["water"] != "JA")].copy()
    frame["code"] = frame["buurtcode"]
    frame["name"] = frame["buurtnaam"]
    for column, source in (("population", "aantalInwoners"),
                           ("density", "bevolkingsdichtheidInwonersPerKm2")):  # fmt: skip
        numbers = pd.to_numeric(frame[source], errors="coerce")
        frame[column] = numbers.where(numbers >= 0)  # -99999999 means missing
    return frame.reset_index(drop=True)


def _amsterdam_buurten() -> gpd.GeoDataFrame:
    frame = _read(NATIONAL_BUURT)
    frame = frame[frame["gemeentecode"] == "GM0363"].copy()
    frame["code"] = frame["buurtcode"]
    frame["name"] = frame["buurtnaam"]
    return frame.reset_index(drop=True)


def _national_wijken() -> gpd.GeoDataFrame:
    frame = _read(NATIONAL_WIJK)
    stats = pd.read_parquet(WIJK_STATS)
    keep = ["wijkcode", "wijknaam", "InBezitWoningcorporatie_49", "WmoClientenRelatief_94",
            "PercentageJongerenMetJeugdzorg_92", "AantalInwoners_5"]  # fmt: skip
    frame = frame.merge(stats[keep], on="wijkcode", how="left")
    frame["code"] = frame["wijkcode"]
    frame["name"] = frame["wijknaam"]
    return frame


def _indicators(frame: gpd.GeoDataFrame, n: int = 5) -> list[pd.Series]:
    rng = np.random.default_rng(2024)
    found = [
        c
        for c in (
            "population",
            "density",
            "InBezitWoningcorporatie_49",
            "WmoClientenRelatief_94",
            "PercentageJongerenMetJeugdzorg_92",
            "AantalInwoners_5",
        )  # fmt: skip
        if c in frame.columns
    ]
    series = [pd.to_numeric(frame[c], errors="coerce") for c in found]
    while len(series) < n:
        values = rng.gamma(2.0, 10.0, size=len(frame))
        values[rng.random(len(frame)) < 0.05] = np.nan
        series.append(pd.Series(values, index=frame.index))
    return series[:n]


def gaps_and_overlaps(
    original: gpd.GeoDataFrame, prepared: gpd.GeoDataFrame, *, tolerance: float
) -> tuple[float, float]:
    """New gaps and overlaps (m², EPSG:28992) between neighbours after simplification.

    A gap is area the original areas covered and the simplified ones do not,
    further than ``tolerance`` + 2 m from the edge of the original union (there
    the outline itself moves by up to the tolerance: that is simplification,
    not a gap between neighbours). An overlap is area counted twice, beyond
    what the original already had.
    """
    # Rounding to 5 decimals can leave a rare self-touching ring; repair before measuring.
    before = shapely.make_valid(
        original.geometry.to_crs(28992).to_numpy(), method="structure", keep_collapsed=False
    )
    after = shapely.make_valid(
        prepared.geometry.to_crs(28992).to_numpy(), method="structure", keep_collapsed=False
    )
    before_union, after_union = shapely.union_all(before), shapely.union_all(after)
    overlap = float(shapely.area(after).sum() - after_union.area)
    overlap_before = float(shapely.area(before).sum() - before_union.area)
    edge = shapely.buffer(shapely.boundary(before_union), tolerance + 2.0)
    lost = shapely.difference(before_union, after_union)
    gap = float(shapely.difference(lost, edge).area)
    return gap, max(overlap - overlap_before, 0.0)


def _st_folium_work(fmap) -> None:
    """What ``st_folium`` computes from a map on every rerun (without a running app)."""
    import streamlit_folium as sf

    fmap.get_root().render()
    sf._get_html(fmap)
    sf._get_header(fmap)
    script = sf._get_map_string(fmap)
    sf.generate_js_hash(script, "kaart", False)


def _time_switches(
    prepared: gpd.GeoDataFrame, indicators: list[pd.Series]
) -> tuple[float, float, float]:
    """Median wall and CPU seconds of build + render, and wall seconds of st_folium's work."""
    build_times, build_cpu, st_times = [], [], []
    for values in indicators:
        started, cpu = time.perf_counter(), time.process_time()
        fmap = build_map(prepared, values, title="Indicator", unit="percent", basemap="pdok-grijs")
        fmap.get_root().render()
        build_times.append(time.perf_counter() - started)
        build_cpu.append(time.process_time() - cpu)
        fmap = build_map(prepared, values, title="Indicator", unit="percent", basemap="pdok-grijs")
        started = time.perf_counter()
        _st_folium_work(fmap)
        st_times.append(time.perf_counter() - started)
    return statistics.median(build_times), statistics.median(build_cpu), statistics.median(st_times)


def _naive_map(layer: gpd.GeoDataFrame):
    """``layer.explore(column=...)``, or what it builds when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401  (explore() needs it)
    except ImportError:
        import folium

        fmap = folium.Map(tiles="OpenStreetMap")
        fields = [c for c in layer.columns if c != "geometry"]
        folium.GeoJson(
            layer.to_json(),
            tooltip=folium.GeoJsonTooltip(fields=fields),
            style_function=lambda _: {"fillColor": "#3388ff"},
        ).add_to(fmap)
        fmap.fit_bounds(fmap.get_bounds())
        return fmap, "folium.GeoJson (explore() needs matplotlib)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return layer.explore(column="indicator"), "GeoDataFrame.explore()"


NAIVE_KIND: list[str] = []


def _naive_bytes(frame: gpd.GeoDataFrame, values: pd.Series) -> int:
    layer = frame.drop(columns=["code", "name"]).assign(indicator=values)
    fmap, kind = _naive_map(layer)
    NAIVE_KIND.append(kind)
    return len(fmap.get_root().render().encode("utf-8"))


def run_layer(label: str, frame: gpd.GeoDataFrame, *, tolerance: float, naive: bool) -> dict:
    """Measure one layer and return its figures."""
    started = time.perf_counter()
    prepared = prepare_geometry(frame, tolerance=tolerance)
    prepare_s = time.perf_counter() - started
    indicators = _indicators(frame)
    ours = len(
        build_map(prepared, indicators[0], title="Indicator", unit="percent")
        .get_root()
        .render()
        .encode("utf-8")
    )
    gap, overlap = gaps_and_overlaps(frame, prepared, tolerance=tolerance)
    build_s, build_cpu_s, st_s = _time_switches(prepared, indicators)
    vertices = (
        int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum()),
        int(shapely.get_num_coordinates(prepared.geometry.to_numpy()).sum()),
    )
    row = {
        "layer": label,
        "areas": len(frame),
        "vertices": f"{vertices[0]} → {vertices[1]}",
        "ours_kB": ours / 1000,
        "naive_kB": _naive_bytes(frame, indicators[0]) / 1000 if naive else float("nan"),
        "gap_m2": gap,
        "overlap_m2": overlap,
        "prepare_ms": prepare_s * 1000,
        "switch_ms": build_s * 1000,
        "switch_cpu_ms": build_cpu_s * 1000,
        "st_folium_ms": st_s * 1000,
    }
    row["ratio"] = row["ours_kB"] / row["naive_kB"] if naive else float("nan")
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=float, default=10.0, help="metres (default 10)")
    parser.add_argument("--quick", action="store_true", help="one small layer only")
    args = parser.parse_args(argv)
    if not RAW.is_dir():
        print("skipped: ../shared/data/raw not found (the payload needs the real geometries)")
        return 0

    layers = [
        ("Zwijndrecht buurten (full res)", _drechtsteden("GM0642"), True),
        ("Dordrecht buurten (full res)", _drechtsteden("GM0505"), True),
        ("Amsterdam buurten (georef)", _amsterdam_buurten(), True),
        ("NL wijken (3,393)", _national_wijken(), True),
    ]
    if args.quick:
        layers = layers[:1]
    rows = [
        run_layer(label, frame, tolerance=args.tolerance, naive=naive)
        for label, frame, naive in layers
    ]
    table = pd.DataFrame(rows).set_index("layer")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 2):
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"tolerance {args.tolerance:g} m, coordinates rounded to 5 decimals; load {load}")
        print(f"naive baseline: {NAIVE_KIND[0]} of the unsimplified layer, all properties\n")
        print(table)
    worst = table["ratio"].max()
    print(f"\nlargest payload ratio ours/naive: {worst:.3f} (target <= 0.25)")
    gap, overlap = table["gap_m2"].max(), table["overlap_m2"].max()
    print(f"largest new gap: {gap:.2f} m², overlap: {overlap:.2f} m²")
    return 0


if __name__ == "__main__":
    sys.exit(main())
