"""Comparability per period, the national line and change since a year (models.trend_lines)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.trend_lines import (
    REFERENCE_COLUMNS,
    change_since,
    comparable_as_trend,
    national_line,
    period_comparability,
    reference_lines,
)


def rows(records: list[tuple]) -> pd.DataFrame:
    """(code, gemeentecode, theme, indicator, year, value, boundary_change) → series rows."""
    frame = pd.DataFrame(
        records,
        columns=["code", "gemeentecode", "theme", "indicator", "year", "value", "boundary_change"],
    )
    frame["level"] = np.where(frame["code"].str.startswith("GM"), "gemeente", "wijk")
    return frame


def test_a_boundary_change_makes_only_the_earlier_years_incomparable():
    frame = rows(
        [
            ("WK000101", "GM0001", "wmo", "wmo_clients", y, 10.0 * y, 3.0 if y == 2019 else 1.0)
            for y in range(2016, 2022)
        ]
    )
    out = period_comparability(frame, last=2021)
    assert list(out["comparable"]) == [False, False, False, True, True, True]
    assert out["reason"].iloc[0] == out["reason"].iloc[2]
    assert "2019" in out["reason"].iloc[0] and "grenzen" in out["reason"].iloc[0]
    assert not out["harmonised"].any()
    assert "comparable" not in frame.columns  # input untouched


def test_the_first_later_change_is_the_reason_and_harmonised_rows_stay_comparable():
    frame = rows(
        [
            ("WK000101", "GM0001", "wmo", "wmo_clients", y, 1.0, {2018: 2.0, 2020: 3.0}.get(y, 1.0))
            for y in range(2016, 2022)
        ]
    )
    out = period_comparability(frame, last=2021)
    assert "code gewijzigd in 2018" in out["reason"].iloc[0]
    assert "grenzen gewijzigd in 2020" in out["reason"].iloc[2]
    frame["harmonised"] = True
    assert period_comparability(frame, last=2021)["comparable"].all()


def test_breaks_and_mergers_are_refused_with_their_reason():
    frame = rows(
        [
            ("WK000101", "GM0001", "jeugdzorg", "youth_care_clients", y, 1.0, 1.0)
            for y in (2016, 2017, 2018)
        ]
        + [("WK000201", "GM0002", "wmo", "wmo_clients", y, 1.0, 1.0) for y in (2020, 2021)]
    )
    out = period_comparability(
        frame, last=2021, breaks={"jeugdzorg": 2017}, mergers={"GM0002": (2021, "GM0003")}
    )
    assert list(out["comparable"]) == [False, True, True, False, False]
    assert "definitie" in out["reason"].iloc[0]
    assert "opgegaan in GM0003" in out["reason"].iloc[3]


def test_the_national_line_sums_counts_and_recomputes_rates_from_denominators():
    # gemeente A: 100 clients, 50 per 1000 (2000 inhabitants); B: 30 clients, 10 per 1000 (3000)
    frame = rows(
        [
            ("GM0001", "GM0001", "wmo", "wmo_clients", 2020, 100.0, np.nan),
            ("GM0001", "GM0001", "wmo", "wmo_clients_per_1000", 2020, 50.0, np.nan),
            ("GM0002", "GM0002", "wmo", "wmo_clients", 2020, 30.0, np.nan),
            ("GM0002", "GM0002", "wmo", "wmo_clients_per_1000", 2020, 10.0, np.nan),
            ("GM0003", "GM0003", "wmo", "wmo_clients", 2020, 5.0, np.nan),  # no rate
        ]
    )
    line = national_line(
        frame,
        counts={"wmo": "wmo_clients"},
        rates={"wmo": "wmo_clients_per_1000"},
        units={"wmo_clients_per_1000": "per_1000"},
    )
    assert list(line.columns) == list(REFERENCE_COLUMNS)
    count = line[line["indicator"] == "wmo_clients"].iloc[0]
    rate = line[line["indicator"] == "wmo_clients_per_1000"].iloc[0]
    assert count["value"] == 135.0 and count["n_gemeenten"] == 3
    assert rate["value"] == pytest.approx(1000 * 130 / 5000) and rate["n_gemeenten"] == 2
    assert set(line["line"]) == {"nederland"}
    lines = reference_lines(frame, "GM0002", line)
    assert set(lines["line"]) == {"gemeente", "nederland"}
    own = lines[lines["line"] == "gemeente"]
    assert sorted(own["value"]) == [10.0, 30.0] and (own["n_gemeenten"] == 1).all()
    assert set(reference_lines(frame, "GM0002", None)["line"]) == {"gemeente"}


def test_change_since_is_nan_where_the_start_is_not_comparable():
    frame = rows(
        [
            ("WK000101", "GM0001", "wmo", "wmo_clients_per_1000", y, v, 1.0)
            for y, v in ((2019, 20.0), (2020, 22.0), (2021, 25.0))
        ]
        + [
            ("WK000102", "GM0001", "wmo", "wmo_clients_per_1000", y, 5.0, c)
            for y, c in ((2019, 1.0), (2020, 3.0), (2021, 1.0))
        ]
    )
    out = period_comparability(frame, last=2021)
    change = change_since(
        out, indicator="wmo_clients_per_1000", since=2019, last=2021, level="wijk"
    )
    assert change["WK000101"] == 5.0
    assert np.isnan(change["WK000102"])  # boundaries changed in 2020
    later = change_since(out, indicator="wmo_clients_per_1000", since=2020, last=2021, level="wijk")
    assert later["WK000102"] == 0.0
    with pytest.raises(ValueError):
        change_since(out, indicator="wmo_clients_per_1000", since=2022, last=2021, level="wijk")


def test_every_year_is_as_comparable_as_the_areas_trend():
    frame = rows(
        [
            (code, "GM0001", "stapeling", "stacking_percentile", y, 50.0, 1.0)
            for code in ("WK000101", "WK000102", "WK000103")
            for y in (2019, 2020)
        ]
    )
    trends = pd.DataFrame(
        {
            "code": ["WK000101", "WK000102"],
            "theme": "stapeling",
            "indicator": "stacking_percentile",
            "comparable": [True, False],
            "harmonised": [True, False],
            "reason": [None, "te weinig jaren"],
        }
    )
    out = comparable_as_trend(frame.set_index(np.arange(10, 16)), trends)
    assert list(out.index) == list(range(10, 16))  # aligned with the input
    assert list(out["comparable"]) == [True, True, False, False, False, False]
    assert list(out["harmonised"]) == [True, True, False, False, False, False]
    assert list(out["reason"].iloc[2:4]) == ["te weinig jaren"] * 2
    assert set(out["reason"].iloc[4:]) == {"geen trend voor dit gebied"}  # no trend row
    assert out["harmonise_method"].isna().all() and "comparable" not in frame.columns


def test_comparability_does_not_depend_on_the_order_of_the_rows():
    flags = {("WK000101", 2018): 2.0, ("WK000101", 2020): 3.0, ("WK000102", 2019): 3.0}
    frame = rows(
        [
            (code, "GM0001", theme, "wmo_clients", y, 1.0, flags.get((code, y), 1.0))
            for code in ("WK000101", "WK000102", "WK000103")
            for theme in ("wmo", "bijstand")
            for y in range(2016, 2022)
        ]
    )
    ordered = period_comparability(frame, last=2021)
    shuffled = frame.sample(frac=1.0, random_state=3)
    again = period_comparability(shuffled, last=2021)
    pd.testing.assert_frame_equal(again.loc[ordered.index], ordered)
    first = ordered[(ordered["code"] == "WK000101") & (ordered["theme"] == "bijstand")]
    assert list(first["comparable"]) == [False] * 4 + [True] * 2
    assert "code gewijzigd in 2018" in first["reason"].iloc[1]
    assert "grenzen gewijzigd in 2020" in first["reason"].iloc[2]
    assert ordered.loc[ordered["code"] == "WK000103", "comparable"].all()
