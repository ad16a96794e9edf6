"""Disclosure control at national scale: all 14,566 buurten, 3,393 wijken, 342 gemeenten.

Suppression includes protection intervals (every hidden cell keeps an attacker
range of at least max(threshold, 10% of the cell), also if the reasons leaked).

The area hierarchy is the real 2024 one (from the shared georeferenced buurt file);
the counts are synthetic (Poisson around a few tens, so many are small), because
no national buurt file with municipal counts exists. Prints times per step and
how many cells were suppressed. Also times the upload validation of a
national-size CSV.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from layers.disclosure import PreviousVersion, suppress
from layers.upload import validate_upload

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"
GEO = DATA / "woonikveilig-geo-buurt" / "buurt_2024_national_georef.geojson.gz"


def _hierarchy() -> pd.DataFrame:
    if GEO.exists():
        buurt = pyogrio.read_dataframe(
            f"/vsigzip/{GEO}",
            read_geometry=False,
            columns=["buurtcode", "wijkcode", "gemeentecode"],
        )
        buurt = buurt.rename(columns={"buurtcode": "code"})
    else:  # a synthetic country of the same size
        print("# shared data absent: using a synthetic hierarchy of the same size")
        rng = np.random.default_rng(1)
        wijk_of = np.sort(rng.integers(0, 3393, 14566))
        gm_of_wijk = np.sort(rng.integers(0, 342, 3393))
        buurt = pd.DataFrame(
            {
                "code": [f"BU{w:06d}{i % 100:02d}" for i, w in enumerate(wijk_of)],
                "wijkcode": [f"WK{w:06d}" for w in wijk_of],
                "gemeentecode": [f"GM{gm_of_wijk[w]:04d}" for w in wijk_of],
            }
        )
    buurt["level"] = "buurt"
    wijk = buurt.groupby("wijkcode", as_index=False)["gemeentecode"].first()
    wijk = wijk.assign(code=wijk["wijkcode"], level="wijk")
    gemeente = pd.DataFrame({"gemeentecode": sorted(buurt["gemeentecode"].unique())})
    gemeente = gemeente.assign(code=gemeente["gemeentecode"], level="gemeente", wijkcode=None)
    return pd.concat([buurt, wijk, gemeente], ignore_index=True)


def _counts(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    buurt = (frame["level"] == "buurt").to_numpy()
    n = int(buurt.sum())
    inwoners = rng.poisson(1200 * rng.lognormal(0, 0.8, n)).astype(float)
    out = frame.copy()
    for column, mean in (("inwoners", None), ("wmo", 30), ("jeugd", 15), ("bijstand", 25)):
        leaf = (
            inwoners
            if mean is None
            else np.minimum(rng.poisson(mean * rng.lognormal(0, 0.8, n)), inwoners)
        )
        values = pd.Series(np.nan, index=frame.index)
        values[buurt] = leaf
        for level, key in (("wijk", "wijkcode"), ("gemeente", "gemeentecode")):
            sums = values[buurt].groupby(frame.loc[buurt, key]).sum()
            rows = frame["level"] == level
            values[rows] = frame.loc[rows, "code"].map(sums)
        out[column] = values
    out["wmo_pct"] = out["wmo"] / out["inwoners"] * 100
    return out


def _replacement(frame: pd.DataFrame, options: dict) -> None:
    """A replaced dataset of the gemeente with most buurten: 5 % of its buurt counts change.

    Suppressed against the published first version (hidden cells missing). A municipal
    dataset covers one gemeente; the check of an earlier version's hidden cells grows
    with their number times the table's size, so the whole country is not timed here.
    """
    rng = np.random.default_rng(7)
    buurten = frame[frame["level"] == "buurt"]
    biggest = buurten["gemeentecode"].value_counts().index[0]
    frame = frame[frame["gemeentecode"].eq(biggest) | frame["code"].eq(biggest)]
    frame = frame.reset_index(drop=True)
    start = time.perf_counter()
    first = suppress(frame, **options)
    once = time.perf_counter() - start
    second = frame.copy()
    buurt = np.flatnonzero((second["level"] == "buurt").to_numpy())
    for column in options["count_columns"]:
        pick = rng.choice(buurt, size=len(buurt) // 20, replace=False)
        values = second[column].to_numpy(dtype=float).copy()
        values[pick] = np.maximum(values[pick] + rng.integers(-5, 6, size=len(pick)), 0)
        second[column] = values
    # totals stay the sums of their parts, as a real replacement's would
    for level, key in (("wijk", "wijkcode"), ("gemeente", "gemeentecode")):
        rows = second["level"] == level
        sums = second[second["level"] == "buurt"].groupby(key)[options["count_columns"]].sum()
        for column in options["count_columns"]:
            second.loc[rows, column] = second.loc[rows, "code"].map(sums[column]).to_numpy()
    previous = PreviousVersion(frame=first.frame, result=first)  # published: hidden cells missing
    start = time.perf_counter()
    again = suppress(second, previous=previous, **options)
    took = time.perf_counter() - start
    print(
        f"replacement of {biggest} ({(frame['level'] == 'buurt').sum()} buurten, "
        f"{len(frame)} areas; 5% of buurt counts changed, against the published version): "
        f"first version {once:.3f} s, replacement {took:.3f} s ({took / once:.1f}x); "
        f"{again.n_primary} primary, {again.n_secondary} secondary"
    )


def main(argv: list[str] | None = None) -> int:
    """Time suppression and upload validation at national scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run instead of three")
    repeat = 1 if parser.parse_args(argv).quick else 3
    start = time.perf_counter()
    frame = _counts(_hierarchy(), np.random.default_rng(2024))
    print(
        f"areas: {len(frame)} ({(frame['level'] == 'buurt').sum()} buurten, "
        f"{(frame['level'] == 'wijk').sum()} wijken, "
        f"{(frame['level'] == 'gemeente').sum()} gemeenten); "
        f"prepared in {time.perf_counter() - start:.2f} s"
    )
    options = {
        "count_columns": ["wmo", "jeugd", "bijstand"],
        "rate_columns": {"wmo_pct": ("wmo", "inwoners")},
        "denominator_threshold": 50,
    }
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = suppress(frame, **options)
        times.append(time.perf_counter() - start)
    cells = len(frame) * 4
    print(
        f"suppress (3 counts + 1 rate, {cells} cells): best {min(times):.3f} s, "
        f"worst {max(times):.3f} s of {repeat} runs"
    )
    print(
        f"suppressed: {result.n_primary} primary, {result.n_secondary} secondary "
        f"({len(result.log) / cells:.1%} of cells)"
    )
    per_level = result.log.groupby(["level", "reason"]).size()
    print("by level and reason:", per_level.to_dict())
    _replacement(frame, options)
    # The cost the partner choice minimises: value hidden as secondary (tau-ARGUS's default).
    buurt = (frame["level"] == "buurt").to_numpy()
    for column in options["count_columns"]:
        values = frame[column].to_numpy()
        secondary = result.mask[column].to_numpy() & (values >= 10)
        share = values[secondary & buurt].sum() / values[buurt].sum()
        print(
            f"{column}: secondary buurten hide {share:.1%} of the buurt total "
            f"({(secondary & buurt).sum()} cells)"
        )

    buurt = frame.loc[frame["level"] == "buurt", ["code", "wmo", "inwoners"]]
    text = buurt.to_csv(sep=";", index=False, decimal=",").encode("utf-8")
    start = time.perf_counter()
    checked = validate_upload(
        text,
        "nationaal.csv",
        level="buurt",
        known_codes=set(buurt["code"]),
        pairs={"wmo": "inwoners"},
    )
    print(
        f"validate_upload: {len(buurt)} rows, {len(text) / 1e6:.2f} MB CSV in "
        f"{time.perf_counter() - start:.2f} s, ok={checked.ok}, "
        f"{len(checked.below_threshold)} cells below threshold"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
