"""Benchmark: the whole stacking analysis at national scale, and how it grows with n.

Run from the repository root: ``python -m bench.analysis [--quick]``.

Times :func:`models.run_analysis` (indicators, stacking scores, clustering,
hotspots with 999 permutations; the app's settings, without the rank
uncertainty, which ``bench/uncertainty.py`` times against its own budgets) on

* the 3,393 real national wijken of KWB 2024 (budget about 1 s);
* a synthetic buurt layer of about 14,000 areas made by cutting every national
  wijk polygon into 4-5 parts (``bench/_areas.py``; budget about 5 s), and its
  first 1,000 and 3,400 areas (whole gemeenten in code order) for the scaling;
* the 14,566 approximate national buurt polygons of ``raw/woonikveilig-geo-buurt``
  with values derived from their wijk, as a second buurt-scale geometry.

Each figure is the median of ``--repeat`` runs in this process; the contiguity
graph (which the app caches per gemeente) is timed separately. ``--quick`` runs
a few hundred areas once with 99 permutations, to check that the script works.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _areas  # noqa: E402

BUDGETS = {"wijken": 1.0, "buurten": 5.0}


def measure(frame, *, repeat: int, permutations: int) -> dict:
    """Median wall and CPU seconds of the analysis on ``frame`` and of each step."""
    from models import build_weights, run_analysis

    started = time.perf_counter()
    graph = build_weights(frame.geometry)
    graph_s = time.perf_counter() - started
    walls, cpus, steps = [], [], {}
    result = None
    for _ in range(repeat):
        marks: list[tuple[float, str]] = []

        def mark(fraction: float, step: str, marks: list = marks) -> None:
            marks.append((time.perf_counter(), step))

        t0, c0 = time.perf_counter(), time.process_time()
        result = run_analysis(
            frame,
            scope="gemeente",
            weights=graph,
            permutations=permutations,
            resamples=0,
            progress=mark,
        )
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        for (t_a, step), (t_b, _) in zip(marks, marks[1:], strict=False):
            steps.setdefault(step, []).append(t_b - t_a)
    mean_neighbours = graph.cardinalities.mean()
    return {
        "n": len(frame),
        "wall": _areas.median(walls),
        "cpu": _areas.median(cpus),
        "graph": graph_s,
        "neighbours": float(mean_neighbours),
        "steps": {k: _areas.median(v) for k, v in steps.items()},
        "flagged": int(result.table["stacking_flag"].sum()),
        "hotspots": int(result.table["hotspot"].isin(["High-High"]).sum()),
    }


def _line(label: str, row: dict, repeat: int, budget: float | None = None) -> str:
    verdict = ""
    if budget is not None:
        verdict = f"  budget {budget:g} s: {'met' if row['wall'] <= budget else 'MISSED'}"
    steps = ", ".join(f"{k} {v:.2f}" for k, v in row["steps"].items() if v >= 0.005)
    return (
        f"{label:<40} n={row['n']:>6}  analysis {row['wall']:.2f} s wall, {row['cpu']:.2f} s CPU "
        f"(median of {repeat}){verdict}\n"
        f"    graph {row['graph']:.2f} s (cached by the app), {row['neighbours']:.1f} neighbours "
        f"per area; {row['flagged']} flagged, {row['hotspots']} High-High\n"
        f"    steps (s): {steps}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run to check the script")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not _areas.available():
        print("skipped: ../shared/data/raw not found")
        return 0
    repeat = 1 if args.quick else args.repeat
    permutations = 99 if args.quick else 999
    load = os.getloadavg()[0]
    print(
        f"# stacking analysis, {permutations} permutations, scope gemeente; "
        f"load average {load:.1f} (other work slows wall time)"
    )
    started = time.perf_counter()
    wijken = _areas.national_wijken()
    split = _areas.split_wijken(wijken)
    georef = _areas.georef_buurten(wijken)
    print(f"# layers built in {time.perf_counter() - started:.1f} s")
    if args.quick:
        wijken, split, georef = (_areas.first_areas(f, 300) for f in (wijken, split, georef))
        sizes = [100, 300]
    else:
        sizes = [1_000, 3_400, len(split)]

    row = measure(wijken, repeat=repeat, permutations=permutations)
    print(_line("real national wijken", row, repeat, None if args.quick else BUDGETS["wijken"]))
    scaling = []
    for n in sizes:
        row = measure(_areas.first_areas(split, n), repeat=repeat, permutations=permutations)
        scaling.append(row)
        budget = BUDGETS["buurten"] if n == len(split) and not args.quick else None
        print(_line(f"split-wijk buurten (first {n:,})", row, repeat, budget))
    row = measure(georef, repeat=repeat, permutations=permutations)
    budget = None if args.quick else BUDGETS["buurten"]
    print(_line("georeferenced national buurten", row, repeat, budget))

    print("\nscaling (split-wijk buurten):")
    small = scaling[0]
    for row in scaling:
        per_k = 1000 * row["wall"] / row["n"]
        print(
            f"  n={row['n']:>6}: {row['wall']:.2f} s, {per_k * 1000:.0f} ms per 1,000 areas, "
            f"x{row['wall'] / small['wall']:.1f} the time for x{row['n'] / small['n']:.1f} areas"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
