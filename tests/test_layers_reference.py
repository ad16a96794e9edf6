"""Reference values of a set of areas taken together (``layers.reference``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from layers import compute_indicators
from layers.reference import reference_values


def test_pooled_buurten_give_the_gemeente_figures(demo_frames):
    """The demo gemeente row is built from its buurten, so pooling them must give it back."""
    pooled = reference_values(demo_frames["buurt"])
    own = compute_indicators(demo_frames["gemeente"]).iloc[0]
    assert set(pooled) == set(own.index)
    for key, value in pooled.items():
        # The demo rounds its gemeente percentages to one decimal.
        assert value == pytest.approx(own[key], abs=0.06), key


def test_pooling_is_not_a_mean_of_area_values():
    frame = pd.DataFrame(
        {
            "persons_bijstand": [10.0, 300.0],
            "age_15_25": [100.0, 1000.0],
            "age_25_45": [100.0, 1000.0],
            "age_45_65": [100.0, 1000.0],
            "dwellings": [100.0, 900.0],
            "pct_rental": [10.0, 50.0],
        }
    )
    pooled = reference_values(frame, ["bijstand_per_1000_15_65", "pct_rental"])
    assert pooled["bijstand_per_1000_15_65"] == pytest.approx(1000 * 310 / 3300)
    assert pooled["pct_rental"] == pytest.approx((10 * 100 + 50 * 900) / 1000)


def test_missing_values_are_left_out_not_counted_as_zero():
    frame = pd.DataFrame({"dwellings": [100.0, 100.0, np.nan], "pct_rental": [20.0, np.nan, 90.0]})
    before = frame.copy()
    assert reference_values(frame, ["pct_rental"]) == {"pct_rental": pytest.approx(20.0)}
    pd.testing.assert_frame_equal(frame, before)  # not modified
    assert math.isnan(reference_values(frame, ["pct_rental"], min_areas=2)["pct_rental"])
