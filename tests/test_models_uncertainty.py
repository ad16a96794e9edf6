"""Rank uncertainty: the baseline is the analysis itself, noise widens intervals of small areas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layers.indicators import compute_indicators, get_indicator
from layers.profiles import Threshold, get_profile
from models import run_analysis
from models.reliability import CountBasis, count_basis
from models.stacking import stacking_scores
from models.uncertainty import STABILITY_KEYS, rank_uncertainty, stability_class

THEMES = {
    "wonen": "pct_corporation_owned",
    "bijstand": "bijstand_per_1000_15_65",
    "wmo": "wmo_age_index",
    "jeugd": "youth_care_age_index",
    "armoede": "pct_persons_poverty",
}


def _themes(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, CountBasis]]:
    values = compute_indicators(frame, list(THEMES.values()))
    theme_values = pd.DataFrame({t: values[k] for t, k in THEMES.items()}, index=frame.index)
    bases = {t: count_basis(frame, get_indicator(k)) for t, k in THEMES.items()}
    return theme_values, bases


def _poisson_theme(count, exposure) -> CountBasis:
    index = pd.RangeIndex(len(count))
    return CountBasis(
        "poisson",
        pd.Series(count, dtype=float, index=index),
        pd.Series(exposure, dtype=float, index=index),
        1.0,
        pd.Series(25 / 12, index=index),
    )


def test_without_noise_and_variants_every_draw_is_the_analysis(demo_frames):
    frame = demo_frames["buurt"]
    values, bases = _themes(frame)
    rules = {"min_indicators": 3, "flag_min_themes": 3}
    for kwargs in ({"groups": frame["gemeentecode"]}, {"reference": values.iloc[::2]}):
        base = stacking_scores(values, **kwargs, **rules).table
        result = rank_uncertainty(
            values, bases, noise=False, methods=False, resamples=3, **kwargs, **rules
        ).table
        scored = base["stacking_score"].notna()
        assert scored.sum() > 10
        pd.testing.assert_series_equal(
            result["stacking_percentile_lo"], base["stacking_percentile"], check_names=False
        )
        pd.testing.assert_series_equal(
            result["stacking_percentile_hi"], base["stacking_percentile"], check_names=False
        )
        stable = result["stacking_stability"][scored]
        assert stable.equals(base["stacking_flag"][scored].astype(float))
        assert result["stacking_stability"][~scored].isna().all()


def test_seeded_reproducible_and_row_order_free(demo_frames):
    frame = demo_frames["buurt"]
    values, bases = _themes(frame)
    options = {"groups": frame["gemeentecode"], "min_indicators": 3, "flag_min_themes": 3}
    one = rank_uncertainty(values, bases, seed=4, resamples=50, order=frame["code"], **options)
    two = rank_uncertainty(values, bases, seed=4, resamples=50, order=frame["code"], **options)
    pd.testing.assert_frame_equal(one.table, two.table)
    other = rank_uncertainty(values, bases, seed=5, resamples=50, **options)
    assert not other.table.equals(one.table)
    perm = np.random.default_rng(0).permutation(len(frame))
    shuffled = rank_uncertainty(
        values.iloc[perm],
        {
            t: CountBasis(
                b.model,
                *(s.iloc[perm] for s in (b.count, b.exposure)),
                b.scale,
                b.rounding_var.iloc[perm],
            )
            for t, b in bases.items()
        },
        seed=4,
        resamples=50,
        order=frame["code"].iloc[perm],
        groups=frame["gemeentecode"].iloc[perm],
        min_indicators=3,
        flag_min_themes=3,
    )
    pd.testing.assert_frame_equal(shuffled.table.loc[frame.index], one.table)


def test_small_areas_get_wider_intervals_than_large_ones():
    rng = np.random.default_rng(0)
    n = 200
    exposure = np.where(np.arange(n) % 2 == 0, 40.0, 40_000.0)
    rate = rng.uniform(0.5, 1.5, (n, 3))
    columns = ["a", "b", "c"]
    count = rate * exposure[:, None]
    values = pd.DataFrame(count / exposure[:, None], columns=columns)
    bases = {c: _poisson_theme(count[:, j], exposure) for j, c in enumerate(columns)}
    table = rank_uncertainty(values, bases, methods=False, resamples=100, seed=1).table
    width = table["stacking_percentile_hi"] - table["stacking_percentile_lo"]
    small, large = width[exposure == 40].median(), width[exposure == 40_000].median()
    assert small > 3 * large
    assert large < 10


def test_income_counted_once_removes_income_only_stacking():
    # Area 0 is high on wonen, bijstand and armoede only; area 1 on wonen, wmo and jeugd.
    n = 20
    values = pd.DataFrame(
        {t: np.linspace(0, 1, n) for t in ("wonen", "bijstand", "wmo", "jeugd", "armoede")}
    )
    values.loc[0, ["wonen", "bijstand", "armoede"]] = 10.0
    values.loc[1, ["wonen", "wmo", "jeugd"]] = 10.0
    result = rank_uncertainty(
        values, {}, noise=False, resamples=400, seed=2, flag_min_themes=3, min_indicators=3
    )
    once = result.variants["income_once"].mean()
    assert 0.4 < once < 0.6
    assert result.table.loc[0, "stacking_stability"] == pytest.approx(1 - once)
    assert result.table.loc[1, "stacking_stability"] == 1.0
    # Thresholds stay within P75-P85 and weights within +-25 %.
    assert result.variants["threshold_shift"].abs().max() <= 5
    weights = result.variants.filter(like="weight_")
    assert weights.min().min() >= 0.75 and weights.max().max() <= 1.25
    assert set(result.variants["aggregation"]) == {"z", "percentile"}


def test_absolute_thresholds_keep_their_value_and_bad_options_fail():
    values = pd.DataFrame({"a": [1.0, 5.0, 9.0], "b": [1.0, 5.0, 9.0]})
    th = {c: Threshold("absolute", 5.0) for c in values}
    result = rank_uncertainty(values, {}, thresholds=th, flag_min_themes=2, noise=False)
    assert list(result.table["stacking_stability"]) == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="resamples"):
        rank_uncertainty(values, {}, resamples=0)
    with pytest.raises(ValueError, match="interval"):
        rank_uncertainty(values, {}, interval=(90, 10))


def test_stability_classes_have_dutch_labels():
    classes = stability_class(pd.Series([1.0, 0.8, 0.5, 0.1, np.nan]))
    assert list(classes) == ["stable", "stable", "borderline", "rarely", "unknown"]
    assert set(classes) <= set(STABILITY_KEYS)
    from geo_app.session.i18n import TEXTS

    for key in STABILITY_KEYS:
        assert TEXTS[f"stability_{key}"]["nl"] and TEXTS[f"stability_{key}"]["en"]


def test_run_analysis_reports_raw_smoothed_interval_and_stability(demo_frames):
    frame = demo_frames["buurt"]
    result = run_analysis(frame, permutations=0, clustering=False)
    table = result.table
    for key in result.indicators.values():
        assert key + "_smoothed" in table
    scored = table["stacking_score"].notna()
    lo, hi = table["stacking_percentile_lo"], table["stacking_percentile_hi"]
    assert (lo[scored] <= hi[scored]).all()
    assert table.loc[scored, "stacking_stability"].between(0, 1).all()
    assert table["reliability"].dropna().between(0, 1).all()
    assert result.settings["resamples"] == 200
    skipped = run_analysis(frame, permutations=0, clustering=False, resamples=0).table
    assert skipped["stacking_stability"].isna().all()
    assert (skipped["stability_class"] == "not computed").all()
    pd.testing.assert_series_equal(skipped["stacking_score"], table["stacking_score"])


def test_the_smoothed_profile_ranks_on_smoothed_values_and_the_default_does_not(demo_frames):
    frame = demo_frames["buurt"]
    raw = run_analysis(frame, permutations=0, clustering=False, resamples=0)
    smooth = run_analysis(
        frame, profile="gladgestreken", permutations=0, clustering=False, resamples=20
    )
    assert get_profile("gladgestreken").smoothing and not get_profile("default").smoothing
    theme = next(iter(raw.indicators))
    pd.testing.assert_series_equal(
        raw.stacking.z[theme],
        stacking_scores(
            raw.table[[raw.indicators[theme]]].set_axis([theme], axis=1),
            groups=frame["gemeentecode"],
        ).z[theme],
    )
    smoothed_theme = smooth.table[raw.indicators[theme] + "_smoothed"]
    expected = stacking_scores(smoothed_theme.to_frame(theme), groups=frame["gemeentecode"]).z
    pd.testing.assert_series_equal(smooth.stacking.z[theme], expected[theme])
    # The raw value stays in the table next to the smoothed one.
    pd.testing.assert_series_equal(
        smooth.table[raw.indicators[theme]], raw.table[raw.indicators[theme]]
    )


@pytest.mark.real_data
def test_national_wijken_flagged_ones_are_mostly_stable(national_data):
    from tests._real import stats_frame

    frame = stats_frame(national_data, "wijk")
    values, bases = _themes(frame)
    table = rank_uncertainty(
        values,
        bases,
        groups=frame["gemeentecode"],
        min_indicators=3,
        flag_min_themes=3,
        resamples=200,
        order=frame["code"],
    ).table
    base = stacking_scores(
        values, groups=frame["gemeentecode"], min_indicators=3, flag_min_themes=3
    ).table
    flagged = base["stacking_flag"]
    # Flagged wijken are mostly stable, unflagged ones mostly rarely stacking areas.
    assert table.loc[flagged, "stacking_stability"].median() >= 0.6
    assert table.loc[~flagged & base["stacking_score"].notna(), "stacking_stability"].median() < 0.1


def test_grouped_ranks_match_a_per_group_rankdata_with_ties_and_gaps():
    from scipy.stats import rankdata

    from models._ranks import Scope

    rng = np.random.default_rng(3)
    groups = rng.choice(["b", "a", "c", "d"], size=40)
    x = rng.integers(0, 5, size=(6, 40)).astype(float)  # many ties
    x[:, [3, 17]] = np.nan
    scope = Scope(groups)
    pct, z = scope.pct(x), scope.z(x)
    for g in set(groups):
        idx = np.flatnonzero(groups == g)
        for row in range(x.shape[0]):
            sub = x[row, idx]
            ok = np.isfinite(sub)
            expected = 100 * (rankdata(sub[ok]) - 0.5) / ok.sum()
            np.testing.assert_allclose(pct[row, idx][ok], expected)
            std = sub[ok].std()
            expected_z = (sub[ok] - sub[ok].mean()) / std if std > 0 else 0.0
            np.testing.assert_allclose(z[row, idx][ok], expected_z)
    assert np.isnan(pct[:, [3, 17]]).all() and np.isnan(z[:, [3, 17]]).all()
