from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers import PROFILES, custom_profile
from models import OUTPUT_COLUMNS, build_weights, run_analysis
from tests._grid import grid_frame
from tests._real import area_frame, stats_frame

_REQUIRED = (
    "code",
    "name",
    "level",
    "stacking_score",
    "stacking_percentile",
    "themes_high",
    "stacking_flag",
    "n_indicators",
    "cluster",
    "cluster_label",
    "hotspot",
)
_HOTSPOT = {
    "High-High",
    "Low-Low",
    "High-Low",
    "Low-High",
    "not significant",
    "no neighbours",
    "no data",
}


def test_demo_analysis_has_the_agreed_columns(demo_frames):
    frame = demo_frames["buurt"]
    before = frame.copy()
    steps = []
    result = run_analysis(frame, progress=lambda f, s: steps.append(f))
    assert_geodataframe_equal(frame, before)
    table = result.table
    assert set(_REQUIRED) <= set(table.columns)
    assert list(table.columns[-len(OUTPUT_COLUMNS) - 1 : -1]) == list(OUTPUT_COLUMNS)
    assert table.index.equals(frame.index) and table.crs == frame.crs
    assert list(result.indicators.values()) == [
        "pct_corporation_owned",
        "bijstand_per_1000_15_65",
        "wmo_age_index",
        "youth_care_age_index",
        "pct_persons_poverty",
    ]
    for key in result.indicators.values():
        assert key in table.columns
    assert set(table["hotspot"]) <= _HOTSPOT
    assert table["stacking_flag"].dtype == bool
    assert steps[-1] == 1.0 and steps == sorted(steps)
    # The two tiny buurten (35 and 0 inhabitants) are not ranked.
    small = frame["population"] < 50
    assert table.loc[small, "stacking_score"].isna().all()
    assert (table.loc[small, "cluster_label"] == "onvoldoende gegevens").all()
    # Flagged areas really have enough high themes, and rank high.
    flagged = table[table["stacking_flag"]]
    assert len(flagged) > 0
    assert (flagged["themes_high"] >= PROFILES["default"].flag_min_themes).all()
    assert flagged["stacking_percentile"].min() > 50
    # "Why": the Dutch list of high themes has as many entries as themes_high.
    listed = table["high_themes"].map(lambda s: len(s.split(", ")) if s else 0)
    assert (listed == table["themes_high"]).all()
    assert "corporatiebezit" in " ".join(flagged["high_themes"])


def test_every_profile_runs_on_the_demo(demo_frames):
    frame = demo_frames["buurt"]
    graph = build_weights(frame.geometry)
    for key in PROFILES:
        result = run_analysis(frame, profile=key, weights=graph, permutations=99)
        assert result.settings["profile"] == key
        assert result.table["n_indicators"].max() == len(result.indicators)


def test_themes_without_data_are_left_out_with_a_note():
    frame = grid_frame(5, 5)
    frame["youth_care_count"] = np.nan
    fallback = run_analysis(frame, permutations=0)
    assert fallback.indicators["jeugd"] == "youth_care_pct"  # the next candidate
    frame["youth_care_pct"] = np.nan
    result = run_analysis(frame, permutations=0)
    assert "jeugd" not in result.indicators
    assert any("jeugd" in note for note in result.notes)
    assert (result.table["hotspot"] == "not computed").all()


def test_non_default_index_and_options():
    frame = grid_frame(6, 6, gemeenten=2)
    frame.index = pd.Index([f"r{i}" for i in range(len(frame))])
    result = run_analysis(
        frame, scope="selection", cluster_method="ward", n_clusters=3, permutations=99, fdr=True
    )
    assert result.table.index.equals(frame.index)
    assert result.typology.k == 3 and result.settings["fdr"] is True
    assert result.table["cluster"].dropna().between(1, 3).all()


def test_scope_national_needs_a_reference_and_uses_it():
    frame = grid_frame(4, 4)
    with pytest.raises(ValueError, match="reference"):
        run_analysis(frame, scope="national")
    reference = grid_frame(10, 10, seed=9)
    result = run_analysis(frame, scope="national", reference=reference, permutations=0)
    assert result.table["stacking_percentile"].notna().all()
    with pytest.raises(ValueError, match="scope"):
        run_analysis(frame, scope="planet")


def test_custom_profile_with_absolute_thresholds():
    frame = grid_frame(5, 5)
    profile = custom_profile(["pct_corporation_owned", "wmo_per_1000"], flag_min_themes=2)
    result = run_analysis(frame, profile=profile, permutations=0)
    assert list(result.indicators) == ["pct_corporation_owned", "wmo_per_1000"]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1000))
def test_row_order_does_not_change_the_result(seed):
    frame = grid_frame(5, 5, seed=seed % 7, gemeenten=2)
    frame.loc[3, "pct_corporation_owned"] = np.nan
    before = frame.copy()
    first = run_analysis(frame, permutations=99, seed=1)
    assert_geodataframe_equal(frame, before)
    order = np.random.default_rng(seed).permutation(len(frame))
    shuffled = frame.iloc[order]
    second = run_analysis(shuffled, permutations=99, seed=1)
    assert second.table.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(
        pd.DataFrame(second.table.drop(columns="geometry")).loc[frame.index],
        pd.DataFrame(first.table.drop(columns="geometry")),
        atol=1e-9,
    )


@pytest.mark.real_data
def test_rijnmond_buurten_known_focus_areas_rank_high(real_data):
    """Plausibility on real buurten: the post-war focus areas rank high in their gemeente.

    Schiedam-Nieuwland was one of the national "krachtwijken" (2007) and Groenoord lies
    next to it; Vlaardingen's Holy and Westwijk are its post-war social-housing wijken.
    The highest-scoring buurten of these gemeenten should lie there. Runs on the 452
    Rijnmond buurten of ../shared, or on the fixture's Schiedam, Vlaardingen and Ridderkerk.
    """
    frame = area_frame(real_data, "buurt")
    wijk_names = stats_frame(real_data, "wijk").set_index("code")["name"]
    result = run_analysis(frame, permutations=199)
    table = result.table.assign(wijk=lambda t: t["wijkcode"].map(wijk_names))
    assert table["code"].is_unique and len(table) == len(stats_frame(real_data, "buurt"))
    assert table["wijk"].notna().all()

    def top(code: str, n: int) -> list[str]:
        one = table[table["gemeentecode"] == code]
        return one.sort_values("stacking_score", ascending=False)["wijk"].head(n).tolist()

    schiedam = top("GM0606", 6)
    assert sum(w in {"Wijk 06 Nieuwland", "Wijk 07 Groenoord"} for w in schiedam) >= 5
    vlaardingen = top("GM0622", 3)
    assert set(vlaardingen) <= {"Holy Noord", "Holy Zuid", "Westwijk"}
    # Well-off gemeenten' buurten are rarely flagged within a Rijnmond-wide comparison.
    wide = run_analysis(frame, scope="selection", permutations=0)
    by_gm = wide.table.groupby("gemeentecode")["stacking_flag"].mean()
    assert by_gm["GM0606"] > by_gm["GM0597"]  # Schiedam > Ridderkerk
    assert by_gm["GM0622"] > by_gm["GM0597"]  # Vlaardingen > Ridderkerk
    if "GM1621" in by_gm.index:  # the 11 Rijnmond gemeenten of ../shared
        assert by_gm["GM0606"] > by_gm["GM1621"]  # Schiedam > Lansingerland
        assert by_gm["GM0622"] > by_gm["GM0489"]  # Vlaardingen > Barendrecht


@pytest.mark.real_data
def test_national_wijk_level_completes_with_hotspots(national_data):
    frame = area_frame(national_data, "wijk")
    graph = build_weights(frame.geometry)
    result = run_analysis(frame, scope="selection", weights=graph, permutations=199)
    table = result.table
    assert len(table) == 3393
    assert table["stacking_score"].notna().mean() > 0.9
    assert result.typology is not None and 3 <= result.typology.k <= 7
    counts = table["hotspot"].value_counts()
    assert counts.get("High-High", 0) > 100 and counts.get("Low-Low", 0) > 100
    assert 0 < counts.get("no neighbours", 0) < 20  # the islands
    top = table.sort_values("stacking_score", ascending=False).head(50)
    # The big-city deprived wijken rank high nationally.
    assert {"Amsterdam", "'s-Gravenhage"} <= set(top["gemeentenaam"])
