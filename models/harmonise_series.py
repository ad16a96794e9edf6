"""The long series frame harmonised onto the boundaries of one target year.

:func:`harmonise_series` takes the long frame of :mod:`cbs_ingest.series` and returns
it with every area on the boundaries of ``target_year`` where that can be done
honestly, and says per area and period what was done (:data:`HARMONISE_COLUMNS`):

- **unchanged** (``harmonise_method`` missing): the code exists in the target year and
  CBS flags no boundary or code change (``boundary_change`` 2 or 3) after the period's
  year. Its values are kept as published.
- **gemeenten** merged away: counts summed onto the successor, rates recomputed from the
  summed denominators (``samenvoeging``); a gemeente split over several (Haaren, 2021)
  is interpolated onto its successors by area (``oppervlakte``) or population
  (``bevolking``) and added to them.
- **wijken and buurten** that changed: interpolated from the changed areas of the
  period's year onto the changed areas of the target year with tobler
  (:func:`models.harmonise.interpolate_areas`), when both years' geometries are given
  and the old geometry covers at least 98 % of the new area; a code changed without a
  boundary change (flag 2) is linked to the old code whose geometry is the same
  (IoU ≥ 0.98; ``koppeling``).

Everything else keeps its rows, with ``harmonise_reason`` in Dutch:
:func:`models.trends.compute_trends` gives such an area no trend, with that reason.
Only counts and the rates of :mod:`cbs_ingest.series_tables` are harmonised; other
indicators of a changed area are left out of the harmonised rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from models.harmonise import (
    MIN_COVERAGE,
    RateSpec,
    coverage,
    interpolate_areas,
    link_codes,
    merge_gemeenten,
)

__all__ = ["HARMONISE_COLUMNS", "Harmonised", "harmonise_series"]

#: Columns :func:`harmonise_series` adds to the series frame, in this order.
HARMONISE_COLUMNS: tuple[str, ...] = (
    "harmonised",
    "harmonise_method",
    "coverage",
    "interpolation",
    "harmonise_reason",
)

Geometries = Mapping[int, Mapping[str, gpd.GeoDataFrame]]


@dataclass
class Harmonised:
    """The harmonised series and what could not be harmonised.

    Attributes
    ----------
    rows
        The series columns plus :data:`HARMONISE_COLUMNS`.
    target_year
        The boundaries everything is on.
    refused
        ``code``, ``level``, ``year``, ``reason``: area-years left as published.
    """

    rows: pd.DataFrame
    target_year: int
    refused: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class _Wide:
    """One level and year of the series as a wide frame (a column per theme|indicator|period)."""

    values: pd.DataFrame
    meta: pd.DataFrame  # per column key: theme, indicator, period, year, period_kind, table_id
    counts: list[str]
    rates: list[RateSpec]


def _wide(rows: pd.DataFrame, counts, rates, scales) -> _Wide:
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
    return _Wide(values, meta, count_keys, specs)


def _long(wide: pd.DataFrame, meta: pd.DataFrame, info: pd.DataFrame, keys) -> pd.DataFrame:
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
    long["interpolation"] = np.where(long["harmonised"].astype(bool), "extensief", None)
    for rate, column in methods.items():
        hit = (rate_keys == rate).to_numpy() & long["harmonised"].astype(bool).to_numpy()
        long.loc[hit, "interpolation"] = long.loc[hit, "code"].map(wide[column])
    return long


def _flags(rows: pd.DataFrame) -> pd.DataFrame:
    """Per code, the years CBS flags a code (2) or boundary (3) change."""
    flagged = rows[rows["boundary_change"].isin([2, 3])]
    return flagged.groupby(["code", "year"])["boundary_change"].max().reset_index()


def _geometry(geometries: Geometries, year: int, level: str) -> gpd.GeoDataFrame | None:
    frame = (geometries.get(int(year)) or {}).get(level)
    if frame is None or frame.empty:
        return None
    return frame[["code", "geometry"]].drop_duplicates("code").set_index("code", drop=False)


def harmonise_series(
    rows: pd.DataFrame,
    *,
    target_year: int,
    counts: Mapping[str, str],
    rates: Mapping[str, str],
    scales: Mapping[str, float],
    geometries: Geometries | None = None,
    population: gpd.GeoDataFrame | None = None,
    mergers: Mapping[str, tuple[int, str]] | None = None,
    splits: Mapping[str, tuple[int, tuple[str, ...]]] | None = None,
    min_coverage: float = MIN_COVERAGE,
) -> Harmonised:
    """Bring every area of ``rows`` onto the boundaries of ``target_year`` where possible.

    Parameters
    ----------
    rows
        Long series frame (:data:`cbs_ingest.series.SERIES_COLUMNS`); not modified.
    target_year
        The boundaries to harmonise onto (normally the last year of the range).
    counts, rates
        ``{theme: indicator}`` of the count and of its rate.
    scales
        ``{rate indicator: 1000 or 100}`` (per 1,000 or percent).
    geometries
        ``{year: {level: frame with code, geometry}}`` in EPSG:28992.
    population
        Optional population polygons with a ``population`` column: weight by people.
    mergers
        ``{gemeentecode: (first year without it, successor)}``.
    splits
        ``{gemeentecode: (first year without it, successors)}``: split gemeenten
        (interpolated, not summed onto one successor; take precedence over ``mergers``).
    min_coverage
        Minimum share of a new area covered by old geometry.

    Returns
    -------
    Harmonised
    """
    geometries = geometries or {}
    splits = dict(splits or {})
    mergers = {k: v for k, v in (mergers or {}).items() if k not in splits}
    target_year = int(target_year)
    kw = {"counts": counts, "rates": rates, "scales": scales}
    outs, refused = [], []
    for level, part in rows.groupby("level", sort=False):
        if level == "gemeente":
            out, ref = _gemeenten(part, target_year, geometries, population, mergers, splits, kw)
        else:
            out, ref = _areas(part, level, target_year, geometries, population, min_coverage, kw)
        outs.append(out)
        refused.extend(ref)
    refused_frame = pd.DataFrame(refused, columns=["code", "level", "year", "reason"])
    result = pd.concat(outs, ignore_index=True) if outs else rows.iloc[:0]
    result = _finish(result, refused_frame, target_year)
    return Harmonised(result, target_year, refused_frame)


def _finish(rows: pd.DataFrame, refused: pd.DataFrame, target_year: int) -> pd.DataFrame:
    """Reasons on every row of a refused area; flags cleared where it is fully on target."""
    reason = refused.drop_duplicates("code").set_index("code")["reason"]
    mapped = rows["code"].map(reason)
    rows["harmonise_reason"] = rows["harmonise_reason"].where(
        rows["harmonise_reason"].notna(), mapped
    )
    done = rows["harmonise_reason"].isna().to_numpy()
    # an area whose every period is on the target boundaries has no boundary change left
    rows.loc[done, "boundary_change"] = 1.0
    rows["harmonised"] = rows["harmonised"].fillna(False).astype(bool)
    rows["year"] = rows["year"].astype(int)
    for column in ("value", "boundary_change", "coverage"):
        rows[column] = rows[column].astype(float)
    rows = rows.sort_values(
        ["level", "code", "theme", "indicator", "year", "period"], kind="stable"
    )
    return rows.reset_index(drop=True)


def _identity(part: pd.DataFrame) -> pd.DataFrame:
    return part.assign(
        harmonised=False,
        harmonise_method=None,
        coverage=np.nan,
        interpolation=None,
        harmonise_reason=None,
    )


def _info(rows: pd.DataFrame) -> pd.DataFrame:
    latest = rows.sort_values("year").drop_duplicates("code", keep="last")
    return latest.set_index("code")[["name", "level", "gemeentecode"]]


def _areas(part, level, target, geometries, population, min_coverage, kw):
    """Wijken or buurten: identity, code links and areal interpolation per year."""
    flags = _flags(part)
    target_codes = set(part.loc[part["year"] == target, "code"])
    info = _info(part[part["code"].isin(target_codes)])
    first_year = part.groupby("gemeentecode")["year"].min()
    outs, refused = [_identity(part[part["year"] >= target])], []
    for year, rows_y in part[part["year"] < target].groupby("year"):
        later = flags[(flags["year"] > year) & (flags["year"] <= target)]
        changed_codes = set(later["code"])
        here = set(rows_y["code"])
        unchanged = (here & target_codes) - changed_codes
        outs.append(_identity(rows_y[rows_y["code"].isin(unchanged)]))
        gemeenten_y = set(rows_y["gemeentecode"])
        # what needs harmonising: areas CBS flags as changed since, and areas that did not
        # exist yet in a gemeente that did (or in a gemeente that is newer than this year);
        # an area merely absent from this year's rows (a cut-off table) is left alone
        targets = sorted(
            c
            for c in target_codes - unchanged
            if c in changed_codes
            or info.at[c, "gemeentecode"] in gemeenten_y
            or first_year.get(info.at[c, "gemeentecode"], target) > year
        )
        gone = sorted(here - target_codes)
        outs.append(
            _identity(rows_y[rows_y["code"].isin(gone)]).assign(
                harmonise_reason=_gone_reason(target)
            )
        )
        if not targets:
            continue
        old, new = _geometry(geometries, year, level), _geometry(geometries, target, level)
        if old is None or new is None:
            missing = year if old is None else target
            refused += [
                (
                    c,
                    level,
                    year,
                    f"{_change_text(c, later, year)}; niet te harmoniseren: "
                    f"geen grenzen van {missing}",
                )
                for c in targets
            ]
            outs.append(_identity(rows_y[rows_y["code"].isin(targets)]))
            continue
        wide = _wide(rows_y, **kw)
        done, ref = _interpolate_year(
            rows_y, wide, old, new, targets, unchanged, later, population, min_coverage
        )
        refused += [(c, level, year, f"{_change_text(c, later, year)}; {r}") for c, r in ref]
        outs.append(_long(done, wide.meta, info, wide.values.columns))
    return pd.concat(outs, ignore_index=True), refused


def _change_text(code: str, later: pd.DataFrame, year: int) -> str:
    hit = later[later["code"] == code].sort_values("year")
    if hit.empty:
        return f"gebied bestond nog niet in {year}"
    change_year, flag = int(hit["year"].iloc[0]), int(hit["boundary_change"].iloc[0])
    what = "grenzen" if flag == 3 else "code"
    return f"{what} gewijzigd in {change_year} (CBS-indelingswijziging {flag})"


def _gone_reason(target: int) -> str:
    return f"gebied bestaat niet meer in {target}; de waarden zitten in de geharmoniseerde gebieden"


def _interpolate_year(rows_y, wide, old, new, targets, unchanged, later, population, min_cov):
    """One year's changed areas onto the changed target areas: links, then tobler."""
    sources = old[~old["code"].isin(unchanged)]
    values = wide.values.reindex(sources["code"])
    refused = []
    lacking = [c for c in targets if c not in new.index]
    refused += [(c, "geen grenzen van het doeljaar voor dit gebied") for c in lacking]
    targets = [c for c in targets if c in new.index]
    boundary = set(later.loc[later["boundary_change"] == 3, "code"])
    relabel = [c for c in targets if c not in boundary and c not in set(rows_y["code"])]
    parts = []
    if relabel:
        links = link_codes(sources, new.loc[relabel])
        linked = values.reindex(links["old_code"]).set_axis(links["new_code"])
        linked = linked.assign(harmonised=True, harmonise_method="koppeling")
        linked["coverage"] = links["iou"].to_numpy()
        for spec in wide.rates:
            linked[f"{spec.rate}_method"] = "gekoppeld"
        parts.append(linked)
        text = "code gewijzigd zonder grenswijziging, maar geen oude code met dezelfde grenzen"
        refused += [(c, text) for c in relabel if c not in set(links["new_code"])]
        sources = sources[~sources["code"].isin(links["old_code"])]
        targets = [c for c in targets if c not in relabel]
    if targets:
        src = gpd.GeoDataFrame(
            values.reindex(sources["code"]).reset_index(drop=True),
            geometry=sources.geometry.to_numpy(),
            crs=sources.crs,
        )
        est = interpolate_areas(
            src,
            new.loc[targets],
            counts=wide.counts,
            rates=wide.rates,
            population=population,
            min_coverage=min_cov,
        )
        est.index = targets
        refused += [(c, r) for c, r in est["reason"].dropna().items()]
        parts.append(est[est["harmonised"]].drop(columns="reason"))
    done = pd.concat(parts) if parts else pd.DataFrame(columns=["harmonised"])
    return done.assign(harmonise_reason=None), refused


def _gemeenten(part, target, geometries, population, mergers, splits, kw):
    """Gemeenten: identity, merger sums, and areal interpolation of split gemeenten."""
    info = _info(part[part["year"] == target])
    seen = part.groupby("code")["year"].min()
    outs, refused = [_identity(part[part["year"] >= target])], []
    for year, rows_y in part[part["year"] < target].groupby("year"):
        merge = {o: s for o, (y, s) in mergers.items() if year < y <= target}
        split = {o: v for o, v in splits.items() if year < v[0] <= target}
        succ = set(merge.values()) | {s for _, ss in split.values() for s in ss}
        here = set(rows_y["code"])
        # everything but the successors as published; the merged-away gemeenten keep their
        # rows too, with the reason they have no trend (set in _finish)
        outs.append(_identity(rows_y[~rows_y["code"].isin(succ)]))
        if not succ & set(info.index):
            continue
        wide = _wide(rows_y, **kw)
        values = wide.values
        pieces, method, ref = _split_pieces(
            values, split, year, target, geometries, population, wide
        )
        refused += ref
        # a successor that already existed must be in the year's rows too (Vught, Amsterdam);
        # a new code (Eemsdelta) is only the sum of its parts
        split_succ = {s for _, ss in split.values() for s in ss}
        existed = {
            s
            for s in succ
            if s in split_succ
            or (s in seen.index and seen[s] <= year)
            or any(s in _codes(geometries, g) for g in geometries if g <= year)
        }
        expected = set(merge) | existed
        absent = sorted(expected - here)
        mapping = {**merge, **{p: p.split(">")[1] for p in pieces.index}}
        mapping.update({s: s for s in succ})
        merged = merge_gemeenten(
            pd.concat(
                [values, pieces.drop(columns=["harmonised", "harmonise_method"], errors="ignore")]
            ).reindex(columns=values.columns),
            mapping,
            counts=wide.counts,
            rates=wide.rates,
        )
        merged = merged[merged.index.isin(info.index)]
        split_targets = {p.split(">")[1] for p in pieces.index}
        merged["harmonise_method"] = [
            method if c in split_targets else "samenvoeging" for c in merged.index
        ]
        bad = {merge.get(a, a) for a in absent} | {r[0] for r in ref}
        for code in sorted(bad & set(merged.index)):
            refused.append((code, year, f"gemeente(n) ontbreken in de reeks van {year}"))
        merged = merged[~merged.index.isin(bad)]
        merged["coverage"] = np.nan
        outs.append(_long(merged.drop(columns="parts"), wide.meta, info, values.columns))
    refused = [(c, "gemeente", y, r) for c, y, r in refused]
    for code, (year, successor) in {**mergers, **splits}.items():
        if year <= target and code in seen.index:
            refused.append(
                (
                    code,
                    "gemeente",
                    year,
                    f"gemeente bestaat niet meer in {target}; opgegaan in {_names(successor)}",
                )
            )
    return pd.concat(outs, ignore_index=True), refused


def _codes(geometries: Geometries, year: int) -> set[str]:
    frame = _geometry(geometries, year, "gemeente")
    return set() if frame is None else set(frame.index)


def _names(successor) -> str:
    return successor if isinstance(successor, str) else ", ".join(successor)


def _split_pieces(values, split, year, target, geometries, population, wide):
    """The parts of each split gemeente that go to each successor, as pseudo-gemeenten."""
    new = _geometry(geometries, target, "gemeente")
    parts, refused, method = [], [], "bevolking" if population is not None else "oppervlakte"
    for code, (gone, successors) in split.items():
        if code not in values.index:
            continue
        # the split gemeente's own boundaries: the latest year before it was split
        before = sorted((y for y in geometries if y < gone), reverse=True)
        old = next(
            (
                g
                for g in (_geometry(geometries, y, "gemeente") for y in before)
                if g is not None and code in g.index
            ),
            None,
        )
        if old is None or new is None or not set(successors) <= set(new.index):
            text = f"gemeente {code} is gesplitst; geen grenzen om de delen te verdelen"
            refused += [(s, year, text) for s in successors]
            continue
        source = gpd.GeoDataFrame(
            values.loc[[code]].reset_index(drop=True),
            geometry=old.loc[[code]].geometry.to_numpy(),
            crs=old.crs,
        )
        covered = coverage(new.loc[list(successors)], old.loc[[code]])[0]
        if covered < MIN_COVERAGE:
            text = f"gemeente {code} is gesplitst; de opvolgers bedekken maar {covered:.1%}"
            refused += [(s, year, text) for s in successors]
            continue
        est = interpolate_areas(
            source,
            new.loc[list(successors)],
            counts=wide.counts,
            rates=wide.rates,
            population=population,
            min_coverage=0.0,
            complete=True,  # Haaren went whole to its successors
        )
        est.index = [f"{code}>{s}" for s in successors]
        parts.append(est[[*values.columns]])
    pieces = pd.concat(parts) if parts else pd.DataFrame(columns=values.columns)
    return pieces, method, refused
