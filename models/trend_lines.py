"""Yearly series for the app: comparability per period, reference lines, change since a year.

Pure functions on the long series frame of :mod:`cbs_ingest.series` (one row per area,
indicator and period). The app's session layer (``geo_app.session.trends``) loads the
series and calls these; nothing here reads files or the network.

- :func:`period_comparability` says, per area, indicator and year, whether that year's
  value can be compared with the last year of the range (``comparable``), whether it was
  harmonised onto the latest boundaries (``harmonised``) and, if not comparable, why
  (``reason``, Dutch).
- :func:`comparable_as_trend` does the same for rows whose every year is as comparable as
  the area's trend (the stacking percentile, which ranks an area among the gemeente's
  areas of each year and so has no comparability of its own per year).
- :func:`national_line` pools the gemeente rows of a whole-country series into one
  national value per theme, indicator and year: counts are summed; a rate is recomputed
  from the summed counts and the denominators each gemeente's count and rate imply.
- :func:`reference_lines` stacks the gemeente line and the national line.
- :func:`change_since` is the change of one indicator per area between two years.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "RATE_FACTORS",
    "REFERENCE_COLUMNS",
    "change_since",
    "comparable_as_trend",
    "national_line",
    "period_comparability",
    "reference_lines",
]

#: Columns of :func:`reference_lines`, in this order.
REFERENCE_COLUMNS: tuple[str, ...] = ("line", "theme", "indicator", "year", "value", "n_gemeenten")

#: Unit of a rate → what the count is multiplied by over its denominator.
RATE_FACTORS: dict[str, float] = {"per_1000": 1000.0, "percent": 100.0}

_REASON_CODE = "code gewijzigd in {y} (CBS-indelingswijziging 2)"
_REASON_BOUNDARY = "grenzen gewijzigd in {y} (CBS-indelingswijziging 3), niet geharmoniseerd"
_REASON_BREAK = "definitie van het thema gewijzigd in {y}"
_REASON_NO_TREND = "geen trend voor dit gebied"
_REASON_MERGED = "gemeente {code} bestaat niet meer (opgegaan in {successor} in {y})"


def period_comparability(
    rows: pd.DataFrame,
    *,
    last: int,
    mergers: Mapping[str, tuple[int, str]] | None = None,
    breaks: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Add ``comparable``, ``harmonised`` and ``reason`` to yearly series rows.

    A year's value is comparable with ``last`` when, for that area, CBS flags no code
    change (2) or boundary change (3) in a later year up to ``last``, the theme's
    definition did not change after it, and the gemeente was not merged away by
    ``last``. A row that already carries ``harmonised`` True (harmonised onto the
    latest boundaries) is comparable whatever CBS's flag says.

    Parameters
    ----------
    rows
        Yearly rows (one per area, indicator and year) with ``code``, ``theme``,
        ``gemeentecode``, ``year`` and ``boundary_change``; not modified.
    last
        The last year of the range.
    mergers, breaks
        As for :func:`models.trends.compute_trends`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``rows`` with the three columns.
    """
    out = rows.copy()
    year = out["year"].to_numpy(dtype=int)
    harmonised = (
        out["harmonised"].fillna(False).to_numpy(dtype=bool)
        if "harmonised" in out.columns
        else np.zeros(len(out), dtype=bool)
    )
    reason = pd.Series([None] * len(out), index=out.index, dtype=object)
    # the first change after each row's year decides (code before boundaries in one year)
    after = _first_change_after(out, year, last=int(last))
    has = after["flag"].notna().to_numpy()
    texts = {
        (int(y), float(f)): (_REASON_CODE if f == 2.0 else _REASON_BOUNDARY).format(y=int(y))
        for y, f in set(zip(after["hit_year"][has], after["flag"][has], strict=True))
    }
    reason[has] = [
        texts[(int(y), float(f))]
        for y, f in zip(after["hit_year"][has], after["flag"][has], strict=True)
    ]
    for theme, break_year in (breaks or {}).items():
        before = (out["theme"] == theme).to_numpy() & (year < int(break_year))
        if int(break_year) <= int(last):
            reason[before] = _REASON_BREAK.format(y=int(break_year))
    gone = {
        code: _REASON_MERGED.format(code=code, successor=successor, y=merge_year)
        for code, (merge_year, successor) in (mergers or {}).items()
        if int(merge_year) <= int(last)
    }
    if gone:
        merged = out["gemeentecode"].map(gone).to_numpy(dtype=object)
        hit = pd.notna(merged)
        reason[hit] = merged[hit]
    reason[harmonised] = None
    out["comparable"] = reason.isna().to_numpy()
    out["harmonised"] = harmonised
    out["reason"] = reason.to_numpy()
    return out


def _first_change_after(rows: pd.DataFrame, year: np.ndarray, *, last: int) -> pd.DataFrame:
    """Per row (in order), the first later change of its area and theme up to ``last``.

    ``hit_year`` is the first year after the row's in which CBS flags a code (2) or
    boundary (3) change, ``flag`` that flag (2 when both in one year); NaN when none.
    """
    flags = rows["boundary_change"].to_numpy(dtype=float)
    changed = np.isin(flags, (2.0, 3.0)) & (year <= last)
    hits = (
        pd.DataFrame(
            {
                "code": rows["code"].to_numpy()[changed],
                "theme": rows["theme"].to_numpy()[changed],
                "hit_year": year[changed],
                "flag": flags[changed],
            }
        )
        .groupby(["code", "theme", "hit_year"], as_index=False)["flag"]
        .min()
        .sort_values("hit_year", kind="stable")
    )
    keys = pd.DataFrame(
        {
            "code": rows["code"].to_numpy(),
            "theme": rows["theme"].to_numpy(),
            "year": year.astype("int64"),
            "_row": np.arange(len(rows)),
        }
    ).sort_values("year", kind="stable")
    if hits.empty:
        return pd.DataFrame({"hit_year": np.full(len(rows), np.nan), "flag": np.nan})
    found = pd.merge_asof(
        keys,
        hits.astype({"hit_year": "int64"}),
        left_on="year",
        right_on="hit_year",
        by=["code", "theme"],
        direction="forward",
        allow_exact_matches=False,
    )
    found = found.sort_values("_row")
    return pd.DataFrame(
        {"hit_year": found["hit_year"].to_numpy(), "flag": found["flag"].to_numpy()}
    )


def comparable_as_trend(rows: pd.DataFrame, trends: pd.DataFrame) -> pd.DataFrame:
    """Add ``comparable``, ``harmonised`` and ``reason`` to rows, each as its area's trend.

    Parameters
    ----------
    rows
        Series rows with ``code``, ``theme`` and ``indicator``; not modified.
    trends
        Trend rows (``models.trends.TREND_COLUMNS``) with ``comparable``, ``harmonised``
        and ``reason`` per area, theme and indicator.

    Returns
    -------
    pandas.DataFrame
        A copy of ``rows`` with the three columns (and ``harmonise_method``, empty if
        absent): a row whose area has no trend row is not comparable, with that reason.
    """
    keys = ["code", "theme", "indicator"]
    per_area = trends[[*keys, "comparable", "harmonised", "reason"]]
    base = rows.drop(columns=["comparable", "harmonised", "reason"], errors="ignore")
    out = base.merge(per_area, on=keys, how="left", validate="many_to_one")
    out.index = rows.index
    out["comparable"] = out["comparable"].astype("boolean").fillna(False).astype(bool)
    out["harmonised"] = out["harmonised"].astype("boolean").fillna(False).astype(bool)
    out.loc[~out["comparable"] & out["reason"].isna(), "reason"] = _REASON_NO_TREND
    if "harmonise_method" not in out.columns:
        out["harmonise_method"] = None
    return out


def national_line(
    gemeenten: pd.DataFrame,
    *,
    counts: Mapping[str, str],
    rates: Mapping[str, str],
    units: Mapping[str, str],
) -> pd.DataFrame:
    """One national value per theme, indicator and year from the gemeente rows.

    Parameters
    ----------
    gemeenten
        Yearly rows of level ``gemeente`` (``code``, ``theme``, ``indicator``, ``year``,
        ``value``) of a whole-country series.
    counts, rates
        ``{theme: indicator}`` of the count and the rate (``cbs_ingest.series_tables``).
    units
        ``{indicator: unit}``; a rate's unit must be in :data:`RATE_FACTORS`.

    Returns
    -------
    pandas.DataFrame
        :data:`REFERENCE_COLUMNS` with ``line`` ``"nederland"``; ``n_gemeenten`` is the
        number of gemeenten whose count (or, for a rate, count and rate) was pooled.
    """
    frames = []
    for theme, count in counts.items():
        mine = gemeenten[(gemeenten["theme"] == theme) & gemeenten["value"].notna()]
        wide = mine.pivot_table(index=["code", "year"], columns="indicator", values="value")
        if count not in wide.columns:
            continue
        got = wide[count].dropna().groupby(level="year")
        frames.append(
            pd.DataFrame(
                {
                    "theme": theme,
                    "indicator": count,
                    "value": got.sum(),
                    "n_gemeenten": got.size(),
                }
            )
        )
        rate = rates.get(theme)
        if rate is None or rate not in wide.columns:
            continue
        factor = RATE_FACTORS[units[rate]]
        both = wide[[count, rate]].dropna()
        both = both[both[rate] > 0]
        denominator = both[count] * factor / both[rate]
        pooled = pd.DataFrame({"count": both[count], "denominator": denominator})
        by_year = pooled.groupby(level="year")
        sums = by_year.sum()
        frames.append(
            pd.DataFrame(
                {
                    "theme": theme,
                    "indicator": rate,
                    "value": factor * sums["count"] / sums["denominator"],
                    "n_gemeenten": by_year.size(),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(REFERENCE_COLUMNS))
    out = pd.concat(frames).rename_axis("year").reset_index()
    out["line"] = "nederland"
    out["year"] = out["year"].astype(int)
    out["n_gemeenten"] = out["n_gemeenten"].astype(int)
    return out[list(REFERENCE_COLUMNS)].reset_index(drop=True)


def reference_lines(series: pd.DataFrame, code: str, national: pd.DataFrame | None) -> pd.DataFrame:
    """The gemeente line (its own rows in ``series``) stacked on the national line.

    Parameters
    ----------
    series
        Yearly rows including the gemeente's own (``code == code``).
    code
        The gemeente code.
    national
        :func:`national_line`, or None.
    """
    own = series[(series["code"] == code) & series["value"].notna()]
    gemeente = pd.DataFrame(
        {
            "line": "gemeente",
            "theme": own["theme"].to_numpy(),
            "indicator": own["indicator"].to_numpy(),
            "year": own["year"].to_numpy(dtype=int),
            "value": own["value"].to_numpy(dtype=float),
            "n_gemeenten": 1,
        }
    )
    parts = [gemeente] if national is None or national.empty else [gemeente, national]
    out = pd.concat(parts, ignore_index=True)[list(REFERENCE_COLUMNS)]
    return out.sort_values(["line", "theme", "indicator", "year"], kind="stable").reset_index(
        drop=True
    )


def change_since(
    series: pd.DataFrame, *, indicator: str, since: int, last: int, level: str
) -> pd.Series:
    """Per area of ``level``: the value in ``last`` minus the value in ``since``.

    NaN where either value is missing or the ``since`` value is not comparable with
    ``last`` (:func:`period_comparability`).

    Parameters
    ----------
    series
        Yearly rows with ``comparable``.
    indicator
        The indicator (e.g. ``wmo_clients_per_1000``).
    since, last
        The two years.
    level
        Area level (``wijk`` or ``buurt``).

    Returns
    -------
    pandas.Series
        Indexed by area code, named ``change``.
    """
    if int(since) > int(last):
        raise ValueError(f"Year {since} is after {last}.")
    mine = series[(series["level"] == level) & (series["indicator"] == indicator)]
    codes = pd.Index(mine["code"].unique(), name="code")
    start = mine[mine["year"] == int(since)].set_index("code")
    end = mine[mine["year"] == int(last)].set_index("code")["value"].reindex(codes)
    ok = start["comparable"].reindex(codes).fillna(False).astype(bool)
    change = end - start["value"].reindex(codes)
    return change.where(ok).rename("change")
