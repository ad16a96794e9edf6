"""Benchmark: national wijk trends (slope, change, the oplopend flag) from the stored series.

Run from the repository root: ``python -m bench.trends [--quick]``.

Two sets, each timed as "read the tidy series frame from a Parquet file (where an area
store keeps it) and run :func:`models.trends.compute_trends` for 2016–2024, all themes":

* the real series of ``../shared/data/raw/cbs-sociaal-domein-wijken`` (Wmo, jeugdzorg,
  voorzieningen 2016–2024 and bijstand 2019–2024, every wijk the dumps have), fetched once
  with the real cbsodata client from the test suite's fake CBS server;
* a synthetic national set of 3,300 wijken × 9 years × 4 themes with both indicators and
  every period (H1, H2, year), the shape :func:`cbs_ingest.series.fetch_series` returns.

Also timed: the stacking-percentile trend within the gemeente
(:func:`models.stacking_trend.stacking_trend`) on the same frame, after the theme trends.

Budget: 3 s. Prints medians of ``--repeat`` runs; nothing is asserted. ``--quick`` runs
300 synthetic wijken once and skips the real set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from cbs_ingest.series_tables import (  # noqa: E402
    COUNT_INDICATORS,
    GEMEENTE_MERGERS,
    RATE_INDICATORS,
    SERIES_BREAKS,
    THEMES,
    tables_for,
)
from models.stacking_trend import stacking_trend  # noqa: E402
from models.trends import compute_trends  # noqa: E402

BUDGET_S = 3.0
RANGES = {"wmo": (2016, 2024), "jeugdzorg": (2016, 2024), "voorzieningen": (2016, 2024)}
RANGES["bijstand"] = (2019, 2024)


def synthetic(n_wijken: int, seed: int = 0) -> pd.DataFrame:
    """A national-shaped series frame: every theme, indicator and period of 2016–2024."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"WK{i // 10:04d}{i % 10:02d}" for i in range(n_wijken)])
    frames = []
    for theme, columns in THEMES.items():
        level = rng.gamma(2.0, 60.0, n_wijken)
        slope = rng.normal(0, 0.03, n_wijken)
        for year in range(2016, 2025):
            mean = level * (1 + slope * (year - 2016))
            for period, kind in ((f"{year}H1", "halfyear"), (f"{year}H2", "halfyear")):
                count = np.round(rng.poisson(np.maximum(mean, 0)) / 5) * 5
                for column in columns:
                    value = count if column.unit == "count" else np.round(count / 20, 0)
                    frames.append(
                        pd.DataFrame(
                            {
                                "code": codes,
                                "name": codes,
                                "level": "wijk",
                                "gemeentecode": "GM" + pd.Series(codes).str[2:6],
                                "theme": theme,
                                "indicator": column.name,
                                "period": period,
                                "year": year,
                                "period_kind": kind,
                                "value": value,
                                "boundary_change": 1.0,
                                "table_id": "synthetic",
                            }
                        )
                    )
    return pd.concat(frames, ignore_index=True)


def real_series() -> pd.DataFrame:
    """The real national series, fetched from the fake CBS server serving the dumps."""
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series import fetch_series

    ids = [t.table_id for theme, (a, b) in RANGES.items() for t in tables_for(theme, a, b)]
    with FakeCbsServer(FakeCbs(tables=series_tables_from_dumps(RAW, ids))) as server:
        server.state.page_size = 10_000
        os.environ["STAPELKAART_CBS_URL"] = server.url
        return pd.concat(
            [fetch_series(t, a, b, None).rows for t, (a, b) in RANGES.items()],
            ignore_index=True,
        )


def measure(path: Path, repeat: int) -> tuple[float, float, int]:
    """Median seconds of read + trends, of the trends alone, and the number of trend rows."""
    totals, trends_only, n = [], [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = pd.read_parquet(path)
        middle = time.perf_counter()
        result = compute_trends(
            rows,
            first=2016,
            last=2024,
            counts=COUNT_INDICATORS,
            rates=RATE_INDICATORS,
            mergers=GEMEENTE_MERGERS,
            breaks=SERIES_BREAKS,
        )
        end = time.perf_counter()
        totals.append(end - start)
        trends_only.append(end - middle)
        n = len(result.trends)
    return statistics.median(totals), statistics.median(trends_only), n


def measure_stacking(path: Path, repeat: int) -> tuple[float, int, tuple[str, ...]]:
    """Median seconds of the stacking-percentile trend (after the theme trends), its rows."""
    rows = pd.read_parquet(path)
    trends = compute_trends(
        rows,
        first=2016,
        last=2024,
        counts=COUNT_INDICATORS,
        rates=RATE_INDICATORS,
        mergers=GEMEENTE_MERGERS,
        breaks=SERIES_BREAKS,
    ).trends
    times, n, themes = [], 0, ()
    for _ in range(repeat):
        start = time.perf_counter()
        result = stacking_trend(
            rows, first=2016, last=2024, trends=trends, rates=RATE_INDICATORS, level="wijk"
        )
        times.append(time.perf_counter() - start)
        n, themes = len(result.trends), result.themes
    return statistics.median(times), n, themes


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 synthetic wijken, once")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    tmp = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-trends-"))
    print(f"# load average {os.getloadavg()[0]:.1f}; budget {BUDGET_S:.0f} s")
    sets = [("synthetic", lambda: synthetic(300 if args.quick else 3300))]
    if not args.quick:
        if RAW.is_dir():
            sets.insert(0, ("real", real_series))
        else:
            print("real set skipped: ../shared/data/raw not found")
    for label, build in sets:
        start = time.perf_counter()
        rows = build()
        path = tmp / f"{label}.parquet"
        rows.to_parquet(path)
        wijken = rows.loc[rows["level"] == "wijk", "code"].nunique()
        print(
            f"{label}: {len(rows):,} series rows, {wijken:,} wijken "
            f"(built in {time.perf_counter() - start:.1f} s)"
        )
        total, trends, n = measure(path, repeat)
        verdict = "met" if total <= BUDGET_S else "MISSED"
        print(
            f"national wijk trends, {label}: {total:.2f} s read + trends "
            f"({trends:.2f} s trends), {n:,} trend rows; budget {BUDGET_S:.0f} s {verdict}"
        )
        seconds, areas, themes = measure_stacking(path, repeat)
        print(
            f"stacking-percentile trend, {label}: {seconds:.2f} s for {areas:,} wijken "
            f"on {', '.join(themes)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
