"""Empirical Bayes smoothing: shrinkage follows the noise, and it estimates true rates better."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layers.indicators import compute_indicators, get_indicator
from layers.standardise import NATIONAL_RATES_2024, expected_counts
from models.reliability import (
    RELIABILITY_KEYS,
    CountBasis,
    count_basis,
    reliability_class,
    smooth_indicators,
    smooth_rates,
)


def _poisson(count, exposure, *, rounding=0.0, scale=1000.0) -> CountBasis:
    index = pd.RangeIndex(len(count))
    return CountBasis(
        "poisson",
        pd.Series(count, dtype=float, index=index),
        pd.Series(exposure, dtype=float, index=index),
        scale,
        pd.Series(rounding**2 / 12.0, index=index),
    )


def _simulated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson-gamma areas: true rates from a gamma prior, exposures from 80 to 8,000."""
    rng = np.random.default_rng(seed)
    exposure = np.exp(rng.uniform(np.log(80), np.log(8000), n))
    true = rng.gamma(shape=8.0, scale=0.05 / 8.0, size=n)  # mean 0.05, sd 0.018
    count = rng.poisson(true * exposure).astype(float)
    return exposure, true, count


def test_smoothing_estimates_the_true_rates_better_than_the_raw_rates():
    exposure, true, count = _simulated(600, seed=1)
    raw = pd.DataFrame({"x": 1000.0 * count / exposure})
    result = smooth_rates(raw, {"x": _poisson(count, exposure)})
    err_raw = np.mean((raw["x"].to_numpy() / 1000 - true) ** 2)
    err_smooth = np.mean((result.smoothed["x"].to_numpy() / 1000 - true) ** 2)
    assert err_smooth < 0.7 * err_raw
    # The moment estimate of the between-area variance is close to the true one (0.018^2).
    a = result.prior.loc[0, "A"]
    assert 0.5 * 0.0177**2 < a < 1.6 * 0.0177**2


def test_shrinkage_falls_with_the_exposure_and_smoothed_lies_between_raw_and_level():
    exposure, _, count = _simulated(300, seed=2)
    raw = pd.DataFrame({"x": 1000.0 * count / exposure})
    result = smooth_rates(raw, {"x": _poisson(count, exposure)})
    b = result.shrinkage["x"].to_numpy()
    assert ((b >= 0) & (b <= 1)).all()
    order = np.argsort(exposure)
    assert (np.diff(b[order]) <= 1e-12).all()
    level = result.level["x"].to_numpy()
    smoothed = result.smoothed["x"].to_numpy()
    lo, hi = np.minimum(raw["x"], level), np.maximum(raw["x"], level)
    assert ((smoothed >= lo - 1e-9) & (smoothed <= hi + 1e-9)).all()
    assert np.allclose(smoothed, b * level + (1 - b) * raw["x"])
    # Small areas are the unreliable ones.
    rel = result.table["reliability"].to_numpy()
    assert rel[exposure < 200].mean() < rel[exposure > 4000].mean()


def test_rounding_adds_shrinkage():
    exposure, _, count = _simulated(300, seed=3)
    raw = pd.DataFrame({"x": 1000.0 * count / exposure})
    plain = smooth_rates(raw, {"x": _poisson(count, exposure)}).shrinkage["x"]
    rounded = smooth_rates(raw, {"x": _poisson(count, exposure, rounding=10)}).shrinkage["x"]
    assert (rounded >= plain - 1e-12).all() and (rounded > plain).mean() > 0.9


def test_no_real_spread_pulls_every_area_to_the_group_level_per_group():
    exposure = np.array([100.0, 200, 400, 800] * 6)
    count = exposure * np.repeat([0.01, 0.03], 12)  # equal within each group
    groups = pd.Series(np.repeat(["a", "b"], 12))
    raw = pd.DataFrame({"x": 1000 * count / exposure})
    result = smooth_rates(raw, {"x": _poisson(count, exposure)}, groups=groups)
    assert np.allclose(result.smoothed["x"][:12], 10.0)
    assert np.allclose(result.smoothed["x"][12:], 30.0)
    assert (result.table["reliability_class"] == "low").all()


def test_missing_values_stay_missing_and_nothing_is_mutated():
    exposure, _, count = _simulated(40, seed=4)
    raw = pd.DataFrame({"x": 1000.0 * count / exposure, "income": 30.0})
    raw.loc[[3, 7], "x"] = np.nan
    before = raw.copy()
    result = smooth_rates(raw, {"x": _poisson(count, exposure)})
    pd.testing.assert_frame_equal(raw, before)
    assert result.smoothed["x"][[3, 7]].isna().all()
    assert result.shrinkage["income"].isna().all()
    pd.testing.assert_series_equal(result.smoothed["income"], raw["income"])
    with pytest.raises(ValueError, match="aligned"):
        smooth_rates(raw, {}, groups=pd.Series(0, index=range(1, 41)))


def test_small_groups_borrow_the_pooled_spread():
    exposure, _, count = _simulated(60, seed=5)
    groups = pd.Series(["big"] * 55 + ["small"] * 5)
    raw = pd.DataFrame({"x": 1000.0 * count / exposure})
    prior = smooth_rates(raw, {"x": _poisson(count, exposure)}, groups=groups).prior
    assert prior.set_index("group").loc["small", "pooled_A"]
    assert not prior.set_index("group").loc["big", "pooled_A"]


def test_count_bases_follow_the_indicator_definitions():
    frame = pd.DataFrame(
        {
            "population": [800.0, 1500.0],
            "persons_bijstand": [20.0, 40.0],
            "age_0_15": [100.0, 300.0],
            "age_15_25": [100.0, 200.0],
            "age_25_45": [300.0, 400.0],
            "age_45_65": [200.0, 400.0],
            "age_65_plus": [100.0, 200.0],
            "wmo_clients": [30.0, 80.0],
            "dwellings": [250.0, 500.0],
            "pct_corporation_owned": [40.0, 10.0],
            "avg_income_per_inhabitant": [25.0, 30.0],
        }
    )
    values = compute_indicators(
        frame, ["bijstand_per_1000_15_65", "wmo_age_index", "pct_corporation_owned"]
    )
    bij = count_basis(frame, get_indicator("bijstand_per_1000_15_65"))
    assert bij.model == "poisson" and bij.rounding_var.iloc[0] == pytest.approx(100 / 12)
    assert np.allclose(bij.scale * bij.count / bij.exposure, values["bijstand_per_1000_15_65"])
    wmo = count_basis(frame, get_indicator("wmo_age_index"))
    assert np.allclose(wmo.exposure, expected_counts(frame, NATIONAL_RATES_2024["wmo_clients"]))
    assert np.allclose(wmo.scale * wmo.count / wmo.exposure, values["wmo_age_index"])
    corp = count_basis(frame, get_indicator("pct_corporation_owned"))
    assert corp.model == "binomial" and list(corp.count) == [100.0, 50.0]
    assert count_basis(frame, get_indicator("avg_income_per_inhabitant")).model == "none"


def test_reliability_classes_have_dutch_labels():
    classes = reliability_class(pd.Series([0.95, 0.8, 0.6, 0.2, np.nan]))
    assert list(classes) == ["high", "high", "moderate", "low", "unknown"]
    assert set(classes) <= set(RELIABILITY_KEYS)
    from geo_app.session.i18n import TEXTS

    for key in RELIABILITY_KEYS:
        assert TEXTS[f"reliability_{key}"]["nl"] and TEXTS[f"reliability_{key}"]["en"]
    assert TEXTS["reliability_low"]["nl"] == "rust op weinig inwoners"


@pytest.mark.real_data
def test_real_buurten_small_populations_are_the_unreliable_ones(national_data):
    from tests._real import stats_frame

    frame = stats_frame(national_data, "buurt")  # the 452 buurten of 11 Rijnmond gemeenten
    keys = ["bijstand_per_1000_15_65", "wmo_age_index", "youth_care_age_index"]
    result = smooth_indicators(frame, compute_indicators(frame, keys))
    rel = result.table["reliability"]
    scored = rel.notna()
    small = frame["population"] < frame.loc[scored, "population"].quantile(0.25)
    large = frame["population"] > frame.loc[scored, "population"].quantile(0.75)
    assert rel[scored & small].mean() < rel[scored & large].mean() - 0.1
    assert rel.corr(np.log(frame["population"].clip(lower=1)), method="spearman") > 0.5


def test_a_value_without_a_usable_count_is_kept_as_it_is():
    from models.uncertainty import rank_uncertainty

    n = 12
    raw = pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n, dtype=float)[::-1]})
    counts = np.full(n, 5.0)
    basis = _poisson(counts, np.full(n, np.inf))  # e.g. an absolute count ("none" denominator)
    result = smooth_rates(raw, {"x": basis})
    pd.testing.assert_series_equal(result.smoothed["x"], raw["x"])
    table = rank_uncertainty(raw, {"x": basis}, methods=False, resamples=5).table
    assert table["stacking_percentile_lo"].equals(table["stacking_percentile_hi"])
