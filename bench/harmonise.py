"""Benchmark: harmonising series onto later boundaries (tobler, merger tables).

Run from the repository root: ``python -m bench.harmonise [--quick]``.

* **gemeenten 2019 → 2024** (real, needs ``../shared/data``): the real Wmo series of
  every gemeente in the dumps, 2019–2024, all periods, onto the 2024 gemeenten with
  :func:`models.harmonise_series.harmonise_series` (merger sums, Haaren split by area),
  and :func:`models.harmonise.interpolate_areas` of all 355 gemeenten of 2019 onto the
  342 of 2024 by area (one count and its rate); and the real national series of all four
  themes 2019–2024 (every wijk in the dumps) with only the gemeente boundaries, as
  ``stapelkaart trends --whole-country`` runs it offline;
* **a big gemeente's wijken** (synthetic): 120 wijken on a 10 × 12 km grid whose every
  boundary moved (a 250 m shifted grid), 9 years × 3 periods × 4 themes with both
  indicators, by area and by population on 100 m squares (12,000 squares).

Prints medians of ``--repeat`` runs; nothing is asserted. ``--quick`` runs a small
synthetic gemeente once and skips the real set.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import box

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from cbs_ingest.series_tables import (  # noqa: E402
    COUNT_INDICATORS,
    RATE_INDICATORS,
    RATE_SCALES,
    THEMES,
    series_mergers,
)
from models.harmonise import RateSpec, interpolate_areas  # noqa: E402
from models.harmonise_series import harmonise_series  # noqa: E402


def _time(func, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _grid(nx: int, ny: int, size: float, shift: float, prefix: str) -> gpd.GeoDataFrame:
    cells = [
        box(x * size + shift, y * size + shift, (x + 1) * size + shift, (y + 1) * size + shift)
        for y in range(ny)
        for x in range(nx)
    ]
    codes = [f"{prefix}{i:02d}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"code": codes}, geometry=cells, crs=28992)


def synthetic(nx: int, ny: int, seed: int = 0):
    """Old and new wijken of one gemeente (every boundary moved) and their series."""
    rng = np.random.default_rng(seed)
    old = _grid(nx, ny, 1000.0, 0.0, "WK9999")
    new = _grid(nx - 1, ny - 1, 1000.0, 250.0, "WK9998")  # new codes, shifted boundaries
    records = []
    for year in range(2016, 2025):
        frame = old if year < 2024 else new
        for theme, columns in THEMES.items():
            base = rng.gamma(2.0, 60.0, len(frame))
            for period in (f"{year}H1", f"{year}H2", str(year)):
                for column in columns:
                    value = base if column.unit == "count" else rng.uniform(20, 90, len(frame))
                    records.append(
                        pd.DataFrame(
                            {
                                "code": frame["code"],
                                "name": frame["code"],
                                "level": "wijk",
                                "gemeentecode": "GM9999",
                                "theme": theme,
                                "indicator": column.name,
                                "period": period,
                                "year": year,
                                "period_kind": "halfyear",
                                "value": np.round(value / 5) * 5,
                                "boundary_change": 3.0 if year == 2024 else 1.0,
                                "table_id": "x",
                            }
                        )
                    )
    rows = pd.concat(records, ignore_index=True)
    geometries = {y: {"wijk": old} for y in range(2016, 2024)} | {2024: {"wijk": new}}
    squares = _grid(nx * 10, ny * 10, 100.0, 0.0, "sq")
    squares["population"] = rng.poisson(30, len(squares)).astype(float)
    return rows, geometries, squares


def real_gemeenten():
    from test_harmonise_real import _gemeenten, _series

    gemeenten = _gemeenten(RAW)
    rows = _series(RAW, "wmo", 2019, 2024)
    return rows[rows["level"] == "gemeente"], gemeenten


def main(argv: list[str] | None = None) -> int:
    """Time the harmonisation and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small synthetic gemeente, once")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    nx, ny = (4, 5) if args.quick else (10, 12)
    rows, geometries, squares = synthetic(nx, ny)
    kw = {"counts": COUNT_INDICATORS, "rates": RATE_INDICATORS, "scales": RATE_SCALES}
    for label, population in (("area", None), ("population", squares)):
        seconds, result = _time(
            lambda p=population: harmonise_series(
                rows, target_year=2024, geometries=geometries, population=p, **kw
            ),
            repeat,
        )
        n_new = len(geometries[2024]["wijk"])
        harmonised = int(result.rows["harmonised"].sum())
        print(
            f"big gemeente wijken by {label}: {n_new} new wijken from {nx * ny} old, "
            f"{len(rows):,} rows, 8 years harmonised ({harmonised:,} rows) in {seconds:.2f} s"
            + (f" ({len(squares):,} squares)" if population is not None else "")
        )
    if args.quick:
        return 0
    if not RAW.is_dir():
        print(f"skipped: the real gemeenten need {RAW}")
        return 0
    gemeente_rows, gemeenten = real_gemeenten()
    mergers, splits = series_mergers()
    geo = {y: {"gemeente": g} for y, g in gemeenten.items()}
    seconds, result = _time(
        lambda: harmonise_series(
            gemeente_rows,
            target_year=2024,
            geometries=geo,
            mergers=mergers,
            splits=splits,
            **kw,
        ),
        repeat,
    )
    print(
        f"gemeenten 2019 -> 2024 (real Wmo, {gemeente_rows['code'].nunique()} gemeenten, "
        f"{len(gemeente_rows):,} rows): {seconds:.2f} s, "
        f"{int(result.rows['harmonised'].sum())} rows harmonised, {len(result.refused)} refused"
    )
    from test_harmonise_real import _series

    national = pd.concat([_series(RAW, theme, 2019, 2024) for theme in THEMES], ignore_index=True)
    seconds, result = _time(
        lambda: harmonise_series(
            national, target_year=2024, geometries=geo, mergers=mergers, splits=splits, **kw
        ),
        repeat,
    )
    print(
        f"national series 2019 -> 2024 (4 themes, {national['code'].nunique():,} areas, "
        f"{len(national):,} rows, gemeente boundaries only): {seconds:.2f} s, "
        f"{len(result.refused):,} area-years refused"
    )
    old = gemeenten[2019].assign(n=100.0, r=50.0)
    seconds, _ = _time(
        lambda: interpolate_areas(
            old, gemeenten[2024], counts=["n"], rates=[RateSpec("r", "n", 1000)]
        ),
        repeat,
    )
    print(
        f"all {len(old)} gemeenten 2019 onto {len(gemeenten[2024])} of 2024 by area: "
        f"{seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
