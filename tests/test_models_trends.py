"""Trends and the oplopend rule: robust slope, noise, comparability, refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes

from models.trends import (
    TREND_COLUMNS,
    TrendRule,
    compute_trends,
    poisson_interval,
    theil_sen,
)

COUNTS = {"wmo": "wmo_clients"}
RATES = {"wmo": "wmo_clients_per_1000"}


def frame(series: dict[str, list[float]], *, first: int = 2016, rates=None, changes=None):
    """A long series frame: one wijk per key, H1 of each year, plus an H2 row to ignore."""
    records = []
    for code, values in series.items():
        for offset, value in enumerate(values):
            year = first + offset
            change = (changes or {}).get((code, year), 1.0)
            base = {
                "code": code,
                "name": f"Wijk {code}",
                "level": "wijk",
                "gemeentecode": "GM" + code[2:6],
                "theme": "wmo",
                "year": year,
                "period_kind": "halfyear",
                "boundary_change": change,
                "table_id": "x",
            }
            records.append(
                base | {"indicator": "wmo_clients", "period": f"{year}H1", "value": value}
            )
            records.append(
                base | {"indicator": "wmo_clients", "period": f"{year}H2", "value": 10_000.0}
            )
            if rates is not None:
                records.append(
                    base
                    | {
                        "indicator": "wmo_clients_per_1000",
                        "period": f"{year}H1",
                        "value": rates[code][offset],
                    }
                )
    return pd.DataFrame.from_records(records)


def trends(rows, first=2016, last=2024, **kw):
    kw.setdefault("counts", COUNTS)
    return compute_trends(rows, first=first, last=last, **kw).trends.set_index(
        ["code", "indicator"]
    )


def rounded(values):
    return (np.round(np.asarray(values, dtype=float) / 5) * 5).tolist()


def test_theil_sen_equals_scipy_with_gaps():
    rng = np.random.default_rng(1)
    years = np.arange(2016, 2025)
    values = rng.poisson(50, size=(40, 9)).astype(float)
    values[rng.random(values.shape) < 0.2] = np.nan
    ours = theil_sen(years, values)
    for row, slope in zip(values, ours, strict=True):
        keep = ~np.isnan(row)
        if keep.sum() >= 2:
            assert slope == pytest.approx(theilslopes(row[keep], years[keep])[0])
        else:
            assert np.isnan(slope)


def test_poisson_interval_is_garwoods():
    lower, upper = poisson_interval(np.array([0, 10]), 0.95)
    assert lower[0] == 0 and upper[0] == pytest.approx(3.689, abs=1e-3)
    assert lower[1] == pytest.approx(4.795, abs=1e-3) and upper[1] == pytest.approx(18.39, abs=1e-2)


def test_clear_rise_is_flagged_and_flat_is_not():
    rows = frame(
        {
            "WK000101": rounded(np.linspace(100, 200, 9)),
            "WK000102": rounded([100] * 9),
            "WK000103": rounded(np.linspace(10, 15, 9)),  # +50 %, but small: noise and rounding
        }
    )
    out = trends(rows)
    assert list(compute_trends(rows, first=2016, last=2024, counts=COUNTS).trends) == list(
        TREND_COLUMNS
    )
    assert out.loc[("WK000101", "wmo_clients"), "trend_flag"]
    assert out.loc[("WK000101", "wmo_clients"), "slope"] == pytest.approx(12.5, abs=1)
    assert out.loc[("WK000101", "wmo_clients"), "change"] == 100
    assert not out.loc[("WK000102", "wmo_clients"), "trend_flag"]
    assert not out.loc[("WK000103", "wmo_clients"), "trend_flag"]
    assert out["comparable"].all()


def test_a_rate_that_does_not_rise_vetoes():
    counts = rounded(np.linspace(100, 200, 9))
    rows = frame(
        {"WK000101": counts, "WK000102": counts},
        rates={"WK000101": [50.0] * 9, "WK000102": list(np.linspace(50, 90, 9))},
    )
    out = trends(rows, rates=RATES)
    assert not out.loc[("WK000101", "wmo_clients"), "trend_flag"]  # the population grew
    assert out.loc[("WK000102", "wmo_clients"), "trend_flag"]
    assert out.loc[("WK000102", "wmo_clients_per_1000"), "trend_flag"]  # same flag per theme


def test_changed_boundaries_merged_gemeenten_and_breaks_get_no_trend():
    rise = rounded(np.linspace(100, 200, 9))
    rows = frame(
        {"WK000101": rise, "WK000102": rise, "WK000103": rise, "WK045701": rise},
        changes={("WK000101", 2020): 3.0, ("WK000102", 2016): 3.0, ("WK000103", 2022): 2.0},
    )
    out = trends(rows, mergers={"GM0457": (2023, "GM0363")})
    first = out.loc[("WK000101", "wmo_clients")]
    assert not first["comparable"] and pd.isna(first["trend_flag"]) and np.isnan(first["slope"])
    assert (
        "grenzen gewijzigd in 2020" in first["reason"] and "niet geharmoniseerd" in first["reason"]
    )
    assert out.loc[("WK000102", "wmo_clients"), "comparable"]  # a change before the range
    assert "code gewijzigd in 2022" in out.loc[("WK000103", "wmo_clients"), "reason"]
    assert "opgegaan in GM0363" in out.loc[("WK045701", "wmo_clients"), "reason"]
    broken = trends(rows, breaks={"wmo": 2017})
    assert broken["reason"].str.contains("definitie").all()
    assert trends(rows, first=2017, breaks={"wmo": 2017}).loc[
        ("WK000102", "wmo_clients"), "comparable"
    ]


def test_too_few_years_and_bad_range():
    rows = frame({"WK000101": [100, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 300, 300]})
    out = trends(rows)
    assert "te weinig jaren" in out.loc[("WK000101", "wmo_clients"), "reason"]
    with pytest.raises(ValueError, match="wrong way round"):
        compute_trends(rows, first=2024, last=2016, counts=COUNTS)
    with pytest.raises(ValueError, match="no yearly values"):
        compute_trends(rows, first=2030, last=2031, counts=COUNTS)
    with pytest.raises(ValueError, match="No count indicator"):
        compute_trends(rows, first=2016, last=2024, counts={})


def test_input_is_not_mutated():
    rows = frame({"WK000101": rounded(np.linspace(100, 200, 9))})
    before = rows.copy()
    compute_trends(rows, first=2016, last=2024, counts=COUNTS)
    pd.testing.assert_frame_equal(rows, before)


def _simulate(rate_start, rate_end, n_years, n_areas, seed):
    rng = np.random.default_rng(seed)
    means = np.linspace(rate_start, rate_end, n_years)
    draws = rng.poisson(means, size=(n_areas, n_years))
    series = {f"WK{i:06d}": rounded(row) for i, row in enumerate(draws)}
    return frame(series)


@settings(max_examples=25, deadline=None)
@given(
    level=st.floats(min_value=0.5, max_value=2000),
    n_years=st.integers(min_value=4, max_value=9),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_pure_noise_flags_almost_nothing(level, n_years, seed):
    rows = _simulate(level, level, n_years, 200, seed)
    out = compute_trends(rows, first=2016, last=2015 + n_years, counts=COUNTS).trends
    assert out["trend_flag"].fillna(False).mean() <= 0.02


@settings(max_examples=15, deadline=None)
@given(
    level=st.floats(min_value=100, max_value=2000),
    n_years=st.integers(min_value=5, max_value=9),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_a_doubling_in_a_wijk_of_some_size_is_flagged(level, n_years, seed):
    # The rule is conservative: +60 % in a wijk of 60 clients over five years is flagged
    # in only about 40 % of draws (found by this test); a doubling from 100 is clear.
    rows = _simulate(level, 2 * level, n_years, 100, seed)
    out = compute_trends(rows, first=2016, last=2015 + n_years, counts=COUNTS).trends
    assert out["trend_flag"].fillna(False).mean() >= 0.9


def test_rule_is_stated_in_dutch_and_its_parameters_bite():
    rule = TrendRule(min_effect=1.5)
    text = rule.describe_nl()
    assert "150%" in text and "afronding op 5" in text and "Poisson" in text
    rows = frame({"WK000101": rounded(np.linspace(100, 200, 9))})
    assert trends(rows).loc[("WK000101", "wmo_clients"), "trend_flag"]
    assert not trends(rows, rule=rule).loc[("WK000101", "wmo_clients"), "trend_flag"]
    result = compute_trends(rows, first=2016, last=2024, counts=COUNTS, rule=rule)
    assert result.settings()["min_effect"] == 1.5 and result.settings()["first"] == 2016


def test_reason_of_the_harmonisation_step_is_kept():
    rise = rounded(np.linspace(100, 200, 9))
    rows = frame({"WK000101": rise, "WK000102": rise}, changes={("WK000101", 2020): 3.0})
    rows["harmonise_reason"] = np.where(
        rows["code"] == "WK000101", "niet te harmoniseren: geen grenzen van 2019", None
    )
    out = trends(rows)
    first = out.loc[("WK000101", "wmo_clients")]
    assert not first["comparable"] and first["reason"].endswith("geen grenzen van 2019")
    assert out.loc[("WK000102", "wmo_clients"), "comparable"]
