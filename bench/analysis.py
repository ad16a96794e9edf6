"""Benchmark: the whole stacking analysis on the national wijk level.

Run from the repository root: ``python3 bench/analysis.py``. Prints the time of
each step (indicators, scores, clusters, hotspots) on the 3,393 real wijken of
KWB 2024 (when ../shared/data is present) and on synthetic buurt sets of 1k,
3.4k and ~14k areas (hexagonal grids with demo-like values).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from cbs_ingest.columns import CANONICAL_COLUMNS, FRAME_KEYS  # noqa: E402
from models import build_weights, run_analysis  # noqa: E402

RAW = ROOT.parent / "shared" / "data" / "raw"


def synthetic(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """A grid of ``n`` square buurten with correlated, KWB-like values."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    ix, iy = np.divmod(np.arange(n), side)
    geoms = shapely.box(ix * 500.0, iy * 500.0, ix * 500.0 + 500, iy * 500.0 + 500)
    latent = rng.normal(size=n)
    pop = rng.integers(200, 6000, n).astype(float)
    shares = rng.dirichlet([3, 2, 5, 5, 4], n)
    data = {c.name: np.nan for c in CANONICAL_COLUMNS}
    data.update(
        population=pop,
        households=pop / 2.1,
        dwellings=pop / 2.0,
        **{
            a: pop * shares[:, i]
            for i, a in enumerate(
                ["age_0_15", "age_15_25", "age_25_45", "age_45_65", "age_65_plus"]
            )
        },
        pct_corporation_owned=np.clip(25 + 15 * latent + rng.normal(0, 8, n), 0, 100),
        persons_bijstand=pop * 0.6 * np.clip(0.03 + 0.02 * latent, 0.001, None),
        wmo_clients=pop * (0.04 + 0.17 * shares[:, 4]) * np.exp(0.2 * latent),
        youth_care_pct=np.clip(10 + 3 * latent + rng.normal(0, 2, n), 0, 60),
        youth_care_count=pop * shares[:, 0] * 0.12,
        pct_persons_poverty=np.clip(3 + 2 * latent, 0, None),
    )
    keys = {
        "code": [f"BU{i:08d}" for i in range(n)],
        "name": [f"Buurt {i}" for i in range(n)],
        "level": "buurt",
        "gemeentecode": [f"GM{i // 40:04d}" for i in range(n)],
        "gemeentenaam": "Synthetisch",
        "wijkcode": [f"WK{i // 8:06d}" for i in range(n)],
        "year": 2024,
    }
    frame = pd.DataFrame({**keys, **data})
    return gpd.GeoDataFrame(
        frame[list(FRAME_KEYS) + [c.name for c in CANONICAL_COLUMNS]], geometry=geoms, crs=28992
    )


def timed(frame: gpd.GeoDataFrame, label: str, repeat: int = 3) -> None:
    t0 = time.perf_counter()
    graph = build_weights(frame.geometry)
    t_graph = time.perf_counter() - t0
    steps: dict[str, float] = {}
    best = np.inf
    cpu = np.inf
    for _ in range(repeat):
        marks: list[tuple[float, str]] = []

        def mark(fraction: float, step: str, marks: list = marks) -> None:
            marks.append((time.perf_counter(), step))

        t0, c0 = time.perf_counter(), time.process_time()
        result = run_analysis(frame, scope="gemeente", weights=graph, progress=mark)
        total = time.perf_counter() - t0
        cpu = min(cpu, time.process_time() - c0)
        if total < best:
            best = total
            steps = {s: b[0] - a[0] for a, b in zip(marks, marks[1:], strict=False) for s in [a[1]]}
    flagged = int(result.table["stacking_flag"].sum())
    detail = ", ".join(f"{k} {v:.2f}s" for k, v in steps.items())
    print(
        f"{label:<34} n={len(frame):>6}  analysis {best:.2f}s wall, {cpu:.2f}s CPU "
        f"(best of {repeat}); "
        f"contiguity graph {t_graph:.2f}s (cacheable); {flagged} flagged\n    {detail}"
    )


def main() -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# stacking analysis benchmark; load average {load:.1f} (other work slows wall time)")
    if RAW.is_dir():
        from _real import area_frame

        timed(area_frame(RAW, "wijk"), "KWB 2024 national wijken (real)")
    else:
        print("../shared/data not found: skipping the real national wijk benchmark")
    for n in (1_000, 3_400, 14_000):
        timed(synthetic(n), f"synthetic buurten ({n:,})", repeat=1 if n > 5000 else 3)


if __name__ == "__main__":
    main()
