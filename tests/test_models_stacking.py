from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from layers import Threshold
from models import stacking_scores


def _frame():
    return pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0, 10.0],
            "b": [5.0, 4.0, 3.0, 2.0, 1.0],
            "c": [0.0, 0.0, 1.0, 1.0, np.nan],
        },
        index=list("vwxyz"),
    )


def test_scores_follow_their_definitions():
    values = _frame()
    result = stacking_scores(values, clip=0)
    mean, std = values.mean(), values.std(ddof=0)
    z = (values - mean) / std
    np.testing.assert_allclose(result.z, z)
    np.testing.assert_allclose(result.table["stacking_score"], z.mean(axis=1))
    # Mid-rank percentiles: "a" has distinct values 1..5 -> 10, 30, 50, 70, 90.
    np.testing.assert_allclose(result.percentile["a"], [10, 30, 50, 70, 90])
    # Ties share their mid-rank: "c" 0,0,1,1 -> 25, 25, 75, 75.
    np.testing.assert_allclose(result.percentile["c"].iloc[:4], [25, 25, 75, 75])
    assert result.table["n_indicators"].tolist() == [3, 3, 3, 3, 2]


def test_direction_minus_one_flips_need():
    values = _frame()
    up = stacking_scores(values[["b"]])
    down = stacking_scores(values[["b"]], directions={"b": -1})
    np.testing.assert_allclose(up.z["b"], -down.z["b"])
    assert down.table["stacking_score"].idxmax() == "z"


def test_clipping_limits_one_extreme_value():
    values = pd.DataFrame({"a": [0.0] * 19 + [100.0]})
    assert stacking_scores(values, clip=3).z["a"].max() == 3.0
    assert stacking_scores(values, clip=0).z["a"].max() > 3.0


def test_missing_values_are_not_silently_ranked():
    values = _frame()
    values.loc["z", "b"] = np.nan
    result = stacking_scores(values, min_indicators=2, flag_min_themes=1)
    row = result.table.loc["z"]
    assert row["n_indicators"] == 1
    assert np.isnan(row["stacking_score"]) and np.isnan(row["stacking_percentile"])
    assert not row["stacking_flag"]
    assert result.table.loc[list("vwxy"), "stacking_score"].notna().all()


def test_percentile_threshold_and_flag():
    values = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0)[::-1]})
    result = stacking_scores(
        values, thresholds={"a": Threshold("percentile", 80)}, flag_min_themes=1
    )
    assert result.high["a"].tolist() == [False] * 8 + [True, True]
    assert result.high["b"].tolist() == [True, True] + [False] * 8  # default: 80th percentile
    assert result.table["themes_high"].tolist() == [1, 1] + [0] * 6 + [1, 1]


def test_dordrecht_absolute_thresholds():
    values = pd.DataFrame(
        {
            "wonen": [95.0, 95.0, 89.0, 99.0],
            "uitkeringen": [420.0, 400.0, 450.0, 500.0],
            "wmo": [310.0, 300.0, 350.0, 290.0],
            "jeugd": [26.0, 25.0, 30.0, 40.0],
        }
    )
    thresholds = {
        "wonen": Threshold("absolute", 90),
        "uitkeringen": Threshold("absolute", 400),
        "wmo": Threshold("absolute", 300),
        "jeugd": Threshold("absolute", 25),
    }
    result = stacking_scores(values, thresholds=thresholds, flag_min_themes=4, min_indicators=3)
    assert result.table["themes_high"].tolist() == [4, 4, 3, 3]
    assert result.table["stacking_flag"].tolist() == [True, True, False, False]


def test_absolute_threshold_for_lower_is_worse():
    values = pd.DataFrame({"income": [20.0, 25.0, 40.0]})
    result = stacking_scores(
        values, directions={"income": -1}, thresholds={"income": Threshold("absolute", 25)}
    )
    assert result.high["income"].tolist() == [True, True, False]


def test_scope_per_group_compares_within_the_group():
    values = pd.DataFrame({"a": [1.0, 2.0, 3.0, 101.0, 102.0, 103.0]})
    groups = pd.Series(["A", "A", "A", "B", "B", "B"])
    within = stacking_scores(values, groups=groups)
    np.testing.assert_allclose(within.z["a"].iloc[:3], within.z["a"].iloc[3:])
    together = stacking_scores(values)
    assert (
        together.table["stacking_score"].iloc[3:].min()
        > together.table["stacking_score"].iloc[:3].max()
    )
    with pytest.raises(ValueError, match="aligned"):
        stacking_scores(values, groups=pd.Series(["A"] * 6, index=range(10, 16)))


def test_reference_scope_uses_the_reference_distribution():
    reference = pd.DataFrame({"a": np.arange(100.0)})
    values = pd.DataFrame({"a": [10.0, 90.0]})
    result = stacking_scores(values, reference=reference, clip=0)
    np.testing.assert_allclose(result.percentile["a"], [10.5, 90.5])
    np.testing.assert_allclose(result.z["a"], (values["a"] - 49.5) / reference["a"].std(ddof=0))
    np.testing.assert_allclose(result.table["stacking_percentile"], [10.5, 90.5])
    with pytest.raises(ValueError, match="reference lacks"):
        stacking_scores(values, reference=pd.DataFrame({"b": [1.0]}))


_values = data_frames(
    columns=[
        column(
            name, elements=st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False)), dtype=float
        )
        for name in ("a", "b", "c")
    ],
    index=range_indexes(min_size=1, max_size=30),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_values, seed=st.integers(0, 2**16), grouped=st.booleans())
def test_properties_no_mutation_alignment_and_row_order(values, seed, grouped):
    rng = np.random.default_rng(seed)
    values.index = pd.Index(rng.permutation(len(values)) * 7 + 3)  # arbitrary labels
    groups = pd.Series(rng.integers(0, 3, len(values)), index=values.index) if grouped else None
    before = values.copy()
    result = stacking_scores(values, groups=groups, min_indicators=2, flag_min_themes=2)
    pd.testing.assert_frame_equal(values, before)
    for part in (result.table, result.z, result.percentile, result.high):
        assert part.index.equals(values.index)
    order = rng.permutation(len(values))
    shuffled = stacking_scores(
        values.iloc[order],
        groups=None if groups is None else groups.iloc[order],
        min_indicators=2,
        flag_min_themes=2,
    )
    pd.testing.assert_frame_equal(
        shuffled.table.loc[values.index], result.table, atol=1e-9, rtol=1e-9
    )
    scored = result.table["stacking_score"].notna()
    assert (result.table.loc[~scored, "stacking_flag"] == False).all()  # noqa: E712
    assert result.table["n_indicators"].between(0, 3).all()
    pct = result.table["stacking_percentile"].dropna()
    assert ((pct > 0) & (pct < 100)).all()
