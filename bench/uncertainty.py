"""Benchmark: smoothing and rank uncertainty (200 resamples) at national scale.

Run from the repository root: ``python -m bench.uncertainty [--quick]``.

Times the stage the app runs after the first map: the empirical Bayes
smoothing of the default profile's indicators (:func:`models.smooth_indicators`)
and the resampled rank interval and stability (:func:`models.rank_uncertainty`,
200 draws, scope gemeente and scope "all areas together") on

* the 3,393 real national wijken of KWB 2024 (budget 5 s);
* the synthetic national buurt layer of about 14,000 areas of
  ``bench/_areas.py`` (budget 20 s), and its first 1,000 and 3,400 areas for
  the scaling.

Each figure is the median of ``--repeat`` runs. ``--quick`` runs 300 areas
with 20 draws once, to check that the script works.
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

BUDGETS = {"wijken": 5.0, "buurten": 20.0}
THEMES = {
    "wonen": "pct_corporation_owned",
    "bijstand": "bijstand_per_1000_15_65",
    "wmo": "wmo_age_index",
    "jeugd": "youth_care_age_index",
    "armoede": "pct_persons_poverty",
}


def measure(frame, *, resamples: int, repeat: int, scope: str) -> dict:
    """Median wall seconds of smoothing and of the resampling on ``frame``."""
    import pandas as pd

    from layers.indicators import compute_indicators, get_indicator
    from models import count_basis, rank_uncertainty, smooth_indicators

    values = compute_indicators(frame, list(THEMES.values()))
    theme_values = pd.DataFrame({t: values[k] for t, k in THEMES.items()}, index=frame.index)
    groups = frame["gemeentecode"] if scope == "gemeente" else None
    smooth_s, resample_s = [], []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        smooth_indicators(frame, values)
        t1 = time.perf_counter()
        bases = {t: count_basis(frame, get_indicator(k)) for t, k in THEMES.items()}
        result = rank_uncertainty(
            theme_values,
            bases,
            groups=groups,
            min_indicators=3,
            flag_min_themes=3,
            resamples=resamples,
            order=frame["code"],
        )
        t2 = time.perf_counter()
        smooth_s.append(t1 - t0)
        resample_s.append(t2 - t1)
    table = result.table
    width = table["stacking_percentile_hi"] - table["stacking_percentile_lo"]
    return {
        "n": len(frame),
        "smooth": _areas.median(smooth_s),
        "resample": _areas.median(resample_s),
        "width": float(width.median()),
        "stable": int((table["stability_class"] == "stable").sum()),
        "borderline": int((table["stability_class"] == "borderline").sum()),
    }


def _line(label: str, row: dict, budget: float | None) -> str:
    total = row["smooth"] + row["resample"]
    verdict = ""
    if budget is not None:
        verdict = f"  budget {budget:g} s: {'met' if total <= budget else 'MISSED'}"
        verdict += f" ({total / budget:.0%} of it)"
    return (
        f"{label:<46} n={row['n']:>6}  smoothing {row['smooth']:.2f} s + resampling "
        f"{row['resample']:.2f} s = {total:.2f} s{verdict}\n"
        f"    median 5-95 % interval width {row['width']:.1f} percentile points; "
        f"{row['stable']} stable stacking areas, {row['borderline']} borderline"
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
    resamples = 20 if args.quick else 200
    print(
        f"# smoothing + rank uncertainty, {resamples} resamples, default profile; "
        f"load average {os.getloadavg()[0]:.1f} (other work slows wall time)"
    )
    wijken = _areas.national_wijken()
    split = _areas.split_wijken(wijken)
    if args.quick:
        wijken, split = (_areas.first_areas(f, 300) for f in (wijken, split))
        sizes = [300]
    else:
        sizes = [1_000, 3_400, len(split)]
    for scope in ("gemeente", "selection"):
        row = measure(wijken, resamples=resamples, repeat=repeat, scope=scope)
        budget = None if args.quick else BUDGETS["wijken"]
        print(_line(f"real national wijken, scope {scope}", row, budget))
    rows = []
    for n in sizes:
        row = measure(
            _areas.first_areas(split, n), resamples=resamples, repeat=repeat, scope="gemeente"
        )
        rows.append(row)
        budget = BUDGETS["buurten"] if n == len(split) and not args.quick else None
        print(_line(f"split-wijk buurten (first {n:,}), scope gemeente", row, budget))
    if not args.quick:
        row = measure(split, resamples=resamples, repeat=repeat, scope="selection")
        print(_line("split-wijk buurten, scope selection", row, BUDGETS["buurten"]))
    print("\nscaling (split-wijk buurten, scope gemeente):")
    for row in rows:
        total = row["smooth"] + row["resample"]
        small = rows[0]["smooth"] + rows[0]["resample"]
        print(
            f"  n={row['n']:>6}: {total:.2f} s, x{total / small:.1f} the time "
            f"for x{row['n'] / rows[0]['n']:.1f} areas"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
