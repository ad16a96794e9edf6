"""Reference values of a set of areas taken together (e.g. all gemeenten: the Netherlands).

An area profile shows each indicator beside the gemeente's own figure and a
national figure. CBS publishes the gemeente figure as the gemeente's own row;
for the country (or any set of gemeenten) :func:`reference_values` pools the
areas' counts so that the result is the figure of the set as a whole, not a
mean of area figures:

- ``ratio`` indicators: the summed numerators over the summed denominators;
- ``given`` percentages and averages: the mean of the area values weighted by
  the indicator's denominator (dwellings, households, inhabitants);
- ``smr`` (age-standardised) indicators: the summed observed counts over the
  summed expected counts, times 100.

Only areas where both parts are published count, so secret or missing values
never enter as zeros; an indicator with fewer than ``min_areas`` such areas
gets no reference value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from layers.indicators import Indicator, _column, denominators, get_indicator
from layers.standardise import NATIONAL_RATES_2024, AgeRates, expected_counts

__all__ = ["reference_values"]


def _pooled(num: pd.Series, den: pd.Series) -> tuple[float, float]:
    """Sums of ``num`` and ``den`` over rows where both are published and den > 0."""
    keep = num.notna() & den.notna() & (den > 0) & np.isfinite(den)
    return float(num[keep].sum()), float(den[keep].sum())


def reference_values(
    frame: pd.DataFrame,
    keys: Sequence[str] | None = None,
    *,
    extra: Iterable[Indicator] = (),
    rates: Mapping[str, AgeRates] | None = None,
    min_areas: int = 1,
) -> dict[str, float]:
    """The indicator values of all areas of ``frame`` taken together.

    Parameters
    ----------
    frame
        Areas of one level that together form the reference (e.g. the 342
        gemeenten of a whole-country ingest). Not modified.
    keys
        Indicator keys; default every built-in indicator the frame has columns for.
    extra
        Additional (e.g. municipal) indicators.
    rates
        Age reference rates for ``smr`` indicators (default: national 2024 rates).
    min_areas
        Fewest areas with a published value needed for a reference value.

    Returns
    -------
    dict
        ``{indicator key: value}``; NaN where no value can be formed.
    """
    from layers.indicators import INDICATORS

    extra = tuple(extra)
    if keys is None:
        keys = [
            key for key, ind in INDICATORS.items() if all(c in frame.columns for c in ind.columns)
        ]
    rates = dict(NATIONAL_RATES_2024 if rates is None else rates)
    indicators = [get_indicator(k, extra) for k in keys]
    dens = denominators(frame, {ind.denominator for ind in indicators})
    out: dict[str, float] = {}
    for ind in indicators:
        den = dens[ind.denominator]
        if ind.kind == "ratio":
            parts = [_column(frame, c) for c in ind.numerator]
            num = sum(parts[1:], parts[0])
            scale = ind.scale
        elif ind.kind == "given":
            value = _column(frame, ind.numerator[0])
            num, scale = value * den, 1.0
        else:
            num = _column(frame, ind.numerator[0])
            den = expected_counts(frame, rates[ind.numerator[0]])
            scale = 100.0
        counted = int((num.notna() & den.notna() & (den > 0) & np.isfinite(den)).sum())
        total_num, total_den = _pooled(num, den)
        ok = counted >= max(min_areas, 1) and total_den > 0
        out[ind.key] = total_num / total_den * scale if ok else float("nan")
    return out
