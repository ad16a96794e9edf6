"""Wide and long frames of the series, shared by the harmonisation modules (private)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from models.harmonise import RateSpec

Geometries = Mapping[int, Mapping[str, gpd.GeoDataFrame]]


@dataclass
class Wide:
    """One level and year of the series as a wide frame (a column per theme|indicator|period)."""

    values: pd.DataFrame
    meta: pd.DataFrame  # per column key: theme, indicator, period, year, period_kind, table_id
    counts: list[str]
    rates: list[RateSpec]


def wide_frame(rows: pd.DataFrame, counts, rates, scales) -> Wide:
    key = rows["theme"] + "|" + rows["indicator"] + "|" + rows["period"]
    values = rows.assign(_key=key).pivot_table(
        index="code", columns="_key", values="value", aggfunc="first", dropna=False
    )
    meta_cols = ["theme", "indicator", "period", "year", "period_kind", "table_id"]
    meta = rows.assign(_key=key).drop_duplicates("_key").set_index("_key")[meta_cols]
    meta = meta.loc[values.columns]
    theme, indicator, period = (meta[c].to_numpy() for c in ("theme", "indicator", "period"))
    is_count = indicator == np.array([counts.get(t) for t in theme], dtype=object)
    count_keys = list(values.columns[is_count])
    known = set(count_keys)
    specs = []
    for k, t, i, p in zip(values.columns, theme, indicator, period, strict=True):
        count_key = f"{t}|{counts.get(t)}|{p}"
        if rates.get(t) == i and i in scales and count_key in known:
            specs.append(RateSpec(k, count_key, float(scales[i])))
    return Wide(values, meta, count_keys, specs)


def long_rows(wide: pd.DataFrame, meta: pd.DataFrame, info: pd.DataFrame, keys) -> pd.DataFrame:
    """Wide harmonised values back to long rows, with the target areas' names."""
    keys = [k for k in keys if k in wide.columns]
    long = (
        wide[keys]
        .rename_axis("code")
        .reset_index()
        .melt(id_vars="code", var_name="_key", value_name="value")
    )
    long = long.join(meta, on="_key").drop(columns="_key")
    long = long.join(info, on="code")
    methods = {k[: -len("_method")]: k for k in wide.columns if "|" in k and k.endswith("_method")}
    extra = [c for c in wide.columns if c not in keys and c not in methods.values()]
    long = long.join(wide[extra], on="code")
    rate_keys = long["theme"] + "|" + long["indicator"] + "|" + long["period"]
    interpolation = np.full(len(long), None, dtype=object)
    interpolation[long["harmonised"].astype(bool).to_numpy()] = "extensief"
    long["interpolation"] = interpolation
    for rate, column in methods.items():
        hit = (rate_keys == rate).to_numpy() & long["harmonised"].astype(bool).to_numpy()
        long.loc[hit, "interpolation"] = long.loc[hit, "code"].map(wide[column])
    long.loc[(long["harmonise_method"] == "koppeling").to_numpy(), "interpolation"] = "gekoppeld"
    return long


def geometry_of(geometries: Geometries, year: int, level: str) -> gpd.GeoDataFrame | None:
    frame = (geometries.get(int(year)) or {}).get(level)
    if frame is None or frame.empty:
        return None
    return frame[["code", "geometry"]].drop_duplicates("code").set_index("code", drop=False)


def identity(part: pd.DataFrame) -> pd.DataFrame:
    return part.assign(
        harmonised=False,
        harmonise_method=None,
        coverage=np.nan,
        interpolation=None,
        harmonise_reason=None,
    )


def area_info(rows: pd.DataFrame) -> pd.DataFrame:
    latest = rows.sort_values("year").drop_duplicates("code", keep="last")
    return latest.set_index("code")[["name", "level", "gemeentecode"]]
