"""Trends per area and theme over the years, and the early-warning flag *oplopend*.

The input is the long series frame of :mod:`cbs_ingest.series` (``code``, ``level``,
``theme``, ``indicator``, ``period``, ``year``, ``period_kind``, ``value``,
``boundary_change``, …). One value per year is used: the first half-year for the
half-yearly tables (2024 has only that one) and the second quarter (end of June) for the
quarterly benefits, so every year is measured at the same moment.

Per area, theme and indicator :func:`compute_trends` gives the Theil–Sen slope (the
median of all pairwise slopes; robust to one odd year) per year, and the change from the
first to the last year with a value.

**The rule for oplopend** (per area and theme, on the count, e.g. Wmo-cliënten):

1. *Comparable*: the area kept its boundaries and code over the range (CBS's
   ``IndelingswijzigingWijken`` is 1 in every later year), or it was harmonised onto
   the last year's boundaries (:func:`models.harmonise_series.harmonise_series`, run
   before this; its rows carry ``harmonise_reason`` where that was not possible), its
   gemeente was not merged away, and the theme's definition did not change in the
   range. Otherwise: no trend, with the reason; never a wrong one.
2. *Enough data*: at least ``min_periods`` years with a count, and the first and last
   ``window`` years all present.
3. *Beyond noise*: the counts of the last ``window`` years, summed, are higher than
   those of the first ``window`` years by more than Poisson noise and CBS's rounding
   allow. CBS rounds each count to 5, so a published 15 is a true 13 … 17; the start
   sum is taken at its highest possible true value and the end sum at its lowest, and
   their exact (Garwood) Poisson intervals at ``confidence`` must not overlap.
4. *Big enough*: the end sum is at least ``1 + min_effect`` times the start sum.
5. *Direction*: the Theil–Sen slope of the count is positive, and where CBS publishes
   a rate (per 1,000 inhabitants, %), its mean over the last ``window`` years is higher
   than over the first, so growth of the population alone is not flagged.

Pure noise around a flat level flags almost nothing (tested with hypothesis); a real
rise of a third or more in a wijk of some size is flagged.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = [
    "TREND_COLUMNS",
    "SIGNAL_ON_BY_DEFAULT",
    "TrendRule",
    "TrendResult",
    "annual_values",
    "compute_trends",
    "theil_sen",
    "poisson_interval",
]

#: Whether the app and exports show the oplopend flag without being asked (see the
#: backtest in docs/analysis.md).
SIGNAL_ON_BY_DEFAULT = False

#: Columns of :attr:`TrendResult.trends`, in this order.
TREND_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "level",
    "gemeentecode",
    "theme",
    "indicator",
    "first_period",
    "last_period",
    "n_periods",
    "first_value",
    "last_value",
    "slope",
    "change",
    "change_rel",
    "comparable",
    "trend_flag",
    "reason",
    "harmonised",
)

_ANNUAL = {"halfyear": "H1", "quarter": "Q2"}


@dataclass(frozen=True)
class TrendRule:
    """Parameters of the oplopend rule (see the module docstring).

    Attributes
    ----------
    window
        Years summed at each end of the range.
    min_effect
        Minimum relative rise of the end sum over the start sum (0.25 = a quarter).
    confidence
        Level of each of the two Poisson intervals.
    rounding
        CBS rounds counts to this multiple.
    min_periods
        Minimum number of years with a count.
    """

    window: int = 2
    min_effect: float = 0.25
    confidence: float = 0.95
    rounding: int = 5
    min_periods: int = 4

    def describe_nl(self) -> str:
        """The rule in Dutch, as the app shows it."""
        return (
            f"Oplopend: de aantallen van de laatste {self.window} jaar liggen samen "
            f"minstens {self.min_effect:.0%} hoger dan die van de eerste {self.window} jaar, "
            f"en dat verschil is groter dan toeval en de afronding op {self.rounding} van CBS "
            f"verklaren (Poisson-intervallen van {self.confidence:.0%} overlappen niet); de "
            f"trend loopt op en het cijfer per inwoner stijgt ook. Alleen voor gebieden "
            f"met ongewijzigde of geharmoniseerde grenzen en minstens {self.min_periods} jaar "
            f"met cijfers."
        )


@dataclass
class TrendResult:
    """Trends of every area, theme and indicator.

    Attributes
    ----------
    trends
        One row per area, theme and indicator (:data:`TREND_COLUMNS`); ``trend_flag``
        is True (oplopend), False, or missing when the area has no trend (``reason``).
    rule
        The rule applied.
    first, last
        The range of years.
    """

    trends: pd.DataFrame
    rule: TrendRule
    first: int
    last: int

    def settings(self) -> dict[str, object]:
        """Rule and range as plain values (for export metadata)."""
        return {"first": self.first, "last": self.last, **asdict(self.rule)}


def theil_sen(years: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Theil–Sen slope per row: the median of all pairwise slopes, NaN points left out.

    Equal to :func:`scipy.stats.theilslopes` per row, vectorised over rows so that
    thousands of short series take milliseconds.

    Parameters
    ----------
    years
        The x values, shape ``(T,)``.
    values
        Shape ``(n, T)``; NaN where a year has no value.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``; NaN for rows with fewer than two values.
    """
    i, j = np.triu_indices(len(years), k=1)
    dx = (years[j] - years[i]).astype(float)
    slopes = (values[:, j] - values[:, i]) / dx
    # a row-wise nan-median: NaNs sort last, so the median sits in the first k sorted values
    ordered = np.sort(slopes, axis=1)
    k = (~np.isnan(slopes)).sum(axis=1)
    if ordered.shape[1] == 0:
        return np.full(len(values), np.nan)
    low = np.take_along_axis(ordered, np.maximum((k - 1) // 2, 0)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, np.maximum(k // 2, 0)[:, None], axis=1)[:, 0]
    return np.where(k > 0, (low + high) / 2, np.nan)


def poisson_interval(counts: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) two-sided interval of a Poisson mean for observed ``counts``."""
    from scipy.stats import chi2  # here: the app's first map does not wait for scipy.stats

    counts = np.asarray(counts, dtype=float)
    tail = (1 - confidence) / 2
    lower = np.where(counts > 0, chi2.ppf(tail, 2 * counts) / 2, 0.0)
    upper = chi2.ppf(1 - tail, 2 * counts + 2) / 2
    return lower, upper


def _annual_mask(rows: pd.DataFrame, first: int, last: int) -> np.ndarray:
    if int(first) > int(last):
        raise ValueError(f"Period range {first}–{last} is the wrong way round.")
    wanted = [f"{y}{p}" for y in range(int(first), int(last) + 1) for p in _ANNUAL.values()]
    mask = rows["period"].isin(wanted).to_numpy(dtype=bool)
    if not mask.any():
        raise ValueError(f"The series has no yearly values in {first}–{last}.")
    return mask


def annual_values(rows: pd.DataFrame, *, first: int, last: int) -> pd.DataFrame:
    """The rows of the yearly reference period (H1, or Q2 for quarters) of ``first`` … ``last``.

    Raises
    ------
    ValueError
        A range the wrong way round, or no values in it.
    """
    return rows[_annual_mask(rows, first, last)]


def compute_trends(
    rows: pd.DataFrame,
    *,
    first: int,
    last: int,
    counts: Mapping[str, str],
    rates: Mapping[str, str] | None = None,
    rule: TrendRule | None = None,
    mergers: Mapping[str, tuple[int, str]] | None = None,
    breaks: Mapping[str, int] | None = None,
) -> TrendResult:
    """Slope, change and the oplopend flag per area, theme and indicator.

    Parameters
    ----------
    rows
        Long series frame (see the module docstring); not modified.
    first, last
        Range of years (inclusive).
    counts
        ``{theme: indicator}`` of the count that the rule tests.
    rates
        ``{theme: indicator}`` of the rate that must rise too, where there is one.
    rule
        The rule; :class:`TrendRule` defaults when omitted.
    mergers
        ``{gemeentecode: (first year without it, successor)}``: gemeenten merged away.
    breaks
        ``{theme: year}``: the definition changed in that year.

    Returns
    -------
    TrendResult

    Raises
    ------
    ValueError
        A range the wrong way round or without values, or a theme without a count.
    """
    rule = rule or TrendRule()
    rates = dict(rates or {})
    idx = np.flatnonzero(_annual_mask(rows, first, last))
    years = np.arange(int(first), int(last) + 1)
    # factorise the keys over the whole columns (fast on Arrow strings), then keep the rows
    parts = [pd.factorize(rows[c]) for c in ("code", "theme", "indicator")]
    themes, indicators = parts[1][1], parts[2][1]
    lacking = sorted(set(themes[np.unique(parts[1][0][idx])]) - set(counts))
    if lacking:
        raise ValueError(f"No count indicator given for theme(s) {', '.join(lacking)}.")
    key = parts[0][0][idx].astype(np.int64)
    for codes, uniques in parts[1:]:
        key = key * len(uniques) + codes[idx]
    keys, position, inverse = np.unique(key, return_index=True, return_inverse=True)
    column = rows["year"].to_numpy()[idx] - int(first)
    matrix = np.full((len(keys), len(years)), np.nan)
    matrix[inverse, column] = rows["value"].to_numpy(dtype=float)[idx]
    changes = np.full((len(keys), len(years)), np.nan)
    changes[inverse, column] = rows["boundary_change"].to_numpy(dtype=float)[idx]
    info = rows[["code", "name", "level", "gemeentecode"]].take(idx[position])
    out = pd.DataFrame(
        {
            "code": info["code"].to_numpy(),
            "name": info["name"].to_numpy(),
            "level": info["level"].to_numpy(),
            "gemeentecode": info["gemeentecode"].to_numpy(),
            "theme": np.asarray(themes)[parts[1][0][idx[position]]],
            "indicator": np.asarray(indicators)[parts[2][0][idx[position]]],
        }
    )
    valid = ~np.isnan(matrix)
    n = valid.sum(axis=1)
    first_idx = np.where(n > 0, valid.argmax(axis=1), 0)
    last_idx = np.where(n > 0, len(years) - 1 - valid[:, ::-1].argmax(axis=1), 0)
    rows_idx = np.arange(len(matrix))
    first_value = np.where(n > 0, matrix[rows_idx, first_idx], np.nan)
    last_value = np.where(n > 0, matrix[rows_idx, last_idx], np.nan)
    no_period = np.full(len(n), None, dtype=object)
    out["first_period"] = np.where(n > 0, years[first_idx].astype(str), no_period)
    out["last_period"] = np.where(n > 0, years[last_idx].astype(str), no_period)
    out["n_periods"] = n
    out["first_value"] = first_value
    out["last_value"] = last_value
    out["slope"] = theil_sen(years, matrix)
    out["change"] = last_value - first_value
    with np.errstate(all="ignore"):
        out["change_rel"] = np.where(first_value > 0, out["change"] / first_value, np.nan)

    harmonise = None
    if "harmonise_reason" in rows.columns:  # rows of models.harmonise_series
        harmonise = rows["harmonise_reason"].take(idx)
    reason = _reasons(out, years, rule, mergers or {}, breaks or {}, matrix, changes, counts)
    if harmonise is not None and harmonise.notna().any():
        known = pd.Series(harmonise.to_numpy(), index=_pairs(out)[inverse]).dropna()
        found = known[~known.index.duplicated()].reindex(_pairs(out)).to_numpy()
        reason[pd.notna(found)] = found[pd.notna(found)]
    flag = _flags(out, matrix, rule, counts, rates, reason)
    out["comparable"] = reason.isna().to_numpy()
    out["trend_flag"] = pd.array(
        np.where(reason.isna(), flag, np.full(len(flag), None, dtype=object)), dtype="boolean"
    )
    out["reason"] = reason.to_numpy()
    # whether any year of the row was harmonised onto the last boundaries
    harmonised = np.zeros(len(keys), dtype=bool)
    if "harmonised" in rows.columns:
        used = rows["harmonised"].take(idx).fillna(False).to_numpy(dtype=bool)
        np.logical_or.at(harmonised, inverse, used)
    out["harmonised"] = harmonised
    for column in ("slope", "change", "change_rel"):
        out.loc[~out["comparable"], column] = np.nan
    return TrendResult(out[list(TREND_COLUMNS)], rule, int(first), int(last))


def _reasons(
    out: pd.DataFrame,
    years: np.ndarray,
    rule: TrendRule,
    mergers: Mapping[str, tuple[int, str]],
    breaks: Mapping[str, int],
    matrix: np.ndarray,
    changes: np.ndarray,
    counts: Mapping[str, str],
) -> pd.Series:
    """Dutch reason per row why there is no trend, missing where there is one."""
    reason = pd.Series([None] * len(out), index=out.index, dtype=object)
    # per (code, theme): counts must be there at both ends and often enough
    is_count = out["indicator"].to_numpy() == out["theme"].map(counts).to_numpy()
    valid = ~np.isnan(matrix)
    w = rule.window
    enough = (valid.sum(axis=1) >= rule.min_periods) & valid[:, :w].all(1) & valid[:, -w:].all(1)
    pair = _pairs(out)
    ok = _per_pair(pair, is_count, enough)
    reason[~ok] = (
        f"te weinig jaren met cijfers (minstens {rule.min_periods}, "
        f"en de eerste en laatste {w} jaar compleet)"
    )
    for flag, text in (
        (
            2,
            "code gewijzigd in {y} (CBS-indelingswijziging 2); niet gekoppeld aan de oude "
            "code (geen geharmoniseerde reeks)",
        ),
        (
            3,
            "grenzen gewijzigd in {y} (CBS-indelingswijziging 3); niet geharmoniseerd "
            "(geen grenzen van beide jaren)",
        ),
    ):
        # CBS's flag compares with the year before: only years after the first count
        hit = changes[:, 1:] == flag
        rows_hit = np.flatnonzero(hit.any(axis=1))
        first_year = years[1:][hit[rows_hit].argmax(axis=1)]
        found = pd.Series(first_year, index=pair[rows_hit]).groupby(level=[0, 1]).min()
        spread = found.reindex(pair).to_numpy()
        has = ~np.isnan(spread)
        reason[has] = [text.format(y=int(y)) for y in spread[has]]
    for theme, year in breaks.items():
        if years[0] < year <= years[-1]:
            reason[out["theme"] == theme] = f"definitie van het thema gewijzigd in {year}"
    for code, (year, successor) in mergers.items():
        if year <= years[-1]:
            reason[out["gemeentecode"] == code] = (
                f"gemeente {code} bestaat niet meer (niet in de grenzen van {year}, "
                f"opgegaan in {successor})"
            )
    return reason


def _flags(
    out: pd.DataFrame,
    matrix: np.ndarray,
    rule: TrendRule,
    counts: Mapping[str, str],
    rates: Mapping[str, str],
    reason: pd.Series,
) -> np.ndarray:
    """Oplopend per (code, theme), broadcast to every indicator row of that pair."""
    w, half = rule.window, rule.rounding // 2
    start = np.nansum(matrix[:, :w], axis=1)
    end = np.nansum(matrix[:, -w:], axis=1)
    big = end >= (1 + rule.min_effect) * start
    rising = out["slope"].to_numpy() > 0
    beyond = np.zeros(len(out), dtype=bool)
    test = np.flatnonzero(big & rising)  # the intervals only where they can matter
    _, start_hi = poisson_interval(start[test] + half * w, rule.confidence)
    end_lo, _ = poisson_interval(np.maximum(end[test] - half * w, 0), rule.confidence)
    beyond[test] = end_lo > start_hi
    with warnings.catch_warnings():  # all-NaN windows: "mean of empty slice"
        warnings.simplefilter("ignore", RuntimeWarning)
        rate_up = np.nanmean(matrix[:, -w:], axis=1) > np.nanmean(matrix[:, :w], axis=1)
    pair = _pairs(out)
    is_count = out["indicator"].to_numpy() == out["theme"].map(counts).to_numpy()
    flag = _per_pair(pair, is_count, beyond & big & rising)
    is_rate = out["indicator"].to_numpy() == out["theme"].map(rates).to_numpy()
    if is_rate.any():
        # a rate that exists but does not rise vetoes; a missing rate does not
        has_rate = ~np.isnan(matrix[:, -w:]).all(1) & ~np.isnan(matrix[:, :w]).all(1)
        flag &= ~_per_pair(pair, is_rate, has_rate & ~rate_up)
    return flag & reason.isna().to_numpy()


def _pairs(out: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([out["code"], out["theme"]])


def _per_pair(pair: pd.MultiIndex, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Spread a per-(code, theme) boolean, known on the rows ``mask``, to every row."""
    known = pd.Series(values[mask].astype(float), index=pair[mask])
    return known.reindex(pair).fillna(0.0).to_numpy() > 0
