"""Indirect age standardisation of care use (Wmo, jeugdzorg).

Wmo use rises steeply with age and youth care concerns children, so a crude
rate mostly shows a buurt's age mix: an elderly buurt has many Wmo clients
without anything being wrong. Indirect standardisation compares the observed
count with the count *expected* from the area's age structure::

    expected = sum over age groups g of population_g * rate_g
    index    = 100 * observed / expected        (100 = as expected)

KWB publishes no Wmo or youth-care figures per age group, so the reference
rates ``rate_g`` are *estimated* from the reference areas: a non-negative
least-squares fit of the counts on the age-group populations, weighted by
``1 / sqrt(population)`` (Poisson-like variance). For Wmo the rates are also
constrained to be non-decreasing with age, which removes implausible
solutions where the 45-65 group gets a zero rate and 25-45 absorbs the
deprivation of young urban wijken.

Caveat: this is an ecological estimate. Age groups that concentrate in poorer
areas get part of the deprivation effect in their rate, so the index slightly
under-corrects or over-corrects; it is a far better comparison than the crude
rate, but not a clinical SMR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "AGE_GROUPS",
    "AgeRates",
    "NATIONAL_RATES_2024",
    "fit_age_rates",
    "expected_counts",
]

#: KWB age-group columns, youngest first.
AGE_GROUPS: tuple[str, ...] = ("age_0_15", "age_15_25", "age_25_45", "age_45_65", "age_65_plus")


@dataclass(frozen=True)
class AgeRates:
    """Reference rates per age group for one observed count.

    Attributes
    ----------
    count
        The observed-count column, e.g. ``wmo_clients``.
    age_columns
        The age-group population columns the rates apply to.
    rates
        Rate per person (not per 1,000) for each age column.
    source
        Where the rates were estimated, for provenance.
    n_areas
        Number of reference areas used in the fit.
    """

    count: str
    age_columns: tuple[str, ...]
    rates: tuple[float, ...]
    source: str
    n_areas: int = 0


#: Reference rates estimated with :func:`fit_age_rates` from all 3,393 wijken of
#: KWB 2024 (table 85984NED) with at least 200 inhabitants in the age groups used and a
#: published count (2,996 wijken for Wmo, 2,665 for youth care).
#: ``tests/test_layers_standardise.py`` re-derives them from the real data.
NATIONAL_RATES_2024: dict[str, AgeRates] = {
    "wmo_clients": AgeRates(
        "wmo_clients",
        AGE_GROUPS,
        (0.0, 0.040855, 0.040855, 0.040855, 0.21763),
        "KWB 2024 (85984NED), alle wijken in Nederland, monotone NNLS-schatting",
        2996,
    ),
    "youth_care_count": AgeRates(
        "youth_care_count",
        ("age_0_15", "age_15_25"),
        (0.14458, 0.021785),
        "KWB 2024 (85984NED), alle wijken in Nederland, NNLS-schatting",
        2665,
    ),
}


def _matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks age column(s) {missing}")
    return frame[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def fit_age_rates(
    frame: pd.DataFrame,
    count: str,
    *,
    age_columns: Sequence[str] = AGE_GROUPS,
    monotone: bool = True,
    min_population: float = 200.0,
    source: str = "",
) -> AgeRates:
    """Estimate reference rates per age group from a set of reference areas.

    Parameters
    ----------
    frame
        Reference areas (an area frame). Not modified.
    count
        Observed-count column, e.g. ``"wmo_clients"``.
    age_columns
        Age-group population columns, youngest first.
    monotone
        Constrain rates to be non-decreasing with age (sensible for Wmo).
    min_population
        Areas with fewer inhabitants in these age groups are left out.
    source
        Text stored in the result for provenance.

    Returns
    -------
    AgeRates

    Raises
    ------
    ValueError
        When a column is missing or fewer reference areas than age groups remain.
    """
    if count not in frame.columns:
        raise ValueError(f"frame has no column {count!r}")
    x = _matrix(frame, age_columns)
    y = pd.to_numeric(frame[count], errors="coerce").to_numpy(dtype=float)
    pop = x.sum(axis=1)
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1) & (pop >= min_population)
    if ok.sum() <= len(age_columns):
        raise ValueError(
            f"only {int(ok.sum())} reference areas with {count!r} and age data; "
            f"need more than {len(age_columns)}"
        )
    x, y, pop = x[ok], y[ok], pop[ok]
    weight = 1.0 / np.sqrt(pop)
    from scipy.optimize import nnls  # here, not at the top: importing scipy takes time

    if monotone:
        # rate_g = sum_{j<=g} delta_j with delta >= 0  <=>  design = reverse cumulative sums.
        design = np.cumsum(x[:, ::-1], axis=1)[:, ::-1]
        delta, _ = nnls(design * weight[:, None], y * weight)
        rates = np.cumsum(delta)
    else:
        rates, _ = nnls(x * weight[:, None], y * weight)
    fitted = tuple(float(r) for r in rates)
    return AgeRates(count, tuple(age_columns), fitted, source, int(ok.sum()))


def expected_counts(frame: pd.DataFrame, rates: AgeRates) -> pd.Series:
    """Expected count per area from its age structure and reference rates.

    Parameters
    ----------
    frame
        An area frame. Not modified.
    rates
        Reference rates, e.g. ``NATIONAL_RATES_2024["wmo_clients"]``.

    Returns
    -------
    pandas.Series
        Expected count, aligned to ``frame.index``; NaN where an age group is missing.
    """
    x = _matrix(frame, rates.age_columns)
    return pd.Series(x @ np.asarray(rates.rates, dtype=float), index=frame.index, dtype=float)
