"""The trend of an area's stacking percentile within its gemeente, over the years.

The issue asks for the trend "of each theme and of the stacking percentile within the
gemeente". :mod:`models.trends` gives the first; this module the second. Per year (one
value per year, the same reference moment as :mod:`models.trends`: the first half-year,
or the end of June for the quarterly benefits):

1. the *themes that enter* are the series themes whose rate (per 1,000 inhabitants or %;
   :data:`cbs_ingest.series_tables.RATE_INDICATORS`) has values at the level in every
   year of the range: Wmo and voorzieningen from 2016, bijstand from 2019. Youth care has
   no rate in these tables (a count per wijk measures the wijk's size more than its need),
   so it never enters. With fewer than ``min_themes`` themes there is no stacking and the
   result is empty (with a note);
2. the stacking score of each area is the mean of its themes' clipped z-scores within its
   gemeente and that year, and its percentile the mid-rank percentile of the score among
   the gemeente's areas of that year: exactly :func:`models.stacking.stacking_scores` with
   ``groups`` = the gemeente, computed for all years at once with the same row-wise
   functions (:class:`models._ranks.Scope`). An area lacking a theme in a year gets no
   score that year, so the score rests on the same themes every year;
3. per area, the Theil–Sen slope of that percentile (points per year) and its change from
   the first to the last year with a value (:func:`models.trends.theil_sen`).

**Comparability** comes from the themes: an area refused for any theme that enters (its
boundaries or code changed, its gemeente merged away, too few years) is refused here too,
with the same Dutch reason; an area with fewer than ``min_periods`` years with a
percentile, or without one in the first and last ``window`` years, gets the same reason as
a count would. The percentile trend never carries the *oplopend* flag (``trend_flag`` is
missing): that rule is about counts and their noise, and a rank within the gemeente moves
for reasons a count rule does not test.

**How it differs from the stacking of the map.** The map ranks the KWB indicators of one
year (income, housing, benefits, youth care, Wmo; :mod:`models.analysis`); this ranks the
two or three social-domain rates CBS publishes for every year. The two percentiles answer
related but different questions and are not interchangeable. The percentile is relative to
the areas of the gemeente *in each year*: when some of a gemeente's wijken are redrawn, a
stable wijk's percentile can move because its peers changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models._ranks import Scope
from models.trends import TREND_COLUMNS, TrendRule, annual_values, theil_sen

__all__ = ["STACKING_THEME", "STACKING_INDICATOR", "StackingTrend", "stacking_trend"]

#: ``theme`` and ``indicator`` of the stacking-percentile rows and trends.
STACKING_THEME = "stapeling"
STACKING_INDICATOR = "stacking_percentile"


@dataclass
class StackingTrend:
    """The stacking percentile per area and year, and its trend per area.

    Attributes
    ----------
    rows
        Long rows like the series' (``code``, ``name``, ``level``, ``gemeentecode``,
        ``theme`` = ``stapeling``, ``indicator`` = ``stacking_percentile``, ``period`` =
        the year, ``year``, ``period_kind`` = ``year``, ``value`` 0–100, ``boundary_change``
        = the highest CBS flag of the themes that year, ``table_id`` empty).
    trends
        One row per area in the columns of :data:`models.trends.TREND_COLUMNS`; ``slope``
        in percentile points per year, ``change`` in points, ``change_rel`` and
        ``trend_flag`` always missing.
    themes
        The themes that entered the score (see the module docstring).
    notes
        Why there is no result, when there is none.
    """

    rows: pd.DataFrame
    trends: pd.DataFrame
    themes: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def stacking_trend(
    rows: pd.DataFrame,
    *,
    first: int,
    last: int,
    trends: pd.DataFrame,
    rates: Mapping[str, str],
    level: str = "wijk",
    rule: TrendRule | None = None,
    min_themes: int = 2,
    clip: float = 3.0,
) -> StackingTrend:
    """Stacking percentile within the gemeente per area and year, and its trend.

    Parameters
    ----------
    rows
        The long series frame of several themes (:data:`cbs_ingest.series.SERIES_COLUMNS`);
        not modified.
    first, last
        Range of years (inclusive).
    trends
        :attr:`models.trends.TrendResult.trends` of the same rows and range: the
        comparability (``comparable``, ``reason``) per area and theme is taken from it.
    rates
        ``{theme: indicator}`` of the rate of each theme that can enter.
    level
        The area level ranked (``wijk`` or ``buurt``); gemeente rows never are.
    rule
        ``min_periods`` and ``window`` decide whether there are enough years.
    min_themes
        Minimum number of themes entering; fewer: no result (a note says why).
    clip
        z-scores are clipped to ``[-clip, clip]``, as in :func:`models.stacking.stacking_scores`.

    Returns
    -------
    StackingTrend

    Raises
    ------
    ValueError
        A range the wrong way round or without values.
    """
    rule = rule or TrendRule()
    years = np.arange(int(first), int(last) + 1)
    annual = annual_values(rows, first=first, last=last)
    annual = annual[annual["level"] == level]
    themes = _entering(annual, rates, years)
    if len(themes) < min_themes:
        note = (
            f"No stacking-percentile trend: {len(themes)} theme(s) with a rate in every year "
            f"of {first}–{last} at {level} level ({', '.join(themes) or 'none'}); "
            f"at least {min_themes} needed."
        )
        return StackingTrend(_empty(rows.columns), _empty(TREND_COLUMNS), tuple(themes), [note])
    wanted = annual[annual["indicator"].isin([rates[t] for t in themes])]
    areas = wanted.drop_duplicates("code").set_index("code")[["name", "level", "gemeentecode"]]
    areas = areas.sort_index()
    column = wanted["year"].to_numpy() - int(first)
    position = areas.index.get_indexer(wanted["code"])
    scope = Scope(areas["gemeentecode"].to_numpy())
    z_sum = np.zeros((len(years), len(areas)))
    n_themes = np.zeros((len(years), len(areas)))
    changes = np.full((len(years), len(areas)), np.nan)
    for theme in themes:
        mine = (wanted["indicator"] == rates[theme]).to_numpy()
        values = np.full((len(years), len(areas)), np.nan)
        values[column[mine], position[mine]] = wanted["value"].to_numpy(float)[mine]
        flags = np.full((len(years), len(areas)), np.nan)
        flags[column[mine], position[mine]] = wanted["boundary_change"].to_numpy(float)[mine]
        changes = np.fmax(changes, flags)
        z = scope.z(values)
        if clip and clip > 0:
            z = np.clip(z, -clip, clip)
        z_sum += np.nan_to_num(z)
        n_themes += np.isfinite(z)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(n_themes == len(themes), z_sum / len(themes), np.nan)
    percentile = scope.pct(score).T  # (areas, years)
    long = _long_rows(areas, years, percentile, changes.T, rows.columns)
    table = _trend_table(areas, years, percentile, trends, themes, rule)
    return StackingTrend(long, table, tuple(themes))


def _entering(annual: pd.DataFrame, rates: Mapping[str, str], years: np.ndarray) -> list[str]:
    """Themes whose rate has a value at the level in every year of the range."""
    out = []
    for theme, indicator in rates.items():
        mine = annual[(annual["theme"] == theme) & (annual["indicator"] == indicator)]
        with_value = set(mine.loc[mine["value"].notna(), "year"].astype(int))
        if set(years.tolist()) <= with_value:
            out.append(theme)
    return out


def _long_rows(
    areas: pd.DataFrame, years: np.ndarray, percentile: np.ndarray, changes: np.ndarray, columns
) -> pd.DataFrame:
    n, t = percentile.shape
    frame = pd.DataFrame(
        {
            "code": np.repeat(areas.index.to_numpy(), t),
            "name": np.repeat(areas["name"].to_numpy(), t),
            "level": np.repeat(areas["level"].to_numpy(), t),
            "gemeentecode": np.repeat(areas["gemeentecode"].to_numpy(), t),
            "theme": STACKING_THEME,
            "indicator": STACKING_INDICATOR,
            "period": np.tile(years.astype(str), n),
            "year": np.tile(years, n).astype("int64"),
            "period_kind": "year",
            "value": percentile.reshape(-1),
            "boundary_change": changes.reshape(-1),
            "table_id": "",
        }
    )
    return frame[[c for c in columns if c in frame.columns]]


def _trend_table(
    areas: pd.DataFrame,
    years: np.ndarray,
    percentile: np.ndarray,
    trends: pd.DataFrame,
    themes: list[str],
    rule: TrendRule,
) -> pd.DataFrame:
    valid = ~np.isnan(percentile)
    n = valid.sum(axis=1)
    rows = np.arange(len(areas))
    first_idx = np.where(n > 0, valid.argmax(axis=1), 0)
    last_idx = np.where(n > 0, len(years) - 1 - valid[:, ::-1].argmax(axis=1), 0)
    first_value = np.where(n > 0, percentile[rows, first_idx], np.nan)
    last_value = np.where(n > 0, percentile[rows, last_idx], np.nan)
    w = rule.window
    enough = (n >= rule.min_periods) & valid[:, :w].all(1) & valid[:, -w:].all(1)
    reason = pd.Series(None, index=areas.index, dtype=object)
    reason[~enough] = _too_few(rule)
    # a reason of any theme that enters wins (the first theme, in the order given)
    refused = trends[trends["theme"].isin(themes) & ~trends["comparable"].astype(bool)]
    order = {t: i for i, t in enumerate(themes)}
    refused = refused.assign(_o=refused["theme"].map(order)).sort_values("_o", kind="stable")
    theirs = refused.drop_duplicates("code").set_index("code")["reason"]
    theirs = theirs.reindex(areas.index)
    reason = theirs.where(theirs.notna(), reason)
    comparable = reason.isna().to_numpy()
    # harmonised where any theme that enters was harmonised onto the last boundaries
    entering = trends[trends["theme"].isin(themes)]
    if "harmonised" in entering.columns:
        by_area = entering.groupby("code")["harmonised"].any()
        harmonised = by_area.reindex(areas.index, fill_value=False).to_numpy(dtype=bool)
    else:
        harmonised = np.zeros(len(areas), dtype=bool)
    no_period = np.full(len(n), None, dtype=object)
    out = pd.DataFrame(
        {
            "code": areas.index.to_numpy(),
            "name": areas["name"].to_numpy(),
            "level": areas["level"].to_numpy(),
            "gemeentecode": areas["gemeentecode"].to_numpy(),
            "theme": STACKING_THEME,
            "indicator": STACKING_INDICATOR,
            "first_period": np.where(n > 0, years[first_idx].astype(str), no_period),
            "last_period": np.where(n > 0, years[last_idx].astype(str), no_period),
            "n_periods": n,
            "first_value": first_value,
            "last_value": last_value,
            "slope": np.where(comparable, theil_sen(years, percentile), np.nan),
            "change": np.where(comparable, last_value - first_value, np.nan),
            "change_rel": np.nan,
            "comparable": comparable,
            "harmonised": harmonised,
            "trend_flag": pd.array([pd.NA] * len(n), dtype="boolean"),
            "reason": reason.to_numpy(),
        }
    )
    return out[list(TREND_COLUMNS)]


def _too_few(rule: TrendRule) -> str:
    return (
        f"te weinig jaren met cijfers (minstens {rule.min_periods}, "
        f"en de eerste en laatste {rule.window} jaar compleet)"
    )
