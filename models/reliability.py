"""Small-area reliability: empirical Bayes smoothing of indicator rates.

A rate resting on 15 people is far noisier than one resting on 3,000, and CBS
rounds the counts behind it (to 5, benefits to 10). Empirical Bayes pulls each
area's rate towards its group's level (the gemeente, or the comparison scope)
in proportion to its unreliability::

    v_i      = sampling variance of area i's rate
    A        = variance of the true rates between areas (estimated)
    B_i      = v_i / (v_i + A)                         (shrinkage, 0..1)
    smoothed = B_i * m + (1 - B_i) * raw_i             (m: the group's rate)

``1 - B_i`` is the classical reliability coefficient: the share of the
observed spread that is real difference between areas rather than noise.

Every indicator is first written as ``value = scale * count / exposure``
(see :func:`count_basis`):

``poisson``
    A count of events against an exposure: bijstand recipients against the
    residents aged 15-65 (``ratio`` indicators), or observed Wmo/jeugdzorg
    clients against the count expected from the age mix (``smr`` indicators).
    ``v_i = m / e_i + r_i / e_i**2``: the Poisson variance at the group rate
    plus the rounding variance ``r_i = step**2 / 12`` of the published count.
    With ``A`` from the method of moments (Marshall, 1991) this is the
    Poisson-gamma model in its linear (Bayes-linear) form.
``binomial``
    A published percentage of a known total: corporatiebezit of the
    dwellings, armoede of the residents, jeugdzorg of the young. The count
    is approximated as ``percentage * total``; ``v_i = m (1 - m) / n_i``
    plus the rounding of the percentage (whole percents for corporatiebezit,
    tenths otherwise). This is the beta-binomial model, moment-fitted.
``none``
    No count model (e.g. average income): the value is not smoothed.

``A`` is estimated per group (method of moments, weighted by exposure: the
weighted variance of the raw rates minus the mean sampling variance). A group
with fewer than :data:`MIN_GROUP_AREAS` areas with a value borrows ``A`` from
all groups pooled (deviations from each area's own group level). A negative
estimate means the spread is no larger than the noise; ``A`` is then 0 and
every area of the group gets the group's rate.

Caveats: counts CBS suppressed (small numbers) are missing, not zero, so the
smallest areas are left out rather than smoothed; dwellings are not
independent draws (one corporation owns a whole block), so the binomial
variance of corporatiebezit is a lower bound; an institution (a care home)
is a real count, not noise, and smoothing only damps it in small areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.indicators import Indicator, denominators, get_indicator
from layers.standardise import NATIONAL_RATES_2024, AgeRates, expected_counts

__all__ = [
    "CountBasis",
    "ReliabilityResult",
    "RELIABILITY_CLASSES",
    "RELIABILITY_KEYS",
    "ROUNDING_STEPS",
    "MIN_GROUP_AREAS",
    "count_basis",
    "smooth_indicators",
    "smooth_rates",
    "reliability_class",
]

#: Rounding step of published counts and percentages; CBS rounds most KWB
#: counts to 5 (checked on KWB 2024: every Wmo, jeugdzorg and age count is a
#: multiple of 5) and benefit counts to 10 (every bijstand count is a multiple
#: of 10). Percentages: corporatiebezit in whole percents, others in tenths.
ROUNDING_STEPS: Mapping[str, float] = {
    "persons_bijstand": 10.0,
    "persons_ao": 10.0,
    "persons_ww": 10.0,
    "wmo_clients": 5.0,
    "youth_care_count": 5.0,
    "pct_corporation_owned": 1.0,
    "pct_rental": 1.0,
    "pct_persons_poverty": 0.1,
    "youth_care_pct": 0.1,
    "pct_households_social_minimum": 0.1,
    "pct_households_low_income": 0.1,
    "pct_households_lowest_income_40": 0.1,
}

#: Fewer areas with a value than this in a group: the group borrows the pooled ``A``.
MIN_GROUP_AREAS = 10

#: Reliability classes (lower bound of ``1 - shrinkage``), best first.
RELIABILITY_CLASSES: tuple[tuple[str, float], ...] = (
    ("high", 0.8),
    ("moderate", 0.5),
    ("low", 0.0),
)

#: The reliability classes (their words in both languages: ``geo_app.session.i18n``,
#: ids ``reliability_<class>``).
RELIABILITY_KEYS: tuple[str, ...] = (*(key for key, _ in RELIABILITY_CLASSES), "unknown")


@dataclass(frozen=True)
class CountBasis:
    """An indicator written as ``value = scale * count / exposure``.

    Attributes
    ----------
    model
        ``"poisson"``, ``"binomial"`` or ``"none"``.
    count, exposure
        Per area, aligned to the frame's index (NaN where unknown).
    scale
        Multiplier from the rate to the indicator's unit.
    rounding_var
        Variance the published rounding adds to ``count`` (count units).
    """

    model: str
    count: pd.Series
    exposure: pd.Series
    scale: float
    rounding_var: pd.Series


@dataclass(frozen=True)
class ReliabilityResult:
    """Smoothed indicator values and their reliability, aligned to the input.

    Attributes
    ----------
    raw, smoothed
        One column per indicator, in its own unit (raw as given).
    shrinkage
        ``B`` per area and indicator (0 = own value kept, 1 = group level).
    level
        The group's level ``m`` per area and indicator, in the indicator's unit
        (so ``smoothed = B * level + (1 - B) * raw``).
    table
        ``reliability`` (mean ``1 - B`` over the indicators with a count
        model and a value) and ``reliability_class`` (a key of
        :data:`RELIABILITY_CLASSES`).
    prior
        Per indicator and group: the group rate ``m`` (in the indicator's
        unit), the between-area variance ``A`` (rate units) and whether the
        pooled ``A`` was used.
    """

    raw: pd.DataFrame
    smoothed: pd.DataFrame
    shrinkage: pd.DataFrame
    level: pd.DataFrame
    table: pd.DataFrame
    prior: pd.DataFrame = field(default_factory=pd.DataFrame)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise ValueError(f"frame has no column {name!r}")
    return pd.to_numeric(frame[name], errors="coerce").astype(float)


def count_basis(
    frame: pd.DataFrame,
    indicator: Indicator,
    *,
    rates: Mapping[str, AgeRates] | None = None,
) -> CountBasis:
    """Write an indicator as a count against an exposure.

    Parameters
    ----------
    frame
        An area frame. Not modified.
    indicator
        The indicator (built-in or municipal).
    rates
        Age reference rates for ``smr`` indicators (default: national 2024).

    Returns
    -------
    CountBasis
        ``model="none"`` for a ``given`` indicator that is not a percentage.
    """
    rates = dict(NATIONAL_RATES_2024 if rates is None else rates)
    if indicator.kind == "given" and indicator.unit != "percent":
        nothing = pd.Series(np.nan, index=frame.index)
        return CountBasis("none", _col(frame, indicator.numerator[0]), nothing, 1.0, nothing)
    den = denominators(frame, [indicator.denominator])[indicator.denominator]
    municipal = indicator.source != "CBS Kerncijfers wijken en buurten"

    def step(column: str) -> float:
        return 0.0 if municipal else ROUNDING_STEPS.get(column, 5.0)

    if indicator.kind == "ratio":
        count = sum(
            (_col(frame, c) for c in indicator.numerator[1:]), _col(frame, indicator.numerator[0])
        )
        rvar = sum(step(c) ** 2 / 12.0 for c in indicator.numerator)
        return CountBasis(
            "poisson",
            count,
            den.where(den > 0),
            indicator.scale,
            pd.Series(rvar, index=frame.index),
        )
    if indicator.kind == "smr":
        column = indicator.numerator[0]
        if column not in rates:
            raise ValueError(f"no age reference rates for {column!r}")
        expected = expected_counts(frame, rates[column])
        rvar = pd.Series(step(column) ** 2 / 12.0, index=frame.index)
        return CountBasis("poisson", _col(frame, column), expected.where(expected > 0), 100.0, rvar)
    value = _col(frame, indicator.numerator[0])
    n = den.where(den > 0)
    rvar = (step(indicator.numerator[0]) / 100.0 * n) ** 2 / 12.0
    return CountBasis("binomial", value / 100.0 * n, n, 100.0, rvar)


def _sampling_var(model: str, m: np.ndarray, e: np.ndarray, rvar: np.ndarray) -> np.ndarray:
    if model == "poisson":
        return m / e + rvar / e**2
    return m * (1.0 - m) / e + rvar / e**2


def _smooth_one(
    basis: CountBasis, valid: np.ndarray, codes: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, float, float, bool]]]:
    y = basis.count.to_numpy(dtype=float)
    e = basis.exposure.to_numpy(dtype=float)
    rvar = basis.rounding_var.to_numpy(dtype=float)
    ok = valid & np.isfinite(y) & np.isfinite(e) & (e > 0)
    r = np.where(ok, y / np.where(ok, e, 1.0), np.nan)
    w = np.where(ok, e, 0.0)
    sum_w = np.bincount(codes, weights=w, minlength=n_groups)
    sum_y = np.bincount(codes, weights=np.where(ok, y, 0.0), minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        m_group = sum_y / sum_w
    m = m_group[codes]
    v = np.where(ok, _sampling_var(basis.model, m, np.where(ok, e, 1.0), rvar), 0.0)
    dev = np.where(ok, w * (np.nan_to_num(r) - np.nan_to_num(m)) ** 2, 0.0)
    spread = np.bincount(codes, weights=dev, minlength=n_groups)
    noise = np.bincount(codes, weights=w * v, minlength=n_groups)
    n_ok = np.bincount(codes, weights=ok.astype(float), minlength=n_groups)
    pooled = max((spread.sum() - noise.sum()) / sum_w.sum(), 0.0) if sum_w.sum() > 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.maximum((spread - noise) / sum_w, 0.0)
    borrow = n_ok < MIN_GROUP_AREAS
    a_group = np.where(borrow, pooled, own)
    a = a_group[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(v + a > 0, v / (v + a), 1.0)
    shrink = np.where(ok, shrink, np.nan)
    smoothed = np.where(ok, shrink * m + (1.0 - shrink) * r, np.nan) * basis.scale
    prior = [
        (g, float(m_group[g] * basis.scale), float(a_group[g]), bool(borrow[g]))
        for g in range(n_groups)
        if n_ok[g] > 0
    ]
    return smoothed, shrink, np.where(ok, m * basis.scale, np.nan), prior


def reliability_class(reliability: pd.Series) -> pd.Series:
    """Class key of :data:`RELIABILITY_CLASSES` per reliability value (``"unknown"`` for NaN)."""
    x = reliability.to_numpy(dtype=float)
    out = np.full(len(x), "unknown", dtype=object)
    for key, bound in reversed(RELIABILITY_CLASSES):
        out = np.where(np.isfinite(x) & (x >= bound), key, out)
    return pd.Series(out, index=reliability.index, dtype=object)


def smooth_rates(
    values: pd.DataFrame,
    bases: Mapping[str, CountBasis],
    *,
    groups: pd.Series | None = None,
) -> ReliabilityResult:
    """Smooth indicator values towards their group's level (empirical Bayes).

    Parameters
    ----------
    values
        Raw indicator values, one column per indicator (NaN: no value, e.g.
        below the minimum denominator; stays NaN). Not modified.
    bases
        :class:`CountBasis` per column of ``values`` (from :func:`count_basis`);
        a column without one is not smoothed.
    groups
        Group label per area (e.g. gemeentecode), aligned to ``values``;
        ``None``: one group.

    Returns
    -------
    ReliabilityResult

    Examples
    --------
    >>> import pandas as pd
    >>> from layers.indicators import get_indicator
    >>> frame = pd.DataFrame({"persons_bijstand": [10.0, 200.0, 150.0],
    ...     "age_15_25": [20.0, 400.0, 500.0], "age_25_45": [40.0, 1000.0, 900.0],
    ...     "age_45_65": [40.0, 600.0, 600.0]})
    >>> ind = get_indicator("bijstand_per_1000_15_65")
    >>> raw = pd.DataFrame({ind.key: [100.0, 100.0, 75.0]})
    >>> result = smooth_rates(raw, {ind.key: count_basis(frame, ind)})
    >>> bool(result.shrinkage[ind.key].iloc[0] > result.shrinkage[ind.key].iloc[1])
    True
    """
    if groups is None:
        groups = pd.Series(0, index=values.index)
    elif not groups.index.equals(values.index):
        raise ValueError("groups must be aligned to the index of values")
    codes, labels = pd.factorize(groups.astype(object).fillna("?"), sort=True)
    raw = values.apply(pd.to_numeric, errors="coerce").astype(float)
    smoothed = raw.copy()
    shrinkage = pd.DataFrame(np.nan, index=values.index, columns=values.columns)
    level = shrinkage.copy()
    priors = []
    for column in values.columns:
        basis = bases.get(column)
        if basis is None or basis.model == "none":
            continue
        valid = raw[column].notna().to_numpy()
        s, b, m, prior = _smooth_one(basis, valid, codes, len(labels))
        # A value without a usable count (no count model applies) stays as it is.
        smoothed[column] = np.where(np.isfinite(s), s, raw[column].to_numpy())
        shrinkage[column] = b
        level[column] = m
        priors += [(column, labels[g], m, a, pooled) for g, m, a, pooled in prior]
    rel = (1.0 - shrinkage).mean(axis=1, skipna=True)
    table = pd.DataFrame(
        {"reliability": rel, "reliability_class": reliability_class(rel)}, index=values.index
    )
    prior_frame = pd.DataFrame(priors, columns=["indicator", "group", "m", "A", "pooled_A"])
    return ReliabilityResult(raw, smoothed, shrinkage, level, table, prior_frame)


def smooth_indicators(
    frame: pd.DataFrame,
    values: pd.DataFrame,
    *,
    extra: Iterable[Indicator] = (),
    rates: Mapping[str, AgeRates] | None = None,
    groups: pd.Series | None = None,
) -> ReliabilityResult:
    """Smooth computed indicator values of an area frame (see :func:`smooth_rates`).

    Parameters
    ----------
    frame
        The area frame the values were computed from. Not modified.
    values
        Indicator values, one column per indicator key (from
        :func:`layers.compute_indicators`).
    extra
        Municipal indicators among the columns.
    rates
        Age reference rates of the ``smr`` indicators.
    groups
        Group per area; default the ``gemeentecode`` column when present
        (each rate is pulled towards its own gemeente's level), else one group.

    Returns
    -------
    ReliabilityResult
    """
    extra = tuple(extra)
    if groups is None and "gemeentecode" in frame.columns:
        groups = frame["gemeentecode"]
    bases = {k: count_basis(frame, get_indicator(k, extra), rates=rates) for k in values.columns}
    return smooth_rates(values, bases, groups=groups)
