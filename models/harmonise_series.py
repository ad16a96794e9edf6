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
import pandas as pd

from models._harmonise_frames import (
    Geometries,
    area_info,
    geometry_of,
    identity,
    long_rows,
    wide_frame,
)
from models.harmonise import MIN_COVERAGE, interpolate_areas, link_codes
from models.harmonise_gemeenten import harmonise_gemeenten

__all__ = ["HARMONISE_COLUMNS", "Harmonised", "harmonise_series"]

#: Columns :func:`harmonise_series` adds to the series frame, in this order.
HARMONISE_COLUMNS: tuple[str, ...] = (
    "harmonised",
    "harmonise_method",
    "coverage",
    "interpolation",
    "harmonise_reason",
)


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
            out, ref = harmonise_gemeenten(
                part, target_year, geometries, population, mergers, splits, kw
            )
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


def _areas(part, level, target, geometries, population, min_coverage, kw):
    """Wijken or buurten: identity, code links and areal interpolation per year."""
    flags = _flags(part)
    target_codes = set(part.loc[part["year"] == target, "code"])
    info = area_info(part[part["code"].isin(target_codes)])
    first_year = part.groupby("gemeentecode")["year"].min()
    outs, refused = [identity(part[part["year"] >= target])], []
    for year, rows_y in part[part["year"] < target].groupby("year"):
        later = flags[(flags["year"] > year) & (flags["year"] <= target)]
        changed_codes = set(later["code"])
        here = set(rows_y["code"])
        unchanged = (here & target_codes) - changed_codes
        outs.append(identity(rows_y[rows_y["code"].isin(unchanged)]))
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
            identity(rows_y[rows_y["code"].isin(gone)]).assign(
                harmonise_reason=_gone_reason(target)
            )
        )
        if not targets:
            continue
        change_text = _change_texts(later, year)
        old, new = geometry_of(geometries, year, level), geometry_of(geometries, target, level)
        if old is None or new is None:
            missing = year if old is None else target
            refused += [
                (
                    c,
                    level,
                    year,
                    f"{change_text(c)}; niet te harmoniseren: geen grenzen van {missing}",
                )
                for c in targets
            ]
            outs.append(identity(rows_y[rows_y["code"].isin(targets)]))
            continue
        wide = wide_frame(rows_y, **kw)
        done, ref = _interpolate_year(
            rows_y, wide, old, new, targets, unchanged, later, population, min_coverage
        )
        refused += [(c, level, year, f"{change_text(c)}; {r}") for c, r in ref]
        outs.append(long_rows(done, wide.meta, info, wide.values.columns))
        # a refused area keeps its own rows of this year, as published, with the reason
        outs.append(identity(rows_y[rows_y["code"].isin({c for c, _ in ref})]))
    return pd.concat(outs, ignore_index=True), refused


def _change_texts(later: pd.DataFrame, year: int):
    """``code -> Dutch text`` of the first change CBS flags after ``year``."""
    first = later.sort_values("year", kind="stable").drop_duplicates("code")
    texts = {
        code: f"{'grenzen' if int(flag) == 3 else 'code'} gewijzigd in {int(y)} "
        f"(CBS-indelingswijziging {int(flag)})"
        for code, y, flag in zip(
            first["code"], first["year"], first["boundary_change"], strict=True
        )
    }
    return lambda code: texts.get(code, f"gebied bestond nog niet in {year}")


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
    # a code change (flag 2) without a boundary change (3): link to the same geometry
    boundary = set(later.loc[later["boundary_change"] == 3, "code"])
    recoded = set(later.loc[later["boundary_change"] == 2, "code"]) - boundary
    relabel = [c for c in targets if c in recoded and c not in set(rows_y["code"])]
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


def _flags(rows: pd.DataFrame) -> pd.DataFrame:
    """Per code, the years CBS flags a code (2) or boundary (3) change."""
    flagged = rows[rows["boundary_change"].isin([2, 3])]
    return flagged.groupby(["code", "year"])["boundary_change"].max().reset_index()
