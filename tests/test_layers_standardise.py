from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layers import (
    AGE_GROUPS,
    NATIONAL_RATES_2024,
    AgeRates,
    compute_indicators,
    expected_counts,
    fit_age_rates,
)
from tests._grid import grid_frame
from tests._real import attribute_frame


def _with_counts(rates: np.ndarray, *, seed: int = 0, noise: float = 0.0) -> pd.DataFrame:
    frame = grid_frame(8, 8, seed=seed)
    ages = frame[list(AGE_GROUPS)].to_numpy(float)
    rng = np.random.default_rng(seed)
    expected = ages @ rates
    frame["wmo_clients"] = expected * (1 + noise * rng.normal(size=len(frame)))
    return frame


def test_fit_recovers_known_monotone_rates():
    truth = np.array([0.0, 0.02, 0.03, 0.05, 0.2])
    frame = _with_counts(truth)
    fitted = fit_age_rates(frame, "wmo_clients")
    np.testing.assert_allclose(fitted.rates, truth, atol=1e-9)
    assert fitted.n_areas == len(frame)


def test_monotone_fit_never_decreases_with_age_and_unconstrained_can():
    truth = np.array([0.05, 0.0, 0.1, 0.0, 0.2])  # not monotone
    frame = _with_counts(truth, noise=0.02)
    mono = np.array(fit_age_rates(frame, "wmo_clients").rates)
    free = np.array(fit_age_rates(frame, "wmo_clients", monotone=False).rates)
    assert (np.diff(mono) >= -1e-12).all()
    assert (mono >= 0).all() and (free >= 0).all()
    assert (np.diff(free) < 0).any()


def test_fit_refuses_too_few_reference_areas():
    frame = grid_frame(2, 2)
    frame["wmo_clients"] = 10.0
    with pytest.raises(ValueError, match="reference areas"):
        fit_age_rates(frame, "wmo_clients")


def test_expected_counts_is_population_times_rate():
    frame = grid_frame(3, 3)
    rates = AgeRates("wmo_clients", ("age_45_65", "age_65_plus"), (0.1, 0.3), "test")
    np.testing.assert_allclose(
        expected_counts(frame, rates), 0.1 * frame["age_45_65"] + 0.3 * frame["age_65_plus"]
    )


def test_index_is_100_when_use_matches_the_age_mix():
    truth = np.array(NATIONAL_RATES_2024["wmo_clients"].rates)
    frame = _with_counts(truth)
    index = compute_indicators(frame, ["wmo_age_index"])["wmo_age_index"]
    np.testing.assert_allclose(index, 100.0)


def test_elderly_buurt_is_not_a_problem_buurt_after_standardisation():
    rates = NATIONAL_RATES_2024["wmo_clients"]
    frame = grid_frame(3, 3)
    # Two buurten of equal size: one young, one old, both using Wmo exactly as expected.
    frame.loc[0, list(AGE_GROUPS)] = [600, 400, 1200, 600, 200]
    frame.loc[1, list(AGE_GROUPS)] = [150, 150, 350, 650, 1700]
    frame.loc[[0, 1], "population"] = 3000
    frame.loc[[0, 1], "wmo_clients"] = expected_counts(frame.loc[[0, 1]], rates)
    values = compute_indicators(frame, ["wmo_per_1000", "wmo_age_index"])
    assert values.loc[1, "wmo_per_1000"] > 2.5 * values.loc[0, "wmo_per_1000"]
    np.testing.assert_allclose(values.loc[[0, 1], "wmo_age_index"], 100.0)


@pytest.mark.real_data
def test_national_rates_are_reproducible_from_the_real_wijk_data(national_data):
    wijk = attribute_frame(national_data, "wijk")
    for count, stored in NATIONAL_RATES_2024.items():
        fitted = fit_age_rates(
            wijk, count, age_columns=stored.age_columns, monotone=count == "wmo_clients"
        )
        np.testing.assert_allclose(fitted.rates, stored.rates, rtol=1e-3, atol=1e-6)
        assert fitted.n_areas == stored.n_areas


@pytest.mark.real_data
def test_standardised_wmo_no_longer_tracks_the_share_of_elderly(national_data):
    wijk = attribute_frame(national_data, "wijk")
    values = compute_indicators(wijk, ["wmo_per_1000", "wmo_age_index"])
    share_65 = wijk["age_65_plus"] / wijk["population"]
    ok = values.notna().all(axis=1) & share_65.notna()
    crude = np.corrcoef(values.loc[ok, "wmo_per_1000"], share_65[ok])[0, 1]
    standardised = np.corrcoef(values.loc[ok, "wmo_age_index"], share_65[ok])[0, 1]
    assert crude > 0.4
    assert abs(standardised) < 0.15
    # The national total is reproduced: observed / expected over all wijken is about 1.
    expected = expected_counts(wijk[ok], NATIONAL_RATES_2024["wmo_clients"])
    assert wijk.loc[ok, "wmo_clients"].sum() / expected.sum() == pytest.approx(1.0, abs=0.02)
